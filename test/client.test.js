// prdb's own WebSocket client (for the command line): the handshake's pure parts directly,
// then the client against a real prdb server and against the `ws` package's server.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { WebSocketServer } from 'ws';
import { entry, startTarget, stripAnsi } from './helpers.js';

const { clientHandshakeRequest, handshakeResponseError, openWebSocket, acceptKey } = (await import(entry))
  .internalsForTests;

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

test('the client handshake asks for an upgrade with the key, version 13 and extra headers', () => {
  const request = clientHandshakeRequest(new URL('ws://127.0.0.1:4242/ws?x=1'), KEY, { Origin: 'http://a' });
  assert.equal(
    request,
    'GET /ws?x=1 HTTP/1.1\r\nHost: 127.0.0.1:4242\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\nOrigin: http://a\r\n\r\n`,
  );
});

test('the answer is checked as §4.1 says: status 101, Upgrade, Connection, the accept key', () => {
  const good = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(KEY)}`;
  assert.equal(handshakeResponseError(good, KEY), null);
  // RFC 6455's own example pair (§1.3).
  assert.equal(acceptKey(KEY), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  assert.match(handshakeResponseError('HTTP/1.1 403 Forbidden', KEY), /403 Forbidden/);
  assert.match(handshakeResponseError(good.replace('websocket', 'h2c'), KEY), /Upgrade/);
  assert.match(handshakeResponseError(good.replace('Connection: Upgrade', 'Connection: close'), KEY), /Connection/);
  assert.match(handshakeResponseError(good.replace(acceptKey(KEY), acceptKey('x' + KEY.slice(1))), KEY), /Accept/);
});

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

test('the client opens a session on a real prdb server and evaluates', async (t) => {
  const client = await openWebSocket(consoleUrl.wsUrl);
  t.after(() => client.socket.destroy());
  let output = '';
  const messages = [];
  const events = new (await import('node:events')).EventEmitter();
  client.onEvent = (event) => {
    if (event.type === 'binary') {
      output += event.data.toString();
      client.send(JSON.stringify({ type: 'ack', bytes: event.data.length }));
    } else if (event.type === 'text') messages.push(JSON.parse(event.data));
    events.emit('update');
  };
  client.send(JSON.stringify({ type: 'token', token: consoleUrl.token }));
  const until = async (predicate) => {
    while (!predicate()) await once(events, 'update');
  };
  await until(() => messages.some((message) => message.type === 'hello') && /> $/.test(stripAnsi(output)));
  client.send(Buffer.from('6*7\r'));
  await until(() => /42\r?\n/.test(stripAnsi(output)));
  const closed = new Promise((resolve) => (client.onClose = resolve));
  client.close(1000);
  assert.equal(await closed, null);
});

test('a refused handshake rejects with the server’s reason', async () => {
  // A Host that is not allowed: the server answers 403 with its reason in the body.
  await assert.rejects(
    openWebSocket(consoleUrl.wsUrl, { headers: { Origin: 'http://evil.example' } }),
    /403 Forbidden.*Origin "http:\/\/evil\.example" is not this server's/,
  );
  await assert.rejects(openWebSocket('http://127.0.0.1:1/'), /Expected a ws: or wss: URL/);
});

test('the client masks its frames, answers pings, and reads fragmented messages from ws', async (t) => {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  t.after(() => server.close());
  await once(server, 'listening');
  const received = [];
  server.on('connection', (socket) => {
    socket.on('message', (data, isBinary) => {
      received.push([isBinary, data.toString()]);
      // A fragmented text message and a ping: ws masks nothing as a server, fragments on request.
      socket.send('hello ', { fin: false });
      socket.send('world', { fin: true });
      socket.ping(Buffer.from('p'));
    });
  });
  const client = await openWebSocket(`ws://127.0.0.1:${server.address().port}/`);
  t.after(() => client.socket.destroy());
  const events = [];
  const gotAll = new Promise((resolve) => {
    client.onEvent = (event) => {
      events.push(event);
      if (events.some((e) => e.type === 'ping') && events.some((e) => e.type === 'text')) resolve();
    };
  });
  client.send('café');
  await gotAll;
  // ws fails an unmasked client frame (§5.1), so a message that arrived was masked.
  assert.deepEqual(received, [[false, 'café']]);
  assert.equal(events.find((e) => e.type === 'text').data, 'hello world');
});

test('a server that never answers the handshake times out with a clear error', async (t) => {
  const silent = net.createServer(() => {});
  t.after(() => silent.close());
  silent.listen(0, '127.0.0.1');
  await once(silent, 'listening');
  await assert.rejects(
    openWebSocket(`ws://127.0.0.1:${silent.address().port}/`, { timeoutMs: 200 }),
    /no WebSocket answer from 127\.0\.0\.1:\d+ in time/,
  );
});
