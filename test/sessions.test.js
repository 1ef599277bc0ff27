// Sessions that lose nothing: output whole and in order however large, drops only past the
// bound and said where the gap is, a session that outlives its WebSocket and is taken up again
// (with its screen, its half-typed line and what was printed meanwhile), history that outlives
// sessions and processes, and nothing left behind when the program is ended with Ctrl+C.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync, readFileSync, statSync, existsSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  entry,
  fixture,
  root,
  startTarget,
  connect,
  stripAnsi,
  waitUntil,
  serverChildPid,
  isAlive,
  parseConsoleUrl,
  pollUntil,
} from './helpers.js';

const { OutputQueue, ReplayBuffer } = (await import(entry)).internalsForTests;

const LIMITS = { windowBytes: 100, blockBytes: 16, maxQueuedBytes: 1000 };
const text = (buffer) => (buffer === null ? null : buffer.toString('latin1'));

test('output queue: bare LF becomes CR LF, also across writes; CR LF stays', () => {
  const queue = new OutputQueue(LIMITS);
  queue.write(Buffer.from('a\nb\r\nc\r'));
  queue.write(Buffer.from('\nd\n'));
  assert.equal(text(queue.take()), 'a\r\nb\r\nc\r\nd\r\n');
});

test('output queue: at most the window is in flight; acknowledgements open it again, in order', () => {
  const queue = new OutputQueue(LIMITS);
  const written = Array.from({ length: 30 }, (_, i) => `${String(i).padStart(9, '0')}`).join('');
  queue.write(Buffer.from(written));
  let received = '';
  assert.equal(queue.take().length, 100);
  assert.equal(queue.take(), null, 'nothing while the window is full');
  queue.acknowledge(40);
  assert.equal(queue.take().length, 40);
  queue.acknowledge(10_000); // more credit than was sent counts as what was sent
  for (let data; (data = queue.take()) !== null; queue.acknowledge(data.length)) received += text(data);
  assert.equal(queue.inFlightBytes, 0);
  assert.equal(queue.hasPending, false);
  assert.equal(received.length, written.length - 140);
  assert.equal(received, written.slice(140));
});

test('output queue: take(maxBytes) cuts the window into messages, in order, none over the limit', () => {
  const queue = new OutputQueue(LIMITS);
  const written = Array.from({ length: 30 }, (_, i) => `${String(i).padStart(9, '0')}\n`).join('');
  for (const line of written.split(/(?<=\n)/)) queue.write(Buffer.from(line));
  const sizes = [];
  let received = '';
  for (let data; (data = queue.take(32)) !== null;) {
    sizes.push(data.length);
    received += text(data);
  }
  assert.deepEqual(sizes, [32, 32, 32, 4], 'the window (100 bytes) in messages of at most 32');
  queue.acknowledge(100);
  for (let data; (data = queue.take(32)) !== null; queue.acknowledge(data.length)) {
    assert.ok(data.length <= 32);
    received += text(data);
  }
  assert.equal(received, written.replaceAll('\n', '\r\n'));
});

test('output queue: a large write is held by reference, not copied; small ones are gathered', () => {
  const queue = new OutputQueue({ windowBytes: 1 << 20, blockBytes: 16, maxQueuedBytes: 1 << 20 });
  const large = Buffer.from('x'.repeat(64));
  queue.write(large);
  const data = queue.take();
  assert.equal(data.buffer, large.buffer, 'the same memory');
  for (let i = 0; i < 10; i++) queue.write(Buffer.from('ab'));
  assert.equal(text(queue.take()), 'ab'.repeat(10));
});

test('output queue: drops only past the bound, the oldest first, with the notice at the gap', () => {
  const queue = new OutputQueue(LIMITS);
  queue.write(Buffer.from('first;'));
  assert.equal(text(queue.take()), 'first;', 'sent before the flood');
  // The page acknowledges nothing: the window holds "first;", the rest waits up to 1000 bytes.
  for (let i = 0; i < 300; i++) queue.write(Buffer.from(`${String(i).padStart(4, '0')};`));
  assert.ok(queue.queuedBytes <= 1000, `${queue.queuedBytes} queued`);
  queue.acknowledge(6);
  let received = '';
  for (let data; (data = queue.take()) !== null; queue.acknowledge(data.length)) received += text(data);
  const notice =
    /^\r\n\x1b\[33m\[prdb: (.+?) of output dropped here: (.+?), and more than (.+?) \(maxOutputBuffer\) was waiting; the newest output follows\]\x1b\[39m\r\n/.exec(
      received,
    );
  assert.ok(notice, JSON.stringify(received.slice(0, 200)));
  // What follows the notice is the newest output, whole entries, up to the last one written.
  const kept = received.slice(notice[0].length);
  assert.ok(kept.endsWith('0299;'));
  const firstKept = Number(kept.slice(0, 4));
  assert.equal(
    kept,
    Array.from({ length: 300 - firstKept }, (_, i) => `${String(firstKept + i).padStart(4, '0')};`).join(''),
  );
  assert.equal(notice[1], `${firstKept * 5} bytes`);
  // The window was not full (6 of 100 bytes in flight): the page was keeping up, and is not blamed.
  assert.equal(notice[2], 'it came faster than it could be sent (the evaluation did not yield)');
});

test('output queue: with the window full, the notice says the page did not keep up; one huge write keeps its end', () => {
  const queue = new OutputQueue(LIMITS);
  queue.write(Buffer.from('w'.repeat(100)));
  queue.take();
  queue.write(Buffer.from(`${'a'.repeat(1500)}END`));
  assert.equal(queue.queuedBytes, 1000);
  queue.acknowledge(100);
  let received = '';
  for (let data; (data = queue.take()) !== null; queue.acknowledge(data.length)) received += text(data);
  assert.match(received, /503 bytes of output dropped here: the page did not take it as fast as it came/);
  assert.ok(received.endsWith(`${'a'.repeat(997)}END`));
});

test('replay buffer: keeps the most recent output, whole pieces, and starts at a line when cut', () => {
  const replay = new ReplayBuffer(20);
  replay.append(Buffer.from('hello\r\n'));
  assert.equal(text(replay.contents()), 'hello\r\n');
  assert.equal(replay.truncated, false);
  replay.append(Buffer.from('one\r\ntwo\r\n'));
  replay.append(Buffer.from('three\r\nfour'));
  assert.equal(replay.truncated, true);
  assert.equal(text(replay.contents()), 'two\r\nthree\r\nfour');
});

test("a key's echo leaves before its input preview is computed, in a message of its own", async (t) => {
  const target = await startTarget(t);
  const session = await connect(t, await target.activate());
  // A global's name: its completion evaluates nothing, its preview does (the inspector).
  session.type('appStat');
  await session.waitForOutput(/'fixture'/);
  const frames = [];
  const collect = (data, isBinary) => isBinary && frames.push(data.toString('utf8'));
  session.socket.on('message', collect);
  session.markOutput();
  session.type('e');
  // The value ({ ticks: …, name: 'fixture', … }) comes after the key, and after its echo.
  await session.waitForOutput(/'fixture'/);
  session.socket.off('message', collect);
  const echo = frames.findIndex((frame) => stripAnsi(frame).includes('e'));
  const preview = frames.findIndex((frame) => frame.includes('fixture'));
  assert.ok(echo !== -1 && preview > echo, `echo in its own message before the preview: ${JSON.stringify(frames)}`);
  assert.doesNotMatch(frames[echo], /fixture/);
});

test('a 20 MB string, a 50,000-line console.log and a 200,000-line loop arrive whole and in order', async (t) => {
  const target = await startTarget(t);
  const session = await connect(t, await target.activate());
  const big = '0123456789abcdef'.repeat(20e6 / 16);
  session.markOutput();
  session.type("console.log('0123456789abcdef'.repeat(20e6 / 16)); 'big done'\r");
  await session.waitForOutput(/'big done'\n> $/, { deadlineMs: 60_000 });
  const bigOutput = session.output.slice(session.mark);
  assert.ok(bigOutput.includes(`\r\n${big}\r\n`), 'the whole string, once, on its own line');
  assert.doesNotMatch(bigOutput, /dropped/);

  session.markOutput();
  session.type("console.log(Array.from({ length: 50000 }, (_, i) => 'line ' + i).join('\\n')); 'lines done'\r");
  await session.waitForOutput(/'lines done'\n> $/, { deadlineMs: 30_000 });
  const lines = session.output.slice(session.mark).match(/^line \d+$/gm);
  assert.equal(lines.length, 50000);
  assert.ok(lines.every((line, i) => line === `line ${i}`));

  session.markOutput();
  session.type("for (let i = 0; i < 200000; i++) console.log('row', i); 'rows done'\r");
  await session.waitForOutput(/'rows done'\n> $/, { deadlineMs: 60_000 });
  const rows = stripAnsi(session.output.slice(session.mark)).match(/^row \d+$/gm);
  assert.equal(rows.length, 200000);
  assert.ok(rows.every((row, i) => row === `row ${i}`));
  assert.doesNotMatch(session.output, /dropped/);
});

async function waitForSessions(observer, count) {
  for (;;) {
    const text = await observer.evaluate('prdb.status().sessions');
    if (new RegExp(`\\n${count}\\n> $`).test(text)) return;
  }
}

test('a dropped connection is taken up again: screen, half-typed line, output meanwhile, history', async (t) => {
  const target = await startTarget(t);
  const consoleUrl = await target.activate();
  const first = await connect(t, consoleUrl);
  const resume = { sessionId: first.hello.sessionId, key: first.hello.resumeKey };
  assert.equal(typeof resume.key, 'string');
  assert.equal(first.hello.resumed, false);
  await first.evaluate('let kept = 42; globalThis.sessionMark = "before"');
  await first.evaluate("setTimeout(() => { console.log('printed while away'); globalThis.fired = true }, 300)");
  first.markOutput();
  first.type('kep');
  await first.waitForOutput('kep');
  // A dropped TCP connection: no close frame.
  first.socket.terminate();
  const observer = await connect(t, consoleUrl);
  for (;;) if (/\ntrue\n> $/.test(await observer.evaluate('globalThis.fired === true'))) break;
  assert.match(await observer.evaluate('prdb.status().sessions'), /\n2\n/, 'the session lives on, detached');

  const again = await connect(t, consoleUrl, { resume, waitForPrompt: false });
  assert.equal(again.hello.resumed, true);
  assert.equal(again.hello.sessionId, resume.sessionId);
  await again.waitForOutput(/printed while away/, { from: 0 });
  const screen = stripAnsi(again.output);
  assert.match(screen, /let kept = 42/, 'the replay shows what was on the screen');
  // The half-typed line is there, and goes on where it stopped.
  again.markOutput();
  again.type('t\r');
  await again.waitForOutput(/\n42\n> $/);
  // History is there: arrow up brings back the last line.
  again.markOutput();
  again.type('\x1b[A');
  await again.waitForOutput('kept');
  again.type('\x15'); // Ctrl+U: clear the line
  assert.equal(target.stdout.includes('printed while away'), false, 'nothing went to the program’s stdout');
});

test('the resume key is the credential: an id alone or a wrong key opens a new session; the token is still needed', async (t) => {
  const target = await startTarget(t);
  const consoleUrl = await target.activate();
  const first = await connect(t, consoleUrl);
  await first.evaluate('globalThis.ownerSession = "mine"');
  const { sessionId, resumeKey } = first.hello;
  first.socket.terminate();
  const idOnly = await connect(t, consoleUrl, { resume: { sessionId } });
  assert.equal(idOnly.hello.resumed, false);
  assert.notEqual(idOnly.hello.sessionId, sessionId);
  assert.equal(idOnly.hello.resumeRefused, true);
  const wrongKey = await connect(t, consoleUrl, {
    resume: { sessionId, key: resumeKey.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) },
  });
  assert.equal(wrongKey.hello.resumed, false);
  assert.notEqual(wrongKey.hello.sessionId, sessionId);
  // Someone else's key without the token: refused before any session.
  await assert.rejects(
    connect(t, { ...consoleUrl, token: 'x'.repeat(43) }, { resume: { sessionId, key: resumeKey } }),
    /no session: .*1008/,
  );
  // The right key still works, and finds the session as it was.
  const owner = await connect(t, consoleUrl, { resume: { sessionId, key: resumeKey }, waitForPrompt: false });
  assert.equal(owner.hello.resumed, true);
  await owner.waitForOutput(/ownerSession/, { from: 0 });
});

test('two pages on one session: the newer takes over and the older is told', async (t) => {
  const target = await startTarget(t);
  const consoleUrl = await target.activate();
  const older = await connect(t, consoleUrl);
  await older.evaluate('globalThis.shared = 7');
  const newer = await connect(t, consoleUrl, {
    resume: { sessionId: older.hello.sessionId, key: older.hello.resumeKey },
    waitForPrompt: false,
  });
  assert.equal(newer.hello.resumed, true);
  await older.waitForMessage('session-moved');
  const closed = await older.waitForClose();
  assert.equal(closed.code, 1000);
  await newer.waitForOutput(/> $/, { from: 0 });
  assert.match(await newer.evaluate('shared * 6'), /\n42\n> $/);
  // The older page takes it back the same way.
  const back = await connect(t, consoleUrl, {
    resume: { sessionId: older.hello.sessionId, key: older.hello.resumeKey },
    waitForPrompt: false,
  });
  await newer.waitForMessage('session-moved');
  await back.waitForOutput(/> $/, { from: 0 });
  assert.match(await back.evaluate('shared'), /\n7\n> $/);
});

test('after the reattach timeout the session ends and frees everything; a page that comes back gets a new one', async (t) => {
  const target = await startTarget(t, { options: { port: 0, reattachTimeout: 300 } });
  const consoleUrl = await target.activate();
  const observer = await connect(t, consoleUrl);
  const away = await connect(t, consoleUrl);
  await away.evaluate("globalThis.awayTimer = setInterval(() => console.log('tick'), 50); 'started'");
  away.socket.terminate();
  await waitForSessions(observer, 1);
  const late = await connect(t, consoleUrl, { resume: { sessionId: away.hello.sessionId, key: away.hello.resumeKey } });
  assert.equal(late.hello.resumed, false);
  assert.equal(late.hello.resumeRefused, true);
  // Output of the ended session's timer now goes where it would without prdb: the program's stdout.
  await target.waitForStdout('tick');
  await late.evaluate('clearInterval(awayTimer)');
});

test('history outlives sessions: a new session has the lines of those before it, and of one still open', async (t) => {
  const target = await startTarget(t, { options: { port: 0, reattachTimeout: 0 } });
  const consoleUrl = await target.activate();
  const open = await connect(t, consoleUrl);
  await open.evaluate('const historyFromOpen = 1');
  const first = await connect(t, consoleUrl);
  await first.evaluate('const historyFromEnded = 2');
  first.type('.exit\r');
  await first.waitForClose();
  const later = await connect(t, consoleUrl);
  // Newest first: the ended session's `.exit`, its line, then the line of the session still open.
  for (const line of ['.exit', 'historyFromEnded', 'historyFromOpen']) {
    later.markOutput();
    later.type('\x1b[A');
    await later.waitForOutput(line);
  }
});

test('history file: owner-only, read by the next process, off with historyFile false, refused when others can write it', async (t) => {
  const directory = mkdtempSync(path.join(tmpdir(), 'prdb-history-'));
  t.after(() => rmSync(directory, { recursive: true, force: true }));
  const file = path.join(directory, 'history');
  const env = { PRDB_REPL_HISTORY: file };
  {
    const target = await startTarget(t, { env });
    const session = await connect(t, await target.activate());
    await session.evaluate('const savedLine = "across processes"');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.match(readFileSync(file, 'utf8'), /^const savedLine = "across processes"\n/);
    target.child.kill('SIGKILL');
    await target.exited;
  }
  {
    const target = await startTarget(t, { env });
    const session = await connect(t, await target.activate());
    session.markOutput();
    session.type('\x1b[A');
    await session.waitForOutput('savedLine');
  }
  {
    // Off: nothing written, nothing read.
    const target = await startTarget(t, { env, options: { port: 0, historyFile: false } });
    const session = await connect(t, await target.activate());
    await session.evaluate('const notSaved = 1');
    assert.doesNotMatch(readFileSync(file, 'utf8'), /notSaved/);
  }
  {
    chmodSync(file, 0o622);
    const target = await startTarget(t, { env });
    const session = await connect(t, await target.activate());
    assert.match(stripAnsi(session.output), /history file .* not read: it must be yours alone/);
    session.markOutput();
    session.type('\x1b[A');
    session.type('\x15');
    await session.evaluate('1');
    assert.doesNotMatch(stripAnsi(session.output.slice(session.mark)), /savedLine/);
  }
});

test('option checks: maxOutputBuffer, reattachTimeout, historyFile, preview', async () => {
  const prdb = await import(entry);
  assert.throws(
    () => prdb.setSignalHandler({ maxOutputBuffer: 10 }),
    /Expected `maxOutputBuffer` to be a number of bytes from 1 MiB to 4 GiB/,
  );
  assert.throws(
    () => prdb.setSignalHandler({ reattachTimeout: -1 }),
    /Expected `reattachTimeout` to be a number of milliseconds/,
  );
  assert.throws(() => prdb.setSignalHandler({ historyFile: '' }), /Expected `historyFile` to be a file path, or false/);
  assert.throws(() => prdb.setSignalHandler({ historyFile: true }), /Expected `historyFile`/);
  assert.throws(() => prdb.setSignalHandler({ preview: 'no' }), /Expected `preview` to be a boolean/);
});

for (const appHasSigintHandler of [false, true]) {
  test(`Ctrl+C in the program's terminal (whole process group; app SIGINT handler: ${appHasSigintHandler}) leaves nothing behind`, async (t) => {
    // Its own process group, as a shell gives a job: the SIGINT goes to the target and its server child.
    const child = spawn(process.execPath, [fixture('target.js')], {
      cwd: root,
      detached: true,
      env: {
        ...process.env,
        PRDB_ENTRY: entry,
        PRDB_OPTIONS: JSON.stringify({ port: 0 }),
        PRDB_REPL_HISTORY: '',
        ...(appHasSigintHandler ? { FIXTURE_APP_SIGINT: '1' } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    t.after(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    await waitUntil(child.stderr, 'data', () => /fixture: |prdb: /.test(stderr), 'the target to start');
    process.kill(child.pid, 'SIGUSR1');
    const match = await waitUntil(
      child.stderr,
      'data',
      () => /prdb: console for pid \d+ at (\S+)\n/.exec(stderr),
      'the URL',
    );
    const urlFile = path.join(tmpdir(), `prdb-${process.getuid()}`, `${child.pid}.url`);
    assert.ok(existsSync(urlFile));
    // Forked right after the URL is printed; the SIGINT may find it still starting.
    const childPid = await pollUntil(() => serverChildPid(child.pid), 'the server child');
    const exited = once(child, 'exit');
    process.kill(-child.pid, 'SIGINT');
    if (appHasSigintHandler) {
      // The program lives on, and so does its console.
      const session = await connect(t, parseConsoleUrl(match[1]));
      assert.match(await session.evaluate('6 * 7'), /\n42\n> $/);
      assert.ok(isAlive(childPid));
      process.kill(child.pid, 'SIGKILL');
    }
    await exited;
    await pollUntil(() => !isAlive(childPid) && !existsSync(urlFile), 'the server child gone and its URL file removed');
    assert.equal(isAlive(childPid), false, 'the server child exited');
    assert.equal(existsSync(urlFile), false, 'the URL file was removed');
  });
}
