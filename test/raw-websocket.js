// A raw RFC 6455 client for the conformance and fuzz tests: it writes the handshake and every
// frame byte by byte (any field may be wrong on purpose), and reads the server's answers with
// its own small parser, independent of prdb's MessageReader, which checks that what the server
// sends is itself well-formed (§5.1: unmasked; §5.2: RSV 0; §5.5: control frames short, whole).
// Every wait is for bytes or an event, bounded by a deadline.
import net from 'node:net';
import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import { waitUntil, stripAnsi } from './helpers.js';

export { stripAnsi };

export const OP = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa };

/** `hex('81 05 48')` -> Buffer: fixtures written as the RFC prints them. */
export function hex(text) {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

/**
 * One frame exactly as told (§5.2). `length` overrides the announced payload length (the bytes
 * sent are still `payload`); `lengthBytes` forces a 7, 16 or 64-bit length field; `masked:
 * false` sends it unmasked, which a client must never do (§5.3).
 */
export function frame({
  opcode,
  payload = Buffer.alloc(0),
  fin = true,
  rsv = 0,
  masked = true,
  mask = crypto.randomBytes(4),
  length,
  lengthBytes,
}) {
  payload = Buffer.from(payload);
  const announced = length ?? payload.length;
  const width = lengthBytes ?? (announced < 126 ? 0 : announced < 65536 ? 2 : 8);
  const header = Buffer.alloc(2 + width + (masked ? 4 : 0));
  header[0] = (fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0x0f);
  const maskBit = masked ? 0x80 : 0;
  if (width === 0) header[1] = maskBit | announced;
  else if (width === 2) {
    header[1] = maskBit | 126;
    header.writeUInt16BE(announced, 2);
  } else {
    header[1] = maskBit | 127;
    header.writeBigUInt64BE(BigInt(announced), 2);
  }
  if (!masked) return Buffer.concat([header, payload]);
  Buffer.from(mask).copy(header, 2 + width);
  const body = Buffer.alloc(payload.length);
  for (let i = 0; i < payload.length; i++) body[i] = payload[i] ^ mask[i & 3];
  return Buffer.concat([header, body]);
}

export function closePayload(code, reason = '') {
  const payload = Buffer.alloc(2);
  payload.writeUInt16BE(code);
  return Buffer.concat([payload, Buffer.isBuffer(reason) ? reason : Buffer.from(reason)]);
}

/**
 * Parses what a server sends (§5.2) and records every way it breaks the protocol in
 * `violations`, so that a test can assert the server's own frames are well-formed.
 */
export class ServerFrameParser {
  constructor() {
    this.pending = [];
    this.pendingBytes = 0;
    this.frames = [];
    this.violations = [];
  }

  push(chunk) {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    for (;;) {
      if (this.pendingBytes < 2) return;
      const head = this.peek(Math.min(this.pendingBytes, 14));
      let length = head[1] & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (head.length < 4) return;
        length = head.readUInt16BE(2);
        offset = 4;
        if (length < 126) this.violations.push(`16-bit length ${length} where 7 bits suffice`);
      } else if (length === 127) {
        if (head.length < 10) return;
        const big = head.readBigUInt64BE(2);
        if (big >> 63n) this.violations.push('64-bit length with the most significant bit set');
        length = Number(big & 0x7fffffffffffffffn);
        offset = 10;
        if (length < 65536) this.violations.push(`64-bit length ${length} where 16 bits suffice`);
      }
      const masked = (head[1] & 0x80) !== 0;
      if (masked) {
        if (head.length < offset + 4) return;
        this.violations.push('server frame is masked (§5.1)');
        offset += 4;
      }
      if (this.pendingBytes < offset + length) return;
      const raw = this.peek(offset + length);
      this.consume(offset + length);
      const payload = Buffer.from(raw.subarray(offset));
      if (masked) for (let i = 0; i < payload.length; i++) payload[i] ^= raw[offset - 4 + (i & 3)];
      const result = { fin: (raw[0] & 0x80) !== 0, rsv: (raw[0] >> 4) & 7, opcode: raw[0] & 0x0f, payload, raw };
      if (result.rsv !== 0) this.violations.push(`RSV bits ${result.rsv} set`);
      if (![0, 1, 2, 8, 9, 10].includes(result.opcode)) this.violations.push(`reserved opcode ${result.opcode}`);
      if (result.opcode >= 8 && (!result.fin || length > 125))
        this.violations.push(`malformed control frame opcode ${result.opcode}`);
      if (this.frames.at(-1)?.opcode === OP.close) this.violations.push('a frame after the close frame');
      this.frames.push(result);
    }
  }

  peek(count) {
    if (this.pending[0].length >= count) return this.pending[0].subarray(0, count);
    const all = Buffer.concat(this.pending);
    this.pending = [all];
    return all.subarray(0, count);
  }

  consume(count) {
    while (count > 0) {
      const first = this.pending[0];
      if (first.length <= count) {
        this.pending.shift();
        count -= first.length;
        this.pendingBytes -= first.length;
      } else {
        this.pending[0] = first.subarray(count);
        this.pendingBytes -= count;
        count = 0;
      }
    }
  }
}

/** The handshake request exactly as a test wants it; `headers` adds or replaces (null drops). */
export function handshakeRequest(
  consoleUrl,
  { key = crypto.randomBytes(16).toString('base64'), path = '/ws', headers = {} } = {},
) {
  const all = {
    Host: consoleUrl.host,
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': key,
    'Sec-WebSocket-Version': '13',
    ...headers,
  };
  const lines = Object.entries(all)
    .filter(([, value]) => value !== null)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return { key, bytes: Buffer.from(`GET ${path} HTTP/1.1\r\n${lines}\r\n`, 'latin1') };
}

/** The first message a client sends: the token, in a masked text frame. */
export function tokenFrame(token) {
  return frame({ opcode: OP.text, payload: Buffer.from(JSON.stringify({ type: 'token', token })) });
}

/** §4.2.2, computed here rather than with prdb's acceptKey, so that the check is independent. */
export function expectedAccept(key) {
  return crypto.createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
}

/**
 * Opens a TCP connection and writes `request` (bytes, or an array of pieces written one by one;
 * default: a correct handshake). Resolves with the client once the response head (or the end of
 * the connection) has arrived, unless `waitForResponse` is false: `client.status`,
 * `client.headers`, and after a 101, `frames`.
 */
export async function openRaw(
  consoleUrl,
  {
    request,
    key,
    path,
    headers,
    token = consoleUrl.token,
    after = Buffer.alloc(0),
    waitForResponse = true,
    deadlineMs = 5000,
  } = {},
) {
  let handshake = null;
  if (request === undefined) {
    handshake = handshakeRequest(consoleUrl, { key, path, headers });
    // The first message shows the token (null: none is sent).
    const first = token === null ? Buffer.alloc(0) : tokenFrame(token);
    request = Buffer.concat([handshake.bytes, first, after]);
  }
  const socket = net.connect({ host: '127.0.0.1', port: consoleUrl.port });
  socket.setNoDelay(true);
  const client = new RawClient(socket, handshake?.key ?? null);
  await waitUntil(
    client.events,
    'update',
    () => client.connected || client.error || client.closed,
    'the TCP connection',
    deadlineMs,
  );
  if (client.error && !client.connected) throw client.error;
  const pieces = Array.isArray(request) ? request : [request];
  for (const piece of pieces) await client.write(piece);
  if (!waitForResponse) return client;
  await waitUntil(
    client.events,
    'update',
    () => client.status !== null || client.ended || client.closed,
    'the handshake response',
    deadlineMs,
  );
  return client;
}

export class RawClient {
  constructor(socket, key) {
    this.socket = socket;
    this.key = key;
    this.events = new EventEmitter();
    this.events.setMaxListeners(0);
    this.connected = false;
    this.head = Buffer.alloc(0);
    this.status = null;
    this.headers = null;
    this.responseHead = '';
    this.body = Buffer.alloc(0);
    this.parser = new ServerFrameParser();
    this.ended = false;
    this.closed = false;
    this.error = null;
    socket.on('connect', () => this.update(() => (this.connected = true)));
    socket.on('data', (chunk) => this.update(() => this.onData(chunk)));
    socket.on('end', () => this.update(() => (this.ended = true)));
    socket.on('close', () => this.update(() => (this.closed = true)));
    socket.on('error', (error) => this.update(() => (this.error = error)));
  }

  update(change) {
    change();
    this.events.emit('update');
  }

  onData(chunk) {
    if (this.status === null) {
      this.head = Buffer.concat([this.head, chunk]);
      const end = this.head.indexOf('\r\n\r\n');
      if (end === -1) return;
      this.responseHead = this.head.subarray(0, end).toString('latin1');
      const [statusLine, ...lines] = this.responseHead.split('\r\n');
      const match = /^HTTP\/1\.1 (\d{3}) /.exec(statusLine);
      this.status = match ? Number(match[1]) : -1;
      this.headers = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        this.headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      chunk = this.head.subarray(end + 4);
      this.head = null;
      if (chunk.length === 0) return;
    }
    if (this.status === 101) this.parser.push(chunk);
    else this.body = Buffer.concat([this.body, chunk]);
  }

  get frames() {
    return this.parser.frames;
  }

  /** Writes one piece and resolves once it is handed to the kernel (one write, one segment). */
  write(bytes) {
    return new Promise((resolve) => {
      if (this.socket.destroyed || !this.socket.writable) return resolve(false);
      this.socket.write(bytes, (error) => resolve(!error));
    });
  }

  /** Writes `bytes` in pieces of the given sizes, cycled (1: one byte per write). */
  async writeInPieces(bytes, sizes = [1]) {
    for (let at = 0, i = 0; at < bytes.length; i++) {
      const size = sizes[i % sizes.length];
      await this.write(bytes.subarray(at, at + size));
      at += size;
    }
  }

  waitForFrame(predicate, what, { from = 0, deadlineMs = 5000 } = {}) {
    return waitUntil(
      this.events,
      'update',
      () => {
        for (let i = from; i < this.frames.length; i++)
          if (predicate(this.frames[i])) return { ...this.frames[i], index: i };
        return null;
      },
      `${what}; frames so far: ${this.describeFrames()}${this.closed ? ' (TCP closed)' : ''}`,
      deadlineMs,
    );
  }

  /** Sends a ping with a fresh payload and resolves with the matching pong. */
  async ping(payload = crypto.randomBytes(8), { deadlineMs } = {}) {
    await this.write(frame({ opcode: OP.ping, payload }));
    return this.waitForFrame(
      (f) => f.opcode === OP.pong && f.payload.equals(payload),
      `a pong to ${payload.toString('hex')}`,
      { deadlineMs },
    );
  }

  async waitForClose(deadlineMs = 5000) {
    const close = await this.waitForFrame((f) => f.opcode === OP.close, 'a close frame', { deadlineMs });
    return {
      ...close,
      code: close.payload.length >= 2 ? close.payload.readUInt16BE(0) : null,
      reason: close.payload.subarray(2).toString('utf8'),
    };
  }

  /** Resolves when the server has ended TCP (its FIN, or the socket closed). */
  waitForServerEnd(deadlineMs = 5000) {
    return waitUntil(this.events, 'update', () => this.ended || this.closed, 'the server to close TCP', deadlineMs);
  }

  output() {
    return Buffer.concat(this.frames.filter((f) => f.opcode === OP.binary).map((f) => f.payload)).toString('utf8');
  }

  waitForOutput(pattern, what = String(pattern), deadlineMs = 5000) {
    return waitUntil(
      this.events,
      'update',
      () => pattern.exec(stripAnsi(this.output())),
      () => `output ${what} in ${JSON.stringify(stripAnsi(this.output()).slice(-200))}`,
      deadlineMs,
    );
  }

  messages() {
    return this.frames.filter((f) => f.opcode === OP.text).map((f) => JSON.parse(f.payload.toString('utf8')));
  }

  describeFrames() {
    return (
      this.frames
        .map((f) => {
          const name = Object.keys(OP).find((key) => OP[key] === f.opcode) ?? `op${f.opcode}`;
          if (f.opcode === OP.close)
            return `close(${f.payload.length >= 2 ? f.payload.readUInt16BE(0) : ''} ${f.payload.subarray(2).toString()})`;
          if (f.opcode === OP.text) return `text(${f.payload.toString().slice(0, 60)})`;
          return `${name}[${f.payload.length}]`;
        })
        .join(' ') || 'none'
    );
  }

  destroy() {
    this.socket.destroy();
  }
}

/** mulberry32: a small seeded PRNG, so that a failing fuzz run can be replayed from its seed. */
export function prng(seed) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const random = {
    next,
    int: (below) => Math.floor(next() * below),
    range: (low, high) => low + Math.floor(next() * (high - low + 1)),
    chance: (p) => next() < p,
    pick: (items) => items[Math.floor(next() * items.length)],
    bytes: (count) => {
      const out = Buffer.alloc(count);
      for (let i = 0; i < count; i++) out[i] = Math.floor(next() * 256);
      return out;
    },
  };
  return random;
}
