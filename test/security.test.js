// Security (issue 3): every test here tries the attack for real, against a real target process
// and its real server child, with raw sockets where the exact bytes matter (Host, Origin,
// half requests) and with the `ws` client where a working session is the point.
//
// The tests of this file run a few at a time (each has its own target on its own port and its
// own TMPDIR), so that the ones that must wait for a timeout do not add up. After each test,
// every server child it saw must be gone with its target (see `start`).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import WebSocket from 'ws';
import { connect, entry, startTarget, waitUntil, serverChildPids, isAlive, pollUntil } from './helpers.js';
import { OP, ServerFrameParser, tokenFrame } from './raw-websocket.js';

const { urlFilePath } = await import(entry);
const { encodeFrame, OPCODE_BINARY, OPCODE_TEXT } = (await import(entry)).internalsForTests;

const uid = process.getuid();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const HANDSHAKE_TIMEOUT_MS = 10_000;

// ---------------------------------------------------------------------------------------------
// Processes: the server child of a target, and proof that it goes away with it
// ---------------------------------------------------------------------------------------------

async function waitFor(predicate, what, deadlineMs = 5000, stepMs = 20) {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const value = predicate();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await sleep(stepMs);
  }
}

function waitForExit(pid, deadlineMs = 5000) {
  return waitFor(() => !isAlive(pid), `pid ${pid} to exit`, deadlineMs);
}

/**
 * A target with its own TMPDIR (so that its URL file and socket are its own), whose server
 * children are recorded at each activation and must all be gone after the test, the target
 * killed. A child that outlives its target fails the test (and is killed, not leaked).
 */
async function start(t, options = {}, { env = {}, tmpdir = true } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prdb-sec-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const target = await startTarget(t, {
    options: { ...(options.socketPath === undefined ? { port: 0 } : {}), ...options },
    env: tmpdir ? { TMPDIR: dir, ...env } : env,
  });
  target.dir = dir;
  target.childPids = new Set();
  target.urlFile = tmpdir ? withTmpdir(dir, () => urlFilePath(target.pid)) : urlFilePath(target.pid);
  target.open = async () => {
    const consoleUrl = await target.activate();
    const pids = await waitFor(() => {
      const found = serverChildPids(target.pid);
      return found.length > 0 && found;
    }, 'the server child');
    for (const pid of pids) target.childPids.add(pid);
    consoleUrl.childPid = pids.at(-1);
    return consoleUrl;
  };
  t.after(async () => {
    if (target.exit === null) {
      target.child.kill('SIGKILL');
      await target.exited;
    }
    for (const pid of target.childPids) {
      try {
        await waitForExit(pid, 3000);
      } catch (error) {
        process.kill(pid, 'SIGKILL');
        throw new Error(`server child ${pid} outlived its target: ${error.message}`);
      }
    }
  });
  return target;
}

/** `urlFilePath` as the target computes it with its own TMPDIR (os.tmpdir reads it each call). */
function withTmpdir(dir, compute) {
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  try {
    return compute();
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP: exactly the bytes we say, and whatever comes back
// ---------------------------------------------------------------------------------------------

/**
 * Writes `text` on a fresh connection (TCP `port`, or `socketPath`) and resolves with the
 * response: `status` (null if none), `head`, `body`, whether the server `closed` the
 * connection, and after how many `ms`. A 101 resolves as soon as its head is complete.
 */
function exchange(where, text, { deadlineMs = 5000, secure = false, untilSession = false } = {}) {
  return new Promise((resolve) => {
    const startedAt = Date.now();
    const socket = secure
      ? tls.connect({ port: where.port, host: '127.0.0.1', rejectUnauthorized: false })
      : where.socketPath
        ? net.connect(where.socketPath)
        : net.connect(where.port, where.address ?? '127.0.0.1');
    let raw = Buffer.alloc(0);
    let done = false;
    const finish = (extra) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const textReceived = raw.toString('latin1');
      const headEnd = textReceived.indexOf('\r\n\r\n');
      const head = headEnd === -1 ? textReceived : textReceived.slice(0, headEnd);
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(textReceived)?.[1];
      socket.destroy();
      resolve({
        status: status === undefined ? null : Number(status),
        head,
        body: headEnd === -1 ? '' : raw.subarray(Buffer.byteLength(head, 'latin1') + 4).toString('utf8'),
        raw: textReceived,
        ms: Date.now() - startedAt,
        closed: false,
        ...extra,
      });
    };
    const timer = setTimeout(() => finish({ timedOut: true }), deadlineMs);
    socket.on('data', (chunk) => {
      raw = Buffer.concat([raw, chunk]);
      const textReceived = raw.toString('latin1');
      const headEnd = textReceived.indexOf('\r\n\r\n');
      if (headEnd === -1) return;
      // After a 101, the server's first frames: a hello, or a close (of a refused token).
      if (/^HTTP\/1\.1 101 /.test(textReceived) && (!untilSession || /"hello"/.test(textReceived))) return finish({});
      // A response that announces `Connection: close` resolves when the server does close.
      if (/\r\nconnection: *close/i.test(textReceived.slice(0, headEnd))) return;
      const length = /\r\ncontent-length: *(\d+)/i.exec(textReceived.slice(0, headEnd));
      if (
        length !== null &&
        raw.length >= Buffer.byteLength(textReceived.slice(0, headEnd), 'latin1') + 4 + Number(length[1])
      )
        finish({});
    });
    socket.on('close', () => finish({ closed: true }));
    socket.on('error', (error) => finish({ closed: true, error: error.code ?? error.message }));
    if (text !== null) socket.write(text);
  });
}

function getText({ host, path: requestPath = '/', version = '1.1' } = {}) {
  return `GET ${requestPath} HTTP/${version}\r\n${host === undefined ? '' : `Host: ${host}\r\n`}Connection: close\r\n\r\n`;
}

/** An upgrade request, then (unless `token` is undefined) the first message with the token. */
function upgradeText({ host, origin, token, version = '1.1', extra = '' } = {}) {
  const head = Buffer.from(
    `GET /ws HTTP/${version}\r\n` +
      (host === undefined ? '' : `Host: ${host}\r\n`) +
      'Upgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
      (origin === undefined ? '' : `Origin: ${origin}\r\n`) +
      `${extra}\r\n`,
    'latin1',
  );
  return token === undefined ? head : Buffer.concat([head, tokenFrame(token)]);
}

/** After a 101: whether the server opened a session (a hello) or closed, and with which code. */
function afterUpgrade(response) {
  const parser = new ServerFrameParser();
  parser.push(Buffer.from(response.raw.slice(response.head.length + 4), 'latin1'));
  const close = parser.frames.find((f) => f.opcode === OP.close);
  return {
    hello: parser.frames.some((f) => f.opcode === OP.text && JSON.parse(f.payload.toString()).type === 'hello'),
    closeCode: close === undefined || close.payload.length < 2 ? null : close.payload.readUInt16BE(0),
  };
}

/** A token refused: the WebSocket opened (the token comes in its first message), no session, closed with 1008. */
function assertTokenRefused(response, what) {
  assert.equal(response.status, 101, `${what}: status ${response.status}`);
  assert.deepEqual(afterUpgrade(response), { hello: false, closeCode: 1008 }, what);
  assert.ok(response.closed, `${what}: connection left open`);
}

/** A refused upgrade: the given status, no 101, and the connection closed by the server. */
function assertRefused(response, status, what) {
  assert.notEqual(response.status, 101, `${what}: upgraded`);
  assert.equal(
    response.status,
    status,
    `${what}: status ${response.status} in ${JSON.stringify(response.raw.slice(0, 200))}`,
  );
}

function header(response, name) {
  return new RegExp(`\\r\\n${name}: *([^\\r]*)`, 'i').exec(response.head)?.[1];
}

/** A WebSocket client that keeps everything it receives, for sessions that are refused. */
async function rawSession(t, consoleUrl, options = {}) {
  const socket = new WebSocket(consoleUrl.wsUrl, { origin: consoleUrl.origin, ...options });
  socket.on('open', () => socket.send(JSON.stringify({ type: 'token', token: consoleUrl.token })));
  const record = {
    socket,
    messages: [],
    closed: null,
    error: null,
    events: new (await import('node:events')).EventEmitter(),
  };
  socket.on('message', (data, isBinary) => {
    if (!isBinary) record.messages.push(JSON.parse(data.toString()));
    record.events.emit('update');
  });
  socket.on('close', (code, reason) => {
    record.closed = { code, reason: reason.toString() };
    record.events.emit('update');
  });
  socket.on('error', (error) => {
    record.error = error;
    record.events.emit('update');
  });
  t.after(() => socket.terminate());
  return record;
}

function closeSession(session) {
  session.socket.close(1000);
  return session.waitForClose();
}

const STOPPED = /prdb: the console server stopped after [^\n]* without a session/g;

function countStops(target) {
  return (target.stderr.match(STOPPED) ?? []).length;
}

function waitForStops(target, count, deadlineMs = 10_000) {
  return waitUntil(
    target.child.stderr,
    'data',
    () => countStops(target) >= count,
    `${count} "stopped" report(s) on stderr`,
    deadlineMs,
  );
}

function assertNoInternalError(target) {
  assert.doesNotMatch(target.stderr, /internal error/, 'the server child reported an internal error');
}

let certificate = null;
/** A self-signed certificate for localhost and 127.0.0.1, made once for this file. */
function selfSignedCertificate() {
  if (certificate !== null) return certificate;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prdb-sec-tls-'));
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
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-days',
        '1',
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    certificate = {
      key: fs.readFileSync(path.join(dir, 'key.pem'), 'utf8'),
      cert: fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8'),
    };
    return certificate;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function hasOpenssl() {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------------

// Two slow tests wait for the 10 s handshake timeout; they come first and the rest run beside
// them, a few at a time (each test is two Node processes; more at once only adds contention).
describe('security', { concurrency: 4, timeout: 45_000 }, () => {
  it('limits: oversized headers get 431, a stalled request is dropped by the handshake timeout', async (t) => {
    const target = await start(t);
    const consoleUrl = await target.open();
    // Slowloris, started first since it takes the whole timeout: half a request line, then
    // nothing; half the headers; and a connection that never says a word.
    const deadline = HANDSHAKE_TIMEOUT_MS + 4000;
    const stalled = Promise.all([
      exchange(consoleUrl, 'GET / HT', { deadlineMs: deadline }),
      exchange(consoleUrl, null, { deadlineMs: deadline }),
      exchange(consoleUrl, `GET / HTTP/1.1\r\nHost: ${consoleUrl.host}\r\nX-Slow: a`, { deadlineMs: deadline }),
    ]);
    const session = await connect(t, consoleUrl);
    const big = `GET / HTTP/1.1\r\nHost: ${consoleUrl.host}\r\nX-Filler: ${'a'.repeat(9 * 1024)}\r\n\r\n`;
    assert.equal((await exchange(consoleUrl, big)).status, 431);
    const bigUpgrade = await exchange(
      consoleUrl,
      upgradeText({ host: consoleUrl.host, token: consoleUrl.token, extra: `X-Filler: ${'a'.repeat(9 * 1024)}\r\n` }),
    );
    assert.equal(bigUpgrade.status, 431);
    // Many small headers add up too.
    const many = `GET / HTTP/1.1\r\nHost: ${consoleUrl.host}\r\n${Array.from({ length: 400 }, (_, i) => `X-H${i}: ${'b'.repeat(20)}\r\n`).join('')}\r\n`;
    assert.equal((await exchange(consoleUrl, many)).status, 431);

    const [half, silent, halfHeaders] = await stalled;
    for (const [what, result] of [
      ['half a request line', half],
      ['a silent connection', silent],
      ['half the headers', halfHeaders],
    ]) {
      assert.ok(result.closed && !result.timedOut, `${what} was not dropped within ${deadline} ms`);
      assert.ok(result.ms >= HANDSHAKE_TIMEOUT_MS - 1000, `${what} dropped after only ${result.ms} ms`);
    }
    // Nothing of that hurt the server nor the open session.
    assert.match(await session.evaluate('appState.name'), /'fixture'/);
    assert.equal((await exchange(consoleUrl, getText({ host: consoleUrl.host }))).status, 200);
    assert.ok(isAlive(consoleUrl.childPid));
    assertNoInternalError(target);
  });

  it(
    'tls: https page, wss session, plain http refused, stalled TLS handshake dropped',
    { skip: hasOpenssl() ? false : 'openssl is not installed' },
    async (t) => {
      const { key, cert } = selfSignedCertificate();
      const target = await start(t, { tls: { key, cert } });
      const consoleUrl = await target.open();
      assert.equal(new URL(consoleUrl.url).protocol, 'https:');
      assert.ok(consoleUrl.wsUrl.startsWith('wss://'));
      // A client that opens TCP and never says a word of TLS is dropped like a slow HTTP one.
      const silentDeadline = HANDSHAKE_TIMEOUT_MS + 5000;
      const silentClient = exchange(consoleUrl, null, { deadlineMs: silentDeadline });

      const page = await new Promise((resolve, reject) => {
        const request = https.get(
          { host: '127.0.0.1', port: consoleUrl.port, path: '/', ca: cert, headers: { Host: consoleUrl.host } },
          (response) => {
            let body = '';
            response.setEncoding('utf8');
            response.on('data', (text) => (body += text));
            const authorized = response.socket.authorized;
            response.on('end', () =>
              resolve({ status: response.statusCode, headers: response.headers, body, authorized }),
            );
          },
        );
        request.on('error', reject);
      });
      assert.equal(page.status, 200);
      assert.ok(page.authorized, 'the certificate given in `tls` is the one served');
      assert.match(page.body, /<html/);
      assert.match(page.headers['content-security-policy'], /default-src 'none'/);

      const session = await connect(t, consoleUrl, { wsOptions: { ca: cert } });
      assert.match(await session.evaluate('appState.name'), /'fixture'/);
      // Over TLS, the Origin is https: and http: is refused.
      const httpOrigin = await exchange(
        consoleUrl,
        upgradeText({ host: consoleUrl.host, origin: `http://${consoleUrl.host}`, token: consoleUrl.token }),
        { secure: true },
      );
      assertRefused(httpOrigin, 403, 'http: Origin on a TLS server');

      // Plain http (and ws) to the TLS port: no page, no session.
      const plain = await exchange(consoleUrl, getText({ host: consoleUrl.host }));
      assert.notEqual(plain.status, 200, 'plain http served the page');
      assert.ok(!plain.raw.includes('<html'));
      const plainUpgrade = await exchange(consoleUrl, upgradeText({ host: consoleUrl.host, token: consoleUrl.token }));
      assert.notEqual(plainUpgrade.status, 101, 'plain ws upgraded');

      const silent = await silentClient;
      assert.ok(
        silent.closed && !silent.timedOut,
        `a silent client on the TLS port was not dropped within ${silentDeadline} ms`,
      );
      assert.match(await session.evaluate('1 + 2'), /3/);
    },
  );

  it('token: fresh, at least 128 bits, in the fragment, never needed nor served by the page, new after a restart', async (t) => {
    const target = await start(t, { idleTimeout: 2000, reattachTimeout: 0 });
    const first = await target.open();
    const session = await connect(t, first);

    const parsed = new URL(first.url);
    assert.equal(parsed.search, '', 'the token is not in the query');
    assert.equal(parsed.pathname, '/');
    assert.equal(parsed.hash, `#${first.token}`, 'the token is the fragment');
    assert.match(first.token, /^[A-Za-z0-9_-]+$/);
    assert.ok(
      Buffer.from(first.token, 'base64url').length * 8 >= 128,
      `token of ${Buffer.from(first.token, 'base64url').length * 8} bits`,
    );

    // The page: no token needed, none served.
    const page = await exchange(first, getText({ host: first.host }));
    assert.equal(page.status, 200);
    assert.ok(!page.body.includes(first.token), 'the page contains the token');
    assert.ok(!page.head.includes(first.token), 'the page headers contain the token');
    assert.ok(page.body.length > 1000);

    // The server stops after the idle timeout; the next signal makes a new token.
    await closeSession(session);
    await waitForStops(target, 1);
    await waitForExit(first.childPid);
    const second = await target.open();
    const current = await connect(t, second);
    assert.notEqual(second.token, first.token);
    assert.notEqual(second.childPid, first.childPid);

    const origin = second.origin;
    const oneCharChanged = second.token.slice(0, -1) + (second.token.endsWith('A') ? 'B' : 'A');
    const attempts = {
      'no token': undefined,
      'empty token': '',
      'wrong token': crypto.randomBytes(32).toString('base64url'),
      'the previous activation token': first.token,
      'one character changed': oneCharChanged,
      'a prefix': second.token.slice(0, 16),
      'the token with a suffix': `${second.token}x`,
    };
    for (const [what, token] of Object.entries(attempts)) {
      for (const withOrigin of [origin, undefined]) {
        const response = await exchange(second, upgradeText({ host: second.host, origin: withOrigin, token }), {
          untilSession: true,
        });
        assertTokenRefused(response, `${what}, Origin ${withOrigin}`);
      }
    }
    // And the right one, raw, is upgraded.
    assert.ok(
      afterUpgrade(
        await exchange(second, upgradeText({ host: second.host, origin, token: second.token }), { untilSession: true }),
      ).hello,
      'no session with the token',
    );
    // A token in the request line, where proxies log it, counts for nothing.
    const inQuery = Buffer.from(
      upgradeText({ host: second.host, origin })
        .toString('latin1')
        .replace('GET /ws ', `GET /ws?token=${second.token} `),
      'latin1',
    );
    assertTokenRefused(await exchange(second, inQuery, { untilSession: true }), 'the token in the query, no message');
    assert.match(await current.evaluate('appState.name'), /'fixture'/);
    assertNoInternalError(target);
  });

  it('origin: another origin is refused even with the token; the own origin and no Origin are accepted', async (t) => {
    const target = await start(t);
    const consoleUrl = await target.open();
    const otherPort = consoleUrl.port === 65535 ? 65534 : consoleUrl.port + 1;
    const foreign = [
      'http://evil.example',
      `http://evil.example:${consoleUrl.port}`,
      `http://127.0.0.1:${otherPort}`,
      `http://localhost:${otherPort}`,
      'null',
      `https://127.0.0.1:${consoleUrl.port}`,
      `http://127.0.0.1`,
      `http://localhost:${consoleUrl.port}`,
      `http://127.0.0.1:${consoleUrl.port}.evil.example`,
      '',
    ];
    for (const origin of foreign) {
      const response = await exchange(
        consoleUrl,
        upgradeText({ host: consoleUrl.host, origin, token: consoleUrl.token }),
      );
      assertRefused(response, 403, `Origin ${JSON.stringify(origin)}`);
    }
    // Origin must match the Host the request was made to, whichever allowed name that is.
    const viaLocalhost = await exchange(
      consoleUrl,
      upgradeText({
        host: `localhost:${consoleUrl.port}`,
        origin: `http://localhost:${consoleUrl.port}`,
        token: consoleUrl.token,
      }),
    );
    assert.equal(viaLocalhost.status, 101);
    // A browser page on another origin, through the real ws client.
    const evil = await rawSession(t, consoleUrl, { origin: 'http://evil.example' });
    await waitUntil(evil.events, 'update', () => evil.error || evil.closed, 'the refusal');
    assert.match(String(evil.error?.message), /Unexpected server response: 403/);

    const own = await connect(t, consoleUrl);
    assert.match(await own.evaluate('1 + 1'), /2/);
    // No Origin: not a browser, judged by the token alone.
    const noOrigin = await connect(t, consoleUrl, { origin: '' });
    assert.match(await noOrigin.evaluate('appState.name'), /'fixture'/);
    assert.equal(
      (await exchange(consoleUrl, upgradeText({ host: consoleUrl.host, token: consoleUrl.token }))).status,
      101,
    );
    assertNoInternalError(target);
  });

  it('host allow-list: every request with a Host not exactly ours is refused (DNS rebinding)', async (t) => {
    const target = await start(t, { allowedHosts: ['Console.Example'] });
    const consoleUrl = await target.open();
    const { port, token } = consoleUrl;
    const otherPort = port === 65535 ? 65534 : port + 1;
    const refused = [
      `evil.example:${port}`,
      `localhost6:${port}`,
      `10.0.2.555:${port}`,
      `0x7f.1:${port}`,
      `0x7f000001:${port}`,
      `2130706433:${port}`,
      `127.1:${port}`,
      `0177.0.0.1:${port}`,
      `127.0.0.2:${port}`,
      `localhost.:${port}`,
      `127.0.0.1.:${port}`,
      `console.example.:${port}`,
      '127.0.0.1',
      'localhost',
      `127.0.0.1:${otherPort}`,
      `127.0.0.1:0${port}`,
      `127.0.0.1:${port}:${port}`,
      `[::ffff:127.0.0.1]:${port}`,
      `[::ffff:7f00:1]:${port}`,
      `[0:0:0:0:0:0:0:1]:${port}`,
      `::1:${port}`,
      `localhost:${port}.evil.example`,
      `evil.example@127.0.0.1:${port}`,
      `127.0.0.1:${port} evil.example`,
      '',
    ];
    for (const host of refused) {
      const page = await exchange(consoleUrl, getText({ host }));
      assert.ok(
        page.status !== null && page.status >= 400 && page.status < 500,
        `GET / with Host ${JSON.stringify(host)}: status ${page.status}`,
      );
      assert.ok(!page.body.includes('<html'), `GET / with Host ${JSON.stringify(host)} served the page`);
      const origin = host === '' ? undefined : `http://${host}`;
      for (const withOrigin of [origin, undefined]) {
        const upgrade = await exchange(consoleUrl, upgradeText({ host, origin: withOrigin, token }));
        assert.notEqual(upgrade.status, 101, `upgrade with Host ${JSON.stringify(host)} and Origin ${withOrigin}`);
        assert.ok(
          upgrade.status >= 400 && upgrade.status < 500,
          `upgrade with Host ${JSON.stringify(host)}: status ${upgrade.status}`,
        );
      }
    }
    // No Host at all: HTTP/1.0 allows that, and it is refused too.
    const noHostPage = await exchange(consoleUrl, getText({ version: '1.0' }));
    assert.ok(noHostPage.status >= 400 && noHostPage.status < 500, `GET / without Host: ${noHostPage.status}`);
    for (const version of ['1.0', '1.1']) {
      const noHostUpgrade = await exchange(consoleUrl, upgradeText({ version, token }));
      assert.ok(
        noHostUpgrade.status >= 400 && noHostUpgrade.status < 500,
        `HTTP/${version} upgrade without Host: ${noHostUpgrade.status}`,
      );
    }
    // Two Host headers: whichever one the server reads, the other must not sneak in.
    const twoHosts = await exchange(
      consoleUrl,
      `GET / HTTP/1.1\r\nHost: evil.example:${port}\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`,
    );
    assert.notEqual(twoHosts.status, 200, 'two Host headers, the first one evil');

    const accepted = [
      `localhost:${port}`,
      `127.0.0.1:${port}`,
      `[::1]:${port}`,
      `LOCALHOST:${port}`,
      `console.example:${port}`,
      `CONSOLE.example:${port}`,
    ];
    for (const host of accepted) {
      const page = await exchange(consoleUrl, getText({ host }));
      assert.equal(page.status, 200, `GET / with Host ${host}`);
      const upgrade = await exchange(consoleUrl, upgradeText({ host, origin: `http://${host}`, token }));
      assert.equal(upgrade.status, 101, `upgrade with Host ${host}: ${upgrade.raw.slice(0, 120)}`);
    }
    const session = await connect(t, consoleUrl);
    assert.match(await session.evaluate('appState.name'), /'fixture'/);
    assertNoInternalError(target);
  });

  it('bind: 127.0.0.1 by default, not reachable on other local addresses', async (t) => {
    const target = await start(t);
    const consoleUrl = await target.open();
    assert.equal(new URL(consoleUrl.url).hostname, '127.0.0.1');
    assert.doesNotMatch(target.stderr, /WARNING/);
    assert.equal((await exchange(consoleUrl, getText({ host: consoleUrl.host }))).status, 200);
    const others = [
      '127.0.0.2',
      ...Object.values(os.networkInterfaces())
        .flat()
        .filter((entry) => entry.family === 'IPv4' && !entry.internal)
        .map((entry) => entry.address),
    ];
    for (const address of others) {
      const response = await exchange({ port: consoleUrl.port, address }, getText({ host: consoleUrl.host }), {
        deadlineMs: 2000,
      });
      assert.equal(response.status, null, `reachable on ${address}`);
      assert.ok(response.error, `no error connecting to ${address}:${consoleUrl.port}`);
    }
    const v6 = await exchange({ port: consoleUrl.port, address: '::1' }, getText({ host: consoleUrl.host }), {
      deadlineMs: 2000,
    });
    assert.equal(v6.status, null, 'reachable on ::1');
  });

  it('bind: a non-loopback address prints a clear network warning that advises TLS', async (t) => {
    const target = await start(t, { host: '0.0.0.0' });
    const consoleUrl = await target.open();
    const warning = /prdb: WARNING: [^\n]*/.exec(target.stderr)?.[0];
    assert.ok(warning, `no warning in ${JSON.stringify(target.stderr)}`);
    assert.match(warning, /reachable from the network/);
    assert.match(warning, /\btls\b/i, 'the warning does not advise TLS');
    assert.equal(new URL(consoleUrl.url).hostname, '127.0.0.1', 'the URL names an address that works');
    const session = await connect(t, consoleUrl);
    assert.match(await session.evaluate('appState.name'), /'fixture'/);
  });

  it('unix socket: mode 0600, page and session over it, removed when the server stops and when the target exits', async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prdb-sock-'));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const socketPath = path.join(dir, 'console.sock');
    const target = await start(t, { socketPath, idleTimeout: 2000, reattachTimeout: 0 });
    const consoleUrl = await target.open();
    const { childPid } = consoleUrl;
    const stats = fs.statSync(socketPath);
    assert.ok(stats.isSocket());
    assert.equal(stats.mode & 0o777, 0o600, `socket mode ${(stats.mode & 0o777).toString(8)}`);
    assert.match(target.stderr, /unix socket/);
    // Nothing listens on TCP for it: the URL's port is for the ssh -L forward.
    const page = await new Promise((resolve, reject) => {
      const request = http.get({ socketPath, path: '/', headers: { Host: consoleUrl.host } }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (text) => (body += text));
        response.on('end', () => resolve({ status: response.statusCode, body }));
      });
      request.on('error', reject);
    });
    assert.equal(page.status, 200);
    assert.match(page.body, /<html/);
    // The Host check still applies on the socket (a forwarded port is still a browser's).
    assert.notEqual((await exchange({ socketPath }, getText({ host: 'evil.example:4242' }))).status, 200);
    assertTokenRefused(
      await exchange(
        { socketPath },
        upgradeText({ host: consoleUrl.host, origin: consoleUrl.origin, token: 'wrong' }),
        { untilSession: true },
      ),
      'wrong token on the socket',
    );
    assertRefused(
      await exchange(
        { socketPath },
        upgradeText({ host: consoleUrl.host, origin: 'http://evil.example', token: consoleUrl.token }),
      ),
      403,
      'evil Origin on the socket',
    );

    const createConnection = () => net.connect(socketPath);
    const session = await connect(t, consoleUrl, { wsOptions: { createConnection } });
    assert.match(await session.evaluate('appState.name'), /'fixture'/);
    // The same through a ws+unix: URL.
    const unixUrl = { ...consoleUrl, wsUrl: `ws+unix://${socketPath}:/ws` };
    const viaUnixUrl = await connect(t, unixUrl, { origin: '', wsOptions: { headers: { Host: consoleUrl.host } } });
    assert.match(await viaUnixUrl.evaluate('2 * 21'), /42/);

    // Idle stop: the socket file goes with the server.
    await closeSession(session);
    await closeSession(viaUnixUrl);
    await waitForStops(target, 1);
    await waitForExit(childPid);
    assert.ok(!fs.existsSync(socketPath), 'socket file left after the idle stop');

    // Target exit: the socket file goes too.
    const again = await target.open();
    const secondChild = again.childPid;
    assert.notEqual(again.token, consoleUrl.token);
    assert.ok(fs.statSync(socketPath).isSocket());
    target.signal('SIGTERM');
    await target.exited;
    await waitForExit(secondChild);
    assert.ok(!fs.existsSync(socketPath), 'socket file left after the target exited');
  });

  it('unix socket: removed when the server child is killed, and served again on the next signal', async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prdb-sock-'));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const socketPath = path.join(dir, 'console.sock');
    const target = await start(t, { socketPath });
    const consoleUrl = await target.open();
    assert.ok(fs.statSync(socketPath).isSocket());
    process.kill(consoleUrl.childPid, 'SIGKILL');
    await target.waitForStderr(/stopped unexpectedly/);
    await waitFor(() => !fs.existsSync(socketPath), 'the socket file to go');
    const next = await target.open();
    assert.equal(fs.statSync(socketPath).mode & 0o777, 0o600);
    const session = await connect(t, next, { wsOptions: { createConnection: () => net.connect(socketPath) } });
    assert.match(await session.evaluate('appState.name'), /'fixture'/);
  });

  describe('URL file', { concurrency: 2 }, () => {
    /** The URL file right after an activation: owner-only, in an owner-only directory, the URL inside. */
    function assertUrlFile(target, consoleUrl) {
      const file = fs.lstatSync(target.urlFile);
      assert.ok(file.isFile(), 'the URL file is a regular file');
      assert.equal(file.mode & 0o777, 0o600, `file mode ${(file.mode & 0o777).toString(8)}`);
      assert.equal(file.uid, uid);
      const directory = fs.lstatSync(path.dirname(target.urlFile));
      assert.ok(directory.isDirectory());
      assert.equal(directory.mode & 0o777, 0o700, `directory mode ${(directory.mode & 0o777).toString(8)}`);
      assert.equal(directory.uid, uid);
      assert.equal(fs.readFileSync(target.urlFile, 'utf8').trim(), consoleUrl.url);
    }

    it('at urlFilePath(pid), 0600 in 0700, removed when the server stops after the idle timeout', async (t) => {
      // The default TMPDIR, as a user would have it.
      const target = await start(t, { idleTimeout: 1500, reattachTimeout: 0 }, { tmpdir: false });
      assert.equal(target.urlFile, path.join(os.tmpdir(), `prdb-${uid}`, `${target.pid}.url`));
      const consoleUrl = await target.open();
      assertUrlFile(target, consoleUrl);
      await waitForStops(target, 1);
      await waitForExit(consoleUrl.childPid);
      assert.ok(!fs.existsSync(target.urlFile), 'URL file left after the idle stop');
    });

    it('removed when the target exits normally', async (t) => {
      const target = await start(t);
      const consoleUrl = await target.open();
      assertUrlFile(target, consoleUrl);
      target.signal('SIGTERM');
      await target.exited;
      assert.equal(target.exit.code, 0);
      await waitForExit(consoleUrl.childPid);
      assert.ok(!fs.existsSync(target.urlFile), 'URL file left after the target exited');
    });

    it('removed when the target is SIGKILLed (the server child notices)', async (t) => {
      const target = await start(t);
      const consoleUrl = await target.open();
      await connect(t, consoleUrl);
      assertUrlFile(target, consoleUrl);
      target.child.kill('SIGKILL');
      await target.exited;
      await waitForExit(consoleUrl.childPid);
      assert.ok(!fs.existsSync(target.urlFile), 'URL file left after the target was killed');
    });

    it('removed when the server child is SIGKILLed (the target notices), and the next signal starts afresh', async (t) => {
      const target = await start(t);
      const consoleUrl = await target.open();
      assertUrlFile(target, consoleUrl);
      process.kill(consoleUrl.childPid, 'SIGKILL');
      await waitForExit(consoleUrl.childPid);
      await waitFor(() => !fs.existsSync(target.urlFile), 'the URL file to go');
      await target.waitForStderr(/stopped unexpectedly/);
      const next = await target.open();
      assert.notEqual(next.token, consoleUrl.token);
      assertUrlFile(target, next);
      const session = await connect(t, next);
      assert.match(await session.evaluate('appState.name'), /'fixture'/);
    });

    it('a symlink planted at the path is not followed', async (t) => {
      const target = await start(t);
      const directory = path.dirname(target.urlFile);
      fs.mkdirSync(directory, { mode: 0o700 });
      const victim = path.join(target.dir, 'victim.txt');
      fs.writeFileSync(victim, 'precious\n', { mode: 0o644 });
      fs.symlinkSync(victim, target.urlFile);
      const consoleUrl = await target.open();
      assert.equal(fs.readFileSync(victim, 'utf8'), 'precious\n', 'the symlink was followed');
      assert.equal(fs.statSync(victim).mode & 0o777, 0o644);
      assertUrlFile(target, consoleUrl);
      target.signal('SIGTERM');
      await target.exited;
      await waitForExit(consoleUrl.childPid);
      assert.equal(fs.readFileSync(victim, 'utf8'), 'precious\n', 'the removal followed the symlink');
      assert.ok(!fs.existsSync(target.urlFile));
    });

    it('a dangling symlink planted at the path creates nothing where it points', async (t) => {
      const target = await start(t);
      fs.mkdirSync(path.dirname(target.urlFile), { mode: 0o700 });
      const elsewhere = path.join(target.dir, 'created-through-the-link');
      fs.symlinkSync(elsewhere, target.urlFile);
      const consoleUrl = await target.open();
      assert.ok(!fs.existsSync(elsewhere), 'the dangling symlink was followed');
      assertUrlFile(target, consoleUrl);
    });

    for (const [what, prepare] of [
      ['a directory with group/other access', (directory) => fs.mkdirSync(directory, { mode: 0o777 })],
      [
        'a directory owned by another user',
        (directory) => (fs.mkdirSync(directory, { mode: 0o700 }), fs.chownSync(directory, 65534, 65534)),
      ],
      [
        'a symlink to a private directory',
        (directory, dir) => (
          fs.mkdirSync(path.join(dir, 'real'), { mode: 0o700 }),
          fs.symlinkSync(path.join(dir, 'real'), directory)
        ),
      ],
      ['a regular file', (directory) => fs.writeFileSync(directory, 'not a directory', { mode: 0o600 })],
    ]) {
      it(
        `refused in ${what}, said on stderr, and the server still works`,
        { skip: what.includes('another user') && uid !== 0 ? 'needs root to chown' : false },
        async (t) => {
          const target = await start(t);
          const directory = path.dirname(target.urlFile);
          prepare(directory, target.dir);
          const consoleUrl = await target.open();
          assert.match(
            target.stderr,
            new RegExp(`prdb: [^\\n]*${path.basename(target.urlFile).replace('.', '\\.')}`),
            'no prdb: message about the URL file',
          );
          assert.ok(
            !fs.existsSync(target.urlFile) || !fs.readFileSync(target.urlFile, 'utf8').includes(consoleUrl.token),
            'the URL was written there',
          );
          if (what.includes('symlink')) assert.deepEqual(fs.readdirSync(path.join(target.dir, 'real')), []);
          const session = await connect(t, consoleUrl);
          assert.match(await session.evaluate('appState.name'), /'fixture'/);
        },
      );
    }
  });

  it('headers of the page: strict CSP without external sources, nosniff, no-referrer, no-store', async (t) => {
    const target = await start(t);
    const consoleUrl = await target.open();
    const page = await exchange(consoleUrl, getText({ host: consoleUrl.host }));
    assert.equal(page.status, 200);
    assert.match(header(page, 'content-type'), /^text\/html/);
    assert.equal(header(page, 'x-content-type-options'), 'nosniff');
    assert.equal(header(page, 'referrer-policy'), 'no-referrer');
    assert.match(header(page, 'cache-control'), /no-store/);
    const csp = header(page, 'content-security-policy');
    assert.ok(csp, 'no Content-Security-Policy');
    const directives = new Map(
      csp
        .split(';')
        .map((part) => part.trim().split(/\s+/))
        .filter((words) => words[0])
        .map(([name, ...sources]) => [name.toLowerCase(), sources]),
    );
    assert.deepEqual(directives.get('default-src'), ["'none'"]);
    assert.deepEqual(directives.get('frame-ancestors'), ["'none'"]);
    const scripts = directives.get('script-src');
    assert.ok(scripts && scripts.length > 0, 'no script-src');
    for (const source of scripts) assert.match(source, /^'sha256-[A-Za-z0-9+/]{43}='$/, `script-src allows ${source}`);
    // Every inline script of the page is one of those hashes (else the page would not run).
    for (const [, body] of page.body.matchAll(/<script(?:\s[^>]*)?>([\s\S]*?)<\/script>/g)) {
      const hash = `'sha256-${crypto.createHash('sha256').update(body).digest('base64')}'`;
      assert.ok(scripts.includes(hash), `an inline script is not in script-src (${hash})`);
    }
    // No external source anywhere: only keywords, hashes and data: for images.
    for (const [name, sources] of directives) {
      for (const source of sources) {
        const allowed =
          /^'(none|self)'$/.test(source) ||
          /^'sha(256|384|512)-[A-Za-z0-9+/=]+'$/.test(source) ||
          (name === 'img-src' && source === 'data:') ||
          (name === 'style-src' && source === "'unsafe-inline'");
        assert.ok(allowed, `${name} allows ${source}`);
      }
    }
    assert.doesNotMatch(
      page.body,
      /<(script|link|img|iframe)[^>]+(src|href)\s*=\s*["']?(https?:)?\/\//i,
      'the page loads something external',
    );
  });

  it('limits: a message above maxMessageSize closes with 1009, the server carries on', async (t) => {
    const target = await start(t, { maxMessageSize: 4096 });
    const consoleUrl = await target.open();
    const session = await connect(t, consoleUrl);
    const other = await connect(t, consoleUrl);
    session.type('globalThis.tooBig = 1; //' + 'x'.repeat(5000) + '\r');
    const closed = await session.waitForClose();
    assert.equal(closed.code, 1009);
    assert.match(
      await other.evaluate('typeof globalThis.tooBig'),
      /'undefined'/,
      'the oversized message reached the target',
    );
    // Fragmented, each fragment small: the sum counts.
    const raw = await rawSession(t, consoleUrl);
    await waitUntil(raw.events, 'update', () => raw.messages.find((message) => message.type === 'hello'), 'hello');
    const send = (frame) => raw.socket._socket.write(frame);
    const mask = crypto.randomBytes(4);
    send(encodeFrame({ opcode: OPCODE_BINARY, fin: false, payload: Buffer.alloc(3000, 0x61), mask }));
    send(encodeFrame({ opcode: 0, fin: true, payload: Buffer.alloc(3000, 0x61), mask }));
    await waitUntil(raw.events, 'update', () => raw.closed, 'close');
    assert.equal(raw.closed.code, 1009);
    // A frame header that announces 2^53 bytes is refused before any of them arrive.
    const huge = await rawSession(t, consoleUrl);
    await waitUntil(huge.events, 'update', () => huge.messages.find((message) => message.type === 'hello'), 'hello');
    const header64 = Buffer.from([0x82, 0xff, 0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4]);
    huge.socket._socket.write(header64);
    await waitUntil(huge.events, 'update', () => huge.closed || huge.error, 'close');
    assert.ok(
      huge.closed?.code === 1009 || huge.closed?.code === 1002 || huge.error,
      `closed with ${JSON.stringify(huge.closed)}`,
    );
    assert.match(await other.evaluate('appState.name'), /'fixture'/);
    assert.ok(isAlive(consoleUrl.childPid));
    assertNoInternalError(target);
  });

  it('limits: sessions beyond maxSessions get a clear error and 1013, the others keep working', async (t) => {
    const target = await start(t, { maxSessions: 2 });
    const consoleUrl = await target.open();
    const first = await connect(t, consoleUrl);
    const second = await connect(t, consoleUrl);
    const extra = await rawSession(t, consoleUrl);
    await waitUntil(extra.events, 'update', () => extra.closed, 'the extra session to be closed');
    assert.equal(extra.closed.code, 1013);
    const error = extra.messages.find((message) => message.type === 'error');
    assert.ok(error, `no error message: ${JSON.stringify(extra.messages)}`);
    assert.match(error.message, /too many sessions[^]*2/i);
    assert.ok(!extra.messages.some((message) => message.type === 'hello'), 'the extra session got a hello');
    assert.match(await first.evaluate('globalThis.fromFirst = 1'), /1/);
    assert.match(await second.evaluate('globalThis.fromFirst + 1'), /2/);
    // A freed place is taken again.
    await closeSession(first);
    const third = await connect(t, consoleUrl);
    assert.match(await third.evaluate('appState.name'), /'fixture'/);
  });

  it('limits: the idle server stops after idleTimeout without a session, not while one is open, and restarts with a new token', async (t) => {
    const target = await start(t, { idleTimeout: 1500, reattachTimeout: 0 });
    const first = await target.open();
    const session = await connect(t, first);
    await sleep(2500);
    assert.equal(countStops(target), 0, 'stopped with a session open');
    assert.match(await session.evaluate('appState.name'), /'fixture'/);
    const closedAt = Date.now();
    await closeSession(session);
    await waitForStops(target, 1, 5000);
    const after = Date.now() - closedAt;
    assert.ok(after >= 1400, `stopped ${after} ms after the last session closed`);
    await waitForExit(first.childPid);
    assert.notEqual((await exchange(first, getText({ host: first.host }))).status, 200, 'the old server still answers');
    // The signal right after the stop report: a new server, a new token, not the old URL.
    const second = await target.open();
    assert.notEqual(second.token, first.token);
    const again = await connect(t, second);
    assert.match(await again.evaluate('appState.name'), /'fixture'/);
  });

  it('limits: a signal right after the stop report starts a new server, never the stopped one', async (t) => {
    const target = await start(t, { idleTimeout: 300, reattachTimeout: 0 });
    const tokens = new Set();
    for (let round = 1; round <= 3; round++) {
      const before = target.stderr.length;
      const consoleUrl = await target.activate();
      assert.ok(!tokens.has(consoleUrl.token), `round ${round}: the URL of a stopped server was printed again`);
      tokens.add(consoleUrl.token);
      // Signal in the same tick as the report arrives.
      await waitUntil(
        target.child.stderr,
        'data',
        () => /prdb: the console server stopped after/.test(target.stderr.slice(before)),
        'the stop report',
      );
    }
    // Each round had its own server: its own token and its own stop report.
    assert.equal(countStops(target), 3);
  });

  it('containment: garbage, malformed and hostile messages never crash the child nor reach the target', async (t) => {
    const target = await start(t);
    const consoleUrl = await target.open();
    const session = await connect(t, consoleUrl);
    const probe = async (what) =>
      /^'.*'$/m.exec(
        await what.evaluate(
          'JSON.stringify({ name: appState.name, saved: appState.saved, keys: Object.keys(globalThis).sort() })',
        ),
      )?.[0];
    const stateBefore = await probe(session);
    assert.ok(stateBefore);

    // Unauthenticated bytes pipelined after a refused upgrade or a wrong token are never read.
    const keystrokes = encodeFrame({
      opcode: OPCODE_BINARY,
      payload: Buffer.from('globalThis.pwned = 1\r'),
      mask: crypto.randomBytes(4),
    });
    assertTokenRefused(
      await exchange(
        consoleUrl,
        Buffer.concat([upgradeText({ host: consoleUrl.host, origin: consoleUrl.origin, token: 'wrong' }), keystrokes]),
        { untilSession: true },
      ),
      'a wrong token, then keystrokes',
    );
    assertTokenRefused(
      await exchange(
        consoleUrl,
        Buffer.concat([upgradeText({ host: consoleUrl.host, origin: consoleUrl.origin }), keystrokes]),
        { untilSession: true },
      ),
      'keystrokes instead of the token',
    );
    assert.notEqual(
      (
        await exchange(
          consoleUrl,
          Buffer.concat([
            upgradeText({ host: consoleUrl.host, origin: 'http://evil.example', token: consoleUrl.token }),
            keystrokes,
          ]),
        )
      ).status,
      101,
    );
    // Nor are they when the Host is wrong, nor as a request body.
    await exchange(
      consoleUrl,
      Buffer.concat([Buffer.from(upgradeText({ host: 'evil.example', token: consoleUrl.token })), keystrokes]),
    );
    await exchange(
      consoleUrl,
      `POST /ws HTTP/1.1\r\nHost: ${consoleUrl.host}\r\nContent-Length: 21\r\n\r\nglobalThis.pwned = 1\r`,
    );

    // Garbage after a good handshake: each on its own connection, each closed, none fatal.
    const garbage = [
      crypto.randomBytes(4096),
      Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
      encodeFrame({ opcode: OPCODE_BINARY, payload: Buffer.from('globalThis.pwned = 2\r') }), // unmasked
      encodeFrame({ opcode: 0x3, payload: Buffer.from('x'), mask: crypto.randomBytes(4) }), // reserved opcode
      Buffer.from([0xf2, 0x80, 0, 0, 0, 0]), // RSV bits
      encodeFrame({ opcode: OPCODE_TEXT, payload: Buffer.from([0xff, 0xfe, 0xfd]), mask: crypto.randomBytes(4) }), // bad UTF-8
      encodeFrame({ opcode: 0x9, payload: Buffer.alloc(200), mask: crypto.randomBytes(4) }), // oversized ping
      encodeFrame({ opcode: 0x0, payload: Buffer.from('x'), mask: crypto.randomBytes(4) }), // continuation of nothing
      Buffer.from([0x88, 0x81, 1, 2, 3, 4, 5]), // close with a 1-byte payload
    ];
    for (const bytes of garbage) {
      const raw = await rawSession(t, consoleUrl);
      await waitUntil(
        raw.events,
        'update',
        () => raw.messages.find((message) => message.type === 'hello') || raw.closed,
        'hello',
      );
      raw.socket._socket.write(bytes);
      await waitUntil(
        raw.events,
        'update',
        () => raw.closed || raw.error,
        `the close after garbage ${bytes.subarray(0, 8).toString('hex')}`,
      );
      assert.ok(isAlive(consoleUrl.childPid), 'the server child died');
    }

    // Control messages of the wrong shape, on the authenticated session.
    const hostile = [
      { type: 'resize', cols: '80', rows: '24' },
      { type: 'resize', cols: -1, rows: -1 },
      { type: 'resize', cols: 0, rows: 0 },
      { type: 'resize', cols: 1e308, rows: 1e308 },
      { type: 'resize', cols: 2 ** 53, rows: 2 ** 31 },
      { type: 'resize', cols: 80.5, rows: 24.5 },
      { type: 'resize', cols: [80], rows: { valueOf: 24 } },
      { type: 'resize', cols: null },
      { type: 'resize' },
      { type: 'ack', bytes: 'NaN' },
      { type: 'ack', bytes: -1 },
      { type: 'ack', bytes: 1e308 },
      { type: 'ack', bytes: null },
      { type: 'ack' },
      { type: 'input', data: 'globalThis.pwned = 3\r' },
      { type: 'open', sessionId: 'x' },
      { type: 'close', sessionId: session.hello.sessionId },
      { type: 'stop' },
      { type: 'heartbeat', sequence: 1e9 },
      { type: 'eval', code: 'globalThis.pwned = 4' },
      { type: 'session-end' },
      { type: { toString: 'resize' } },
      { type: 'resize', cols: 100, rows: 30, __proto__: { polluted: true } },
      { type: '__proto__' },
      { type: 'constructor' },
    ];
    for (const message of hostile) session.send(message);
    const rawTexts = [
      '{"type":"ack","bytes":NaN}',
      '{"type":"ack","bytes":Infinity}',
      '{"__proto__":{"polluted":true},"type":"resize","cols":90,"rows":20}',
      '{"constructor":{"prototype":{"polluted":true}},"type":"ack","bytes":1}',
      'null',
      '42',
      '"resize"',
      '[{"type":"resize","cols":10,"rows":10}]',
      '{',
      '',
      '\u0000\u0001',
      '['.repeat(200_000) + ']'.repeat(200_000),
      '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000),
      JSON.stringify({ type: 'resize', cols: 80, rows: 24, padding: 'p'.repeat(900 * 1024) }),
      JSON.stringify({ type: 'unknown', payload: Array.from({ length: 60_000 }, (_, i) => ({ i })) }),
    ];
    for (const text of rawTexts) session.socket.send(text);
    // Then keystrokes still work, and the session is intact.
    await sleep(200);
    assert.equal(session.closed, null, `the session was closed: ${JSON.stringify(session.closed)}`);
    assert.ok(isAlive(consoleUrl.childPid), 'the server child died');
    // A width the test knows again (the raw resizes above went past the helper), for reading the screen.
    session.send({ type: 'resize', cols: 80, rows: 24 });
    assert.equal(await probe(session), stateBefore, 'the target state changed');
    assert.match(await session.evaluate('typeof globalThis.pwned'), /'undefined'/);
    assert.match(await session.evaluate('({}).polluted'), /undefined/);
    const ticks = await session.evaluate('appState.ticks');
    await sleep(100);
    assert.notEqual(await session.evaluate('appState.ticks'), ticks, 'the target stopped ticking');
    const fresh = await connect(t, consoleUrl);
    assert.match(await fresh.evaluate('appState.name'), /'fixture'/);
    assertNoInternalError(target);
  });

  it('cleanup: the server child exits when its target dies, whatever the way', async (t) => {
    for (const signal of ['SIGKILL', 'SIGTERM']) {
      const target = await start(t);
      const consoleUrl = await target.open();
      const session = await connect(t, consoleUrl);
      target.child.kill(signal);
      await target.exited;
      await waitForExit(consoleUrl.childPid, 3000);
      const closed = await session.waitForClose(3000);
      assert.ok(closed.code === 1001 || closed.code === 1006, `the page got close ${closed.code}`);
      assert.deepEqual(serverChildPids(target.pid), []);
    }
  });
});

it('the watchdog listens on no TCP port: its socket is in the owner-only directory, gone when the server stops', async (t) => {
  const target = await startTarget(t);
  const consoleUrl = await target.activate();
  const [childPid] = await waitUntil(
    target.child.stderr,
    'data',
    () => {
      const found = serverChildPids(target.pid);
      return found.length > 0 ? found : null;
    },
    'the server child',
  );
  const socketPath = path.join(path.dirname(urlFilePath(target.pid)), `${target.pid}.watchdog`);
  // The URL comes before the child has started (the target listens for it): once it serves.
  await pollUntil(() => fs.existsSync(socketPath), 'the watchdog socket');
  // Every TCP socket the child listens on: only the HTTP port.
  const inodes = new Set(
    fs
      .readdirSync(`/proc/${childPid}/fd`)
      .map((fd) => {
        try {
          return /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${childPid}/fd/${fd}`))?.[1];
        } catch {
          return undefined;
        }
      })
      .filter(Boolean),
  );
  const listening = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of fs.readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[3] === '0A' && inodes.has(fields[9])) listening.push(parseInt(fields[1].split(':')[1], 16));
    }
  }
  assert.deepEqual(listening, [consoleUrl.port], 'the child listens on the HTTP port and nothing else');
  assert.ok(fs.lstatSync(socketPath).isSocket(), `${socketPath} is the watchdog's socket`);
  assert.equal(fs.lstatSync(path.dirname(socketPath)).mode & 0o077, 0, 'in a directory no other user can enter');
  // Another user of the machine cannot even reach it (run when the tests run as root, which can make one).
  // A node the other user may run: not one under /root.
  const publicNode = ['/usr/bin/node', '/usr/local/bin/node'].find((candidate) => fs.existsSync(candidate));
  if (process.getuid?.() === 0 && publicNode !== undefined) {
    try {
      execFileSync('id', ['prdb-other']);
    } catch {
      execFileSync('useradd', ['--no-create-home', '--shell', '/bin/false', 'prdb-other']);
    }
    const attempt = execFileSync(
      'runuser',
      [
        '-u',
        'prdb-other',
        '--',
        publicNode,
        '-e',
        `require('net').connect(${JSON.stringify(socketPath)}).on('connect', () => { console.log('connected'); process.exit() }).on('error', (error) => console.log(error.code))`,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(attempt.trim(), 'EACCES', 'another user connects to the watchdog socket');
  }
  // Without the token, the watchdog's socket says nothing and closes.
  const stranger = net.connect(socketPath).on('error', () => {});
  stranger.write('not the token\n{"type":"stack","requestId":1}\n');
  let heard = '';
  stranger.on('data', (data) => (heard += data));
  await new Promise((resolve) => stranger.on('close', resolve));
  assert.equal(heard, '');
  // Stack still works through it.
  const session = await connect(t, consoleUrl);
  session.send({ type: 'stack' });
  assert.match((await session.waitForMessage('stack')).text, /idle|running/);
  // The server removes it in the same step as it closes the sessions.
  session.type('await prdb.stop()\r');
  await session.waitForClose();
  assert.ok(!fs.existsSync(socketPath), 'the watchdog socket is removed when the server stops');
});
