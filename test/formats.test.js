// prdb copied into any kind of project, and armed without a line of code: each file format in
// ES module and CommonJS projects, by import and require; preloads by --import, --require and
// NODE_OPTIONS, which arm the process once and its child processes each for themselves, never
// prdb's own child or threads, nor a program's worker threads; two copies in one process are
// one prdb. Each case reaches a console for real: signal, URL, a session that evaluates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, fixture, parseConsoleUrl, pollUntil, root, serverChildPid, startTarget } from './helpers.js';

const [major, minor] = process.versions.node.split('.').map(Number);
const stripsTypes = major > 22 || (major === 22 && minor >= 18);

/** A project directory with prdb's files copied in, as a user copies them, and these files. */
function project(t, type, files) {
  const directory = mkdtempSync(join(tmpdir(), 'prdb-formats-'));
  t.after(() => rmSync(directory, { recursive: true, force: true }));
  for (const name of ['prdb.ts', 'prdb.js', 'prdb.mjs', 'prdb.cjs', 'client.html'])
    cpSync(join(root, name), join(directory, name));
  const manifest = { name: 'app', version: '1.0.0', private: true, ...(type === null ? {} : { type }) };
  writeFileSync(join(directory, 'package.json'), JSON.stringify(manifest));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(directory, name), text);
  return directory;
}

/** The app's own work, with the line startTarget waits for. */
const APP = `globalThis.appState = { name: 'app' };
setInterval(() => {}, 1000);
process.on('SIGTERM', () => process.exit(0));
process.stderr.write('fixture: ready pid=' + process.pid + '\\n');
`;

/** Signal, URL, session: the console of this target, proved by an evaluation only it can answer. */
async function reachConsole(t, target) {
  const session = await connect(t, await target.activate());
  assert.match(await session.evaluate('[process.pid, appState.name]'), new RegExp(`\\[ ${target.pid}, 'app' \\]`));
  return session;
}

/** The file the server child runs: each format forks itself. */
function serverChildScript(target) {
  const pid = serverChildPid(target.pid);
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  return argv[argv.indexOf('--prdb-server-role') - 1];
}

// Each app picks a free port (the default, 4242, may be another test's): through the API of the copy it loads.
const requireCopy = (file) => `require('./${file}').setSignalHandler({ port: 0 });\n${APP}`;
const importCopy = (file) => `import { setSignalHandler } from './${file}';\nsetSignalHandler({ port: 0 });\n${APP}`;
const copies = [
  { type: 'commonjs', app: 'app.js', code: requireCopy('prdb.cjs'), forks: 'prdb.cjs' },
  { type: 'commonjs', app: 'app.cjs', code: requireCopy('prdb.cjs'), forks: 'prdb.cjs' },
  { type: 'commonjs', app: 'app.mjs', code: importCopy('prdb.mjs'), forks: 'prdb.mjs' },
  {
    type: 'commonjs',
    app: 'app.js',
    code: `import('./prdb.mjs').then((prdb) => {\n  prdb.setSignalHandler({ port: 0 });\n${APP}});\n`,
    forks: 'prdb.mjs',
  },
  { type: 'module', app: 'app.js', code: importCopy('prdb.js'), forks: 'prdb.js' },
  { type: 'module', app: 'app.js', code: importCopy('prdb.mjs'), forks: 'prdb.mjs' },
  {
    type: 'module',
    app: 'app.js',
    code: `import { createRequire } from 'node:module';\ncreateRequire(import.meta.url)${requireCopy('prdb.cjs').slice('require'.length)}`,
    forks: 'prdb.cjs',
  },
  // No "type": a .js file with ES module syntax is an ES module (Node >= 20.19, 22.12), and require loads one.
  { type: null, app: 'app.js', code: requireCopy('prdb'), forks: 'prdb.js' },
  { type: null, app: 'app.js', code: requireCopy('prdb.cjs'), forks: 'prdb.cjs' },
  { type: 'module', app: 'app.ts', code: importCopy('prdb.ts'), forks: 'prdb.ts', types: true },
];

for (const { type, app, code, forks, types } of copies) {
  const statement = code.split('\n').find((line) => /prdb(\.\w+)?'/.test(line));
  test(
    `copied into a project of type ${type ?? '(none)'}: ${app} with ${statement}`,
    { skip: types && !stripsTypes && `Node ${process.version} does not strip types by default` },
    async (t) => {
      const directory = project(t, type, { [app]: code });
      const target = await startTarget(t, { script: join(directory, app), cwd: directory, options: { port: 0 } });
      await reachConsole(t, target);
      assert.equal(serverChildScript(target), join(directory, forks));
      // Node's own advice for prdb.js in a project without "type" is the one warning (README: use prdb.mjs there).
      assert.doesNotMatch(
        target.stderr.replace(/^.*MODULE_TYPELESS_PACKAGE_JSON[^]*?--trace-warnings.*\n/m, ''),
        /Error|Warning/,
      );
    },
  );
}

test('what Node refuses, as README says: prdb.js in a CommonJS project, an import without an extension', async (t) => {
  const { spawnSync } = await import('node:child_process');
  const run = (type, code) => {
    const directory = project(t, type, { 'app.js': code });
    return spawnSync(process.execPath, ['app.js'], { cwd: directory, encoding: 'utf8', timeout: 10_000 });
  };
  // The extension .js means what the project's "type" says: there, the file for require is prdb.cjs.
  const commonjs = run('commonjs', `require('./prdb.js');\n${APP}`);
  assert.notEqual(commonjs.status, 0);
  assert.match(commonjs.stderr, /SyntaxError: Unexpected token 'export'/);
  // Node's ES module resolver needs the extension (bundlers, tsx and Bun do not).
  const extensionless = run('module', `import './prdb';\n${APP}`);
  assert.notEqual(extensionless.status, 0);
  assert.match(extensionless.stderr, /ERR_MODULE_NOT_FOUND/);
});

// ---------------------------------------------------------------------------------------------
// Armed without a line of code
// ---------------------------------------------------------------------------------------------

const preloads = [
  { type: 'module', execArgv: ['--import', './prdb.js'], forks: 'prdb.js' },
  { type: 'commonjs', execArgv: ['--import', './prdb.mjs'], forks: 'prdb.mjs' },
  { type: 'commonjs', execArgv: ['--require', './prdb.cjs'], forks: 'prdb.cjs' },
  { type: 'module', execArgv: ['--require', './prdb.cjs'], forks: 'prdb.cjs' },
  { type: 'module', env: { NODE_OPTIONS: '--import ./prdb.js' }, forks: 'prdb.js' },
  { type: 'commonjs', env: { NODE_OPTIONS: '--require ./prdb.cjs' }, forks: 'prdb.cjs' },
];

for (const { type, execArgv = [], env = {}, forks } of preloads) {
  const how =
    execArgv.length > 0 ? `node ${execArgv.join(' ')} app.js` : `NODE_OPTIONS='${env.NODE_OPTIONS}' node app.js`;
  test(`${how} arms prdb in a ${type} program that never imports it`, async (t) => {
    const directory = project(t, type, { 'app.js': APP });
    const target = await startTarget(t, { script: 'app.js', cwd: directory, execArgv, env, options: null });
    await reachConsole(t, target);
    assert.equal(serverChildScript(target), join(directory, forks));
  });
}

test('a preload in NODE_OPTIONS arms the program and each of its child processes, never prdb’s own child or thread, nor the program’s workers', async (t) => {
  const log = join(mkdtempSync(join(tmpdir(), 'prdb-runs-')), 'runs.log');
  t.after(() => rmSync(join(log, '..'), { recursive: true, force: true }));
  const directory = project(t, 'module', {
    'app.js': `import { Worker } from 'node:worker_threads';
import { spawn } from 'node:child_process';
// A worker of the program's own: a --require preload runs in it too, and must arm nothing there.
new Worker("process.stderr.write('fixture: worker listeners=' + process.listenerCount('SIGUSR1') + '\\\\n')", { eval: true });
// A child process of the program's own: NODE_OPTIONS reaches it, and it has its own console.
const child = spawn(process.execPath, ['child.js'], { stdio: ['ignore', 'inherit', 'inherit'] });
process.on('SIGTERM', () => { child.kill(); process.exit(0); });
${APP}`,
    'child.js': `globalThis.appState = { name: 'child' };
setInterval(() => {}, 1000);
process.stderr.write('fixture: child ready pid=' + process.pid + '\\n');
`,
  });
  const target = await startTarget(t, {
    script: 'app.js',
    cwd: directory,
    options: null,
    env: { COUNT_RUNS_LOG: log, NODE_OPTIONS: `--require ${fixture('count-runs.cjs')} --require ./prdb.cjs` },
  });
  await target.waitForStderr(/fixture: worker listeners=(\d+)\n/);
  assert.match(target.stderr, /fixture: worker listeners=0\n/);
  const session = await reachConsole(t, target);
  assert.match(await session.evaluate("process.listenerCount('SIGUSR1')"), /\n1\n/);

  const childPid = Number((await target.waitForStderr(/fixture: child ready pid=(\d+)\n/))[1]);
  t.after(() => process.kill(childPid, 'SIGKILL'));
  process.kill(childPid, 'SIGUSR1');
  const announced = await target.waitForStderr(new RegExp(`prdb: console for pid ${childPid} at (\\S+)\\n`));
  const childSession = await connect(t, parseConsoleUrl(announced[1]));
  assert.match(await childSession.evaluate('[process.pid, appState.name]'), new RegExp(`\\[ ${childPid}, 'child' \\]`));

  // The preload ran in the program (main thread and its worker) and its child process, and in
  // nothing of prdb's: its server children and watchdog threads run without it.
  const runs = await pollUntil(() => {
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    return lines.length >= 3 && lines;
  }, 'the preload log');
  const byPid = {};
  for (const line of runs) (byPid[line.split(' ')[0]] ??= []).push(line);
  assert.deepEqual(Object.keys(byPid).sort(), [String(target.pid), String(childPid)].sort(), runs.join('\n'));
  assert.deepEqual(byPid[target.pid].map((line) => line.split(' ')[1]).sort(), ['main', 'worker']);
  assert.deepEqual(
    byPid[childPid].map((line) => line.split(' ')[1]),
    ['main'],
  );
});

test('two copies in one process are one prdb: one handler, one server, names exposed through either', async (t) => {
  const directory = project(t, 'module', {
    'app.js': `import { createRequire } from 'node:module';
import { expose, setSignalHandler } from './prdb.mjs';
const required = createRequire(import.meta.url)('./prdb.cjs');
// The copy that came first (the --require) serves; the import's API is that copy's.
setSignalHandler({ port: 0 });
expose('fromImport', 'mjs');
required.expose('fromRequire', 'cjs');
${APP}`,
  });
  const target = await startTarget(t, {
    script: 'app.js',
    cwd: directory,
    execArgv: ['--require', './prdb.cjs'],
    options: null,
  });
  const session = await reachConsole(t, target);
  assert.match(
    await session.evaluate("[process.listenerCount('SIGUSR1'), fromImport, fromRequire]"),
    /\[ 1, 'mjs', 'cjs' \]/,
  );
  // port: 0, given to the import's copy, is what the running server (the require's) uses.
  assert.doesNotMatch(target.stderr, /:4242\//);
  assert.equal(serverChildScript(target), join(directory, 'prdb.cjs'));
});
