// npm run bench: each figure of prdb's performance goals, measured on real processes and sockets
// beside its peer in the same run, printed as one markdown table on stdout (progress on stderr).
// Usage: node bench/run.js [section ...]   (sections: see SECTIONS below; default all)
// Environment: PRDB_BENCH_HEAP_MB (the scope section's heap, default 1024),
// PRDB_CHROMIUM (default /usr/bin/chromium).
import { spawn } from 'node:child_process';
import { once, EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import WebSocket from 'ws';
import {
  CHROMIUM,
  CHROMIUM_ARGS,
  isAlive,
  parseConsoleUrl,
  pollUntil,
  screenSince,
  serverChildPid,
  serverChildPids,
  startTarget,
  stripAnsi,
  waitUntil,
} from '../test/helpers.js';

const prdbUrl = new URL('../prdb.js', import.meta.url).href;
const benchFile = (name) => fileURLToPath(new URL(`./${name}`, import.meta.url));
/** A section that runs longer than this is failed, so that the table always comes. */
const SECTION_DEADLINE_MS = 120_000;
/** The Python original's figures, as issue 13 quotes them. */
const PYTHON = { urlMs: 6, keyP50: 0.52, keyP99: 3.3, outputMBps: 20 };

// ---------------------------------------------------------------------------------------------
// Measuring, and cleaning up after
// ---------------------------------------------------------------------------------------------

const now = () => performance.now();
const note = (text) => process.stderr.write(`bench: ${text}\n`);
const sorted = (values) => [...values].sort((a, b) => a - b);
const median = (values) => {
  const order = sorted(values);
  const middle = order.length >> 1;
  return order.length % 2 ? order[middle] : (order[middle - 1] + order[middle]) / 2;
};
/** Nearest rank: the smallest value that `percent` of the values are at or below. */
const percentile = (values, percent) => {
  const order = sorted(values);
  return order[Math.min(order.length - 1, Math.max(0, Math.ceil((percent / 100) * order.length) - 1))];
};
const ms = (value) => `${value < 1 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0)} ms`;
const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;
const kb = (bytes) => `${(bytes / 1e3).toFixed(1)} kB`;
const count = (value) => Math.round(value).toLocaleString('en-US');
const met = (condition) => (condition ? 'yes' : 'no');

/** What a section started: undone in reverse order when it ends, whether it passed or failed. */
let cleanups = [];
const t = { after: (cleanup) => cleanups.push(cleanup) };
/** Every process the bench started and has not seen exit: killed on the way out, whatever happens. */
const running = new Set();

async function cleanUp() {
  const pending = cleanups.reverse();
  cleanups = [];
  for (const cleanup of pending) {
    try {
      await cleanup();
    } catch (error) {
      note(`cleanup: ${error.message}`);
    }
  }
}

/** A child process of the bench's own (not a target), killed when its section ends. */
function spawnChild(command, args, options = {}) {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], ...options });
  running.add(child);
  const exited = once(child, 'exit');
  exited.then(() => running.delete(child));
  child.on('error', () => {});
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  return child;
}

/**
 * A target (test/fixtures/target.js unless `script` says otherwise), through test/helpers.js.
 * When its section ends the target is killed, and its server child must follow it out.
 */
async function benchTarget(options = {}) {
  const target = await startTarget(t, options);
  running.add(target.child);
  target.exited.then(() => running.delete(target.child));
  t.after(async () => {
    const children = serverChildPids(target.pid);
    if (target.exit === null) {
      target.child.kill('SIGKILL');
      await target.exited;
    }
    try {
      await pollUntil(() => children.every((pid) => !isAlive(pid)), 'the server child to exit with its target', 5000);
    } catch (error) {
      for (const pid of children) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
      throw error;
    }
  });
  return target;
}

/** Milliseconds from spawn to exit of a process that should exit by itself with 0. */
async function timeProcess(args, options) {
  const started = now();
  const child = spawnChild(process.execPath, args, { stdio: 'ignore', ...options });
  const [code, signal] = await once(child, 'exit');
  const elapsed = now() - started;
  if (code !== 0) throw new Error(`node ${args.join(' ')} exited with ${code ?? signal}`);
  return elapsed;
}

/**
 * A session as the page has it, through the `ws` package: the token first, a resize after the
 * hello, and output acknowledged the way client.html does (every 64 KiB, or 100 ms after the
 * last unacknowledged byte). Output is kept as the Buffers that came; `tail` is its last
 * characters, for cheap checks while megabytes arrive.
 */
async function openSession(consoleUrl, { started = now(), keepText = false, resume } = {}) {
  const ACK_BYTES = 65536;
  const ACK_DELAY_MS = 100;
  const socket = new WebSocket(consoleUrl.wsUrl, { origin: consoleUrl.origin, perMessageDeflate: false });
  let unacknowledged = 0;
  let ackTimer = null;
  const flushAck = () => {
    clearTimeout(ackTimer);
    ackTimer = null;
    if (unacknowledged > 0 && socket.readyState === WebSocket.OPEN)
      socket.send(JSON.stringify({ type: 'ack', bytes: unacknowledged }));
    unacknowledged = 0;
  };
  const session = {
    socket,
    events: new EventEmitter(),
    chunks: [],
    bytes: 0,
    tail: '',
    /** All output as one string, with `keepText`. */
    text: '',
    hello: null,
    closed: null,
    error: null,
    /** Milliseconds from `started` to the hello (the token accepted) and to the first prompt. */
    helloMs: null,
    promptMs: null,
    type: (text) => socket.send(Buffer.from(text)),
    /** The output since chunk `from`, as text. */
    since: (from) => Buffer.concat(session.chunks.slice(from)).toString('utf8'),
    waitFor: (predicate, what, deadlineMs = 10_000) => waitUntil(session.events, 'update', predicate, what, deadlineMs),
    /** Types a line and resolves with what it printed up to the next prompt. */
    async evaluate(line, deadlineMs) {
      const from = session.chunks.length;
      session.type(`${line}\r`);
      await session.waitFor(
        () => session.chunks.length > from && /\n> $/.test(stripAnsi(session.tail)),
        `the prompt after ${line}`,
        deadlineMs,
      );
      return stripAnsi(session.since(from));
    },
    /** Closes the WebSocket, as a closed tab does: the session waits for its page (reattachTimeout). */
    async close() {
      socket.close();
      await session.waitFor(() => session.closed, 'the WebSocket to close');
    },
    /** Ends the session (Ctrl+D), as the user does who is done; the server then closes the WebSocket. */
    async end() {
      session.type('\x04');
      await session.waitFor(() => session.closed, 'the session to end');
    },
  };
  socket.on('open', () => socket.send(JSON.stringify({ type: 'token', token: consoleUrl.token, resume })));
  socket.on('message', (data, isBinary) => {
    if (isBinary) {
      session.chunks.push(data);
      session.bytes += data.length;
      if (keepText) session.text += data.toString('utf8');
      session.tail = (session.tail + data.subarray(-256).toString('latin1')).slice(-256);
      if (session.promptMs === null && /> $/.test(stripAnsi(session.tail))) session.promptMs = now() - started;
      unacknowledged += data.length;
      if (unacknowledged >= ACK_BYTES) flushAck();
      else ackTimer ??= setTimeout(flushAck, ACK_DELAY_MS);
    } else {
      const message = JSON.parse(data.toString('utf8'));
      if (message.type === 'hello') {
        session.hello = message;
        session.helloMs = now() - started;
        socket.send(JSON.stringify({ type: 'resize', cols: 80, rows: 24 }));
      }
    }
    session.events.emit('update');
  });
  socket.on('close', (code) => {
    clearTimeout(ackTimer);
    session.closed = { code };
    session.events.emit('update');
  });
  socket.on('error', (error) => {
    session.error = error;
    session.events.emit('update');
  });
  const terminate = () => socket.terminate();
  t.after(terminate);
  // A session closed already needs no cleanup: a thousand of them would be a long list.
  socket.once('close', () => cleanups.includes(terminate) && cleanups.splice(cleanups.indexOf(terminate), 1));
  await session.waitFor(() => session.hello || session.closed || session.error, 'the hello');
  if (!session.hello) throw new Error(`no session: ${session.error?.message ?? `closed ${session.closed?.code}`}`);
  return session;
}

async function openAtPrompt(consoleUrl, options) {
  const session = await openSession(consoleUrl, options);
  await session.waitFor(() => session.promptMs !== null, 'the first prompt');
  return session;
}

// ---------------------------------------------------------------------------------------------
// Sections: each returns rows { figure, peer, prdb, goal, met }
// ---------------------------------------------------------------------------------------------

/** 1. Importing prdb: a whole process, start to exit, with and without the import; handles left. */
async function importCost() {
  const directory = mkdtempSync(path.join(os.tmpdir(), 'prdb-bench-'));
  t.after(() => rmSync(directory, { recursive: true, force: true }));
  const work = 'let total = 0;\nfor (let i = 0; i < 100000; i++) total += i;\nif (total < 0) console.log(total);\n';
  const without = path.join(directory, 'without.mjs');
  const withPrdb = path.join(directory, 'with.mjs');
  const handles = path.join(directory, 'handles.mjs');
  writeFileSync(without, work);
  writeFileSync(withPrdb, `import ${JSON.stringify(prdbUrl)};\n${work}`);
  writeFileSync(
    handles,
    'const before = process.getActiveResourcesInfo();\n' +
      `await import(${JSON.stringify(prdbUrl)});\n` +
      'await new Promise((resolve) => setImmediate(resolve));\n' +
      'const after = process.getActiveResourcesInfo();\n' +
      'for (const name of before) if (after.includes(name)) after.splice(after.indexOf(name), 1);\n' +
      'process.stdout.write(JSON.stringify(after));\n',
  );
  const PAIRS = 30;
  for (let warm = 0; warm < 3; warm++) await Promise.all([timeProcess([without]), timeProcess([withPrdb])]);
  const ratios = [];
  const times = { without: [], with: [] };
  note(`import: ${PAIRS} pairs of runs, alternating which goes first`);
  for (let pair = 0; pair < PAIRS; pair++) {
    let a, b;
    if (pair % 2 === 0) {
      a = await timeProcess([without]);
      b = await timeProcess([withPrdb]);
    } else {
      b = await timeProcess([withPrdb]);
      a = await timeProcess([without]);
    }
    times.without.push(a);
    times.with.push(b);
    ratios.push(b / a);
  }
  const ratio = median(ratios);
  const child = spawnChild(process.execPath, [handles], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (text) => (output += text));
  await once(child, 'exit');
  const added = JSON.parse(output);
  return [
    {
      figure: `import cost: process start to exit, median of ${PAIRS} alternating pairs`,
      peer: `without the import ${ms(median(times.without))}`,
      prdb: `${ms(median(times.with))}, ratio ${ratio.toFixed(3)}`,
      goal: 'ratio ≤ 1.02',
      met: met(ratio <= 1.02),
    },
    {
      figure: 'handles and timers the import adds (`process.getActiveResourcesInfo()`)',
      peer: '0',
      prdb: added.length === 0 ? '0' : `${added.length}: ${added.join(', ')}`,
      goal: '0',
      met: met(added.length === 0),
    },
  ];
}

/**
 * 2. Activation over fresh targets: the signal to the URL, the session (token accepted) and the
 * first prompt; beside `node -e 0` and Node's own SIGUSR1 activation of its inspector.
 */
async function activation() {
  const RUNS = 20;
  const result = { url: [], hello: [], prompt: [], nodeStart: [], inspector: [] };
  for (let run = 0; run < RUNS; run++) {
    note(`activation: run ${run + 1} of ${RUNS}`);
    result.nodeStart.push(await timeProcess(['-e', '0']));

    const inspected = spawnChild(process.execPath, [
      '--inspect-port=0',
      '-e',
      "process.stderr.write('ready\\n'); setInterval(() => {}, 1000)",
    ]);
    let inspectedStderr = '';
    inspected.stderr.setEncoding('utf8').on('data', (text) => (inspectedStderr += text));
    await waitUntil(inspected.stderr, 'data', () => inspectedStderr.includes('ready\n'), 'node to start');
    let signalled = now();
    inspected.kill('SIGUSR1');
    await waitUntil(inspected.stderr, 'data', () => /Debugger listening on ws:\S+/.test(inspectedStderr), 'inspector');
    result.inspector.push(now() - signalled);
    inspected.kill('SIGKILL');

    const target = await benchTarget();
    const before = target.stderr.length;
    signalled = now();
    target.signal();
    const match = await waitUntil(
      target.child.stderr,
      'data',
      () => /prdb: console for pid \d+ at (\S+)\n/.exec(target.stderr.slice(before)),
      'the URL on stderr',
    );
    result.url.push(now() - signalled);
    const session = await openSession(parseConsoleUrl(match[1]), { started: signalled });
    await session.waitFor(() => session.promptMs !== null, 'the first prompt');
    result.hello.push(session.helloMs);
    result.prompt.push(session.promptMs);
    await cleanUp();
  }
  const both = (values) => `${ms(median(values))} / ${ms(percentile(values, 95))}`;
  const nodeStart = median(result.nodeStart);
  return [
    {
      figure: `activation, ${RUNS} fresh targets (median / p95): signal → URL on stderr`,
      peer: `Node's SIGUSR1 → "Debugger listening" ${both(result.inspector)}; Python original ${ms(PYTHON.urlMs)}`,
      prdb: both(result.url),
      goal: `≤ ${ms(PYTHON.urlMs)}`,
      met: met(median(result.url) <= PYTHON.urlMs),
    },
    {
      figure: 'activation: signal → WebSocket open, token accepted (hello)',
      peer: '',
      prdb: both(result.hello),
      goal: '',
      met: '',
    },
    {
      figure: 'activation: signal → first prompt `> ` received',
      peer: `\`node -e 0\` start to exit ${both(result.nodeStart)}`,
      prdb: both(result.prompt),
      goal: `≤ node -e 0 + 25 ms = ${ms(nodeStart + 25)}`,
      met: met(median(result.prompt) <= nodeStart + 25),
    },
  ];
}

/**
 * 3. Keystroke echo: one key, wait for its echo, the next. The line typed is an expression the
 * preview evaluates (`appState.ticks + 1`), Enter after each (not timed). A key's echo is in when
 * the prompt's row, as a terminal would show it (test/helpers.js screenSince: cursor moves
 * applied, the preview on the row below), holds the line typed so far.
 */
async function keystrokes() {
  const KEYS = 2000;
  const LINE = 'appState.ticks + 1';
  const rows = [];
  for (const preview of [true, false]) {
    const target = await benchTarget({ options: { port: 0, preview } });
    const session = await openAtPrompt(await target.activate(), { keepText: true });
    const typeLine = async (latencies, limit) => {
      const from = session.text.length;
      const rowStart = session.text.lastIndexOf('\n', from - 1) + 1;
      const promptRow = () => screenSince(session.text.slice(rowStart), from - rowStart).split('\n')[0];
      for (let index = 0; index < LINE.length && latencies.length < limit; index++) {
        const typed = LINE.slice(0, index + 1);
        const started = now();
        session.type(LINE[index]);
        await session.waitFor(() => promptRow().startsWith(typed), `the echo of ${JSON.stringify(typed)}`, 5000);
        latencies.push(now() - started);
      }
      await session.evaluate('');
    };
    note(`keystrokes: ${KEYS} keys, preview ${preview ? 'on' : 'off'}`);
    await typeLine([], LINE.length); // warm-up: the first preview, the first completion
    const latencies = [];
    while (latencies.length < KEYS) await typeLine(latencies, KEYS);
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    rows.push({
      figure: `keystroke echo over the WebSocket, ${KEYS} keys, preview ${preview ? 'on (default)' : 'off'}: p50 / p99`,
      peer: `Python original ${ms(PYTHON.keyP50)} / ${ms(PYTHON.keyP99)} (issue 13)`,
      prdb: `${ms(p50)} / ${ms(p99)}`,
      goal: 'p50 ≤ 0.4 ms, p99 ≤ 2 ms',
      met: met(p50 <= 0.4 && p99 <= 2),
    });
    await cleanUp();
  }
  return rows;
}

/** 4. Output to a page that acknowledges: a 20 MB string, and 200,000 short lines. */
async function output() {
  const target = await benchTarget();
  const session = await openAtPrompt(await target.activate());
  const rows = [];

  note('output: a 20 MB string');
  const big = '0123456789abcdef'.repeat(20e6 / 16);
  let from = session.chunks.length;
  let started = now();
  session.type("console.log('0123456789abcdef'.repeat(20e6 / 16)); 'big done'\r");
  await session.waitFor(() => /'big done'\n> $/.test(stripAnsi(session.tail)), 'the 20 MB string', 60_000);
  let elapsed = (now() - started) / 1000;
  let text = session.since(from);
  const start = text.indexOf('\r\n0123456789abcdef');
  const delivered = start === -1 ? '' : text.slice(start + 2, text.indexOf('\r\n', start + 2));
  const whole = delivered === big && !/dropped/.test(text);
  const megabytesPerSecond = big.length / 1e6 / elapsed;
  rows.push({
    figure: 'output of a 20 MB string to a page that acknowledges as client.html does',
    peer: `Python original ${PYTHON.outputMBps} MB/s`,
    prdb:
      `${megabytesPerSecond.toFixed(1)} MB/s; ` +
      `${count(delivered.length)} of ${count(big.length)} bytes, ${whole ? 'ok' : 'mismatch'}`,
    goal: `≥ ${2 * PYTHON.outputMBps} MB/s, bytes equal`,
    met: met(megabytesPerSecond >= 2 * PYTHON.outputMBps && whole),
  });

  note('output: 200,000 lines');
  const LINES = 200_000;
  from = session.chunks.length;
  started = now();
  session.type(`for (let i = 0; i < ${LINES}; i++) console.log('row', i); 'rows done'\r`);
  await session.waitFor(() => /'rows done'\n> $/.test(stripAnsi(session.tail)), 'the lines', 60_000);
  elapsed = (now() - started) / 1000;
  text = stripAnsi(session.since(from));
  const lines = text.match(/^row \d+$/gm) ?? [];
  let printedBytes = 0;
  for (let i = 0; i < LINES; i++) printedBytes += `row ${i}\n`.length;
  let deliveredBytes = 0;
  let inOrder = lines.length === LINES;
  for (let i = 0; i < lines.length; i++) {
    deliveredBytes += lines[i].length + 1;
    if (lines[i] !== `row ${i}`) inOrder = false;
  }
  const linesOk = inOrder && deliveredBytes === printedBytes && !/dropped/.test(text);
  rows.push({
    figure: `output of ${count(LINES)} short lines (\`console.log('row', i)\`)`,
    peer: '',
    prdb:
      `${count(LINES / elapsed)} lines/s (${(printedBytes / 1e6 / elapsed).toFixed(1)} MB/s of text); ` +
      `${count(lines.length)} lines, ${count(deliveredBytes)} of ${count(printedBytes)} bytes, ` +
      (linesOk ? 'ok' : 'mismatch'),
    goal: 'bytes equal',
    met: met(linesOk),
  });
  return rows;
}

/**
 * 5. WebSocket framing: echo servers on prdb's framing and on `ws`, the same `ws` client. The two
 * take turns in short rounds, both warmed up first; the figure is the median of the rounds' ratios,
 * each between two runs next to each other in time, so that the load of a shared machine, which
 * changes from second to second, weighs on both sides of each ratio alike.
 */
async function framing() {
  const SIZES = [
    ['16 B', 16],
    ['4 KiB', 4096],
    ['1 MiB', 1 << 20],
  ];
  const ROUNDS = 12;
  const ROUND_MS = 150;
  const servers = {};
  for (const kind of ['prdb', 'ws']) {
    const child = spawnChild(process.execPath, [benchFile('echo-server.js'), kind]);
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (text) => (stdout += text));
    const port = Number((await waitUntil(child.stdout, 'data', () => /^(\d+)\n/.exec(stdout), `${kind} echo`))[1]);
    const socket = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false, maxPayload: 8 << 20 });
    t.after(() => socket.terminate());
    await once(socket, 'open');
    let answer = null;
    socket.on('message', (data) => answer?.(data));
    const echo = (payload) =>
      new Promise((resolve) => {
        answer = resolve;
        socket.send(payload, { binary: true });
      });
    /** Messages per second, echoed one at a time for `duration` ms. */
    const rate = async (payload, duration) => {
      const started = now();
      let messages = 0;
      let elapsed = 0;
      while ((elapsed = now() - started) < duration) {
        await echo(payload);
        messages++;
      }
      return (messages / elapsed) * 1000;
    };
    servers[kind] = { echo, rate };
  }
  const rows = [];
  for (const [label, size] of SIZES) {
    note(`framing: ${label} messages, ${ROUNDS} rounds of ${ROUND_MS} ms each`);
    const payload = Buffer.alloc(size, 0x61);
    for (const server of Object.values(servers)) {
      const back = await server.echo(payload);
      if (!payload.equals(back)) throw new Error('the echo differs from the message');
      await server.rate(payload, ROUND_MS); // warm-up: both sides' code at its optimized tier
    }
    const rates = { prdb: [], ws: [] };
    const ratios = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const kind of round % 2 ? ['ws', 'prdb'] : ['prdb', 'ws'])
        rates[kind].push(await servers[kind].rate(payload, ROUND_MS));
      ratios.push(rates.prdb[round] / rates.ws[round]);
    }
    const ratio = median(ratios);
    rows.push({
      figure: `WebSocket echo, ${label} messages one at a time, same \`ws\` client`,
      peer: `\`ws\` server ${count(median(rates.ws))} msg/s`,
      prdb: `${count(median(rates.prdb))} msg/s, ${ratio.toFixed(2)}x (median of ${ROUNDS} paired rounds)`,
      goal: '≥ 1.0x ws',
      met: met(ratio >= 1),
    });
  }
  return rows;
}

/**
 * 6. Memory: the server child's RSS with one session open; the target's heap per session; and
 * whether 1000 sessions opened and closed in turn leave the heap bigger (sessions end with their
 * WebSocket here: reattachTimeout 0, so that what is measured is sessions that have ended).
 */
async function memory() {
  const SESSIONS = 10;
  const CYCLES = 1000;
  const target = await benchTarget({
    options: { port: 0, maxSessions: SESSIONS + 2, reattachTimeout: 0 },
    execArgv: ['--expose-gc'],
  });
  const consoleUrl = await target.activate();
  const main = await openAtPrompt(consoleUrl);
  const rssOf = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
  const serverRss = rssOf(serverChildPid(target.pid));
  const heapUsed = async () => {
    const text = await main.evaluate('gc(); gc(); process.memoryUsage().heapUsed');
    const match = /\n(\d+)\n> $/.exec(text);
    if (!match) throw new Error(`no heapUsed in ${JSON.stringify(text.slice(-200))}`);
    return Number(match[1]);
  };
  const sessionsAre = async (wanted) => {
    for (let tries = 0; ; tries++) {
      if (new RegExp(`\\n${wanted}\\n> $`).test(await main.evaluate('prdb.status().sessions'))) return;
      if (tries > 500) throw new Error(`the target still has other than ${wanted} sessions`);
    }
  };
  await heapUsed();
  const heapBefore = await heapUsed();
  note(`memory: ${SESSIONS} sessions open`);
  const others = [];
  for (let index = 0; index < SESSIONS; index++) others.push(await openAtPrompt(consoleUrl));
  const heapWithSessions = await heapUsed();
  for (const session of others) await session.close();
  await sessionsAre(1);
  const heapAfterTen = await heapUsed();
  const cycles = async () => {
    note(`memory: ${CYCLES} sessions opened and closed one after another`);
    for (let cycle = 0; cycle < CYCLES; cycle++) await (await openAtPrompt(consoleUrl)).close();
    await sessionsAre(1);
  };
  await cycles();
  await heapUsed();
  const heapAfterCycles = await heapUsed();
  const serverRssAfter = rssOf(serverChildPid(target.pid));
  await cycles();
  await heapUsed();
  const heapAfterTwice = await heapUsed();
  const serverRssAfterTwice = rssOf(serverChildPid(target.pid));
  const perSession = (heapWithSessions - heapBefore) / SESSIONS;
  const signed = (bytes) => `${bytes >= 0 ? '+' : '−'}${kb(Math.abs(bytes))}`;
  // The first thousand also warms up (code, caches that fill once); a leak grows again in the second.
  const growth = heapAfterTwice - heapAfterCycles;
  return [
    {
      figure: 'server child RSS, one session open (`VmRSS`)',
      peer: '',
      prdb: mb(serverRss),
      goal: '< 50 MB',
      met: met(serverRss < 50e6),
    },
    {
      figure: `server child RSS after ${count(CYCLES)} and ${count(2 * CYCLES)} sessions opened and closed in turn`,
      peer: `one session ${mb(serverRss)}`,
      prdb:
        `${mb(serverRssAfter)}, ${mb(serverRssAfterTwice)} ` +
        `(${kb((serverRssAfterTwice - serverRssAfter) / CYCLES)} per session over the second ${count(CYCLES)})`,
      goal: '',
      met: '',
    },
    {
      figure: `target heap per session (${SESSIONS} open, heapUsed after gc)`,
      peer: `target heap with one session ${mb(heapBefore)}`,
      prdb: `${kb(perSession)} per session`,
      goal: '',
      met: '',
    },
    {
      figure: `target heap after ${count(CYCLES)} and ${count(2 * CYCLES)} sessions opened and closed (after gc)`,
      peer: `before them ${mb(heapAfterTen)}`,
      prdb:
        `${signed(heapAfterCycles - heapAfterTen)}, then ${signed(growth)} ` +
        `(${growth < 0 ? '−' : ''}${Math.abs(growth / CYCLES).toFixed(0)} B per session over the second ${count(CYCLES)})`,
      goal: 'not grown over the second 1,000 (< 100 B per session)',
      met: met(growth / CYCLES < 100),
    },
  ];
}

/** 7. The page: its bytes on the wire, and from page.goto to the first prompt in headless Chromium. */
async function page() {
  const RUNS = 5;
  const target = await benchTarget({ options: { port: 0, reattachTimeout: 0, maxSessions: 2 * RUNS + 4 } });
  const consoleUrl = await target.activate();
  const get = (acceptEncoding) =>
    new Promise((resolve, reject) => {
      const headers = acceptEncoding ? { 'Accept-Encoding': acceptEncoding } : {};
      http
        .get(`${consoleUrl.origin}/`, { headers }, (response) => {
          const chunks = [];
          response.on('data', (chunk) => chunks.push(chunk));
          response.on('end', () =>
            resolve({ encoding: response.headers['content-encoding'] ?? 'identity', body: Buffer.concat(chunks) }),
          );
        })
        .on('error', reject);
    });
  const compressed = await get('br, gzip');
  const gzipped = await get('gzip');
  const raw = await get(null);
  const decoded =
    compressed.encoding === 'br' ? zlib.brotliDecompressSync(compressed.body) : zlib.gunzipSync(compressed.body);
  if (!decoded.equals(raw.body)) throw new Error('the compressed page is not the page');

  note(`page: ${RUNS} loads in headless Chromium`);
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
  });
  t.after(() => browser.close());
  const viewport = { width: 900, height: 560 };
  // The page notes, on the clock Node shares, when a row of the terminal first shows the prompt.
  const notePrompt = () => {
    new MutationObserver((changes, observer) => {
      const rows = document.querySelectorAll('.xterm-rows > div');
      if (![...rows].some((row) => /^>\s*$/.test(row.textContent))) return;
      window.__promptAt = performance.timeOrigin + performance.now();
      observer.disconnect();
    }).observe(document, { childList: true, subtree: true, characterData: true });
  };
  /** Milliseconds from page.goto to the first prompt in a new tab of `context`, and to the load event. */
  const load = async (context) => {
    const tab = await context.newPage();
    const started = performance.timeOrigin + now();
    const response = await tab.goto(consoleUrl.url);
    const loadEvent = performance.timeOrigin + now() - started;
    const promptAt = await tab.waitForFunction(() => window.__promptAt, null, { timeout: 10_000 });
    const prompt = (await promptAt.jsonValue()) - started;
    const encoding = (await response.allHeaders())['content-encoding'] ?? 'identity';
    await tab.close();
    return { prompt, loadEvent, encoding };
  };
  // A new browser context each time: nothing of an earlier load is warm but the browser process.
  const cold = [];
  for (let run = 0; run < RUNS; run++) {
    const context = await browser.newContext({ viewport });
    await context.addInitScript(notePrompt);
    cold.push(await load(context));
    await context.close();
  }
  // A user opens the URL in a new tab of a browser already in use: one context, loaded once before.
  const warm = [];
  const context = await browser.newContext({ viewport });
  t.after(() => context.close());
  await context.addInitScript(notePrompt);
  await load(context);
  for (let run = 0; run < RUNS; run++) warm.push(await load(context));
  const loads = cold.map((run) => run.prompt);
  const warmLoads = warm.map((run) => run.prompt);
  const chromiumEncoding = cold[0].encoding;
  const all = (values) => values.map((value) => value.toFixed(0)).join(', ');
  return [
    {
      figure: 'the page on the wire (Accept-Encoding: br, gzip)',
      peer: `raw ${kb(raw.body.length)}; gzip ${kb(gzipped.body.length)}`,
      prdb: `${compressed.encoding} ${kb(compressed.body.length)}`,
      goal: '',
      met: '',
    },
    {
      figure: `page.goto(URL) → first prompt visible, headless Chromium, new context, median of ${RUNS}`,
      peer: `page.goto's load event ${ms(median(cold.map((run) => run.loadEvent)))}`,
      prdb: `${ms(median(loads))} (all: ${all(loads)}; sent ${chromiumEncoding})`,
      goal: '< 300 ms',
      met: met(median(loads) < 300),
    },
    {
      figure: `the same, a new tab of a context that loaded the page before, median of ${RUNS}`,
      peer: `page.goto's load event ${ms(median(warm.map((run) => run.loadEvent)))}`,
      prdb: `${ms(median(warmLoads))} (all: ${all(warmLoads)})`,
      goal: '< 300 ms',
      met: met(median(warmLoads) < 300),
    },
  ];
}

/**
 * 8. The lookup of the main module's variables on a large program (bench/large-heap-job.js):
 * how long it holds the main thread, as the program's own 1 ms timer saw it, and what a read costs.
 */
async function scope() {
  const heapMegabytes = Number(process.env.PRDB_BENCH_HEAP_MB ?? 1024);
  note(`scope: a job with 100,000 functions and a ${heapMegabytes} MB heap`);
  const job = await benchTarget({
    script: benchFile('large-heap-job.js'),
    execArgv: ['--max-old-space-size=4096'],
    env: { HEAP_MB: String(heapMegabytes) },
  });
  await job.waitForStderr(/job: ready.*\n/, 120_000);
  const ready = /job: ready, (.*)\n/.exec(job.stderr)[1];
  const session = await openAtPrompt(await job.activate());
  const longestGap = async () => {
    const before = job.stdout.length;
    job.signal('SIGUSR2');
    const gap = () => /longest gap ([\d.]+) ms/.exec(job.stdout.slice(before));
    return Number((await waitUntil(job.child.stdout, 'data', gap, 'the gap'))[1]);
  };
  await longestGap();
  let started = now();
  const first = await session.evaluate('model.name', 60_000);
  const firstWall = now() - started;
  const firstGap = await longestGap();
  if (!first.includes("'big'")) throw new Error(`unexpected: ${first}`);
  started = now();
  const listing = await session.evaluate('.scope', 60_000);
  const scopeWall = now() - started;
  const scopeGap = await longestGap();
  const figures = /(\d+) functions the process.s roots hold, in (\d+) ms; (\d+) on the whole heap, in (\d+) ms/.exec(
    listing,
  );
  if (!figures) throw new Error(`unexpected .scope: ${listing.slice(-300)}`);
  const [, quickFunctions, quickMs, fullFunctions, fullMs] = figures.map(Number);
  const READS = 2000;
  const timing = await session.evaluate(
    `{ const started = performance.now(); for (let i = 0; i < ${READS}; i++) step; ` +
      `((performance.now() - started) / ${READS} * 1000).toFixed(1) }`,
  );
  const perRead = /'([\d.]+)'/.exec(timing)?.[1];
  return [
    {
      figure: `module scope (${ready}): first use of a name, quick lookup + evaluation`,
      peer: '',
      prdb: `round trip ${ms(firstWall)}; the program's longest pause ${ms(firstGap)}`,
      goal: 'pause < 300 ms',
      met: met(firstGap < 300),
    },
    {
      figure: '`.scope`: quick lookup (the roots) / full lookup (the whole heap, after a full GC)',
      peer: '',
      prdb:
        `${quickMs} ms (${quickFunctions} functions) / ${fullMs} ms (${fullFunctions} functions); ` +
        `the program's longest pause ${ms(scopeGap)}, round trip ${ms(scopeWall)}`,
      goal: 'pause < 300 ms',
      met: met(scopeGap < 300),
    },
    { figure: 'one read of a program variable in a session', peer: '', prdb: `${perRead} µs`, goal: '', met: '' },
  ];
}

/**
 * 9. No lasting cost: the job's own promise-heavy work (bench/workload-job.js) before any
 * session, while one is open, after its tab closed (the session waits reattachTimeout for it)
 * and after it ended (Ctrl+D), in one process, median of 5 each.
 */
async function lasting() {
  const job = await benchTarget({ script: benchFile('workload-job.js') });
  await job.waitForStderr('job: ready');
  const measure = async (runs = 5) => {
    const all = [];
    for (let run = 0; run < runs; run++) {
      const before = job.stdout.length;
      job.signal('SIGUSR2');
      const line = await waitUntil(
        job.child.stdout,
        'data',
        () => /job: (\{.*\})\n/.exec(job.stdout.slice(before)),
        'the job to time its work',
        60_000,
      );
      all.push(JSON.parse(line[1]));
    }
    return Object.fromEntries(Object.keys(all[0]).map((name) => [name, median(all.map((times) => times[name]))]));
  };
  note('lasting: the job before any session');
  await measure(3); // warm-up: the JIT and the HTTP agent's sockets
  const never = await measure();
  const consoleUrl = await job.activate();
  const session = await openAtPrompt(consoleUrl);
  await session.evaluate('setTimeout(() => {}, 1); await null; 1 + 1');
  note('lasting: with a session open, its tab closed, and after it ended');
  const open = await measure();
  await session.close();
  const detached = await measure();
  const resume = { sessionId: session.hello.sessionId, key: session.hello.resumeKey };
  const again = await openAtPrompt(consoleUrl, { resume });
  if (!again.hello.resumed) throw new Error('the session was not taken up again');
  await again.end();
  // The session has ended in the target once another has seen no other session.
  const check = await openAtPrompt(consoleUrl);
  const sessions = await check.evaluate("globalThis[Symbol.for('prdb')].status().sessions");
  if (!/\n1\n> $/.test(sessions)) throw new Error(`the session lives on: ${JSON.stringify(sessions.slice(-100))}`);
  await check.end();
  const after = await measure();
  const names = { await: '200,000 `await null`', immediate: '50,000 `setImmediate`', http: '300 HTTP requests' };
  return Object.keys(never).map((name) => ({
    figure: `no lasting cost: ${names[name]} in the job, median of 5`,
    peer: `never opened ${ms(never[name])}`,
    prdb:
      `session open ${ms(open[name])}; tab closed ${ms(detached[name])}; ` +
      `session ended ${ms(after[name])} (${(after[name] / never[name]).toFixed(2)}x)`,
    goal: 'ended ≤ 1.25x never',
    met: met(after[name] <= 1.25 * never[name]),
  }));
}

const SECTIONS = { import: importCost, activation, keystrokes, output, framing, memory, page, scope, lasting };

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------

const chosen = process.argv.length > 2 ? process.argv.slice(2) : Object.keys(SECTIONS);
const unknown = chosen.filter((name) => !Object.hasOwn(SECTIONS, name));
if (unknown.length > 0) {
  console.error(`unknown section ${unknown.join(', ')}; sections: ${Object.keys(SECTIONS).join(' ')}`);
  process.exit(2);
}
const killEverything = () => {
  for (const child of running) child.kill('SIGKILL');
};
process.on('exit', killEverything);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'])
  process.on(signal, () => {
    killEverything();
    process.exit(130);
  });

const benchStarted = now();
const rows = [];
for (const name of chosen) {
  note(`${name} (${chosen.indexOf(name) + 1} of ${chosen.length})`);
  const sectionStarted = now();
  let deadline;
  try {
    const timeout = new Promise((resolve, reject) => {
      const late = () => reject(new Error(`the section took over ${SECTION_DEADLINE_MS / 1000} s`));
      deadline = setTimeout(late, SECTION_DEADLINE_MS);
    });
    rows.push(...(await Promise.race([SECTIONS[name](), timeout])));
  } catch (error) {
    note(`${name}: ${error.stack}`);
    rows.push({ figure: name, peer: '', prdb: `error: ${error.message.split('\n')[0]}`, goal: '', met: 'no' });
  } finally {
    clearTimeout(deadline);
    await cleanUp();
  }
  note(`${name}: ${((now() - sectionStarted) / 1000).toFixed(1)} s`);
}

const cpus = os.cpus();
const cell = (text) => String(text).replace(/\|/g, '\\|');
console.log(
  `prdb bench: Node ${process.version}, ${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown CPU'}), ` +
    `${os.platform()} ${os.arch()}, ${new Date().toISOString().slice(0, 16)}Z, ` +
    `${((now() - benchStarted) / 1000).toFixed(0)} s`,
);
console.log('');
console.log('| figure | peer / baseline | prdb | goal | met? |');
console.log('| --- | --- | --- | --- | --- |');
for (const row of rows) console.log(`| ${[row.figure, row.peer, row.prdb, row.goal, row.met].map(cell).join(' | ')} |`);
if (running.size > 0) note(`${running.size} processes still running at the end: killed`);
process.exit();
