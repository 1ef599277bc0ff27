// prdb in the other runtimes users have, Bun and Deno, installed from the npm registry as a
// user would (npx): the basic console works (values, globals, await, console output, errors that
// come later); what needs node:inspector on the main thread (Stack, Ctrl+C of a busy program,
// module-scope names) is said in the session; the server child never outlives its target.
// A runtime that cannot be installed here is skipped, saying why.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connect, isAlive, pollUntil, serverChildPid, startTarget } from './helpers.js';

const run = promisify(execFile);

/** Versions pinned so that a new release cannot break CI unannounced; README says which were tried. */
const runtimes = [
  { name: 'Bun', npmPackage: 'bun@1.4.5', printPath: ['-e', 'console.log(process.execPath)'], runArgs: [] },
  {
    name: 'Deno',
    npmPackage: 'deno@2.9.6',
    printPath: ['eval', 'console.log(Deno.execPath())'],
    runArgs: ['run', '-A'],
  },
];

for (const runtime of runtimes) {
  describe(`${runtime.name}`, () => {
    let executable = null;
    let unavailable = null;

    before(async () => {
      try {
        const { stdout } = await run('npx', ['-y', runtime.npmPackage, ...runtime.printPath], { timeout: 240_000 });
        executable = stdout.trim();
        if (!existsSync(executable)) throw new Error(`it printed ${JSON.stringify(executable)}`);
      } catch (error) {
        unavailable = `${runtime.npmPackage} could not be installed or run here: ${error.message.split('\n')[0]}`;
        process.stdout.write(`# skipping ${runtime.name}: ${unavailable}\n`);
      }
    });

    async function target(t, options = {}) {
      if (unavailable !== null) {
        t.skip(unavailable);
        return null;
      }
      return startTarget(t, { node: executable, execArgv: runtime.runArgs, ...options });
    }

    it('the basic console: values, live globals, await, console output, an error thrown later', async (t) => {
      const program = await target(t);
      if (program === null) return;
      const session = await connect(t, await program.activate());
      assert.match(await session.evaluate('1 + 41'), /\n42\n/);
      assert.match(await session.evaluate('appState.name'), /'fixture'/);
      await session.evaluate("appState.name = 'changed here'");
      await pollUntil(() => /changed here/.test(session.output), 'the assignment');
      assert.match(await session.evaluate('const answer = await Promise.resolve(6); answer * 7'), /\n42\n/);
      assert.match(await session.evaluate('answer'), /\n6\n/);
      assert.match(await session.evaluate('await Promise.reject(new Error("refused"))'), /Uncaught Error: refused/);
      assert.match(await session.evaluate("console.log('to the session'); 1"), /to the session\n1\n/);
      session.markOutput();
      session.type('setTimeout(() => { throw new Error("later") }, 10); 0\r');
      await session.waitForOutput(/Uncaught Error: later/);
      assert.match(await session.evaluate('appState.ticks > 0'), /true/);
      assert.equal(program.exit, null, 'the program goes on');
      assert.equal(program.stdout, '', 'session output stays in the session');
    });

    it('what cannot work here is said in the session: Stack, Ctrl+C of a busy program, module-scope names', async (t) => {
      const program = await target(t);
      if (program === null) return;
      const session = await connect(t, await program.activate());
      const limit = new RegExp(`${runtime.name} \\S+ has no node:inspector session on the main thread`);
      const notice = await session.waitForMessage('notice');
      assert.match(notice.text, limit);
      assert.match(notice.text, /expose\(\)/);
      assert.match(await session.evaluate('.scope'), limit);
      // Busy for good (nothing can stop it here): the target is killed after the test.
      session.type('while (true) {}\r');
      await session.waitForMessage('busy');
      session.send({ type: 'stack' });
      assert.match((await session.waitForMessage('stack')).text, limit);
      const notices = session.messages.length;
      session.type('\x03');
      assert.match((await session.waitForMessage('notice', { from: notices })).text, limit);
    });

    it('the server child exits when its target is killed, even a busy one', async (t) => {
      const program = await target(t);
      if (program === null) return;
      const session = await connect(t, await program.activate());
      const child = serverChildPid(program.pid);
      const urlFile = join(tmpdir(), `prdb-${process.getuid()}`, `${program.pid}.url`);
      assert.ok(existsSync(urlFile));
      // A busy target: messages to it wait in the channel when it dies.
      session.type('while (true) {}\r');
      await session.waitForMessage('busy');
      program.child.kill('SIGKILL');
      await program.exited;
      await pollUntil(() => !isAlive(child), 'the server child to exit', 5000);
      assert.equal(existsSync(urlFile), false, 'the URL file is removed');
    });
  });
}
