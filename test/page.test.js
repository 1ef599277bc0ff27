// The page's pure parts, run directly: the scanner that clamps the counts of control sequences
// before xterm.js sees them (client.html, boundCounts). Its code is taken from client.html as
// served, so that what is tested is what the browser runs; test/browser.test.js runs it there.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const html = readFileSync(new URL('../client.html', import.meta.url), 'utf8');
const start = html.indexOf('  const COUNTED = ');
const end = html.indexOf('    return out.subarray(0, length);\n  }\n', start);
assert.ok(start !== -1 && end !== -1, 'boundCounts is in client.html');
const { boundCounts, newScan } = new Function(
  `${html.slice(start, end)}    return out.subarray(0, length);\n  }\n  return { boundCounts, newScan };`,
)();

/** Feeds the pieces one after another, as WebSocket messages, on an 80x24 screen. */
function scan(pieces, { cols = 80, rows = 24 } = {}) {
  const state = newScan();
  const out = pieces
    .map((piece) =>
      Buffer.from(boundCounts(new Uint8Array(Buffer.from(piece, 'latin1')), state, cols, rows)).toString('latin1'),
    )
    .join('');
  return state.state === 0 ? out : `${out}<held>`;
}

test('counts of insert, delete, scroll and cursor moves are clamped to the screen, REP to its area', () => {
  assert.equal(scan(['a\x1b[9999999Lb']), 'a\x1b[80Lb');
  assert.equal(scan(['\x1b[2000000000S\x1b[2000000000@\x1b[2000000000b']), '\x1b[80S\x1b[80@\x1b[1920b');
  assert.equal(scan(['\x1b[999999;999999H']), '\x1b[80;80H');
  assert.equal(scan(["\x1b[5 @\x1b[50000000'}"]), "\x1b[5 @\x1b[80'}");
  assert.equal(scan(['\xc2\x9b5000000@']), '\xc2\x9b80@', 'C1 CSI, U+009B in UTF-8');
});

test('sequences cut across messages are held and clamped whole; C0 controls inside run where they are', () => {
  assert.equal(scan(['x\x1b[99999', '99999b']), 'x\x1b[1920b');
  assert.equal(scan(['x\x1b', '[2000000000S']), 'x\x1b[80S');
  assert.equal(scan(['\xc2', '\x9b5000000@']), '\xc2\x9b80@');
  assert.equal(scan(['\x1b[99999\n99L']), '\n\x1b[80L');
  assert.equal(scan(['\x1b\n[9999999L']), '\n\x1b[80L');
  assert.equal(scan(['\x1b[1;2']), '<held>');
});

test('everything else passes unchanged: colors, modes, strings, other escapes, text', () => {
  for (const text of [
    'plain text\r\n',
    '\x1b[1;31mred\x1b[0m',
    '\x1b[38;2;255;128;0m',
    '\x1b[?1049h\x1b[?25l',
    '\x1b(B\x1b]0;title\x07',
    '\x1b[5\x18L',
    '\xc3\x9b\xc2\xa0',
    '\x1b[2J\x1b[K',
  ]) {
    assert.equal(scan([text]), text, JSON.stringify(text));
  }
  // Only the value changes: parameters keep their meaning, leading zeros go.
  assert.equal(scan(['\x1b[0050m']), '\x1b[50m');
  // Private sequences are not counts: their parameters are only saturated at 65535.
  assert.equal(scan(['\x1b[?9999999L']), '\x1b[?65535L');
});

test('the content coding of the page follows Accept-Encoding with its q-values (RFC 9110 section 12.5.3)', async () => {
  const { entry } = await import('./helpers.js');
  const { chooseEncoding } = (await import(entry)).internalsForTests;
  for (const [header, expected] of [
    [undefined, 'identity'],
    ['', 'identity'],
    ['gzip, deflate, br, zstd', 'br'],
    ['gzip', 'gzip'],
    ['x-gzip', 'gzip'],
    ['BR', 'br'],
    ['br;q=0, gzip', 'gzip'],
    ['gzip;q=0.5, br;q=0.9', 'br'],
    ['gzip;q=1, br;q=0.5', 'gzip'],
    ['br; q=0.8 , gzip ; q=0.9', 'gzip'],
    ['*', 'br'],
    ['*;q=0', 'identity'],
    ['gzip;q=0.000', 'identity'],
    ['br;q=0, gzip;q=0', 'identity'],
    ['deflate', 'identity'],
    ['identity;q=0.5, gzip;q=0.1', 'identity'],
    ['identity, gzip', 'gzip'],
    // Nothing acceptable, not even identity: the page goes uncompressed all the same.
    ['identity;q=0', 'identity'],
    // A q-value that is not one (RFC 9110 section 12.4.2) is ignored.
    ['gzip;q=2', 'gzip'],
  ]) {
    assert.equal(chooseEncoding(header), expected, JSON.stringify(header));
  }
});
