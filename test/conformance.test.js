// The Autobahn testsuite's categories, ported to raw bytes over net.Socket against a real prdb
// server: a fixture target is signalled, the upgrade is written by hand with the token and the
// Host header, masked frames are sent as the cases describe, and the server's answers are read
// with raw-websocket.js's own parser (and checked byte for byte in places). Binary messages are
// terminal input to the REPL in the target; text messages are JSON control messages.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTarget } from './helpers.js';
import { openRaw, frame, closePayload, handshakeRequest, hex, expectedAccept, OP } from './raw-websocket.js';

/** A target for the tests of one `describe`, started before them and killed after them. */
function serverFor(options) {
  const server = {};
  const cleanups = [];
  before(async () => {
    server.target = await startTarget({ after: (cleanup) => cleanups.push(cleanup) }, { options });
    server.url = await server.target.activate();
  });
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  return server;
}

/** Opens a session by hand and waits for prdb's hello, the first message of every session. */
async function open(t, server, options) {
  const client = await openRaw(server.url, options);
  t.after(() => client.destroy());
  assert.equal(client.status, 101, client.responseHead);
  const hello = await client.waitForFrame((f) => f.opcode === OP.text, 'the hello message');
  assert.equal(JSON.parse(hello.payload).type, 'hello');
  return client;
}

/** §7.1.2: we close; the server echoes the code and then closes TCP itself (§7.1.1). */
async function closeCleanly(client, code = 1000) {
  await client.write(frame({ opcode: OP.close, payload: closePayload(code) }));
  const close = await client.waitForClose();
  assert.equal(close.code, code);
  await client.waitForServerEnd();
  assert.deepEqual(client.parser.violations, []);
}

/**
 * §7.1.7: the server fails the connection: a close frame with `code` is the last frame it
 * sends, and then it closes TCP without waiting for us.
 */
async function expectFailure(client, code) {
  const close = await client.waitForClose();
  assert.equal(
    close.code,
    code,
    `close code (reason ${JSON.stringify(close.reason)}); frames: ${client.describeFrames()}`,
  );
  assert.equal(close.raw[0], 0x88, 'a close frame, FIN set, unmasked');
  await client.waitForServerEnd();
  assert.equal(client.frames.at(-1).opcode, OP.close, `nothing after the close frame: ${client.describeFrames()}`);
  assert.deepEqual(client.parser.violations, []);
  return close;
}

/** A ping with a fresh payload is answered: the connection is up and the parser in step. */
async function assertAlive(client) {
  const pong = await client.ping();
  assert.equal(pong.raw[0], 0x8a);
}

/** Terminal input of exactly `size` bytes: NULs (ignored by readline), Ctrl+U, `size*2`, Enter. */
function inputOfSize(size) {
  const tail = Buffer.from(`\x15${size}*2\r`);
  if (size < tail.length) return Buffer.alloc(size);
  return Buffer.concat([Buffer.alloc(size - tail.length), tail]);
}

/** A text message of exactly `size` bytes: valid UTF-8, two-byte characters, JSON prdb ignores. */
function textOfSize(size) {
  const head = '{"type":"pad","p":"';
  const tail = '"}';
  if (size < head.length + tail.length) return Buffer.from('x'.repeat(size));
  const room = size - head.length - tail.length;
  return Buffer.from(head + 'é'.repeat(room >> 1) + 'a'.repeat(room & 1) + tail);
}

/** The REPL's answer to `inputOfSize(size)`. */
function answerOf(client, size) {
  return client.waitForOutput(
    new RegExp(`${size}\\*2\\n${size * 2}\\n`),
    `${size}*2 answered with ${size * 2}`,
    10_000,
  );
}

const SIZES = [0, 125, 126, 127, 128, 65535, 65536, 262_144, 1024 * 1024];

// One target with the default options for every group but the limits, which has its own.
const server = serverFor({ port: 0 });

describe('handshake (§4.2)', () => {
  it('answers 101 with the right Accept, and no extension although permessage-deflate is offered', async (t) => {
    const client = await open(t, server, {
      headers: {
        'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits, x-webkit-deflate-frame',
        'Sec-WebSocket-Protocol': 'chat, superchat',
      },
    });
    assert.match(client.responseHead, /^HTTP\/1\.1 101 /);
    assert.equal(client.headers.upgrade.toLowerCase(), 'websocket');
    assert.equal(client.headers.connection.toLowerCase(), 'upgrade');
    assert.equal(client.headers['sec-websocket-accept'], expectedAccept(client.key));
    assert.equal(
      client.headers['sec-websocket-extensions'],
      undefined,
      'no extension negotiated: RSV bits stay reserved',
    );
    assert.equal(client.headers['sec-websocket-protocol'], undefined, 'no subprotocol selected');
    // The first frame is the hello, a single unfragmented text frame.
    assert.equal(client.frames[0].fin, true);
    await closeCleanly(client);
  });

  it('reads frames that arrive in the same TCP write as the request', async (t) => {
    const payload = Buffer.from('early');
    const client = await open(t, server, { after: frame({ opcode: OP.ping, payload }) });
    const pong = await client.waitForFrame((f) => f.opcode === OP.pong, 'the pong');
    assert.deepEqual(pong.raw, hex('8a 05 65 61 72 6c 79'));
    await closeCleanly(client);
  });

  it('reads a request written one byte per write', async (t) => {
    const request = handshakeRequest(server.url);
    const pieces = [...request.bytes].map((byte) => Buffer.from([byte]));
    const client = await openRaw(server.url, { request: pieces });
    t.after(() => client.destroy());
    assert.equal(client.status, 101);
    assert.equal(client.headers['sec-websocket-accept'], expectedAccept(request.key));
    await closeCleanly(client);
  });

  it('refuses version 8 with 426 and Sec-WebSocket-Version: 13, and bad keys with 400', async (t) => {
    const version = await openRaw(server.url, { headers: { 'Sec-WebSocket-Version': '8' } });
    t.after(() => version.destroy());
    assert.equal(version.status, 426);
    assert.equal(version.headers['sec-websocket-version'], '13');
    for (const key of [
      null,
      '',
      'short',
      'AAAAAAAAAAAAAAAAAAAAAAAA',
      'AAAAAAAAAAAAAAAAAAAAA===',
      '!AAAAAAAAAAAAAAAAAAAAA==',
    ]) {
      const client = await openRaw(server.url, { headers: { 'Sec-WebSocket-Key': key } });
      t.after(() => client.destroy());
      assert.equal(client.status, 400, `key ${JSON.stringify(key)}`);
      await client.waitForServerEnd();
    }
  });
});

describe('framing: sizes and chops (Autobahn 1.x, 9.x)', () => {
  for (const size of SIZES) {
    it(`binary message of ${size} bytes: typed into the REPL, the connection stays up`, async (t) => {
      const client = await open(t, server);
      await client.write(frame({ opcode: OP.binary, payload: inputOfSize(size) }));
      await assertAlive(client);
      if (size > 0) await answerOf(client, size);
      await closeCleanly(client);
    });

    it(`text message of ${size} bytes: unknown JSON, ignored, the connection stays up`, async (t) => {
      const client = await open(t, server);
      await client.write(frame({ opcode: OP.text, payload: textOfSize(size) }));
      await assertAlive(client);
      await closeCleanly(client);
    });
  }

  for (const size of [125, 126, 127, 128]) {
    it(`binary message of ${size} bytes arriving one byte per TCP write`, async (t) => {
      const client = await open(t, server);
      await client.writeInPieces(frame({ opcode: OP.binary, payload: inputOfSize(size) }), [1]);
      await assertAlive(client);
      await answerOf(client, size);
      await closeCleanly(client);
    });
  }

  for (const size of [65535, 65536, 262_144]) {
    it(`binary message of ${size} bytes arriving in odd chunks`, async (t) => {
      const client = await open(t, server);
      await client.writeInPieces(
        frame({ opcode: OP.binary, payload: inputOfSize(size) }),
        [1, 3, 7, 2, 13, 509, 4093, 5, 1021],
      );
      await assertAlive(client);
      await answerOf(client, size);
      await closeCleanly(client);
    });
  }

  it('binary "1+1\\r" one byte per TCP write answers 2', async (t) => {
    const client = await open(t, server);
    await client.writeInPieces(frame({ opcode: OP.binary, payload: Buffer.from('1+1\r') }), [1]);
    await client.waitForOutput(/1\+1\n2\n/);
    await closeCleanly(client);
  });

  it('invalid or unknown JSON texts are ignored, and the connection stays up', async (t) => {
    const client = await open(t, server);
    const texts = [
      '{',
      'null',
      '[]',
      '"stack"',
      '42',
      '{"type":"resize","cols":"a","rows":1}',
      '{"type":"resize","cols":1e9,"rows":1}',
      '{"type":"ack","bytes":-1}',
      '{"type":{"x":1}}',
      '{"__proto__":{"type":"stack"}}',
      '{"type":"stack"',
      '\u0000',
    ];
    await client.write(Buffer.concat(texts.map((text) => frame({ opcode: OP.text, payload: Buffer.from(text) }))));
    await assertAlive(client);
    // Still parsing: a valid request is answered, and the REPL still takes input.
    await client.write(frame({ opcode: OP.text, payload: Buffer.from('{"type":"stack"}') }));
    await client.waitForFrame(
      (f) => f.opcode === OP.text && JSON.parse(f.payload).type === 'stack',
      'the stack answer',
    );
    await client.write(frame({ opcode: OP.binary, payload: Buffer.from('5*5\r') }));
    await client.waitForOutput(/5\*5\n25\n/);
    assert.equal(
      client.frames.filter((f) => f.opcode === OP.text && JSON.parse(f.payload).type === 'stack').length,
      1,
      'only the valid request answered',
    );
    await closeCleanly(client);
  });

  it('a text message arriving one byte per TCP write is parsed as JSON (a stack request is answered)', async (t) => {
    const client = await open(t, server);
    await client.writeInPieces(frame({ opcode: OP.text, payload: Buffer.from('{"type":"stack"}') }), [1]);
    await client.waitForFrame(
      (f) => f.opcode === OP.text && JSON.parse(f.payload).type === 'stack',
      'the stack answer',
    );
    await closeCleanly(client);
  });

  it('a mix of frames in odd chunks: answers in order', async (t) => {
    const client = await open(t, server);
    const bytes = Buffer.concat([
      frame({ opcode: OP.text, payload: Buffer.from('{"type":"resize","cols":100,"rows":30}') }),
      frame({ opcode: OP.ping, payload: Buffer.from('one') }),
      frame({ opcode: OP.binary, payload: Buffer.from('3*3') }),
      frame({ opcode: OP.ping, payload: Buffer.from('two') }),
      frame({ opcode: OP.binary, fin: false, payload: Buffer.from('\r') }),
      frame({ opcode: OP.ping, payload: Buffer.from('three') }),
      frame({ opcode: OP.continuation, payload: Buffer.alloc(0) }),
    ]);
    await client.writeInPieces(bytes, [3, 1, 7, 2, 5]);
    await client.waitForOutput(/3\*3\n9\n/);
    const pongs = client.frames.filter((f) => f.opcode === OP.pong).map((f) => f.payload.toString());
    assert.deepEqual(pongs, ['one', 'two', 'three']);
    await closeCleanly(client);
  });

  it('a binary message in four fragments of one byte, each frame one byte per write', async (t) => {
    const client = await open(t, server);
    const bytes = Buffer.concat(
      [...'4*4\r'].map((char, i) =>
        frame({ opcode: i === 0 ? OP.binary : OP.continuation, fin: i === 3, payload: Buffer.from(char) }),
      ),
    );
    await client.writeInPieces(bytes, [1]);
    await client.waitForOutput(/4\*4\n16\n/);
    await closeCleanly(client);
  });

  it('a message of exactly the default limit (1 MiB) is accepted, one byte more fails with 1009 at the header', async (t) => {
    // The accepted 1 MiB is in SIZES above; here the one byte more, announced with no payload.
    const client = await open(t, server);
    await client.write(frame({ opcode: OP.binary, length: 1024 * 1024 + 1 }));
    await expectFailure(client, 1009);
  });

  it('a header announcing 2 GB fails with 1009 before any payload is sent', async (t) => {
    const client = await open(t, server);
    await client.write(frame({ opcode: OP.binary, length: 2 ** 31 }));
    await expectFailure(client, 1009);
  });

  it('§5.2: a 64-bit length with its most significant bit set fails with 1002', async (t) => {
    const client = await open(t, server);
    await client.write(hex('82 ff 80 00 00 00 00 00 00 05  01 02 03 04'));
    await expectFailure(client, 1002);
  });
});

describe('ping and pong (Autobahn 2.x)', () => {
  it('an empty ping is answered by an empty pong, byte for byte', async (t) => {
    const client = await open(t, server);
    await client.write(frame({ opcode: OP.ping }));
    const pong = await client.waitForFrame((f) => f.opcode === OP.pong, 'the pong');
    assert.deepEqual(pong.raw, hex('8a 00'));
    await closeCleanly(client);
  });

  it('a ping of 125 bytes (all byte values) is answered with the same payload', async (t) => {
    const client = await open(t, server);
    const payload = Buffer.from(Array.from({ length: 125 }, (_, i) => (i * 7 + 200) & 0xff));
    const pong = await client.ping(payload);
    assert.deepEqual(pong.raw, Buffer.concat([hex('8a 7d'), payload]));
    await closeCleanly(client);
  });

  it('"Hello" ping, one byte per write: the pong is the §5.7 example', async (t) => {
    const client = await open(t, server);
    await client.writeInPieces(frame({ opcode: OP.ping, payload: Buffer.from('Hello') }), [1]);
    const pong = await client.waitForFrame((f) => f.opcode === OP.pong, 'the pong');
    assert.deepEqual(pong.raw, hex('8a 05 48 65 6c 6c 6f'));
    await closeCleanly(client);
  });

  it('ten pings in one write: ten pongs, in order', async (t) => {
    const client = await open(t, server);
    const payloads = Array.from({ length: 10 }, (_, i) => Buffer.from(`ping ${i}`));
    await client.write(Buffer.concat(payloads.map((payload) => frame({ opcode: OP.ping, payload }))));
    await client.waitForFrame((f) => f.opcode === OP.pong && f.payload.equals(payloads[9]), 'the last pong');
    assert.deepEqual(
      client.frames.filter((f) => f.opcode === OP.pong).map((f) => f.payload.toString()),
      payloads.map(String),
    );
    await closeCleanly(client);
  });

  it('an unsolicited pong is ignored', async (t) => {
    const client = await open(t, server);
    await client.write(frame({ opcode: OP.pong, payload: Buffer.from('unsolicited') }));
    await client.write(frame({ opcode: OP.pong }));
    await assertAlive(client);
    assert.equal(client.frames.filter((f) => f.opcode === OP.close).length, 0);
    await closeCleanly(client);
  });

  it('§5.4: a ping between fragments is answered before the message completes', async (t) => {
    const client = await open(t, server);
    await client.write(frame({ opcode: OP.text, fin: false, payload: Buffer.from('{"type":') }));
    // Answered now, with the message still incomplete: we have not sent the rest yet.
    await client.ping(Buffer.from('between'));
    await client.write(frame({ opcode: OP.ping, payload: Buffer.from('second') }));
    await client.write(frame({ opcode: OP.continuation, payload: Buffer.from('"stack"}') }));
    await client.waitForFrame((f) => f.opcode === OP.pong && f.payload.toString() === 'second', 'the second pong');
    await client.waitForFrame(
      (f) => f.opcode === OP.text && JSON.parse(f.payload).type === 'stack',
      'the stack answer to the reassembled message',
    );
    await closeCleanly(client);
  });

  it('a binary message with pings between its fragments reaches the REPL whole', async (t) => {
    const client = await open(t, server);
    await client.write(frame({ opcode: OP.binary, fin: false, payload: Buffer.from('6*') }));
    await client.ping();
    await client.write(frame({ opcode: OP.continuation, fin: false, payload: Buffer.from('7') }));
    await client.ping();
    await client.write(frame({ opcode: OP.continuation, payload: Buffer.from('\r') }));
    await client.waitForOutput(/6\*7\n42\n/);
    await closeCleanly(client);
  });

  for (const [name, opcode] of [
    ['ping', OP.ping],
    ['pong', OP.pong],
    ['close', OP.close],
  ]) {
    it(`a ${name} with a 126-byte payload fails with 1002 at its header`, async (t) => {
      const client = await open(t, server);
      // Only the header: the server must not wait for a payload it could never accept.
      await client.write(frame({ opcode, length: 126 }));
      await expectFailure(client, 1002);
    });
  }
});

describe('reserved bits, opcodes, fragmentation and masking (Autobahn 3.x, 4.x, 5.x)', () => {
  for (const rsv of [1, 2, 4, 3, 7]) {
    it(`RSV ${rsv.toString(2).padStart(3, '0')} on a text frame fails with 1002`, async (t) => {
      const client = await open(t, server);
      await client.write(frame({ opcode: OP.text, rsv, payload: Buffer.from('Hello') }));
      await expectFailure(client, 1002);
    });
  }

  it('RSV1 on a ping fails with 1002, and the ping is not answered', async (t) => {
    const client = await open(t, server);
    await client.write(frame({ opcode: OP.ping, rsv: 4, payload: Buffer.from('x') }));
    await expectFailure(client, 1002);
    assert.equal(client.frames.filter((f) => f.opcode === OP.pong).length, 0);
  });

  for (const opcode of [3, 4, 5, 6, 7, 11, 12, 13, 14, 15]) {
    it(`reserved opcode ${opcode} fails with 1002`, async (t) => {
      const client = await open(t, server);
      await client.write(frame({ opcode, payload: Buffer.from('reserved') }));
      await expectFailure(client, 1002);
    });
  }

  it('Autobahn 4.1.3: a ping, a reserved opcode, a ping: the first answered, the second not', async (t) => {
    const client = await open(t, server);
    await client.write(
      Buffer.concat([
        frame({ opcode: OP.ping, payload: Buffer.from('before') }),
        frame({ opcode: 5 }),
        frame({ opcode: OP.ping, payload: Buffer.from('after') }),
      ]),
    );
    await expectFailure(client, 1002);
    assert.deepEqual(
      client.frames.filter((f) => f.opcode === OP.pong).map((f) => f.payload.toString()),
      ['before'],
    );
  });

  it('a fragmented ping fails with 1002', async (t) => {
    const client = await open(t, server);
    await client.write(frame({ opcode: OP.ping, fin: false, payload: Buffer.from('frag') }));
    await expectFailure(client, 1002);
  });

  it('a fragmented close fails with 1002', async (t) => {
    const client = await open(t, server);
    await client.write(frame({ opcode: OP.close, fin: false, payload: closePayload(1000) }));
    await expectFailure(client, 1002);
  });

  it('a continuation with nothing to continue fails with 1002', async (t) => {
    const client = await open(t, server);
    await client.write(frame({ opcode: OP.continuation, payload: Buffer.from('orphan') }));
    await expectFailure(client, 1002);
  });

  it('a continuation after a complete message fails with 1002', async (t) => {
    const client = await open(t, server);
    await client.write(frame({ opcode: OP.text, payload: Buffer.from('{}') }));
    await client.write(frame({ opcode: OP.continuation, fin: false, payload: Buffer.from('x') }));
    await expectFailure(client, 1002);
  });

  for (const [first, next] of [
    ['text', 'text'],
    ['binary', 'text'],
    ['text', 'binary'],
  ]) {
    it(`a new ${next} frame inside a fragmented ${first} message fails with 1002`, async (t) => {
      const client = await open(t, server);
      await client.write(frame({ opcode: OP[first], fin: false, payload: Buffer.from('{"a":') }));
      await client.write(frame({ opcode: OP[next], payload: Buffer.from('1}') }));
      await expectFailure(client, 1002);
    });
  }

  it('an unmasked client frame fails with 1002', async (t) => {
    const client = await open(t, server);
    await client.write(hex('81 05 48 65 6c 6c 6f'));
    await expectFailure(client, 1002);
  });

  it('an unmasked continuation of a masked fragment fails with 1002', async (t) => {
    const client = await open(t, server);
    await client.write(frame({ opcode: OP.binary, fin: false, payload: Buffer.from('a') }));
    await client.write(frame({ opcode: OP.continuation, masked: false, payload: Buffer.from('b') }));
    await expectFailure(client, 1002);
  });

  it('a text message of 100 fragments of one byte each is reassembled', async (t) => {
    const client = await open(t, server);
    const json = Buffer.from(`{"type":"stack","pad":"${'x'.repeat(100 - 25)}"}`);
    assert.equal(json.length, 100);
    const bytes = Buffer.concat(
      [...json].map((byte, i) =>
        frame({
          opcode: i === 0 ? OP.text : OP.continuation,
          fin: i === json.length - 1,
          payload: Buffer.from([byte]),
        }),
      ),
    );
    await client.writeInPieces(bytes, [5, 17, 1, 64]);
    await client.waitForFrame(
      (f) => f.opcode === OP.text && JSON.parse(f.payload).type === 'stack',
      'the stack answer',
    );
    await closeCleanly(client);
  });
});

describe('UTF-8 handling (Autobahn 6.x)', () => {
  it('valid UTF-8 text is accepted (and, being no known JSON, ignored)', async (t) => {
    const client = await open(t, server);
    await client.write(frame({ opcode: OP.text, payload: Buffer.from('Hello-µ@ßöäüàá-UTF-8!! κόσμε 𐍈') }));
    await client.write(frame({ opcode: OP.text, payload: hex('ef bb bf 7b 7d') })); // a BOM, then {}
    await assertAlive(client);
    await closeCleanly(client);
  });

  it('a JSON message whose code points are split across fragments is reassembled and parsed', async (t) => {
    const client = await open(t, server);
    const json = Buffer.from('{"type":"stack","x":"κόσμε€𐍈"}');
    // One byte per fragment: every multi-byte code point is split across frames.
    const bytes = Buffer.concat(
      [...json].map((byte, i) =>
        frame({
          opcode: i === 0 ? OP.text : OP.continuation,
          fin: i === json.length - 1,
          payload: Buffer.from([byte]),
        }),
      ),
    );
    await client.write(bytes);
    await client.waitForFrame(
      (f) => f.opcode === OP.text && JSON.parse(f.payload).type === 'stack',
      'the stack answer',
    );
    await closeCleanly(client);
  });

  const invalid = {
    'Autobahn 6.3.1: a surrogate inside "κόσμε"': 'ce ba e1 bd b9 ce bc ce b5 ed a0 80 65 64 69 74 65 64',
    'a lone continuation byte': '41 80 41',
    'overlong "/"': 'c0 af',
    'overlong NUL in three bytes': 'e0 80 80',
    'beyond U+10FFFF': 'f4 90 80 80',
    '0xfe and 0xff': 'fe ff',
    'a lead byte followed by ASCII': 'e2 82 41',
    'a text ending inside a code point': '41 42 e2 82',
  };
  for (const [name, bytes] of Object.entries(invalid)) {
    it(`invalid UTF-8, ${name}: 1007`, async (t) => {
      const client = await open(t, server);
      await client.write(frame({ opcode: OP.text, payload: hex(bytes) }));
      await expectFailure(client, 1007);
    });
  }

  it('fail fast: invalid bytes early in a frame fail with 1007 before the rest of the frame is sent', async (t) => {
    const client = await open(t, server);
    const whole = frame({ opcode: OP.text, payload: Buffer.concat([hex('ce ba ed a0 80'), Buffer.alloc(1000, 0x61)]) });
    await client.write(whole.subarray(0, 8 + 5)); // the header (2 + 2 + 4) and the first 5 bytes
    await expectFailure(client, 1007);
  });

  it('fail fast: invalid bytes in the FIRST fragment fail with 1007 before the message ends', async (t) => {
    const client = await open(t, server);
    await client.write(frame({ opcode: OP.text, fin: false, payload: hex('48 65 6c 6c 6f ed a0 80') }));
    // No continuation is ever sent: the failure cannot wait for the end of the message.
    await expectFailure(client, 1007);
  });

  it('fail fast: a valid first fragment, an invalid second one, the message not finished', async (t) => {
    const client = await open(t, server);
    await client.write(frame({ opcode: OP.text, fin: false, payload: Buffer.from('κό') }));
    await client.write(frame({ opcode: OP.continuation, fin: false, payload: hex('f4 90') }));
    await expectFailure(client, 1007);
  });

  it('a code point left unfinished at the end of a fragmented message fails with 1007', async (t) => {
    const client = await open(t, server);
    await client.write(frame({ opcode: OP.text, fin: false, payload: hex('7b 7d f0 9f') }));
    await client.write(frame({ opcode: OP.continuation, payload: hex('98') }));
    await expectFailure(client, 1007);
  });

  it('binary messages are never checked for UTF-8', async (t) => {
    const client = await open(t, server);
    await client.write(frame({ opcode: OP.binary, payload: hex('ed a0 80 ff fe c0 af 15') })); // ends with Ctrl+U
    await assertAlive(client);
    await closeCleanly(client);
  });
});

describe('close handshake (Autobahn 7.x)', () => {
  for (const code of [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999]) {
    it(`close code ${code} is echoed, then the server closes TCP`, async (t) => {
      const client = await open(t, server);
      await client.write(frame({ opcode: OP.close, payload: closePayload(code, 'bye') }));
      const close = await client.waitForClose();
      const expected = Buffer.alloc(2);
      expected.writeUInt16BE(code);
      assert.deepEqual(close.raw, Buffer.concat([hex('88 02'), expected]));
      await client.waitForServerEnd();
      assert.deepEqual(client.parser.violations, []);
    });
  }

  for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535]) {
    it(`invalid close code ${code} is answered with 1002`, async (t) => {
      const client = await open(t, server);
      await client.write(frame({ opcode: OP.close, payload: closePayload(code) }));
      await expectFailure(client, 1002);
    });
  }

  it('an empty close is answered with 1000 (or an empty close)', async (t) => {
    const client = await open(t, server);
    await client.write(frame({ opcode: OP.close }));
    const close = await client.waitForClose();
    assert.ok(close.code === null || close.code === 1000, `code ${close.code}`);
    await client.waitForServerEnd();
  });

  it('a close payload of one byte is answered with 1002', async (t) => {
    const client = await open(t, server);
    await client.write(frame({ opcode: OP.close, payload: hex('03') }));
    await expectFailure(client, 1002);
  });

  it('a close with a 123-byte UTF-8 reason (payload 125) is echoed', async (t) => {
    const client = await open(t, server);
    await client.write(frame({ opcode: OP.close, payload: closePayload(1000, 'é'.repeat(61) + '!') }));
    const close = await client.waitForClose();
    assert.equal(close.code, 1000);
    await client.waitForServerEnd();
  });

  it('a close reason that is not UTF-8 is answered with 1007', async (t) => {
    const client = await open(t, server);
    await client.write(
      frame({
        opcode: OP.close,
        payload: closePayload(1000, hex('ce ba e1 bd b9 ce bc ce b5 ed a0 80 65 64 69 74 65 64')),
      }),
    );
    await expectFailure(client, 1007);
  });

  it('frames after the close are ignored: no pong, no evaluation', async (t) => {
    const client = await open(t, server);
    await client.write(
      Buffer.concat([
        frame({ opcode: OP.close, payload: closePayload(1000) }),
        frame({ opcode: OP.ping, payload: Buffer.from('late') }),
        frame({ opcode: OP.binary, payload: Buffer.from('globalThis.lateInput = 1\r') }),
        frame({ opcode: 5 }),
      ]),
    );
    const close = await client.waitForClose();
    assert.equal(close.code, 1000);
    await client.waitForServerEnd();
    assert.equal(client.frames.filter((f) => f.opcode === OP.pong).length, 0);
    assert.equal(client.frames.at(-1).opcode, OP.close);
    // The input after the close never reached the REPL.
    const probe = await open(t, server);
    await probe.write(frame({ opcode: OP.binary, payload: Buffer.from('typeof lateInput\r') }));
    await probe.waitForOutput(/typeof lateInput\n'undefined'\n/);
    await closeCleanly(probe);
  });

  it('a close in the middle of a fragmented message is answered; the message is dropped', async (t) => {
    const client = await open(t, server);
    await client.write(frame({ opcode: OP.binary, fin: false, payload: Buffer.from('1') }));
    await client.write(frame({ opcode: OP.close, payload: closePayload(1001) }));
    const close = await client.waitForClose();
    assert.equal(close.code, 1001);
    await client.waitForServerEnd();
  });

  it('the close arriving one byte per write is echoed', async (t) => {
    const client = await open(t, server);
    await client.writeInPieces(frame({ opcode: OP.close, payload: closePayload(3333, 'slow') }), [1]);
    const close = await client.waitForClose();
    assert.equal(close.code, 3333);
    await client.waitForServerEnd();
  });
});

describe('limits (Autobahn 9.x, 12.x): maxMessageSize 4096, 1024 fragments, 2 sessions', () => {
  const server = serverFor({ port: 0, maxMessageSize: 4096, maxSessions: 2 });

  it('a session over maxSessions gets an error message and 1013, then TCP is closed', async (t) => {
    const first = await open(t, server);
    const second = await open(t, server);
    const third = await openRaw(server.url);
    t.after(() => third.destroy());
    assert.equal(third.status, 101);
    const close = await expectFailure(third, 1013);
    assert.equal(JSON.parse(third.frames[0].payload).type, 'error');
    assert.equal(close.index, 1, 'the error message, then the close');
    await closeCleanly(first);
    await closeCleanly(second);
  });

  it('a binary message of exactly 4096 bytes is accepted', async (t) => {
    const client = await open(t, server);
    await client.write(frame({ opcode: OP.binary, payload: inputOfSize(4096) }));
    await answerOf(client, 4096);
    await closeCleanly(client);
  });

  it('a binary message of 4097 bytes fails with 1009 at its header, before its payload', async (t) => {
    const client = await open(t, server);
    await client.write(frame({ opcode: OP.binary, length: 4097 }).subarray(0, 4));
    await expectFailure(client, 1009);
  });

  it('a text message of 4097 bytes fails with 1009 at its header', async (t) => {
    const client = await open(t, server);
    await client.write(frame({ opcode: OP.text, length: 4097 }));
    await expectFailure(client, 1009);
  });

  it('fragments adding up to 4097 bytes fail with 1009 at the last header', async (t) => {
    const client = await open(t, server);
    await client.write(frame({ opcode: OP.binary, fin: false, payload: Buffer.alloc(2048) }));
    await client.write(frame({ opcode: OP.continuation, fin: false, payload: Buffer.alloc(2048) }));
    await assertAlive(client);
    await client.write(frame({ opcode: OP.continuation, length: 1 }));
    await expectFailure(client, 1009);
  });

  it('a message in exactly 1024 fragments is accepted', async (t) => {
    const client = await open(t, server);
    const input = Buffer.concat([Buffer.alloc(1019), Buffer.from('\x156*7\r')]);
    const bytes = Buffer.concat(
      [...input].map((byte, i) =>
        frame({ opcode: i === 0 ? OP.binary : OP.continuation, fin: i === 1023, payload: Buffer.from([byte]) }),
      ),
    );
    await client.write(bytes);
    await client.waitForOutput(/6\*7\n42\n/);
    await closeCleanly(client);
  });

  it('a message in more than 1024 fragments fails with 1008', async (t) => {
    const client = await open(t, server);
    const bytes = Buffer.concat(
      Array.from({ length: 1025 }, (_, i) => frame({ opcode: i === 0 ? OP.binary : OP.continuation, fin: false })),
    );
    await client.write(bytes);
    await expectFailure(client, 1008);
  });
});
