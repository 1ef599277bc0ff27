// An echo server for the framing figure of bench/run.js, in a process of its own: `prdb` frames
// with prdb's own reader and encoder (internalsForTests, as its server child does), `ws` with the
// ws package. It prints its port on stdout and echoes every message back as it came.
import http from 'node:http';

const kind = process.argv[2];
const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

if (kind === 'ws') {
  const { WebSocketServer } = await import('ws');
  const server = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    perMessageDeflate: false,
    maxPayload: MAX_MESSAGE_BYTES,
  });
  server.on('connection', (socket) =>
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })),
  );
  server.on('listening', () => console.log(server.address().port));
} else if (kind === 'prdb') {
  const { MessageReader, WebSocketError, encodeFrame, encodeCloseFrame, acceptKey, OPCODE_TEXT, OPCODE_BINARY } = (
    await import('../prdb.js')
  ).internalsForTests;
  const server = http.createServer((request, response) => response.writeHead(426).end());
  server.on('upgrade', (request, socket, head) => {
    socket.on('error', () => socket.destroy());
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${acceptKey(request.headers['sec-websocket-key'])}\r\n\r\n`,
    );
    socket.setNoDelay(true);
    const reader = new MessageReader({ expectMasked: true, maxMessageSize: MAX_MESSAGE_BYTES });
    const onData = (chunk) => {
      try {
        for (const event of reader.push(chunk)) {
          if (event.type === 'binary') socket.write(encodeFrame({ opcode: OPCODE_BINARY, payload: event.data }));
          else if (event.type === 'text')
            socket.write(encodeFrame({ opcode: OPCODE_TEXT, payload: Buffer.from(event.data) }));
          else if (event.type === 'ping') socket.write(encodeFrame({ opcode: 0xa, payload: event.data }));
          else if (event.type === 'close') socket.end(encodeCloseFrame({ code: event.code ?? 1000 }));
        }
      } catch (error) {
        socket.end(encodeCloseFrame({ code: error instanceof WebSocketError ? error.code : 1011 }));
      }
    };
    socket.on('data', onData);
    if (head.length > 0) onData(head);
  });
  server.listen(0, '127.0.0.1', () => console.log(server.address().port));
} else {
  console.error('usage: node bench/echo-server.js prdb|ws');
  process.exit(2);
}
// The bench ends this process with its connection; a bench that died leaves it no reason to stay.
process.stdin.on('end', () => process.exit());
process.stdin.resume();
