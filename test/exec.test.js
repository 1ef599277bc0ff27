// `prdb exec`: one evaluation for scripts and cron, through the command line as users run it
// (this file run by node), against real targets: output and result on stdout byte for byte,
// however large, the error on stderr, the exit codes, --json, --timeout, and attacks on it.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { entry, fixture, startTarget, connect, waitUntil, pollUntil, root } from './helpers.js';

const { exitCodes, OutputQueue } = (await import(entry)).internalsForTests;
const cli = fileURLToPath(entry);

/**
 * Runs `prdb …` and resolves with its exit code, stdout (as a Buffer) and stderr. `input` goes to
 * its stdin; `stdoutFile` makes stdout that file, as `> file` does.
 */
async function prdb(args, { input, stdoutFile, env = {}, deadlineMs = 30_000 } = {}) {
  const fd = stdoutFile === undefined ? null : openSync(stdoutFile, 'w');
  const child = spawn(process.execPath, [cli, ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['pipe', fd ?? 'pipe', 'pipe'],
  });
  if (fd !== null) closeSync(fd);
  const chunks = [];
  let stderr = '';
  child.stdout?.on('data', (chunk) => chunks.push(chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  child.stdin.end(input);
  const timer = setTimeout(() => child.kill('SIGKILL'), deadlineMs);
  const [code, signal] = await once(child, 'exit');
  clearTimeout(timer);
  if (signal !== null) throw new Error(`prdb ${args[0]} killed by ${signal} (deadline); stderr: ${stderr}`);
  return { code, stdout: Buffer.concat(chunks), text: Buffer.concat(chunks).toString('utf8'), stderr };
}

async function preparedTarget(t, options = {}, more = {}) {
  const target = await startTarget(t, { options: { port: 0, ...options }, ...more });
  const consoleUrl = await target.activate();
  return { target, consoleUrl };
}

test('exec prints the console output and the result, without prompt, echo, colors or preview', async (t) => {
  const { consoleUrl } = await preparedTarget(t);
  const run = await prdb(['exec', consoleUrl.url, "console.log('a', { b: [1, 2] }); console.error('e'); 'c\\nd é'"]);
  assert.equal(run.stderr, '');
  assert.equal(run.code, exitCodes.EXIT_OK);
  // A string result as it is (as node -p prints it); LF stays LF (no terminal between).
  assert.equal(run.text, 'a { b: [ 1, 2 ] }\ne\nc\nd é\n');
  // Anything else as the REPL shows it (util.inspect with the REPL's options), no color codes.
  const object = await prdb(['exec', consoleUrl.url, '({ n: 1, s: "x", deep: { a: { b: { c: {} } } }, big: 10n })']);
  assert.equal(object.text, "{ n: 1, s: 'x', deep: { a: { b: [Object] } }, big: 10n }\n");
  assert.doesNotMatch(object.text, /\x1b/);
  // undefined prints nothing: the output is the code's own.
  assert.equal((await prdb(['exec', consoleUrl.url, 'console.log(1)'])).text, '1\n');
  assert.equal((await prdb(['exec', consoleUrl.url, '[1, 2].map((x) => x * 2)'])).text, '[ 2, 4 ]\n');
});

test('exec evaluates as the REPL does: the program’s own variables, top-level await, several lines', async (t) => {
  const target = await startTarget(t, { script: fixture('scope-main.mjs') });
  const { url } = await target.activate();
  assert.equal((await prdb(['exec', url, 'model.lr'])).text, '0.1\n');
  assert.equal((await prdb(['exec', url, 'model.lr = 0.25; report().startsWith("step")'])).text, 'true\n');
  const seen = target.stdout.length;
  target.signal('SIGUSR2');
  await target.waitForStdout(/program sees lr=0\.25/);
  assert.ok(target.stdout.length > seen);
  const awaited = await prdb(['exec', url, 'const a = 2;\nawait new Promise((r) => setTimeout(r, 20));\na * 21']);
  assert.equal(awaited.stderr, '');
  assert.equal(awaited.text, '42\n');
  // A script run again and again: its declarations are its own, not the next run's (nor the program's).
  for (const value of [1, 2])
    assert.equal(
      (await prdb(['exec', url, `const once = ${value}; let again = await once; again`])).text,
      `${value}\n`,
    );
  assert.equal((await prdb(['exec', url, 'typeof once + typeof again'])).text, 'undefinedundefined\n');
  // Code that reads stdin: `-`.
  assert.equal((await prdb(['exec', url, '-'], { input: 'step > 0 && epochs' })).text, '100\n');
});

test('--json prints the value as JSON; a value without one fails and says why', async (t) => {
  const { consoleUrl } = await preparedTarget(t);
  const json = await prdb(['exec', '--json', consoleUrl.url, "({ a: [1, 'é', null], b: { c: true } })"]);
  assert.equal(json.text, '{"a":[1,"é",null],"b":{"c":true}}\n');
  assert.equal((await prdb(['exec', consoleUrl.url, 'undefined', '--json'])).text, 'null\n');
  const cyclic = await prdb(['exec', consoleUrl.url, 'const o = {}; o.o = o; o', '--json']);
  assert.equal(cyclic.code, exitCodes.EXIT_CODE_THREW);
  assert.match(cyclic.stderr, /the result has no JSON form: .*circular/i);
  assert.equal(cyclic.text, '');
});

test('code that throws: the error on stderr as the REPL shows it, exit 1, the output before it kept', async (t) => {
  const { consoleUrl } = await preparedTarget(t);
  const thrown = await prdb(['exec', consoleUrl.url, "console.log('before'); throw new Error('boom')"]);
  assert.equal(thrown.code, exitCodes.EXIT_CODE_THREW);
  assert.equal(thrown.text, 'before\n');
  assert.match(thrown.stderr, /^Uncaught Error: boom\n {4}at prdb-exec-\d+:1:\d+\n$/);
  const rejected = await prdb(['exec', consoleUrl.url, "await Promise.reject(new TypeError('no'))"]);
  assert.equal(rejected.code, exitCodes.EXIT_CODE_THREW);
  assert.match(rejected.stderr, /^Uncaught TypeError: no\n/);
  const value = await prdb(['exec', consoleUrl.url, 'throw { code: 42 }']);
  assert.equal(value.code, exitCodes.EXIT_CODE_THREW);
  assert.equal(value.stderr, 'Uncaught { code: 42 }\n');
  const syntax = await prdb(['exec', consoleUrl.url, 'function f() {']);
  assert.equal(syntax.code, exitCodes.EXIT_CODE_THREW);
  assert.match(syntax.stderr, /Uncaught SyntaxError: Unexpected end of input\n$/);
  // Nothing of it leaks into the program's own output, and the program goes on.
  assert.equal((await prdb(['exec', consoleUrl.url, '1 + 1'])).text, '2\n');
});

test('no output lost, however large: tens of MB to a file byte for byte, and to a pipe', async (t) => {
  const { target, consoleUrl } = await preparedTarget(t);
  const dir = mkdtempSync(path.join(tmpdir(), 'prdb-exec-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // The same state in the target and here: rows with non-ASCII text and newlines in strings.
  const makeState = (count) => ({
    rows: Array.from({ length: count }, (_, i) => ({ i, name: `é${i} ✓ 😀`, text: 'a\nb\r\n"q"' })),
  });
  const built = await prdb(['exec', consoleUrl.url, `globalThis.state = (${makeState})(400000); state.rows.length`]);
  assert.equal(built.text, '400000\n');
  const expected = JSON.stringify(makeState(400000));
  assert.ok(Buffer.byteLength(expected) > 20 * 1024 * 1024, `only ${Buffer.byteLength(expected)} bytes`);
  const file = path.join(dir, 'state.json');
  const started = performance.now();
  const run = await prdb(['exec', consoleUrl.url, 'JSON.stringify(state)'], { stdoutFile: file });
  const elapsed = performance.now() - started;
  assert.equal(run.stderr, '');
  assert.equal(run.code, exitCodes.EXIT_OK);
  const written = readFileSync(file);
  assert.equal(written.length, Buffer.byteLength(expected) + 1);
  assert.ok(written.equals(Buffer.from(`${expected}\n`)), 'the file is the JSON, byte for byte');
  t.diagnostic(`${(written.length / 1048576).toFixed(1)} MiB to a file in ${Math.round(elapsed)} ms`);

  // A string result with newlines and non-ASCII, and the console output of a loop, to a pipe.
  const lines = await prdb([
    'exec',
    consoleUrl.url,
    "for (let i = 0; i < 200000; i++) console.log(`line ${i} é`); 'end\\n✓'",
  ]);
  const expectedLines = Array.from({ length: 200000 }, (_, i) => `line ${i} é\n`).join('') + 'end\n✓\n';
  assert.equal(lines.code, exitCodes.EXIT_OK);
  assert.ok(lines.stdout.equals(Buffer.from(expectedLines)), 'every line, in order');
  // The program kept working meanwhile.
  assert.equal(target.exit, null);
});

test('a reader slower than the code: the output waits in the target, whole and in order', async (t) => {
  const { consoleUrl } = await preparedTarget(t);
  const code = 'for (let i = 0; i < 10000; i++) console.log(String(i).padStart(1000, "x")); "done"';
  const child = spawn(process.execPath, [cli, 'exec', consoleUrl.url, code], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.kill('SIGKILL'));
  const chunks = [];
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  child.stdout.on('data', (chunk) => {
    chunks.push(chunk);
    // Read slowly: a chunk, then a pause; prdb exec's writes wait, and so do its acknowledgements.
    child.stdout.pause();
    setTimeout(() => child.stdout.resume(), 2);
  });
  const [exitCode] = await once(child, 'exit');
  const expected = Array.from({ length: 10000 }, (_, i) => `${String(i).padStart(1000, 'x')}\n`).join('') + 'done\n';
  assert.equal(stderr, '');
  assert.equal(exitCode, exitCodes.EXIT_OK);
  assert.ok(Buffer.concat(chunks).equals(Buffer.from(expected)));
});

test('output beyond maxOutputBuffer from code that never yields: the rest dropped, said, exit 1, no hole', async (t) => {
  const { consoleUrl } = await preparedTarget(t, { maxOutputBuffer: 1024 * 1024 });
  const run = await prdb(['exec', consoleUrl.url, 'for (let i = 0; i < 200000; i++) console.log(i); "result"']);
  assert.equal(run.code, exitCodes.EXIT_CODE_THREW);
  assert.match(run.stderr, /of console output were dropped: more than maxOutputBuffer/);
  // What came is the start of the output, whole, then the result: no gap in the middle.
  const lines = run.text.split('\n');
  assert.equal(lines.at(-1), '');
  assert.equal(lines.at(-2), 'result');
  const printed = lines.slice(0, -2);
  assert.ok(printed.length > 1000 && printed.length < 200000, `${printed.length} lines`);
  printed.forEach((line, i) => assert.equal(line, String(i)));
});

test('--timeout interrupts a runaway loop and a promise that never settles: exit 6, the program fine', async (t) => {
  const { target, consoleUrl } = await preparedTarget(t);
  const loop = await prdb(['exec', consoleUrl.url, 'while (true) {}', '--timeout', '0.5']);
  assert.equal(loop.code, exitCodes.EXIT_TIMEOUT);
  assert.match(loop.stderr, /no result after 0\.5 s \(--timeout\): interrupting/);
  assert.match(loop.stderr, /interrupted after 0\.5 s/);
  const waiting = await prdb(['exec', consoleUrl.url, 'await new Promise(() => {})', '--timeout=0.5']);
  assert.equal(waiting.code, exitCodes.EXIT_TIMEOUT);
  // A stepped loop (top-level await) too.
  const stepped = await prdb(['exec', consoleUrl.url, 'for (;;) await null', '--timeout', '0.5']);
  assert.equal(stepped.code, exitCodes.EXIT_TIMEOUT);
  // The program's own timer kept going, and the next evaluation runs.
  const ticks = await prdb(['exec', consoleUrl.url, 'appState.ticks']);
  assert.ok(Number(ticks.text) > 0);
  assert.equal(target.exit, null);
  // Within the timeout the result comes as usual.
  assert.equal((await prdb(['exec', consoleUrl.url, '7', '--timeout', '5'])).text, '7\n');
});

test('exec by pid finds the console of a prepared process', async (t) => {
  const target = await startTarget(t);
  const run = await prdb(['exec', String(target.pid), 'process.pid']);
  assert.equal(run.stderr, '');
  assert.equal(run.text, `${target.pid}\n`);
});

test('exec sessions count towards maxSessions and end with their connection', async (t) => {
  const { consoleUrl } = await preparedTarget(t, { maxSessions: 1 });
  // One after the other: an exec session does not wait for a reattach (reattachTimeout) after it.
  for (let i = 0; i < 3; i++)
    assert.equal((await prdb(['exec', consoleUrl.url, 'prdb.status().sessions'])).text, '1\n');
  const page = await connect(t, consoleUrl);
  const refused = await prdb(['exec', consoleUrl.url, '1']);
  assert.equal(refused.code, exitCodes.EXIT_CONNECTION_FAILED);
  assert.match(refused.stderr, /too many sessions \(at most 1\)/);
  page.socket.close();
  await page.waitForClose();
});

test('usage errors: missing code, a bad timeout, an unknown option, a URL without its token', async (t) => {
  const { consoleUrl } = await preparedTarget(t);
  for (const args of [
    ['exec', consoleUrl.url],
    ['exec', consoleUrl.url, '1', '--timeout', 'soon'],
    ['exec', consoleUrl.url, '1', '--timeout', '-1'],
    ['exec', consoleUrl.url, '1', '--nope'],
    ['exec', 'not a url', '1'],
    ['exec', 'file:///etc/passwd#x', '1'],
  ]) {
    const run = await prdb(args);
    assert.equal(run.code, exitCodes.EXIT_USAGE, `${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stderr, /^prdb: /);
  }
  const noToken = await prdb(['exec', consoleUrl.url.replace(/#.*$/, ''), '1']);
  assert.equal(noToken.code, exitCodes.EXIT_USAGE);
  assert.match(noToken.stderr, /the URL has no token/);
});

test('attack: a wrong token evaluates nothing and says it was refused', async (t) => {
  const { consoleUrl } = await preparedTarget(t);
  const wrong = `${consoleUrl.origin}/#${'A'.repeat(43)}`;
  const run = await prdb(['exec', wrong, 'globalThis.pwned = true']);
  assert.equal(run.code, exitCodes.EXIT_CONNECTION_FAILED);
  assert.match(run.stderr, /refused the token/);
  assert.equal((await prdb(['exec', consoleUrl.url, 'typeof globalThis.pwned'])).text, 'undefined\n');
});

test('attack: a URL for another host is refused before the token is sent, and a non-prdb server too', async (t) => {
  const address = Object.values(networkInterfaces())
    .flat()
    .find((entry) => entry.family === 'IPv4' && !entry.internal)?.address;
  if (address !== undefined) {
    // Listening on every address, the console accepts only the names it was given in the Host header.
    const { consoleUrl } = await preparedTarget(t, { host: '0.0.0.0' });
    const other = `http://${address}:${consoleUrl.port}/#${consoleUrl.token}`;
    const run = await prdb(['exec', other, 'globalThis.pwned = true']);
    assert.equal(run.code, exitCodes.EXIT_CONNECTION_FAILED);
    assert.match(run.stderr, /403 Forbidden.*Host .* is not allowed/);
    assert.equal((await prdb(['exec', consoleUrl.url, 'typeof globalThis.pwned'])).text, 'undefined\n');
  } else t.diagnostic('no non-loopback IPv4 address: the Host part is skipped');
  // A server that is not prdb's: its answer is named, and nothing hangs.
  const tokens = [];
  const plain = createServer((request, response) => {
    request.on('data', (chunk) => tokens.push(String(chunk)));
    response.end('hello');
  });
  plain.listen(0, '127.0.0.1');
  await once(plain, 'listening');
  t.after(() => plain.close());
  const run = await prdb(['exec', `http://127.0.0.1:${plain.address().port}/#secret-token`, '1']);
  assert.equal(run.code, exitCodes.EXIT_CONNECTION_FAILED);
  assert.match(
    run.stderr,
    /cannot connect to the console at 127\.0\.0\.1:\d+: the server answered "HTTP\/1\.1 200 OK"/,
  );
  assert.ok(!tokens.join('').includes('secret-token'), 'the token never left');
  // Nothing listens: said plainly.
  const closedPort = plain.address().port;
  plain.close();
  await once(plain, 'close');
  const refused = await prdb(['exec', `http://127.0.0.1:${closedPort}/#x`, '1']);
  assert.equal(refused.code, exitCodes.EXIT_CONNECTION_FAILED);
  assert.match(refused.stderr, /ECONNREFUSED.*the process may have exited/);
});

test('attack: huge code is refused with the limit named; the target is unharmed', async (t) => {
  const { target, consoleUrl } = await preparedTarget(t);
  const huge = `globalThis.pwned = ${JSON.stringify('x'.repeat(2 * 1024 * 1024))}.length`;
  const run = await prdb(['exec', consoleUrl.url, '-'], { input: huge });
  assert.equal(run.code, exitCodes.EXIT_USAGE);
  assert.match(
    run.stderr,
    /the code is 2\.0 MiB, more than this console accepts \(1\.0 MiB, its maxMessageSize option\)/,
  );
  // A client that sends it anyway is cut off by the server (1009), before anything runs.
  const socket = new WebSocket(consoleUrl.wsUrl);
  t.after(() => socket.terminate());
  await once(socket, 'open');
  socket.send(JSON.stringify({ type: 'token', token: consoleUrl.token, mode: 'exec' }));
  await once(socket, 'message');
  socket.send(JSON.stringify({ type: 'exec', code: huge }));
  const [code] = await once(socket, 'close');
  assert.equal(code, 1009);
  assert.equal((await prdb(['exec', consoleUrl.url, 'typeof globalThis.pwned'])).text, 'undefined\n');
  assert.equal(target.exit, null);
});

/** A raw exec session through the `ws` package: messages as they come. */
async function rawExecSession(t, consoleUrl, first) {
  const socket = new WebSocket(consoleUrl.wsUrl);
  t.after(() => socket.terminate());
  const session = { socket, messages: [], output: '', closed: null };
  socket.on('message', (data, isBinary) => {
    if (isBinary) {
      session.output += data.toString();
      socket.send(JSON.stringify({ type: 'ack', bytes: data.length }));
    } else session.messages.push(JSON.parse(data.toString()));
  });
  socket.on('close', (code) => (session.closed = code));
  await once(socket, 'open');
  socket.send(JSON.stringify(first));
  return session;
}

test('attack: the exec protocol takes the code only after the token, once, as a string, and no keys', async (t) => {
  const { consoleUrl } = await preparedTarget(t);
  // Code before the token: closed as a missing token, nothing runs.
  const early = await rawExecSession(t, consoleUrl, { type: 'exec', code: 'globalThis.pwned = 1' });
  await waitUntil(early.socket, 'close', () => early.closed !== null, 'the close');
  assert.equal(early.closed, 1008);
  // Code that is not a string: refused with the reason.
  const bad = await rawExecSession(t, consoleUrl, { type: 'token', token: consoleUrl.token, mode: 'exec' });
  await waitUntil(bad.socket, 'message', () => bad.messages.some((m) => m.type === 'hello'), 'hello');
  assert.equal(bad.messages[0].mode, 'exec');
  assert.equal(bad.messages[0].resumeKey, undefined, 'an exec session cannot be taken up');
  bad.socket.send(JSON.stringify({ type: 'exec', code: { toString: 'globalThis.pwned = 1' } }));
  await waitUntil(bad.socket, 'close', () => bad.closed !== null, 'the close');
  assert.equal(bad.closed, 1008);
  assert.match(bad.messages.find((m) => m.type === 'error').message, /needs the code as a string/);
  // Keys typed into an exec session reach no REPL line; a second exec message is ignored.
  const session = await rawExecSession(t, consoleUrl, { type: 'token', token: consoleUrl.token, mode: 'exec' });
  await waitUntil(session.socket, 'message', () => session.messages.length > 0, 'hello');
  session.socket.send(Buffer.from('globalThis.pwned = 2\r'));
  session.socket.send(
    JSON.stringify({ type: 'exec', code: 'await new Promise((r) => setTimeout(r, 100)); typeof pwned' }),
  );
  session.socket.send(JSON.stringify({ type: 'exec', code: 'globalThis.pwned = 3' }));
  await waitUntil(session.socket, 'message', () => session.messages.find((m) => m.type === 'session-end'), 'the end');
  assert.equal(session.output, 'undefined\n');
  assert.deepEqual(
    session.messages.find((m) => m.type === 'session-end'),
    {
      type: 'session-end',
      reason: 'exec',
      result: { threw: false },
    },
  );
  assert.equal((await prdb(['exec', consoleUrl.url, 'typeof globalThis.pwned'])).text, 'undefined\n');
  // A page's own session is not an exec session: an exec message there does nothing.
  const page = await connect(t, consoleUrl);
  page.send({ type: 'exec', code: 'globalThis.pwned = 4' });
  assert.match(await page.evaluate('typeof pwned'), /'undefined'/);
});

test('Ctrl+C at prdb exec interrupts the evaluation, as at the prompt', async (t) => {
  const { consoleUrl } = await preparedTarget(t);
  const child = spawn(
    process.execPath,
    [cli, 'exec', consoleUrl.url, "console.log('started'); await new Promise(() => {})"],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  t.after(() => child.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  await waitUntil(child.stdout, 'data', () => stdout.includes('started'), 'the evaluation to start');
  child.kill('SIGINT');
  const [code] = await once(child, 'exit');
  assert.equal(code, exitCodes.EXIT_CODE_THREW);
  assert.match(stderr, /interrupting the evaluation/);
  assert.match(stderr, /Script execution was interrupted by Ctrl\+C/);
});

test('output queue for exec: LF stays LF, byte for byte', () => {
  const queue = new OutputQueue(
    { windowBytes: 100, blockBytes: 16, maxQueuedBytes: Infinity },
    { translateNewlines: false },
  );
  queue.write(Buffer.from('a\nb\r\n'));
  queue.write(Buffer.from('\n\u00e9\n'));
  assert.equal(queue.take().toString(), 'a\nb\r\n\n\u00e9\n');
});

test('a reattaching client that says what it received is sent only the rest; a bogus count gets it all', async (t) => {
  const { consoleUrl } = await preparedTarget(t);
  const page = await connect(t, consoleUrl);
  await page.evaluate("'first'");
  const resumeWith = async (received) => {
    const { sessionId, resumeKey: key } = page.hello;
    page.socket.terminate();
    await page.waitForClose();
    const next = await connect(t, consoleUrl, { resume: { sessionId, key, received }, waitForPrompt: false });
    assert.equal(next.hello.resumed, true);
    await next.waitForOutput(/> $/, { from: 0 });
    return next;
  };
  const total = page.outputBytes;
  let next = await resumeWith(total);
  assert.equal(next.hello.outputFrom, total);
  // Nothing was missed but the prompt's redraw on resize: not the earlier output again.
  assert.doesNotMatch(next.output, /first/);
  for (const bogus of [-1, 10_000_000, 1e300, 0.5, 'x', null]) {
    const { sessionId, resumeKey: key } = next.hello;
    next.socket.terminate();
    await next.waitForClose();
    next = await connect(t, consoleUrl, { resume: { sessionId, key, received: bogus }, waitForPrompt: false });
    await next.waitForOutput(/first/, { from: 0 });
    assert.equal(next.hello.outputFrom, 0, `received ${bogus}`);
  }
});

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
test('exec reaches an https console over wss:, with the certificate checked', { skip: !hasOpenssl }, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'prdb-exec-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const [keyFile, certFile] = [path.join(dir, 'key.pem'), path.join(dir, 'cert.pem')];
  execFileSync(
    'openssl',
    [
      ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1'],
      ...['-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', keyFile, '-out', certFile],
    ],
    { stdio: 'ignore' },
  );
  const tls = { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8') };
  const { consoleUrl } = await preparedTarget(t, { tls });
  assert.match(consoleUrl.url, /^https:/);
  const trusted = await prdb(['exec', consoleUrl.url, '6 * 7'], { env: { NODE_EXTRA_CA_CERTS: certFile } });
  assert.equal(trusted.stderr, '');
  assert.equal(trusted.text, '42\n');
  // A certificate nobody vouches for: refused before the token is sent.
  const untrusted = await prdb(['exec', consoleUrl.url, 'globalThis.pwned = 1']);
  assert.equal(untrusted.code, exitCodes.EXIT_CONNECTION_FAILED);
  assert.match(untrusted.stderr, /cannot connect to the console at 127\.0\.0\.1:\d+: self[- ]signed certificate/);
  const check = await prdb(['exec', consoleUrl.url, 'typeof pwned'], { env: { NODE_EXTRA_CA_CERTS: certFile } });
  assert.equal(check.text, 'undefined\n');
});

test('a timeout while the program itself is busy: the code, not started yet, never runs', async (t) => {
  const { target, consoleUrl } = await preparedTarget(t, {}, { env: { FIXTURE_APP_BUSY_MS: '9000' } });
  // The program's own busy work (SIGHUP in the fixture), which no Ctrl+C of a session may stop.
  target.signal('SIGHUP');
  const run = await prdb(['exec', consoleUrl.url, 'globalThis.ranLate = true', '--timeout', '0.5']);
  assert.equal(run.code, exitCodes.EXIT_TIMEOUT);
  assert.match(run.stderr, /busy in code that this session did not start/);
  assert.match(run.stderr, /did not stop on Ctrl\+C; if it had started, it runs on in the process/);
  await target.waitForStdout('fixture: app busy work done', 15_000);
  assert.equal((await prdb(['exec', consoleUrl.url, 'typeof ranLate'])).text, 'undefined\n');
});

test('a reader that stops early (| head) ends prdb exec quietly, as SIGPIPE ends a tool', async (t) => {
  const { target, consoleUrl } = await preparedTarget(t);
  const child = spawn(process.execPath, [cli, 'exec', consoleUrl.url, "'line\\n'.repeat(5e6)"], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => child.kill('SIGKILL'));
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  await once(child.stdout, 'data');
  child.stdout.destroy();
  const [code] = await once(child, 'exit');
  assert.equal(code, 141);
  assert.equal(stderr, '');
  assert.equal((await prdb(['exec', consoleUrl.url, '1'])).text, '1\n');
  assert.equal(target.exit, null);
});
