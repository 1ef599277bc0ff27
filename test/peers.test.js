// Real, independent WebSocket clients against a real prdb server: the `ws` package, with
// permessage-deflate offered as it does by default, and Node's built-in WebSocket (undici) in a
// child process. (Chromium is covered by the browser test.) prdb must decline every extension
// by not answering it (§9.1), and work with each client as it comes.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import WebSocket from 'ws';
import { startTarget, connect, waitUntil, stripAnsi } from './helpers.js';

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);
/** Node 20 and 21 need the flag for the global WebSocket; 22 has it by default. */
const WEBSOCKET_FLAGS = NODE_MAJOR < 22 ? ['--experimental-websocket'] : [];

// One target for the file: each test opens its own sessions on it.
let target;
let consoleUrl;
const cleanups = [];
before(async () => {
  target = await startTarget({ after: (cleanup) => cleanups.push(cleanup) });
  consoleUrl = await target.activate();
});
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

test('ws offers permessage-deflate; prdb declines it, and the session works', async (t) => {
  // What ws sends, seen by a plain TCP server that never answers: it offers the extension.
  const offer = await captureHandshake(t, (url) => {
    const probe = new WebSocket(url);
    probe.on('error', () => {});
    return () => probe.terminate();
  });
  assert.match(parseHeaders(offer)['sec-websocket-extensions'], /^permessage-deflate/);
  // And prdb's answer to that offer: none.
  const socket = new WebSocket(consoleUrl.wsUrl, { origin: consoleUrl.origin });
  t.after(() => socket.terminate());
  const [response] = await once(socket, 'upgrade');
  assert.equal(response.statusCode, 101);
  assert.equal(response.headers['sec-websocket-extensions'], undefined);
  await waitUntil(socket, 'open', () => socket.readyState === WebSocket.OPEN, 'open');
  assert.equal(socket.extensions, '', 'no extension in use');
  socket.close(1000);
  await once(socket, 'close');

  const session = await connect(t, consoleUrl);
  assert.equal(session.socket.extensions, '');
  assert.match(await session.evaluate('6*7'), /6\*7\n42\n> $/);
  assert.equal(session.hello.pid, target.pid);
});

test('ws: a ping from ws is answered with its payload; a close code is echoed', async (t) => {
  const session = await connect(t, consoleUrl);
  const payload = Buffer.from('ping from ws \u00e9');
  session.socket.ping(payload);
  const [data] = await once(session.socket, 'pong');
  assert.deepEqual(data, payload);
  session.socket.ping();
  const [empty] = await once(session.socket, 'pong');
  assert.equal(empty.length, 0);
  session.socket.close(4321, 'done here');
  const closed = await session.waitForClose();
  assert.equal(closed.code, 4321);
});

test('ws: large and many messages, with deflate offered, stay in step', async (t) => {
  const session = await connect(t, consoleUrl);
  // 512 KiB of terminal input that readline ignores, then a line; and 200 tiny messages.
  session.socket.send(Buffer.alloc(512 * 1024));
  for (let i = 0; i < 200; i++) session.socket.send(JSON.stringify({ type: 'ack', bytes: 0 }));
  assert.match(await session.evaluate('\x15[1, 2, 3].map((n) => n * 2).join("-")'), /'2-4-6'/);
  assert.equal(session.closed, null);
});

test("Node's built-in WebSocket (undici): what it sends, and a session with it", async (t) => {
  // What undici sends, seen by a plain TCP server that never answers.
  let captureUrl;
  const request = await captureHandshake(t, (url) => {
    captureUrl = url;
    const probe = runNodeClient(t, url, { probe: true });
    return () => probe.child.kill('SIGKILL');
  });
  const headers = parseHeaders(request);
  assert.match(request, /^GET \/ws HTTP\/1\.1\r\n/);
  assert.equal(headers.origin, undefined, 'no Origin: not a browser');
  assert.equal(headers['sec-websocket-version'], '13');
  assert.match(headers['sec-websocket-extensions'] ?? '', /permessage-deflate/);
  assert.equal(`ws://${headers.host}/ws`, captureUrl);
  t.diagnostic(`Node ${process.version} WebSocket request headers: ${Object.keys(headers).join(', ')}`);

  // And a real session: hello, resize, 6*7, close.
  const client = runNodeClient(t, consoleUrl.wsUrl, { token: consoleUrl.token, input: '6*7\r', expect: '42' });
  const [code] = await client.exited;
  assert.equal(code, 0, `client stderr: ${client.stderr}`);
  const result = JSON.parse(client.stdout);
  assert.equal(result.hello.type, 'hello');
  assert.equal(result.hello.pid, target.pid);
  assert.equal(result.extensions, '');
  assert.equal(result.protocol, '');
  assert.match(stripAnsi(result.output), /6\*7[^]*42/);
  assert.equal(result.closeCode, 1000);
  assert.equal(result.wasClean, true);
});

/** A child running Node's global WebSocket: prints a JSON summary and exits, within 8 seconds. */
function runNodeClient(t, url, { probe = false, token = 'probe', input = '', expect = '' } = {}) {
  const script = `
    const url = process.argv[1];
    const probe = process.argv[2] === 'probe';
    const input = process.argv[3];
    const expect = process.argv[4];
    const token = process.argv[5];
    const result = { hello: null, output: '', extensions: null, protocol: null, closeCode: null, wasClean: null };
    const timer = setTimeout(() => { console.error('timed out: ' + JSON.stringify(result)); process.exit(2); }, 8000);
    const socket = new WebSocket(url);
    socket.binaryType = 'arraybuffer';
    socket.onerror = () => { if (probe) { clearTimeout(timer); process.exit(0); } };
    socket.onopen = () => {
      result.extensions = socket.extensions;
      result.protocol = socket.protocol;
      socket.send(JSON.stringify({ type: 'token', token }));
    };
    socket.onmessage = (event) => {
      if (typeof event.data === 'string') {
        const message = JSON.parse(event.data);
        if (message.type === 'hello') {
          result.hello = message;
          socket.send(JSON.stringify({ type: 'resize', cols: 80, rows: 24 }));
          socket.send(new TextEncoder().encode(input));
        }
        return;
      }
      result.output += new TextDecoder().decode(event.data);
      socket.send(JSON.stringify({ type: 'ack', bytes: event.data.byteLength }));
      if (expect && result.output.replace(/\\x1b\\[[0-9;?]*[ -\\/]*[@-~]/g, '').includes('\\n' + expect + '\\r\\n')) socket.close(1000);
    };
    socket.onclose = (event) => {
      result.closeCode = event.code;
      result.wasClean = event.wasClean;
      clearTimeout(timer);
      if (!probe) process.stdout.write(JSON.stringify(result));
      process.exit(0);
    };
  `;
  const child = spawn(
    process.execPath,
    [...WEBSOCKET_FLAGS, '--no-warnings', '-e', script, url, probe ? 'probe' : 'session', input, expect, token],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const client = { child, stdout: '', stderr: '', exited: once(child, 'exit') };
  child.stdout.on('data', (chunk) => (client.stdout += chunk));
  child.stderr.on('data', (chunk) => (client.stderr += chunk));
  t.after(() => child.kill('SIGKILL'));
  return client;
}

/** Resolves with the request head a client sends to a TCP server that never answers it. */
async function captureHandshake(t, start) {
  const capture = net.createServer();
  t.after(() => capture.close());
  let head = '';
  let complete = false;
  capture.on('connection', (socket) => {
    socket.on('data', (chunk) => {
      head += chunk.toString('latin1');
      complete = head.includes('\r\n\r\n');
      if (complete) socket.destroy();
      capture.emit('update');
    });
  });
  capture.listen(0, '127.0.0.1');
  await once(capture, 'listening');
  const stop = start(`ws://127.0.0.1:${capture.address().port}/ws`);
  await waitUntil(capture, 'update', () => complete, 'the request head');
  stop();
  return head.slice(0, head.indexOf('\r\n\r\n') + 4);
}

function parseHeaders(head) {
  const headers = {};
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}
