// Hardening (issue 10, "Any local user can lock everyone out"): every test here is an attack
// by a client without the token, over raw `node:net` sockets that keep their side open as an
// attacker's would, against a real target and its real server child. What must hold: each
// request gets its clear answer, the server child lets go of the socket, nothing reaches the
// target's output, the connections waiting to authenticate stay bounded, and a session with
// the token still opens. The server child's descriptors are counted in /proc.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { connect, entry, fixture, startTarget, waitUntil, serverChildPid } from './helpers.js';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/** prdb's limits (MAX_UNAUTHENTICATED_CONNECTIONS, MAX_UNAUTHENTICATED_PER_PEER, HANDSHAKE_TIMEOUT_MS). */
const MAX_UNAUTHENTICATED = 64;
const MAX_PER_PEER = 8;
const HANDSHAKE_TIMEOUT_MS = 10_000;

function descriptorCount(pid) {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}

/** Polls /proc (no event tells when another process closes a descriptor), bounded by a deadline. */
async function waitForDescriptors(pid, atMost, what, deadlineMs = 5000) {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const count = descriptorCount(pid);
    if (count <= atMost) return count;
    if (Date.now() > until)
      throw new Error(
        `timed out after ${deadlineMs} ms waiting for ${what}: the server child has ${count} descriptors, expected at most ${atMost}`,
      );
    await sleep(25);
  }
}

/** The child's sockets on the watchdog's unix socket path: its listener, and the watchdog's connection once linked. */
function watchdogSockets(childPid, targetPid) {
  const inodes = new Set();
  for (const fd of fs.readdirSync(`/proc/${childPid}/fd`)) {
    try {
      const inode = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${childPid}/fd/${fd}`))?.[1];
      if (inode !== undefined) inodes.add(inode);
    } catch {
      // Closed meanwhile.
    }
  }
  return fs
    .readFileSync('/proc/net/unix', 'utf8')
    .split('\n')
    .filter((line) => line.endsWith(`/${targetPid}.watchdog`) && inodes.has(line.trim().split(/\s+/)[6])).length;
}

/** Polls /proc (no event tells when the watchdog thread links), bounded by a deadline. */
async function waitForWatchdogLink(childPid, targetPid, deadlineMs = 10_000) {
  const until = Date.now() + deadlineMs;
  while (watchdogSockets(childPid, targetPid) < 2) {
    if (Date.now() > until) throw new Error(`timed out after ${deadlineMs} ms waiting for the watchdog thread to link`);
    await sleep(25);
  }
}

/** A target with its console started: the URL, the server child's pid and its descriptor count at rest. */
async function open(t, options = { port: 0 }) {
  const dir = fs.mkdtempSync(`${os.tmpdir()}/prdb-harden-`);
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const target = await startTarget(t, { options, env: { TMPDIR: dir } });
  const consoleUrl = await target.activate();
  const childPid = await waitUntil(target.child.stderr, 'data', () => serverChildPid(target.pid), 'the server child');
  // At rest: the watchdog thread has linked (its connection is one of the descriptors).
  await waitForWatchdogLink(childPid, target.pid);
  const stderrAtStart = target.stderr.length;
  return {
    target,
    consoleUrl,
    childPid,
    baseline: descriptorCount(childPid),
    newStderr: () => target.stderr.slice(stderrAtStart),
  };
}

/**
 * A client that never closes its side: it writes `text` (null: nothing) and keeps the socket.
 * `answered` resolves with the status of the response (null if none came before the server
 * closed or the deadline passed), `ended` when the server has closed its side.
 */
function attacker(t, port, text, { host = '127.0.0.1', localAddress, deadlineMs = 5000 } = {}) {
  const socket = net.connect({ port, host, localAddress, allowHalfOpen: true });
  t.after(() => socket.destroy());
  let received = '';
  const client = { socket, status: null, body: '' };
  client.letGo = false;
  /** Resolves when the server has closed its side (a FIN, or a reset). */
  client.ended = new Promise((resolve) => {
    const done = () => resolve((client.letGo = true));
    socket.on('end', done);
    socket.on('close', done);
  });
  client.answered = new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), deadlineMs);
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      const head = /^HTTP\/1\.1 (\d{3}) [^\r]*\r\n((?:[^\r]+\r\n)*)\r\n/.exec(received);
      if (head === null) return;
      const length = Number(/content-length: *(\d+)/i.exec(head[2])?.[1] ?? 0);
      if (received.length < head[0].length + length) return;
      clearTimeout(timer);
      client.status = Number(head[1]);
      client.body = received.slice(head[0].length);
      resolve(client.status);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(client.status);
    });
  });
  socket.on('error', () => {});
  if (text !== null) socket.write(text);
  return client;
}

function upgradeText({ host, target = '/ws', method = 'GET', version = '1.1', headers } = {}) {
  headers ??= {
    Host: host,
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': crypto.randomBytes(16).toString('base64'),
    'Sec-WebSocket-Version': '13',
  };
  return `${method} ${target} HTTP/${version}\r\n${Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('')}\r\n`;
}

/** Every malformed or refused shape of request, with the status it must get. */
function malformedRequests(host) {
  const key = crypto.randomBytes(16).toString('base64');
  const websocket = {
    Host: host,
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': key,
    'Sec-WebSocket-Version': '13',
  };
  return [
    { what: 'a request-target that URL rejects', status: 400, text: upgradeText({ host, target: '//[' }) },
    {
      what: 'another request-target that URL rejects',
      status: 400,
      text: upgradeText({ host, target: 'http://[::1/ws' }),
    },
    // Upgraded, but no session until a first message shows the token: closed when none comes.
    { what: 'no token', status: 101, text: upgradeText({ host }) },
    { what: 'a wrong token in the request line', status: 101, text: upgradeText({ host, target: '/ws?token=wrong' }) },
    { what: 'a foreign Host', status: 403, text: upgradeText({ host: 'evil.example' }) },
    {
      what: 'a foreign Origin',
      status: 403,
      text: upgradeText({ headers: { ...websocket, Origin: 'http://evil.example' } }),
    },
    {
      what: 'no Sec-WebSocket-Key',
      status: 400,
      text: upgradeText({ headers: { ...websocket, 'Sec-WebSocket-Key': undefined } }).replace(
        'Sec-WebSocket-Key: undefined\r\n',
        '',
      ),
    },
    {
      what: 'a malformed Sec-WebSocket-Key',
      status: 400,
      text: upgradeText({ headers: { ...websocket, 'Sec-WebSocket-Key': 'short' } }),
    },
    {
      what: 'WebSocket version 8',
      status: 426,
      text: upgradeText({ headers: { ...websocket, 'Sec-WebSocket-Version': '8' } }),
    },
    { what: 'an upgrade by POST', status: 405, text: upgradeText({ host, method: 'POST' }) },
    { what: 'an upgrade over HTTP/1.0', status: 400, text: upgradeText({ host, version: '1.0' }) },
    { what: 'another path', status: 404, text: upgradeText({ host, target: '/other' }) },
    {
      what: 'a header line without a colon',
      status: 400,
      text: `GET /ws HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nno colon here\r\n\r\n`,
    },
    {
      what: 'a header with a control character',
      status: 400,
      text: `GET /ws HTTP/1.1\r\nHost: ${host}\r\nUpgrade: web\x01socket\r\nConnection: Upgrade\r\n\r\n`,
    },
    {
      what: 'headers above the limit',
      status: 431,
      text: `GET /ws HTTP/1.1\r\nHost: ${host}\r\nX-Padding: ${'a'.repeat(16 * 1024)}\r\n\r\n`,
    },
    { what: 'a request line that is not HTTP', status: 400, text: 'HELLO\r\n\r\n' },
    { what: 'an unknown HTTP version', status: 400, text: `GET / HTTP/9.9\r\nHost: ${host}\r\n\r\n` },
    { what: 'a plain request for //[', status: 404, text: `GET //[ HTTP/1.1\r\nHost: ${host}\r\n\r\n` },
  ];
}

describe('hardening: clients without the token', { concurrency: 2 }, () => {
  it('an upgrade whose request-target URL rejects gets a 400 and a closed socket, and the target hears nothing of it', async (t) => {
    const { consoleUrl, childPid, baseline, newStderr } = await open(t);
    for (const { what, text } of malformedRequests(consoleUrl.host).slice(0, 2)) {
      const client = attacker(t, consoleUrl.port, text);
      assert.equal(await client.answered, 400, what);
      assert.match(client.body, /request-target/);
      await within(client.ended, 5000, 'the server to close its side');
    }
    await waitForDescriptors(childPid, baseline, 'the connection to be released');
    assert.equal(newStderr(), '', "a client without the token wrote to the target's stderr");
  });

  it('every other malformed or refused request gets its clear status, and the server lets go of the socket although the client keeps its side open', async (t) => {
    const { consoleUrl, childPid, baseline, newStderr } = await open(t);
    const clients = malformedRequests(consoleUrl.host)
      .slice(2)
      .map((entry) => ({ entry, client: attacker(t, consoleUrl.port, entry.text) }));
    const statuses = await Promise.all(clients.map(({ client }) => client.answered));
    await within(Promise.all(clients.map(({ client }) => client.ended)), 5000, 'the server to close its side of each');
    // The clients' sockets are all still open on their side; the server child must hold none.
    await waitForDescriptors(childPid, baseline, 'the refused connections to be released', HANDSHAKE_TIMEOUT_MS / 2);
    assert.deepEqual(
      clients.map(({ entry }, index) => `${entry.what}: ${statuses[index]}`),
      clients.map(({ entry }) => `${entry.what}: ${entry.status}`),
    );
    assert.equal(newStderr(), '', "a client without the token wrote to the target's stderr");
  });

  it('a flood of malformed, refused and idle requests held open by their clients does not lock out a session with the token, writes nothing to the target, and leaves no descriptor behind', async (t) => {
    const { target, consoleUrl, childPid, baseline, newStderr } = await open(t);
    const shapes = [
      ...malformedRequests(consoleUrl.host).map((entry) => entry.text),
      null,
      `GET /ws HTTP/1.1\r\nHost: ${consoleUrl.host}\r\n`,
    ];
    const clients = [];
    const FLOOD = 3000;
    const CONCURRENCY = 100;
    let next = 0;
    let unanswered = 0;
    const startedAt = Date.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < FLOOD) {
          const text = shapes[next++ % shapes.length];
          const client = attacker(t, consoleUrl.port, text, { deadlineMs: 3000 });
          clients.push(client);
          // An idle or half request gets no answer: the server closes it (to make room) or not yet.
          if (text === null || !text.endsWith('\r\n\r\n')) continue;
          if ((await client.answered) === null && !client.letGo) unanswered++;
        }
      }),
    );
    const floodMs = Date.now() - startedAt;
    assert.equal(unanswered, 0, 'requests left unanswered and open by the server');
    // The clients still hold all their sockets; the server child holds at most the bounded few.
    const during = await waitForDescriptors(childPid, baseline + MAX_UNAUTHENTICATED, 'the flood to be bounded');
    const session = await connect(t, consoleUrl);
    assert.match(await session.evaluate('6 * 7'), /42/);
    assert.equal(newStderr(), '', "the flood wrote to the target's stderr");
    assert.doesNotMatch(target.stdout, /internal error|prdb/);
    for (const client of clients) client.socket.destroy();
    // One more: the session's socket.
    const after = await waitForDescriptors(childPid, baseline + 1, "the flood's descriptors to be released");
    t.diagnostic(
      `flood of ${FLOOD} in ${floodMs} ms; server child descriptors: ${baseline} at rest, ${during} after the flood, ${after} with one session once the clients closed`,
    );
  });

  it('connections that have not authenticated are bounded: past the limit the oldest is closed, and a session with the token opens while the limit is held', async (t) => {
    const { consoleUrl, childPid, baseline, newStderr } = await open(t);
    const half = `GET /ws HTTP/1.1\r\nHost: ${consoleUrl.host}\r\n`;
    const first = Array.from({ length: 10 }, () => attacker(t, consoleUrl.port, half));
    // The first ten are in before the others: each has been accepted (the child holds it).
    await waitUntilCount(() => descriptorCount(childPid) >= baseline + 10, 'the first ten accepted');
    const rest = Array.from({ length: MAX_UNAUTHENTICATED }, () => attacker(t, consoleUrl.port, half));
    // Well before the handshake time limit, which would close them anyway.
    await within(
      Promise.all(first.map((client) => client.ended)),
      HANDSHAKE_TIMEOUT_MS / 2,
      'the oldest ten to be closed',
    );
    assert.ok(
      rest.every((client) => !client.letGo),
      'a newer connection was closed instead of the oldest',
    );
    const session = await connect(t, consoleUrl);
    assert.match(await session.evaluate('"in " + "anyway"'), /in anyway/);
    assert.ok(descriptorCount(childPid) <= baseline + MAX_UNAUTHENTICATED + 1, 'more connections held than the limit');
    assert.equal(newStderr(), '');
  });

  it('a peer address that is not loopback holds at most a few unauthenticated connections; loopback peers are not told apart', async (t) => {
    const address = Object.values(os.networkInterfaces())
      .flat()
      .find((entry) => entry.family === 'IPv4' && !entry.internal)?.address;
    if (address === undefined) return t.skip('no non-loopback IPv4 address on this machine');
    const { consoleUrl, newStderr } = await open(t, { port: 0, host: '0.0.0.0' });
    const half = (host) => `GET /ws HTTP/1.1\r\nHost: ${host}\r\n`;
    const remote = [];
    for (let i = 0; i < MAX_PER_PEER + 4; i++) {
      remote.push(
        attacker(t, consoleUrl.port, half(`${address}:${consoleUrl.port}`), { host: address, localAddress: address }),
      );
      // In order, so that "the oldest" is well defined.
      await new Promise((resolve) => remote.at(-1).socket.once('connect', resolve));
      await sleep(5);
    }
    const local = Array.from({ length: MAX_PER_PEER + 4 }, () => attacker(t, consoleUrl.port, half(consoleUrl.host)));
    await within(
      Promise.all(remote.slice(0, 4).map((client) => client.ended)),
      HANDSHAKE_TIMEOUT_MS / 2,
      "the peer's oldest four to be closed",
    );
    await Promise.all(
      local.map(
        (client) =>
          new Promise((resolve) =>
            client.socket.readyState === 'open' ? resolve() : client.socket.once('connect', resolve),
          ),
      ),
    );
    const session = await connect(t, consoleUrl);
    assert.match(await session.evaluate('1 + 1'), /2/);
    assert.deepEqual(
      remote.map((client) => client.letGo),
      [...Array(4).fill(true), ...Array(MAX_PER_PEER).fill(false)],
      'which remote connections were closed',
    );
    assert.ok(
      local.every((client) => !client.letGo),
      'a loopback connection was closed below the total limit',
    );
    assert.match(newStderr(), /^$/);
  });
});

async function waitUntilCount(predicate, what, deadlineMs = 5000) {
  const until = Date.now() + deadlineMs;
  while (!predicate()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function within(promise, deadlineMs, what) {
  let timer;
  const deadline = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${deadlineMs} ms waiting for ${what}`)), deadlineMs);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

describe('hardening: over TLS', () => {
  it('a session with the token leaves the unauthenticated count, so a flood of connections that never start TLS cannot close it', async (t) => {
    const dir = fs.mkdtempSync(`${os.tmpdir()}/prdb-harden-tls-`);
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-subj',
          '/CN=localhost',
          '-addext',
          'subjectAltName=IP:127.0.0.1',
          '-days',
          '1',
          '-keyout',
          `${dir}/key.pem`,
          '-out',
          `${dir}/cert.pem`,
        ],
        { stdio: 'ignore' },
      );
    } catch {
      fs.rmSync(dir, { recursive: true, force: true });
      return t.skip('openssl is not available');
    }
    const tls = { key: fs.readFileSync(`${dir}/key.pem`, 'utf8'), cert: fs.readFileSync(`${dir}/cert.pem`, 'utf8') };
    fs.rmSync(dir, { recursive: true, force: true });
    const { consoleUrl, newStderr } = await open(t, { port: 0, tls });
    const session = await connect(t, consoleUrl, { wsOptions: { rejectUnauthorized: false } });
    const idle = Array.from({ length: MAX_UNAUTHENTICATED + 10 }, () => attacker(t, consoleUrl.port, null));
    // The oldest idle ones are closed to make room, not the session.
    await within(
      Promise.all(idle.slice(0, 10).map((client) => client.ended)),
      HANDSHAKE_TIMEOUT_MS / 2,
      'the oldest idle connections to be closed',
    );
    assert.equal(session.closed, null, 'the session was closed');
    assert.match(await session.evaluate('"still " + "here"'), /still here/);
    assert.equal(newStderr(), '');
  });
});

describe('hardening: the watchdog link', () => {
  it('a watchdog thread that dies is started again, the pages are told meanwhile, and Stack works again after', async (t) => {
    const { consoleUrl } = await open(t);
    const session = await connect(t, consoleUrl);
    // The thread ends for real: the session has the target's inspector throw an uncaught error in it.
    const killed = await session.evaluate(`await (${crashWatchdog.toString().replace(/\n\s*/g, ' ')})()`);
    assert.match(killed, /the watchdog thread is gone/);
    const down = await session.waitForMessage('notice');
    assert.match(down.text, /watchdog thread is not running/);
    const back = await session.waitForMessage('notice', { from: session.messages.indexOf(down) + 1 });
    assert.match(back.text, /watchdog thread is back/);
    // Stack of a busy main thread needs the watchdog: the new thread answers it.
    const from = session.messages.length;
    session.type('{ const until = Date.now() + 3000; while (Date.now() < until) {} }\r');
    await session.waitForMessage('busy', { from });
    session.send({ type: 'stack' });
    const stack = await session.waitForMessage('stack', { from });
    assert.match(stack.text, /The main thread is running/);
  });
});

/** Typed into a session: crashes the watchdog thread through the target's inspector (NodeWorker domain). */
function crashWatchdog() {
  return new Promise((resolve) => {
    const session = new (process.getBuiltinModule('node:inspector').Session)();
    session.connect();
    session.on('NodeWorker.attachedToWorker', ({ params }) => {
      const crash = 'setTimeout(() => { throw new Error("a watchdog crash for the test"); })';
      for (const message of [
        { id: 1, method: 'Runtime.enable', params: {} },
        { id: 2, method: 'Runtime.evaluate', params: { expression: crash } },
      ]) {
        session.post('NodeWorker.sendMessageToWorker', {
          sessionId: params.sessionId,
          message: JSON.stringify(message),
        });
      }
    });
    session.on('NodeWorker.detachedFromWorker', () => {
      session.disconnect();
      resolve('the watchdog thread is gone');
    });
    session.post('NodeWorker.enable', { waitForDebuggerOnStart: false });
  });
}

describe('hardening: what prdb inherits', () => {
  it('a NODE_OPTIONS --require hook runs in the target only, not in the server child nor in the watchdog thread', async (t) => {
    const dir = fs.mkdtempSync(`${os.tmpdir()}/prdb-harden-env-`);
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const log = `${dir}/runs.log`;
    const target = await startTarget(t, {
      env: { TMPDIR: dir, COUNT_RUNS_LOG: log, NODE_OPTIONS: `--require ${fixture('count-runs.cjs')}` },
    });
    const session = await connect(t, await target.activate());
    // Stack of a busy main thread is answered by the watchdog: it runs, and has linked.
    const from = session.messages.length;
    session.type('{ const until = Date.now() + 2000; while (Date.now() < until) {} }\r');
    await session.waitForMessage('busy', { from });
    session.send({ type: 'stack' });
    assert.match((await session.waitForMessage('stack', { from })).text, /The main thread is running/);
    assert.deepEqual(fs.readFileSync(log, 'utf8').trim().split('\n'), [`${target.pid} main`]);
  });
});

describe('hardening: an unusable TLS key or certificate', () => {
  /** PEM files made by openssl: two key pairs of 2048 bits (to mismatch) and one of 1024. */
  function makeKeys(t) {
    const dir = fs.mkdtempSync(`${os.tmpdir()}/prdb-harden-keys-`);
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const pair = (name, bits) => {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          `rsa:${bits}`,
          '-nodes',
          '-subj',
          '/CN=localhost',
          '-addext',
          'subjectAltName=IP:127.0.0.1',
          '-days',
          '1',
          '-keyout',
          `${dir}/${name}.key`,
          '-out',
          `${dir}/${name}.crt`,
        ],
        { stdio: 'ignore' },
      );
      return {
        key: fs.readFileSync(`${dir}/${name}.key`, 'utf8'),
        cert: fs.readFileSync(`${dir}/${name}.crt`, 'utf8'),
      };
    };
    return { a: pair('a', 2048), b: pair('b', 2048), small: pair('small', 1024) };
  }

  /** A program that awaits start() and reports how it settled; it must then exit by itself. */
  async function startWith(t, tls) {
    const dir = fs.mkdtempSync(`${os.tmpdir()}/prdb-harden-start-`);
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const script = `const prdb = await import(${JSON.stringify(entry)});
      prdb.removeSignalHandler();
      prdb.start(${JSON.stringify({ port: 0, tls })}).then((url) => { console.log('resolved ' + url); return prdb.stop(); }, (error) => console.log('rejected: ' + error.message));`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, TMPDIR: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    t.after(() => child.kill('SIGKILL'));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const [code] = await within(once(child, 'exit'), 10_000, 'the program to exit by itself');
    return { code, stdout, stderr };
  }

  it('a mismatched or unparsable key fails start() at once with a clear prdb: error, and the program exits by itself', async (t) => {
    const keys = makeKeys(t);
    const cases = [
      {
        what: "a key that is not the certificate's",
        tls: { key: keys.a.key, cert: keys.b.cert },
        error: /key values mismatch/,
      },
      {
        what: 'a PEM key whose content is not a key',
        tls: { key: '-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n', cert: keys.a.cert },
        error: /unsupported|decod|bad/i,
      },
      {
        what: 'a certificate whose content is not one',
        tls: { key: keys.a.key, cert: '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n' },
        error: /./,
      },
    ];
    for (const { what, tls, error } of cases) {
      const { code, stdout, stderr } = await startWith(t, tls);
      assert.equal(code, 0, what);
      assert.match(stdout, /^rejected: cannot serve TLS with the `tls` key and certificate: /, what);
      assert.match(stdout, error, what);
      assert.match(stderr, /^prdb: cannot serve TLS with the `tls` key and certificate: /, what);
      assert.doesNotMatch(stderr, /internal error/, what);
    }
  });

  it('after the error the server child is gone and the next signal tries again, with the same clear error', async (t) => {
    const keys = makeKeys(t);
    const dir = fs.mkdtempSync(`${os.tmpdir()}/prdb-harden-tls-`);
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const target = await startTarget(t, {
      options: { port: 0, tls: { key: keys.a.key, cert: keys.b.cert } },
      env: { TMPDIR: dir },
    });
    for (let attempt = 1; attempt <= 2; attempt++) {
      const before = target.stderr.length;
      target.signal();
      await waitUntil(
        target.child.stderr,
        'data',
        () => /prdb: cannot serve TLS[^\n]*\n/.test(target.stderr.slice(before)),
        `the error of attempt ${attempt}`,
      );
      await waitUntilCount(() => serverChildPid(target.pid) === null, `the server child of attempt ${attempt} to exit`);
    }
    assert.equal(target.exit, null, 'the target exited');
    assert.doesNotMatch(target.stderr, /internal error/);
  });

  it('an RSA key under 2048 bits works with a warning, or, where OpenSSL refuses it (Node 24), fails with the clear error', async (t) => {
    const { small } = makeKeys(t);
    const { stdout, stderr } = await startWith(t, small);
    if (stdout.startsWith('resolved')) {
      assert.match(stdout, /^resolved https:/);
      assert.match(stderr, /prdb: WARNING: the `tls` key is RSA of 1024 bits[^\n]*2048 bits or more/);
    } else {
      assert.match(stdout, /^rejected: cannot serve TLS with the `tls` key and certificate: [^\n]*key too small/);
      assert.match(stderr, /^prdb: cannot serve TLS/);
    }
    t.diagnostic(
      `Node ${process.version}: ${stdout.startsWith('resolved') ? 'accepted, with the warning' : stdout.trim()}`,
    );
  });
});

describe('hardening: bounded whatever a client says', () => {
  it('a page that acknowledges output it never read, during a print loop, does not make the server child grow', async (t) => {
    const { target, consoleUrl, childPid } = await open(t);
    const session = await connect(t, consoleUrl, { acknowledge: false });
    const rss = () => Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${childPid}/status`, 'utf8'))[1]) * 1024;
    const before = rss();
    session.type(
      '(async () => { const line = "x".repeat(1000); for (;;) { console.log(line); await new Promise(setImmediate); } })(), "looping"\r',
    );
    await session.waitForOutput(/xxxxxxxx/);
    // The client reads nothing more, and keeps saying it has read everything.
    session.socket._socket.pause();
    const lie = setInterval(() => session.send({ type: 'ack', bytes: 2 ** 30 }), 10);
    t.after(() => clearInterval(lie));
    let largest = before;
    for (const until = Date.now() + 3000; Date.now() < until;) {
      await sleep(100);
      largest = Math.max(largest, rss());
    }
    clearInterval(lie);
    t.diagnostic(
      `server child RSS: ${(before / 2 ** 20).toFixed(0)} MiB before, at most ${(largest / 2 ** 20).toFixed(0)} MiB in 3 s of false acknowledgements`,
    );
    assert.ok(
      largest - before < 48 * 2 ** 20,
      `the server child grew by ${((largest - before) / 2 ** 20).toFixed(0)} MiB`,
    );
    assert.equal(target.exit, null);
  });
});

describe('hardening: the token in the first message', () => {
  it('a WebSocket that sends no token is closed with 1008 within the token deadline; one whose first message is too big or not the token, at once; none gets a session', async (t) => {
    const { consoleUrl, newStderr } = await open(t);
    const { openRaw, frame, OP } = await import('./raw-websocket.js');
    const silent = await openRaw(consoleUrl, { token: null });
    const openedAt = Date.now();
    assert.equal(silent.status, 101);
    await silent.waitForServerEnd(5000);
    const silentMs = Date.now() - openedAt;
    const big = await openRaw(consoleUrl, {
      token: null,
      after: frame({
        opcode: OP.text,
        payload: Buffer.from(JSON.stringify({ type: 'token', token: 'x'.repeat(2000) })),
      }),
    });
    const binary = await openRaw(consoleUrl, {
      token: null,
      after: frame({ opcode: OP.binary, payload: Buffer.from(consoleUrl.token) }),
    });
    const bare = await openRaw(consoleUrl, {
      token: null,
      after: frame({ opcode: OP.text, payload: Buffer.from(consoleUrl.token) }),
    });
    for (const client of [big, binary, bare]) await client.waitForServerEnd(1000);
    const codes = [silent, big, binary, bare].map((client) => {
      assert.ok(
        !client.frames.some((f) => f.opcode === OP.text),
        `a text frame to a client without the token: ${client.describeFrames()}`,
      );
      const close = client.frames.find((f) => f.opcode === OP.close);
      return close?.payload.readUInt16BE(0);
    });
    assert.deepEqual(codes, [1008, 1009, 1008, 1008]);
    assert.ok(silentMs >= 2500 && silentMs < 4500, `the silent client was closed after ${silentMs} ms`);
    assert.equal(newStderr(), '');
  });
});
