// Test helpers: real target processes, real signals, real WebSocket clients. Every wait is
// for an event or a text, bounded by a deadline that fails the test instead of hanging it.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

export const root = fileURLToPath(new URL('..', import.meta.url));
/** Which build the targets import: prdb.js by default, prdb.ts with PRDB_ENTRY=ts. */
export const entry =
  process.env.PRDB_ENTRY === 'ts'
    ? new URL('../prdb.ts', import.meta.url).href
    : new URL('../prdb.js', import.meta.url).href;
export const fixture = (name) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

const DEFAULT_DEADLINE_MS = 10_000;

/** Debian's Chromium as the browser tests and the bench launch it (PRDB_CHROMIUM for another). */
export const CHROMIUM = process.env.PRDB_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Resolves when `predicate()` is truthy, re-checked on each `emitter` event; rejects at the deadline
 * saying `what` it waited for (a function is asked then, so that it can show the state at the deadline).
 */
export function waitUntil(emitter, event, predicate, what, deadlineMs = DEFAULT_DEADLINE_MS) {
  const value = predicate();
  if (value) return Promise.resolve(value);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, check);
      reject(new Error(`timed out after ${deadlineMs} ms waiting for ${typeof what === 'function' ? what() : what}`));
    }, deadlineMs);
    function check() {
      const result = predicate();
      if (result) {
        clearTimeout(timer);
        emitter.off(event, check);
        resolve(result);
      }
    }
    emitter.on(event, check);
  });
}

/**
 * For states that no event announces (a process gone, a file removed): looks every `stepMs`
 * until `predicate` holds, or fails after `deadlineMs` saying what it waited for.
 */
export async function pollUntil(predicate, what, deadlineMs = DEFAULT_DEADLINE_MS, stepMs = 20) {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const value = predicate();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
}

/**
 * Starts a target that imports prdb. `options` go to setSignalHandler (port 0 by default so
 * that tests never collide); `env` adds variables.
 */
export async function startTarget(
  t,
  {
    options = { port: 0 },
    env = {},
    script = fixture('target.js'),
    args = [],
    execArgv = [],
    node = process.execPath,
    cwd = root,
  } = {},
) {
  const child = spawn(node, [...execArgv, script, ...args], {
    cwd,
    env: {
      ...process.env,
      PRDB_ENTRY: entry,
      PRDB_OPTIONS: options === null ? '' : JSON.stringify(options),
      // No test writes the user's own history file, unless it asks for one.
      PRDB_REPL_HISTORY: '',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const target = {
    child,
    pid: child.pid,
    stderr: '',
    stdout: '',
    exit: null,
    exited: once(child, 'exit').then(([code, signal]) => (target.exit = { code, signal })),
    waitForStderr(pattern, deadlineMs) {
      return waitUntil(
        child.stderr,
        'data',
        () => matchFrom(target.stderr, pattern),
        () => `stderr ${pattern} in ${JSON.stringify(target.stderr.slice(-300))}`,
        deadlineMs,
      );
    },
    waitForStdout(pattern, deadlineMs) {
      return waitUntil(
        child.stdout,
        'data',
        () => matchFrom(target.stdout, pattern),
        () => `stdout ${pattern} in ${JSON.stringify(target.stdout.slice(-300))}`,
        deadlineMs,
      );
    },
    signal(name = 'SIGUSR1') {
      process.kill(child.pid, name);
    },
    /** Sends the signal and resolves with the URL printed after it. */
    async activate(name = 'SIGUSR1') {
      const before = target.stderr.length;
      target.signal(name);
      // The URL is printed once per server start; later signals say where the owner-only file is.
      const match = await waitUntil(
        child.stderr,
        'data',
        () =>
          /prdb: console for pid \d+ (?:at (\S+)|is running; its URL is in (\S+) \(readable by its owner only\))\n/.exec(
            target.stderr.slice(before),
          ),
        'the URL on stderr',
      );
      // The target prints the URL before it forks the server child (a page that connects meanwhile
      // waits for it): tests that look for the child find it.
      await pollUntil(() => serverChildPid(child.pid) !== null, 'the server child');
      return parseConsoleUrl(match[1] ?? readFileSync(match[2], 'utf8').trim());
    },
  };
  child.stderr.setEncoding('utf8');
  child.stdout.setEncoding('utf8');
  child.stderr.on('data', (text) => (target.stderr += text));
  child.stdout.on('data', (text) => (target.stdout += text));
  t.after(async () => {
    if (target.exit === null) {
      child.kill('SIGKILL');
      await target.exited;
    }
  });
  await target.waitForStderr(/fixture: |prdb: /);
  return target;
}

function matchFrom(text, pattern) {
  if (typeof pattern === 'string') return text.includes(pattern) ? [pattern] : null;
  return pattern.exec(text);
}

export function parseConsoleUrl(url) {
  const parsed = new URL(url);
  const token = parsed.hash.slice(1);
  return {
    url,
    token,
    origin: parsed.origin,
    host: parsed.host,
    port: Number(parsed.port),
    wsUrl: `${parsed.protocol === 'https:' ? 'wss' : 'ws'}://${parsed.host}/ws`,
  };
}

/**
 * A session as a page would have it, through the `ws` package: `output` is the terminal text
 * received so far, `messages` the control messages. Acknowledges output like the page does.
 */
export async function connect(
  t,
  consoleUrl,
  {
    origin = consoleUrl.origin,
    columns = 80,
    rows = 24,
    acknowledge = true,
    wsOptions = {},
    resume = undefined,
    waitForPrompt = true,
  } = {},
) {
  const socket = new WebSocket(consoleUrl.wsUrl, { origin, ...wsOptions });
  const plainText = plainTextOf();
  let recheckTimer = null;
  const recheckSoon = (delayMs) => {
    recheckTimer ??= setTimeout(() => {
      recheckTimer = null;
      session.events.emit('update');
    }, delayMs);
  };
  // The token is the first message (never in the request line), with the session to take up, if any.
  socket.on('open', () => socket.send(JSON.stringify({ type: 'token', token: consoleUrl.token, resume })));
  const session = {
    socket,
    columns,
    output: '',
    outputBytes: 0,
    messages: [],
    closed: null,
    hello: null,
    type(text) {
      socket.send(Buffer.from(text));
    },
    send(message) {
      if (message.type === 'resize' && Number.isInteger(message.cols) && message.cols > 0 && message.cols <= 10_000)
        session.columns = message.cols;
      socket.send(JSON.stringify(message));
    },
    /** Resolves when the output since `from` (default: since the last mark) matches. */
    waitForOutput(pattern, { from = session.mark, deadlineMs } = {}) {
      let matchedAt = -Infinity;
      return waitUntil(
        session.events,
        'update',
        () => {
          // Each match reads (and V8 first flattens) all of the text: a long output that grows is
          // matched again after a time in proportion to its length, and once after its last
          // message, not on each message (that made a 20 MB print quadratic in this client).
          const length = plainText.lengthSince(from);
          const interval = (length / RECHECK_ABOVE_CHARACTERS) * RECHECK_MS_PER_MEBICHARACTER;
          if (length > RECHECK_ABOVE_CHARACTERS && performance.now() - matchedAt < interval) {
            recheckSoon(interval);
            return null;
          }
          matchedAt = performance.now();
          return matchFrom(plainText.since(session.output, from), pattern);
        },
        () =>
          `output ${pattern} in ${JSON.stringify(stripAnsi(session.output.slice(from)).slice(-300))}` +
          ` (${session.outputBytes} bytes in all; last messages ${JSON.stringify(session.messages.slice(-4))})`,
        deadlineMs,
      );
    },
    /** Resolves with the first control message of `type` at index `from` or later. */
    waitForMessage(type, { from = 0, deadlineMs } = {}) {
      return waitUntil(
        session.events,
        'update',
        () => session.messages.slice(from).find((message) => message.type === type),
        () => `message ${type} in ${JSON.stringify(session.messages.slice(from).map((message) => message.type))}`,
        deadlineMs,
      );
    },
    waitForClose(deadlineMs) {
      return waitUntil(session.events, 'update', () => session.closed, 'close', deadlineMs);
    },
    /** Sets the mark: later waits look only at output from here on. */
    markOutput() {
      session.mark = session.output.length;
    },
    mark: 0,
    events: new (await import('node:events')).EventEmitter(),
    /** Types a line and resolves with the output up to the next prompt. */
    async evaluate(line, deadlineMs) {
      session.markOutput();
      session.type(`${line}\r`);
      const from = session.mark;
      await session.waitForOutput(/\n> $/, { from, deadlineMs });
      return screenSince(session.output, from, session.columns);
    },
  };
  socket.on('message', (data, isBinary) => {
    if (isBinary) {
      const text = data.toString('utf8');
      session.output += text;
      plainText.add(text, session.output.length);
      session.outputBytes += data.length;
      if (acknowledge) socket.send(JSON.stringify({ type: 'ack', bytes: data.length }));
    } else {
      const message = JSON.parse(data.toString('utf8'));
      if (message.type === 'hello') session.hello = message;
      session.messages.push(message);
    }
    session.events.emit('update');
  });
  socket.on('close', (code, reason) => {
    session.closed = { code, reason: reason.toString() };
    session.events.emit('update');
  });
  socket.on('error', (error) => {
    session.error = error;
    session.events.emit('update');
  });
  t.after(() => socket.terminate());
  await waitUntil(
    session.events,
    'update',
    () => session.hello || session.closed || session.error,
    'the hello message',
  );
  if (!session.hello) throw new Error(`no session: ${session.error?.message ?? JSON.stringify(session.closed)}`);
  session.send({ type: 'resize', cols: columns, rows });
  if (waitForPrompt) await session.waitForOutput(/> $/, { from: 0 });
  return session;
}

/** Removes terminal escape sequences and carriage returns, for assertions on visible text. */
const RECHECK_ABOVE_CHARACTERS = 1 << 20;
const RECHECK_MS_PER_MEBICHARACTER = 10;

/**
 * The output as stripAnsi gives it, kept up to date message by message: a wait that stripped the
 * whole output again on each message made a 20 MB print quadratic in the test client (20 s of
 * CPU), whose late acknowledgements then slowed the flow under test past its deadline. An escape sequence cut between two messages
 * waits for its end. `since(output, from)` takes a raw offset, as marks are.
 */
function plainTextOf() {
  let plain = '';
  let held = '';
  /** Raw output length -> plain length, at each message boundary. */
  const boundaries = new Map([[0, 0]]);
  return {
    add(chunk, outputLength) {
      const text = held + chunk;
      const escape = text.lastIndexOf('\x1b');
      const cut = escape !== -1 && isUnfinishedEscape(text.slice(escape)) ? escape : text.length;
      plain += stripAnsi(text.slice(0, cut));
      held = text.slice(cut);
      boundaries.set(outputLength, plain.length);
    },
    lengthSince(from) {
      return plain.length - (boundaries.get(from) ?? 0);
    },
    since(output, from) {
      const start = boundaries.get(from);
      return start === undefined ? stripAnsi(output.slice(from)) : plain.slice(start);
    },
  };
}

function isUnfinishedEscape(text) {
  if (text.length === 1) return true;
  if (text[1] === '[') return !/^\x1b\[[0-9;?]*[ -\/]*[@-~]/.test(text);
  return (text[1] === '(' || text[1] === ')') && text.length < 3;
}

export function stripAnsi(text) {
  return text
    .replace(/\x1b\[[0-9;?]*[ -\/]*[@-~]/g, '')
    .replace(/\x1b[()][A-Z0-9]/g, '')
    .replace(/\r/g, '');
}

/**
 * What a terminal of `columns` shows of the output from offset `from` on, as text: the REPL of
 * Node 26 redraws the line (and the lines of a multi-line input) at each key, to color it, which
 * stripAnsi would show as many copies. Enough of a terminal for what the REPL draws: CR, LF,
 * cursor moves, erases and the wrap of long lines (joined again in the text); colors dropped.
 * Starts a few lines above `from`, where a redraw of a multi-line input may begin.
 */
export function screenSince(output, from, columns = 80) {
  let start = from;
  for (let lines = 0; lines < 50 && start > 0; lines++) start = output.lastIndexOf('\n', start - 1);
  start = Math.max(0, start + 1);
  const screen = [''];
  /** Rows that continue the row above: the terminal wrapped a long line there. */
  const wrapped = new Set();
  let row = 0;
  let column = 0;
  const draw = (text) => {
    const tokens = /\x1b\[([0-9;?]*)[ -\/]*([@-~])|\x1b[()][A-Z0-9]|\r|\n|[^\x1b\r\n]+/g;
    for (const [token, parameter, command] of text.matchAll(tokens)) {
      const count = Number.parseInt(parameter, 10) || 1;
      while (screen.length <= row) screen.push('');
      if (token === '\r') column = 0;
      else if (token === '\n') [row, column] = [row + 1, 0];
      else if (command === 'A') row = Math.max(0, row - count);
      else if (command === 'B') row += count;
      else if (command === 'C') column = Math.min(columns - 1, column + count);
      else if (command === 'D') column = Math.max(0, Math.min(column, columns - 1) - count);
      else if (command === 'G') column = Math.min(columns, count) - 1;
      else if ((command === 'J' || command === 'K') && !parameter) {
        screen[row] = screen[row].slice(0, column);
        if (command === 'J') {
          screen.length = row + 1;
          for (const each of wrapped) if (each > row) wrapped.delete(each);
        }
      } else if (command === undefined && !token.startsWith('\x1b')) {
        for (let offset = 0; offset < token.length;) {
          // A character past the last column goes to the start of the next row.
          if (column >= columns) {
            [row, column] = [row + 1, 0];
            while (screen.length <= row) screen.push('');
            wrapped.add(row);
          }
          const piece = token.slice(offset, offset + columns - column);
          const line = screen[row].padEnd(column);
          screen[row] = line.slice(0, column) + piece + line.slice(column + piece.length);
          column += piece.length;
          offset += piece.length;
        }
      }
    }
    while (screen.length <= row) screen.push('');
  };
  draw(output.slice(start, from));
  const [markRow, markColumn] = [row, column];
  draw(output.slice(from));
  let text = screen[markRow].padEnd(markColumn).slice(markColumn);
  for (let index = markRow + 1; index < screen.length; index++)
    text += (wrapped.has(index) ? '' : '\n') + screen[index];
  return text;
}

/** A process's state letter and parent, from /proc; null once it is gone. */
export function procStat(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0], ppid: Number(fields[1]) };
  } catch {
    return null;
  }
}

/** A zombie has exited: it only waits for whoever adopted it to reap it. */
export function isAlive(pid) {
  const stat = procStat(pid);
  return stat !== null && stat.state !== 'Z';
}

/** The live server children of a target (there is one while its console runs). */
export function serverChildPids(targetPid) {
  const pids = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || procStat(name)?.ppid !== targetPid || !isAlive(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes('--prdb-server-role')) pids.push(Number(name));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

/** The target's one server child, or null. */
export function serverChildPid(targetPid) {
  const pids = serverChildPids(targetPid);
  if (pids.length > 1) throw new Error(`more than one server child of ${targetPid}: ${pids.join(', ')}`);
  return pids[0] ?? null;
}
