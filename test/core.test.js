// The core promise, end to end with real processes, signals and sockets: import, signal, URL,
// a REPL inside the target on its live state, and a lifecycle that never harms the target.
import test from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import fs, { readFileSync } from 'node:fs';
import os from 'node:os';
import { spawn, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import {
  startTarget,
  connect,
  fixture,
  entry,
  parseConsoleUrl,
  stripAnsi,
  waitUntil,
  serverChildPids,
  isAlive,
  pollUntil,
} from './helpers.js';

/** prdb's urlFilePath(pid), computed here. */
const urlFilePathOf = (pid) => `${os.tmpdir()}/prdb-${process.getuid()}/${pid}.url`;

async function waitForExit(pid, what) {
  const deadline = Date.now() + 5000;
  while (isAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`${what} (pid ${pid}) still alive`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('importing prdb installs a signal handler and nothing else', async (t) => {
  const child = spawn(process.execPath, [fixture('short-lived.js')], {
    env: { ...process.env, PRDB_ENTRY: entry },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const [code] = await once(child, 'exit');
  assert.equal(code, 0);
  // Only what any dynamic import leaves (the loader's file reads): no handle, timer, child or worker.
  const resources = JSON.parse(/resources after import: (\[.*\])/.exec(stderr)[1]);
  assert.deepEqual(
    resources.filter((name) => !['CloseReq', 'FSReqCallback', 'FSReqPromise'].includes(name)),
    [],
  );
  assert.doesNotMatch(stderr, /prdb:/);
});

test('the signal prints the URL once, on stderr, with a fresh token in the fragment', async (t) => {
  const target = await startTarget(t);
  const consoleUrl = await target.activate();
  assert.match(
    target.stderr,
    new RegExp(`prdb: console for pid ${target.pid} at http://127\\.0\\.0\\.1:\\d+/#[A-Za-z0-9_-]{43}\\n`),
  );
  assert.ok(Buffer.from(consoleUrl.token, 'base64url').length >= 16, 'token of at least 128 bits');
  assert.equal(target.stdout, '', 'nothing on the target stdout');
});

test('a session is a REPL inside the target, on its live globals', async (t) => {
  const target = await startTarget(t);
  const session = await connect(t, await target.activate());
  assert.equal(session.hello.pid, target.pid);
  assert.equal(session.hello.node, process.version);
  assert.match(await session.evaluate('appState.ticks > 0 && appState.name'), /'fixture'/);
  // What the user changes, changes: the app's own timer keeps counting on the same object.
  await session.evaluate('appState.ticks = -1000000');
  assert.match(await session.evaluate('appState.ticks < 0'), /true/);
  assert.match(await session.evaluate('saveCheckpoint("epoch-3")'), /'saved epoch-3'/);
  assert.match(await session.evaluate('appState.saved'), /\[ 'epoch-3' \]/);
  // Terminal output uses CRLF: xterm has no line discipline.
  assert.doesNotMatch(session.output, /[^\r]\n/);
});

test('REPL features: await, _, multi-line input, .help, .editor, errors, completion', async (t) => {
  const target = await startTarget(t);
  const session = await connect(t, await target.activate());
  assert.match(
    await session.evaluate('await new Promise((resolve) => setTimeout(() => resolve(41), 50)) + 1'),
    /\n42\n/,
  );
  assert.match(await session.evaluate('_ + 1'), /\n43\n/);
  // Multi-line: an open brace continues on the next line.
  session.markOutput();
  session.type('function twice(x) {\r');
  await session.waitForOutput(/(\.\.\.|\|) $/);
  assert.match(await session.evaluate('return 2 * x }'), /undefined/);
  assert.match(await session.evaluate('twice(21)'), /\n42\n/);
  assert.match(await session.evaluate('.help'), /\.editor/);
  session.markOutput();
  session.type('.editor\r');
  await session.waitForOutput(/Entering editor mode/);
  session.type('const fromEditor = 6\rfromEditor * 7\x04');
  await session.waitForOutput(/\n42\n> $/);
  // A thrown error prints in the session and the target carries on.
  assert.match(await session.evaluate('throw new Error("boom from session")'), /Uncaught Error: boom from session/);
  assert.match(await session.evaluate('null.property'), /TypeError/);
  // A rejected promise is shown, and nothing of prdb's own state leaks into its inspection.
  const rejected = await session.evaluate('Promise.reject(new Error("rejected in session"))');
  assert.match(rejected, /Promise \{\n  <rejected> Error: rejected in session/);
  assert.doesNotMatch(rejected, /PassThrough|activation|bytesInFlight/);
  // Unhandled, it is reported in the session a moment later, and the target lives on.
  await session.waitForOutput(/Uncaught Error: rejected in session[^]*\n> $/, { from: session.mark });
  assert.match(await session.evaluate('(async () => { throw new Error("async boom") })(); 5'), /\n5\n/);
  await session.waitForOutput(/Uncaught Error: async boom[^]*\n> $/, { from: session.mark });
  assert.match(await session.evaluate('setTimeout(() => { throw new Error("later") }, 10); "scheduled"'), /scheduled/);
  await session.waitForOutput(/Uncaught Error: later[^]*\n> $/, { from: session.mark });
  assert.match(await session.evaluate('appState.name'), /'fixture'/);
  // Tab completion of properties.
  session.markOutput();
  session.type('appState.na\t');
  await session.waitForOutput('appState.name');
  session.type('\r');
  await session.waitForOutput(/'fixture'\n> $/);
  assert.equal(target.exit, null, 'target still running');
});

test('history search with Ctrl+R, and the grey input preview', async (t) => {
  const target = await startTarget(t);
  const session = await connect(t, await target.activate());
  await session.evaluate('saveCheckpoint("from-history")');
  await session.evaluate('1');
  session.markOutput();
  session.type('\x12saveC');
  // Node's REPL shows the match with the search text underlined, and the query below it.
  await session.waitForOutput(/saveCheckpoint\("from-history"\)\nbck-i-search: saveC_/);
  session.type('\r');
  await session.waitForOutput(/'saved from-history'\n> $/);
  // The preview of a complete expression, in grey (SGR 90), before Enter.
  session.markOutput();
  session.type('40 + 2');
  await waitUntil(
    session.events,
    'update',
    () => session.output.slice(session.mark).includes('\x1b[90m42\x1b[39m'),
    'the grey preview of 42',
  );
  session.type('\r');
  await session.waitForOutput(/\n42\n> $/);
});

test('preview: false types without the grey preview, and the result still comes', async (t) => {
  const target = await startTarget(t, { options: { port: 0, preview: false } });
  const session = await connect(t, await target.activate());
  session.markOutput();
  session.type('40 + 2');
  await session.waitForOutput('40 + 2');
  session.type('\r');
  await session.waitForOutput(/\n42\n> $/);
  assert.doesNotMatch(session.output.slice(session.mark), /\x1b\[90m/, 'no grey preview');
});

test('console output of session code goes to the session, the app keeps its own', async (t) => {
  const target = await startTarget(t);
  const session = await connect(t, await target.activate());
  assert.match(await session.evaluate('console.log("direct"); console.error("to stderr"); 1'), /direct\nto stderr\n1/);
  session.markOutput();
  session.type(
    'setTimeout(() => console.log("from a timer"), 30); queueMicrotask(() => console.info("from a microtask")); (async () => { await null; console.warn("after an await") })(); 2\r',
  );
  await session.waitForOutput(/from a timer\n> $/);
  const shown = stripAnsi(session.output.slice(session.mark));
  assert.match(shown, /from a microtask/);
  assert.match(shown, /after an await/);
  // The app's own logging, from its own code, still goes to its stdout.
  assert.doesNotMatch(target.stdout, /direct|from a timer|after an await|from a microtask/);
  assert.doesNotMatch(target.stderr, /to stderr/);
  // Code the session calls logs into the session; the same function called by the app logs to stdout.
  assert.match(await session.evaluate('appLog("called from the session")'), /app: called from the session/);
  assert.doesNotMatch(target.stdout, /called from the session/);
});

test('output while the prompt is idle does not corrupt the line being typed', async (t) => {
  const target = await startTarget(t);
  const session = await connect(t, await target.activate());
  await session.evaluate('setTimeout(() => console.log("late line"), 200); 0');
  session.markOutput();
  session.type('12');
  await session.waitForOutput('late line');
  // After the late output the prompt and the half-typed input are drawn again.
  await session.waitForOutput(/late line\n> 12/);
  session.type('3\r');
  await session.waitForOutput(/\n123\n> $/);
});

test('Ctrl+C clears the line; Ctrl+D ends the session and the target keeps running', async (t) => {
  const target = await startTarget(t);
  const consoleUrl = await target.activate();
  const session = await connect(t, consoleUrl);
  session.markOutput();
  session.type('not finished');
  await session.waitForOutput('not finished');
  session.markOutput();
  session.type('\x03');
  await session.waitForOutput(/\n> $/);
  assert.match(await session.evaluate('1 + 1'), /^1 \+ 1\n2\n/, 'the line was cleared');
  session.markOutput();
  session.type('\x03');
  await session.waitForOutput(/To exit, press Ctrl\+C again/);
  session.type('\x04');
  const ended = await session.waitForMessage('session-end');
  assert.equal(ended.reason, 'exit');
  await session.waitForClose();
  // The target is fine and a new session can start.
  const again = await connect(t, consoleUrl);
  assert.notEqual(again.hello.sessionId, session.hello.sessionId);
  assert.match(await again.evaluate('appState.name'), /'fixture'/);
  // `.exit` ends a session too.
  again.type('.exit\r');
  await again.waitForMessage('session-end');
  assert.equal(target.exit, null);
});

test('when the last session ends, the REPL globals go and the user globals stay', async (t) => {
  const target = await startTarget(t);
  const session = await connect(t, await target.activate());
  assert.match(await session.evaluate('typeof require + " " + typeof fs'), /'function object'/);
  await session.evaluate('globalThis.keptByUser = "yes"');
  session.type('.exit\r');
  await session.waitForMessage('session-end');
  target.signal('SIGUSR2');
  await target.waitForStdout(/fixture: globals .*\n/);
  assert.match(target.stdout, /fixture: globals require=undefined fs=undefined underscore=undefined kept=yes/);
  assert.match(
    target.stdout,
    /fixture: globals .* console=restored\n/,
    "every console method is the program's own again",
  );
});

test('Ctrl+Z typed in a session is ignored: the process is not stopped, and the session goes on', async (t) => {
  const target = await startTarget(t);
  const session = await connect(t, await target.activate());
  session.type('\x1a');
  assert.match(await session.evaluate('1 + 1'), /\n2\n> $/);
  const state = readFileSync(`/proc/${target.pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0];
  assert.notEqual(state, 'T', 'the target is stopped: SIGTSTP, as readline sends on Ctrl+Z when nobody listens');
  assert.equal(target.exit, null);
});

test('several tabs are independent sessions', async (t) => {
  const target = await startTarget(t);
  const consoleUrl = await target.activate();
  const first = await connect(t, consoleUrl);
  const second = await connect(t, consoleUrl);
  assert.notEqual(first.hello.sessionId, second.hello.sessionId);
  first.markOutput();
  first.type('const half = ');
  await first.waitForOutput('const half = ');
  // The second session's line and output are its own.
  const secondOutput = await second.evaluate('console.log("only in second"); 7 * 6');
  assert.match(secondOutput, /only in second\n42/);
  assert.doesNotMatch(first.output, /only in second/);
  first.type('5\r');
  await first.waitForOutput(/\n> $/);
  assert.match(await second.evaluate('half'), /\n5\n/, 'same live globals');
});

test('a second signal says where to read the URL, without printing the token again; still one server', async (t) => {
  const target = await startTarget(t);
  const first = await target.activate();
  const children = serverChildPids(target.pid);
  assert.equal(children.length, 1);
  target.signal();
  const [, file] = await target.waitForStderr(
    new RegExp(
      `prdb: console for pid ${target.pid} is running; its URL is in (\\S+) \\(readable by its owner only\\)\n`,
    ),
  );
  assert.equal(fs.readFileSync(file, 'utf8'), `${first.url}\n`);
  assert.equal(target.stderr.split(first.token).length, 2, 'the token printed once');
  assert.deepEqual(serverChildPids(target.pid), children);
});

test('printToken: false prints where the URL is, never the token', async (t) => {
  const target = await startTarget(t, { options: { port: 0, printToken: false } });
  for (const state of ['started', 'is running']) {
    target.signal();
    await target.waitForStderr(
      `prdb: console for pid ${target.pid} ${state}; its URL is in ${urlFilePathOf(target.pid)} (readable by its owner only)\n`,
    );
  }
  const consoleUrl = parseConsoleUrl(fs.readFileSync(urlFilePathOf(target.pid), 'utf8').trim());
  assert.ok(!target.stderr.includes(consoleUrl.token), 'the token on stderr');
  const session = await connect(t, consoleUrl);
  assert.match(await session.evaluate('6 * 7'), /42/);
});

test('a storm of signals makes one server and harms nothing', async (t) => {
  const target = await startTarget(t);
  for (let i = 0; i < 40; i++) target.signal();
  const [, url] = await target.waitForStderr(/prdb: console for pid \d+ at (\S+)\n/);
  const consoleUrl = parseConsoleUrl(url);
  target.signal();
  await target.waitForStderr(/is running; its URL is in/);
  await pollUntil(() => serverChildPids(target.pid).length > 0, 'the server child');
  assert.equal(serverChildPids(target.pid).length, 1);
  assert.equal(target.stderr.match(/prdb: console for pid \d+ at (\S+)/g).length, 1, 'one URL, printed once');
  const session = await connect(t, consoleUrl);
  assert.match(await session.evaluate('appState.name'), /'fixture'/);
});

test('kill -9 of the server child leaves the target unharmed; the next signal starts afresh', async (t) => {
  const target = await startTarget(t);
  const first = await target.activate();
  const session = await connect(t, first);
  await session.evaluate('appState.before = appState.ticks');
  const [childPid] = serverChildPids(target.pid);
  process.kill(childPid, 'SIGKILL');
  await session.waitForClose();
  await target.waitForStderr(/console server stopped unexpectedly/);
  const second = await target.activate();
  assert.notEqual(second.token, first.token);
  const again = await connect(t, second);
  assert.match(await again.evaluate('appState.ticks > appState.before'), /true/);
  assert.equal(target.exit, null);
});

test('when the target exits, the child exits, pages are told and the port closes', async (t) => {
  const target = await startTarget(t);
  const consoleUrl = await target.activate();
  const session = await connect(t, consoleUrl);
  const [childPid] = serverChildPids(target.pid);
  target.child.kill('SIGTERM');
  await target.exited;
  const told = await session.waitForMessage('target-exit');
  assert.equal(told.code, 0, 'the fixture exits with 0 on SIGTERM');
  await session.waitForClose();
  const exitedAt = Date.now();
  await waitForExit(childPid, 'server child');
  assert.ok(Date.now() - exitedAt < 1000, 'the child is gone within a second');
  const refused = await new Promise((resolve) => {
    const socket = net.connect(consoleUrl.port, '127.0.0.1');
    socket.on('connect', () => resolve(false));
    socket.on('error', () => resolve(true));
  });
  assert.ok(refused, 'port closed');
});

test('prdb never keeps the target alive, even with a session open', async (t) => {
  const target = await startTarget(t, {
    script: fixture('short-lived.js'),
    env: { FIXTURE_START: '1', FIXTURE_LINGER_MS: '1500' },
  });
  const match = await target.waitForStderr(/fixture: started (\S+)/);
  const url = new URL(match[1]);
  const session = await connect(t, {
    url: match[1],
    origin: url.origin,
    token: url.hash.slice(1),
    wsUrl: `ws://${url.host}/ws`,
  });
  await session.evaluate('1');
  await target.exited;
  assert.equal(target.exit.code, 0);
  await session.waitForMessage('target-exit');
});

test('start(), status() and stop() from the program itself', async (t) => {
  const target = await startTarget(t);
  const first = await target.activate();
  const session = await connect(t, first);
  assert.match(
    await session.evaluate('prdb.status().sessions + " " + (prdb.status().url === ' + JSON.stringify(first.url) + ')'),
    /'1 true'/,
  );
  session.type('prdb.stop().then(() => appLog("stopped: " + JSON.stringify(prdb.status())))\r');
  const told = await session.waitForMessage('server-stop');
  assert.equal(told.type, 'server-stop');
  await target.waitForStdout('app: stopped: {"url":null,"sessions":0}');
  // The next activation is a new server with a new token; start() gives the same URL the signal prints.
  const second = await target.activate();
  assert.notEqual(second.token, first.token);
  const again = await connect(t, second);
  assert.match(await again.evaluate('(await prdb.start()) === ' + JSON.stringify(second.url)), /true/);
});

test('default port busy: another port is used and said so; a chosen busy port is a clear error', async (t) => {
  // Held here, or already held by another process on this machine: busy either way.
  const blocker = net.createServer();
  await new Promise((resolve, reject) =>
    blocker
      .once('error', (error) => (error.code === 'EADDRINUSE' ? resolve() : reject(error)))
      .listen(4242, '127.0.0.1', resolve),
  );
  t.after(() => blocker.listening && blocker.close());
  const flexible = await startTarget(t, { options: {} });
  const consoleUrl = await flexible.activate();
  assert.notEqual(consoleUrl.port, 4242);
  // Said loudly, with the port to forward: whoever holds 4242 would get the token of a user who types it by habit.
  assert.match(
    flexible.stderr,
    new RegExp(
      `prdb: WARNING: port 4242 is busy \\(another program, perhaps another user's, listens there\\); this console is on port ${consoleUrl.port}: [^\\n]*Over SSH: ssh -L ${consoleUrl.port}:127\\.0\\.0\\.1:${consoleUrl.port} <host>\\n`,
    ),
  );
  const session = await connect(t, consoleUrl);
  assert.match(await session.evaluate('1+1'), /2/);

  const strict = await startTarget(t, { options: { port: 4242 } });
  strict.signal();
  await strict.waitForStderr(/prdb: cannot listen on 127\.0\.0\.1:4242 \(EADDRINUSE\)/);
  assert.equal(strict.exit, null, 'target unaffected');
  for (const pid of serverChildPids(strict.pid)) await waitForExit(pid, 'server child after a failed listen');
});

test('bad options are refused at the boundary with a clear TypeError', async () => {
  const prdb = await import(entry);
  assert.throws(() => prdb.setSignalHandler({ port: 70000 }), {
    name: 'TypeError',
    message: 'Expected `port` to be an integer from 0 to 65535',
  });
  assert.throws(() => prdb.setSignalHandler({ port: 1.5 }), TypeError);
  assert.throws(() => prdb.setSignalHandler({ signal: 'SIGKILL' }), /signal/);
  assert.throws(() => prdb.setSignalHandler({ prot: 1 }), /Unknown option `prot`/);
  assert.throws(() => prdb.setSignalHandler({ maxSessions: 0 }), /maxSessions/);
  assert.throws(() => prdb.setSignalHandler({ tls: { key: 'x' } }), /tls/);
  for (const scrollback of [-1, 1.5, '1000', 1_000_001, NaN]) {
    assert.throws(() => prdb.setSignalHandler({ scrollback }), {
      name: 'TypeError',
      message: 'Expected `scrollback` to be a number of lines from 0 to 1000000',
    });
  }
  prdb.setSignalHandler({ scrollback: 0 });
  prdb.setSignalHandler({ scrollback: 1_000_000 });
  prdb.removeSignalHandler();
});
