// RFC 6455 framing, the pure parts: MessageReader, encodeFrame, encodeCloseFrame,
// isValidCloseCode and acceptKey against hex fixtures. Every input is also fed one byte at a
// time and in odd-sized chunks, and every violation must fail with its close code at the byte
// that reveals it, before a payload that can never be valid is buffered.
import test from 'node:test';
import assert from 'node:assert/strict';
import { entry } from './helpers.js';

// The build under test: prdb.js, or prdb.ts itself in the pass that runs it directly.
const { MessageReader, WebSocketError, encodeFrame, encodeCloseFrame, unmask, isValidCloseCode, acceptKey } = (
  await import(entry)
).internalsForTests;
import { hex, frame, closePayload, expectedAccept, OP } from './raw-websocket.js';

const MASK = hex('37 fa 21 3d'); // the masking key of the RFC's §5.7 examples
const CHUNKINGS = {
  whole: null,
  'one byte at a time': [1],
  'odd chunks': [3, 1, 7, 2, 13, 5, 31, 4],
};

/**
 * Feeds `bytes` in pieces of `sizes` (cycled) and collects what the reader yields. `failedAt`
 * is how many bytes had been pushed when it threw: with one byte at a time, the exact byte.
 * Each call gets its own copy: the reader unmasks in place, in the buffers it is given.
 */
function feed(bytes, sizes, options = {}) {
  const reader = options.reader ?? new MessageReader({ expectMasked: true, maxMessageSize: 1 << 20, ...options });
  const copy = Buffer.from(bytes);
  const events = [];
  let pushed = 0;
  try {
    if (sizes === null) {
      pushed = copy.length;
      for (const event of reader.push(copy)) events.push(event);
    } else {
      for (let i = 0; pushed < copy.length; i++) {
        const piece = copy.subarray(pushed, pushed + sizes[i % sizes.length]);
        pushed += piece.length;
        for (const event of reader.push(piece)) events.push({ ...event, afterByte: pushed });
      }
    }
  } catch (error) {
    return { events, error, failedAt: pushed, reader };
  }
  return { events, error: null, failedAt: null, reader };
}

function strip(events) {
  return events.map(({ afterByte, ...event }) => event);
}

/** The input yields exactly `expected`, whole, byte by byte and in odd chunks. */
function assertYields(bytes, expected, options) {
  for (const [name, sizes] of Object.entries(CHUNKINGS)) {
    const { events, error } = feed(bytes, sizes, options);
    assert.equal(error, null, `${name}: ${error?.message}`);
    assert.deepEqual(strip(events), expected, name);
  }
}

/**
 * The input fails with `code`; fed one byte at a time it fails exactly when byte `atByte`
 * (1-based) is pushed, and in every chunking before anything that follows is yielded.
 */
function assertFails(bytes, code, atByte, options) {
  for (const [name, sizes] of Object.entries(CHUNKINGS)) {
    const { error, failedAt, events } = feed(bytes, sizes, options);
    assert.ok(
      error instanceof WebSocketError,
      `${name}: expected a WebSocketError ${code}, got ${error ?? `events ${JSON.stringify(strip(events))}`}`,
    );
    assert.equal(error.code, code, `${name}: ${error.message}`);
    if (sizes === null) continue;
    if (sizes[0] === 1 && sizes.length === 1)
      assert.equal(
        failedAt,
        atByte,
        `${name}: failed after byte ${failedAt}, expected at byte ${atByte} (${error.message})`,
      );
    else
      assert.ok(
        failedAt >= atByte && failedAt < atByte + 31,
        `${name}: failed after byte ${failedAt}, expected by byte ${atByte}`,
      );
  }
}

const text = (data) => ({ type: 'text', data });
const binary = (data) => ({ type: 'binary', data: Buffer.from(data) });
const ping = (data) => ({ type: 'ping', data: Buffer.from(data) });
const pong = (data) => ({ type: 'pong', data: Buffer.from(data) });
const masked = (options) => frame({ mask: MASK, ...options });
const sequence = (length, seed = 7) => Buffer.from(Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff));

// ---------------------------------------------------------------------------------------------
// §5.7 examples, byte for byte
// ---------------------------------------------------------------------------------------------

test('§5.7: a single-frame unmasked text message "Hello"', () => {
  assertYields(hex('81 05 48 65 6c 6c 6f'), [text('Hello')], { expectMasked: false });
});

test('§5.7: a single-frame masked text message "Hello"', () => {
  assertYields(hex('81 85 37 fa 21 3d 7f 9f 4d 51 58'), [text('Hello')], { expectMasked: true });
});

test('§5.7: a fragmented unmasked text message "Hel" + "lo"', () => {
  assertYields(hex('01 03 48 65 6c  80 02 6c 6f'), [text('Hello')], { expectMasked: false });
});

test('§5.7: an unmasked ping and a masked pong, both "Hello"', () => {
  assertYields(hex('89 05 48 65 6c 6c 6f'), [ping('Hello')], { expectMasked: false });
  assertYields(hex('8a 85 37 fa 21 3d 7f 9f 4d 51 58'), [pong('Hello')], { expectMasked: true });
});

test('§5.7: 256 bytes of binary data in a single unmasked frame (16-bit length)', () => {
  const payload = sequence(256);
  assertYields(Buffer.concat([hex('82 7e 01 00'), payload]), [binary(payload)], { expectMasked: false });
});

test('§5.7: 64 KiB of binary data in a single unmasked frame (64-bit length)', () => {
  const payload = sequence(65536);
  assertYields(Buffer.concat([hex('82 7f 00 00 00 00 00 01 00 00'), payload]), [binary(payload)], {
    expectMasked: false,
  });
});

test('the same sizes masked, and every length boundary: 0, 1, 125, 126, 127, 128, 65535, 65536, 70000', () => {
  for (const size of [0, 1, 125, 126, 127, 128, 65535, 65536, 70000]) {
    const payload = sequence(size, size);
    const bytes = masked({ opcode: OP.binary, payload });
    assert.equal(bytes.length, size + 4 + (size < 126 ? 2 : size < 65536 ? 4 : 10));
    assertYields(bytes, [binary(payload)]);
    const letters = 'é'.repeat(size >> 1) + 'a'.repeat(size & 1);
    assertYields(masked({ opcode: OP.text, payload: Buffer.from(letters) }), [text(letters)]);
  }
});

test('several messages and control frames in one chunk, in order', () => {
  const bytes = Buffer.concat([
    masked({ opcode: OP.text, payload: Buffer.from('one') }),
    masked({ opcode: OP.ping, payload: Buffer.from('p') }),
    masked({ opcode: OP.binary, payload: hex('00 ff') }),
    masked({ opcode: OP.pong }),
    masked({ opcode: OP.text, payload: Buffer.from('two') }),
  ]);
  assertYields(bytes, [text('one'), ping('p'), binary(hex('00 ff')), pong(''), text('two')]);
});

test('empty messages: text, binary, a fragmented one of empty fragments, empty ping', () => {
  assertYields(masked({ opcode: OP.text }), [text('')]);
  assertYields(masked({ opcode: OP.binary }), [binary('')]);
  assertYields(
    Buffer.concat([
      masked({ opcode: OP.text, fin: false }),
      masked({ opcode: OP.continuation, fin: false }),
      masked({ opcode: OP.continuation }),
    ]),
    [text('')],
  );
  assertYields(masked({ opcode: OP.ping }), [ping('')]);
});

test('§5.4: control frames between fragments are yielded at once, before the message completes', () => {
  const first = masked({ opcode: OP.text, fin: false, payload: Buffer.from('Hel') });
  const control = masked({ opcode: OP.ping, payload: Buffer.from('mid') });
  const last = masked({ opcode: OP.continuation, payload: Buffer.from('lo') });
  assertYields(Buffer.concat([first, control, last]), [ping('mid'), text('Hello')]);
  // One byte at a time: the ping comes out with its own last byte, not with the message's.
  const { events } = feed(Buffer.concat([first, control, last]), [1]);
  assert.equal(events[0].afterByte, first.length + control.length);
  // And a binary message of three fragments with a pong and a ping between them.
  const bytes = Buffer.concat([
    masked({ opcode: OP.binary, fin: false, payload: hex('01') }),
    masked({ opcode: OP.pong, payload: Buffer.from('x') }),
    masked({ opcode: OP.continuation, fin: false, payload: hex('02 03') }),
    masked({ opcode: OP.ping }),
    masked({ opcode: OP.continuation, payload: hex('04') }),
  ]);
  assertYields(bytes, [pong('x'), ping(''), binary(hex('01 02 03 04'))]);
});

test('UTF-8 split anywhere across fragments is valid ("κόσμε", 1 to 4-byte code points)', () => {
  const whole = Buffer.from('κόσμε a€𐍈');
  for (let cut = 0; cut <= whole.length; cut++) {
    const bytes = Buffer.concat([
      masked({ opcode: OP.text, fin: false, payload: whole.subarray(0, cut) }),
      masked({ opcode: OP.continuation, payload: whole.subarray(cut) }),
    ]);
    assertYields(bytes, [text('κόσμε a€𐍈')]);
  }
});

test('a text message keeps a leading byte order mark: the payload is the text (§5.6)', () => {
  // U+FEFF is an ordinary code point here; a decoder that strips it changes the message.
  assertYields(masked({ opcode: OP.text, payload: hex('ef bb bf 41') }), [text('\ufeffA')]);
  assertYields(
    Buffer.concat([
      masked({ opcode: OP.text, fin: false, payload: hex('ef bb') }),
      masked({ opcode: OP.continuation, payload: hex('bf 41') }),
    ]),
    [text('\ufeffA')],
  );
});

test('one reader, text after text: each message decodes on its own (the decoder is reused)', () => {
  // A code point split across the fragments of one message, a BOM opening the next, binary
  // and a ping between them: nothing of one message leaks into the next.
  const bytes = Buffer.concat([
    masked({ opcode: OP.text, fin: false, payload: hex('e2 82') }),
    masked({ opcode: OP.ping, payload: Buffer.from('p') }),
    masked({ opcode: OP.continuation, payload: hex('ac 21') }),
    masked({ opcode: OP.text, payload: hex('ef bb bf 42') }),
    masked({ opcode: OP.binary, payload: hex('e2 82') }),
    masked({ opcode: OP.text, payload: Buffer.from('plain') }),
    masked({ opcode: OP.text, fin: false, payload: hex('f0 90') }),
    masked({ opcode: OP.continuation, fin: false }),
    masked({ opcode: OP.continuation, payload: hex('8d 88') }),
  ]);
  assertYields(bytes, [ping('p'), text('€!'), text('\ufeffB'), binary(hex('e2 82')), text('plain'), text('𐍈')]);
  // A text message that ends inside a code point still fails after ones that did not.
  const broken = Buffer.concat([
    masked({ opcode: OP.text, payload: Buffer.from('ok') }),
    masked({ opcode: OP.text, payload: hex('e2 82') }),
  ]);
  const { events, error } = feed(broken, null);
  assert.deepEqual(strip(events), [text('ok')]);
  assert.equal(error?.code, 1007);
});

test('§5.5.1: close frames, and nothing after them is processed', () => {
  assertYields(masked({ opcode: OP.close }), [{ type: 'close', code: null, reason: '' }]);
  assertYields(masked({ opcode: OP.close, payload: closePayload(1000, 'bye') }), [
    { type: 'close', code: 1000, reason: 'bye' },
  ]);
  const reason = 'é'.repeat(61) + 'a'; // 123 bytes: the largest close payload, 125
  assertYields(masked({ opcode: OP.close, payload: closePayload(4999, reason) }), [
    { type: 'close', code: 4999, reason },
  ]);
  // Garbage, an unmasked frame, a ping: all ignored once the close is read.
  const after = Buffer.concat([
    masked({ opcode: OP.close, payload: closePayload(1001) }),
    masked({ opcode: OP.ping }),
    hex('ff ff ff ff'),
    frame({ opcode: OP.text, masked: false }),
  ]);
  assertYields(after, [{ type: 'close', code: 1001, reason: '' }]);
  const reader = new MessageReader({ expectMasked: true, maxMessageSize: 1024 });
  assert.equal([...reader.push(masked({ opcode: OP.close }))].length, 1);
  assert.deepEqual([...reader.push(masked({ opcode: OP.ping }))], []);
});

test('a message of exactly maxMessageSize bytes is accepted, in one frame or in fragments', () => {
  const payload = sequence(4096);
  assertYields(masked({ opcode: OP.binary, payload }), [binary(payload)], { maxMessageSize: 4096 });
  const fragmented = Buffer.concat([
    masked({ opcode: OP.binary, fin: false, payload: payload.subarray(0, 4000) }),
    masked({ opcode: OP.continuation, payload: payload.subarray(4000) }),
  ]);
  assertYields(fragmented, [binary(payload)], { maxMessageSize: 4096 });
});

test('a message of exactly maxFragments fragments is accepted', () => {
  const pieces = [masked({ opcode: OP.binary, fin: false, payload: hex('00') })];
  for (let i = 1; i < 1023; i++) pieces.push(masked({ opcode: OP.continuation, fin: false, payload: hex('00') }));
  pieces.push(masked({ opcode: OP.continuation, payload: hex('01') }));
  const expected = Buffer.alloc(1024);
  expected[1023] = 1;
  assertYields(Buffer.concat(pieces), [binary(expected)]);
});

// ---------------------------------------------------------------------------------------------
// Protocol violations: 1002 at the header, 1007 at the bad byte, 1008 and 1009 before buffering
// ---------------------------------------------------------------------------------------------

test('§5.2: RSV1, RSV2, RSV3 set without an extension fail with 1002 at the header', () => {
  for (let rsv = 1; rsv <= 7; rsv++) {
    assertFails(masked({ opcode: OP.text, rsv, payload: Buffer.from('Hello') }), 1002, 2);
    assertFails(masked({ opcode: OP.ping, rsv, payload: Buffer.from('Hello') }), 1002, 2);
  }
});

test('§5.2: reserved opcodes 3-7 and 11-15 fail with 1002 at the header', () => {
  for (const opcode of [3, 4, 5, 6, 7, 11, 12, 13, 14, 15]) {
    assertFails(masked({ opcode, payload: Buffer.from('Hello') }), 1002, 2);
    assertFails(masked({ opcode, fin: false }), 1002, 2);
    // Also inside a fragmented message.
    const first = masked({ opcode: OP.text, fin: false, payload: Buffer.from('a') });
    assertFails(Buffer.concat([first, masked({ opcode })]), 1002, first.length + 2);
  }
});

test('§5.5: a control payload over 125 bytes fails with 1002 at the header, before its payload', () => {
  for (const opcode of [OP.ping, OP.pong, OP.close]) {
    assertFails(masked({ opcode, payload: Buffer.alloc(126) }), 1002, 2);
    assertFails(masked({ opcode, length: 65536, payload: Buffer.alloc(0) }), 1002, 2);
  }
  // 125 is fine.
  assertYields(masked({ opcode: OP.ping, payload: Buffer.alloc(125, 7) }), [ping(Buffer.alloc(125, 7))]);
});

test('§5.5: a fragmented control frame fails with 1002 at the header', () => {
  for (const opcode of [OP.ping, OP.pong, OP.close])
    assertFails(masked({ opcode, fin: false, payload: Buffer.from('x') }), 1002, 2);
});

test('§5.4: a continuation with nothing to continue fails with 1002 at the header', () => {
  assertFails(masked({ opcode: OP.continuation, payload: Buffer.from('x') }), 1002, 2);
  assertFails(masked({ opcode: OP.continuation, fin: false }), 1002, 2);
  // Also right after a complete message.
  const message = masked({ opcode: OP.text, payload: Buffer.from('done') });
  assertFails(Buffer.concat([message, masked({ opcode: OP.continuation })]), 1002, message.length + 2);
});

test('§5.4: a new data frame inside a fragmented message fails with 1002 at its header', () => {
  for (const [firstOpcode, nextOpcode] of [
    [OP.text, OP.text],
    [OP.text, OP.binary],
    [OP.binary, OP.binary],
    [OP.binary, OP.text],
  ]) {
    const first = masked({ opcode: firstOpcode, fin: false, payload: Buffer.from('ab') });
    assertFails(
      Buffer.concat([first, masked({ opcode: nextOpcode, payload: Buffer.from('cd') })]),
      1002,
      first.length + 2,
    );
  }
});

test('§5.1: an unmasked client frame fails with 1002; so does a masked server frame', () => {
  assertFails(hex('81 05 48 65 6c 6c 6f'), 1002, 2, { expectMasked: true });
  assertFails(frame({ opcode: OP.ping, masked: false }), 1002, 2, { expectMasked: true });
  assertFails(hex('81 85 37 fa 21 3d 7f 9f 4d 51 58'), 1002, 2, { expectMasked: false });
  // Also an unmasked continuation of a masked first fragment.
  const first = masked({ opcode: OP.text, fin: false, payload: Buffer.from('Hel') });
  assertFails(
    Buffer.concat([first, frame({ opcode: OP.continuation, masked: false, payload: Buffer.from('lo') })]),
    1002,
    first.length + 2,
  );
});

test('§5.2: a 64-bit length with its most significant bit set fails with 1002 at the length', () => {
  assertFails(hex('82 ff 80 00 00 00 00 00 00 00  01 02 03 04'), 1002, 10);
  assertFails(hex('82 ff ff ff ff ff ff ff ff ff  01 02 03 04'), 1002, 10);
});

test('a header announcing a 2 GB (or 2^53) payload fails with 1009 at the length, nothing buffered', () => {
  assertFails(hex('82 ff 00 00 00 00 80 00 00 00  01 02 03 04'), 1009, 10);
  assertFails(hex('81 ff 00 00 00 01 00 00 00 00  01 02 03 04'), 1009, 10);
  assertFails(hex('82 ff 00 20 00 00 00 00 00 00  01 02 03 04'), 1009, 10);
  assertFails(hex('82 ff 7f ff ff ff ff ff ff ff  01 02 03 04'), 1009, 10);
});

test('maxMessageSize: one byte over fails with 1009 at the header, in one frame or across fragments', () => {
  const options = { maxMessageSize: 4096 };
  assertFails(masked({ opcode: OP.binary, payload: Buffer.alloc(4097) }), 1009, 4, options);
  assertFails(masked({ opcode: OP.text, payload: Buffer.alloc(4097, 0x61) }), 1009, 4, options);
  // Announced with a 64-bit length (non-minimal, as a sender may not but a reader must parse).
  assertFails(masked({ opcode: OP.binary, length: 4097, lengthBytes: 8 }), 1009, 10, options);
  const first = masked({ opcode: OP.binary, fin: false, payload: Buffer.alloc(4000) });
  const second = masked({ opcode: OP.continuation, fin: false, payload: Buffer.alloc(96) });
  assertFails(
    Buffer.concat([first, second, masked({ opcode: OP.continuation, payload: Buffer.alloc(1) })]),
    1009,
    first.length + second.length + 2,
    options,
  );
  // A ping between the fragments does not count towards the message.
  assertYields(
    Buffer.concat([
      first,
      masked({ opcode: OP.ping, payload: Buffer.alloc(125) }),
      masked({ opcode: OP.continuation, payload: Buffer.alloc(96) }),
    ]),
    [ping(Buffer.alloc(125)), binary(Buffer.alloc(4096))],
    options,
  );
});

test('more than maxFragments fragments fail with 1008 at the header of the one too many', () => {
  const pieces = [masked({ opcode: OP.binary, fin: false })];
  for (let i = 1; i < 1024; i++) pieces.push(masked({ opcode: OP.continuation, fin: false }));
  const before = Buffer.concat(pieces);
  assertFails(
    Buffer.concat([before, masked({ opcode: OP.continuation, payload: hex('00') })]),
    1008,
    before.length + 2,
  );
  const three = Buffer.concat([
    masked({ opcode: OP.text, fin: false, payload: Buffer.from('a') }),
    masked({ opcode: OP.continuation, fin: false, payload: Buffer.from('b') }),
    masked({ opcode: OP.continuation, fin: false, payload: Buffer.from('c') }),
  ]);
  assertFails(
    Buffer.concat([three, masked({ opcode: OP.continuation, payload: Buffer.from('d') })]),
    1008,
    three.length + 2,
    { maxFragments: 3 },
  );
});

test('§8.1: invalid UTF-8 fails with 1007 at the first byte that cannot be valid', () => {
  // Autobahn 6.3.1: "κόσμε" with a surrogate (ed a0 80) in the middle: fails at a0.
  const payload = hex('ce ba e1 bd b9 ce bc ce b5 ed a0 80 65 64 69 74 65 64');
  assertFails(masked({ opcode: OP.text, payload }), 1007, 6 + payload.indexOf(0xa0) + 1);
  const cases = [
    ['a lone continuation byte', hex('61 80 62'), 2],
    ['0xff', hex('61 ff'), 2],
    ['0xfe', hex('fe'), 1],
    ['overlong "/" (c0 af)', hex('c0 af'), 1],
    ['overlong 3-byte (e0 80 af)', hex('e0 80 af'), 2],
    ['overlong 4-byte (f0 80 80 af)', hex('f0 80 80 af'), 2],
    ['a surrogate (ed a0 80)', hex('ed a0 80'), 2],
    ['beyond U+10FFFF (f4 90 80 80)', hex('f4 90 80 80'), 2],
    ['0xf5 lead byte', hex('f5 80 80 80'), 1],
    ['a lead byte followed by ASCII', hex('ce 41'), 2],
  ];
  for (const [name, bytes, badByte] of cases) {
    assert.doesNotThrow(
      () =>
        assertFails(
          masked({ opcode: OP.text, payload: Buffer.concat([bytes, Buffer.from('tail of the message')]) }),
          1007,
          6 + badByte,
        ),
      name,
    );
  }
});

test('§8.1: invalid UTF-8 in the FIRST fragment fails before the message ends', () => {
  const first = masked({ opcode: OP.text, fin: false, payload: hex('48 65 ed a0 80 6c') });
  const rest = masked({ opcode: OP.continuation, payload: Buffer.from('lo') });
  assertFails(Buffer.concat([first, rest]), 1007, 6 + 4);
  const { error } = feed(first, null);
  assert.equal(error?.code, 1007, 'the first fragment alone must fail');
  // And in a middle fragment, with a valid first one.
  const valid = masked({ opcode: OP.text, fin: false, payload: Buffer.from('ok ') });
  assertFails(
    Buffer.concat([valid, masked({ opcode: OP.continuation, fin: false, payload: hex('c0') }), rest]),
    1007,
    valid.length + 7,
  );
});

test('§8.1: text that ends inside a code point fails with 1007 at the end of the message', () => {
  const single = masked({ opcode: OP.text, payload: hex('41 ce') });
  assertFails(single, 1007, single.length);
  const fragmented = Buffer.concat([
    masked({ opcode: OP.text, fin: false, payload: hex('41 e2 82') }),
    masked({ opcode: OP.continuation }),
  ]);
  assertFails(fragmented, 1007, fragmented.length);
  // Binary data is never decoded.
  assertYields(masked({ opcode: OP.binary, payload: hex('ce ed a0 80 ff') }), [binary(hex('ce ed a0 80 ff'))]);
});

test('§5.5.1: a close payload of one byte fails with 1002', () => {
  assertFails(masked({ opcode: OP.close, payload: hex('03') }), 1002, 7);
});

test('§7.4: close codes: valid ones are read, invalid ones fail with 1002', () => {
  const valid = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999];
  const invalid = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535];
  for (const code of valid) {
    assert.equal(isValidCloseCode(code), true, String(code));
    assertYields(masked({ opcode: OP.close, payload: closePayload(code, 'r') }), [
      { type: 'close', code, reason: 'r' },
    ]);
  }
  for (const code of invalid) {
    assert.equal(isValidCloseCode(code), false, String(code));
    assertFails(masked({ opcode: OP.close, payload: closePayload(code) }), 1002, 8);
  }
});

test('§5.5.1: a close reason that is not UTF-8 fails with 1007', () => {
  assertFails(
    masked({
      opcode: OP.close,
      payload: closePayload(1000, hex('ce ba e1 bd b9 ce bc ce b5 ed a0 80 65 64 69 74 65 64')),
    }),
    1007,
    6 + 2 + 18,
  );
  assertFails(masked({ opcode: OP.close, payload: closePayload(1000, hex('61 ce')) }), 1007, 6 + 4);
});

test('§7.1.7: after a failure the reader processes nothing more', () => {
  const reader = new MessageReader({ expectMasked: true, maxMessageSize: 1024 });
  assert.throws(
    () => [...reader.push(masked({ opcode: 3 }))],
    (error) => error.code === 1002,
  );
  // A valid ping and a valid message afterwards: not processed.
  assert.deepEqual(
    [
      ...reader.push(
        Buffer.concat([masked({ opcode: OP.ping }), masked({ opcode: OP.text, payload: Buffer.from('late') })]),
      ),
    ],
    [],
  );
});

// ---------------------------------------------------------------------------------------------
// encodeFrame, encodeCloseFrame, acceptKey
// ---------------------------------------------------------------------------------------------

test('encodeFrame produces the §5.7 examples byte for byte', () => {
  const hello = Buffer.from('Hello');
  assert.deepEqual(encodeFrame({ opcode: OP.text, payload: hello }), hex('81 05 48 65 6c 6c 6f'));
  assert.deepEqual(
    encodeFrame({ opcode: OP.text, payload: hello, mask: MASK }),
    hex('81 85 37 fa 21 3d 7f 9f 4d 51 58'),
  );
  assert.deepEqual(encodeFrame({ opcode: OP.text, payload: Buffer.from('Hel'), fin: false }), hex('01 03 48 65 6c'));
  assert.deepEqual(encodeFrame({ opcode: OP.continuation, payload: Buffer.from('lo') }), hex('80 02 6c 6f'));
  assert.deepEqual(encodeFrame({ opcode: OP.ping, payload: hello }), hex('89 05 48 65 6c 6c 6f'));
  assert.deepEqual(
    encodeFrame({ opcode: OP.pong, payload: hello, mask: MASK }),
    hex('8a 85 37 fa 21 3d 7f 9f 4d 51 58'),
  );
  assert.deepEqual(encodeFrame({ opcode: OP.binary, payload: Buffer.alloc(256) }).subarray(0, 4), hex('82 7e 01 00'));
  assert.deepEqual(
    encodeFrame({ opcode: OP.binary, payload: Buffer.alloc(65536) }).subarray(0, 10),
    hex('82 7f 00 00 00 00 00 01 00 00'),
  );
  assert.deepEqual(encodeFrame({ opcode: OP.binary, payload: Buffer.alloc(0) }), hex('82 00'));
});

test('encodeFrame uses the shortest length field: 125 / 126 / 65535 / 65536 bytes', () => {
  assert.deepEqual(encodeFrame({ opcode: OP.binary, payload: Buffer.alloc(125) }).subarray(0, 2), hex('82 7d'));
  assert.deepEqual(encodeFrame({ opcode: OP.binary, payload: Buffer.alloc(126) }).subarray(0, 4), hex('82 7e 00 7e'));
  assert.deepEqual(encodeFrame({ opcode: OP.binary, payload: Buffer.alloc(65535) }).subarray(0, 4), hex('82 7e ff ff'));
  assert.deepEqual(
    encodeFrame({ opcode: OP.binary, payload: Buffer.alloc(65536), mask: MASK }).subarray(0, 14),
    hex('82 ff 00 00 00 00 00 01 00 00 37 fa 21 3d'),
  );
});

test('encodeFrame round trips through MessageReader, masked and not, at every length boundary', () => {
  for (const size of [0, 1, 2, 3, 4, 5, 125, 126, 127, 128, 65535, 65536, 65537, 200_000]) {
    const payload = sequence(size, size);
    const before = Buffer.from(payload);
    const maskedFrame = encodeFrame({ opcode: OP.binary, payload, mask: MASK });
    assert.deepEqual(payload, before, 'encodeFrame must not change its payload');
    assertYields(maskedFrame, [binary(payload)]);
    assertYields(encodeFrame({ opcode: OP.binary, payload }), [binary(payload)], { expectMasked: false });
    // Masked the way this test's own encoder does it: the two encoders agree byte for byte.
    assert.deepEqual(maskedFrame, frame({ opcode: OP.binary, payload, mask: MASK }));
    const letters = Buffer.from('€'.repeat(Math.floor(size / 3)) + 'x'.repeat(size % 3));
    assertYields(encodeFrame({ opcode: OP.text, payload: letters, mask: hex('00 00 00 00') }), [
      text(letters.toString()),
    ]);
  }
  // Fragmented by encodeFrame, with a ping between the fragments.
  const parts = [
    encodeFrame({ opcode: OP.text, payload: Buffer.from('frag'), fin: false, mask: MASK }),
    encodeFrame({ opcode: OP.ping, payload: Buffer.from('!'), mask: MASK }),
    encodeFrame({ opcode: OP.continuation, payload: Buffer.from('mented'), mask: MASK }),
  ];
  assertYields(Buffer.concat(parts), [ping('!'), text('fragmented')]);
});

test('unmask, a word at a time, equals a byte-wise XOR at every length 0..140, alignment 0..7 and key phase', () => {
  const key = hex('37 fa 21 3d');
  for (let length = 0; length <= 140; length++) {
    for (let alignment = 0; alignment < 8; alignment++) {
      for (let phase = 0; phase < 4; phase++) {
        // The payload sits at `alignment` within its memory, with guard bytes on both sides.
        const memory = new Uint8Array(alignment + length + 8);
        for (let i = 0; i < memory.length; i++) memory[i] = (i * 131 + length * 7 + 11) & 0xff;
        const expected = Uint8Array.from(memory);
        for (let i = 0; i < length; i++) expected[alignment + i] ^= key[(phase + i) & 3];
        unmask(memory.subarray(alignment, alignment + length), key, phase);
        assert.deepEqual(memory, expected, `length ${length}, alignment ${alignment}, phase ${phase}`);
      }
    }
  }
  // Within a Buffer of Node's shared pool, whose own offset is arbitrary.
  const pooled = Buffer.from('hello, a payload of some length in the pool');
  const reference = Buffer.from(pooled.map((byte, i) => byte ^ key[(i + 1) & 3]));
  unmask(pooled, key, 1);
  assert.deepEqual(pooled, reference);
});

test('encodeCloseFrame: the code, then the reason, cut to 123 bytes on a code point boundary', () => {
  assert.deepEqual(encodeCloseFrame({ code: 1000 }), hex('88 02 03 e8'));
  assert.deepEqual(encodeCloseFrame({ code: 1002, reason: 'bad' }), hex('88 05 03 ea 62 61 64'));
  assert.deepEqual(
    encodeCloseFrame({ code: 1000, mask: MASK }),
    Buffer.concat([hex('88 82 37 fa 21 3d'), Buffer.from([0x03 ^ 0x37, 0xe8 ^ 0xfa])]),
  );
  const long = encodeCloseFrame({ code: 4000, reason: 'x'.repeat(300) });
  assert.equal(long.length, 2 + 125);
  // A reason of two-byte characters cut at 123 bytes would split one: cut before it instead,
  // so that the peer does not fail the connection with 1007 over our own close frame.
  for (const reason of ['é'.repeat(100), 'a' + '€'.repeat(60), '𐍈'.repeat(40), 'ab' + '𐍈'.repeat(40)]) {
    const encoded = encodeCloseFrame({ code: 1001, reason });
    assert.ok(encoded.length <= 127, 'at most 125 payload bytes');
    const { events, error } = feed(encoded, null, { expectMasked: false });
    assert.equal(error, null, `${JSON.stringify(reason.slice(0, 3))}...: ${error?.message}`);
    assert.equal(events[0].code, 1001);
    assert.ok(
      reason.startsWith(events[0].reason) && Buffer.byteLength(events[0].reason) > 119,
      'the longest whole prefix',
    );
  }
});

test('acceptKey: the §1.3 example', () => {
  assert.equal(acceptKey('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  for (const key of ['AAAAAAAAAAAAAAAAAAAAAA==', 'x3JJHMbDL1EzLkh9GBhXDw==', '/+/+/+/+/+/+/+/+/+/+/w=='])
    assert.equal(acceptKey(key), expectedAccept(key));
});
