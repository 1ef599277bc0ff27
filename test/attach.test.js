// `prdb attach`: the session in a real terminal (tmux, each test on its own server socket), as a
// user on plain ssh has it: keys in raw mode, the size followed, Ctrl+C and Ctrl+D, a lost
// connection taken up again, and the terminal given back sane on every way out.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import net from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { entry, startTarget, pollUntil, procStat, isAlive, root } from './helpers.js';

const { exitCodes } = (await import(entry)).internalsForTests;
const cli = fileURLToPath(entry);
const hasTmux = spawnSync('tmux', ['-V']).status === 0;
let sockets = 0;

/**
 * A tmux server of its own with one pane running `prdb attach …`; when prdb exits, the pane's
 * shell writes its exit code and `stty -a` into files, then waits.
 */
function terminal(t, args, { columns = 100, rows = 30, nodeArgs = [] } = {}) {
  const socket = `prdb-test-${process.pid}-${++sockets}`;
  const dir = mkdtempSync(path.join(tmpdir(), 'prdb-attach-'));
  const quote = (word) => `'${String(word).replace(/'/g, `'\\''`)}'`;
  const command =
    [process.execPath, ...nodeArgs, cli, 'attach', ...args].map(quote).join(' ') +
    `; echo $? > ${quote(path.join(dir, 'exit'))}; stty -a > ${quote(path.join(dir, 'stty.part'))}` +
    // Renamed once written: the test reads it as soon as it exists.
    `; mv ${quote(path.join(dir, 'stty.part'))} ${quote(path.join(dir, 'stty'))}; exec sleep 600`;
  const tmux = (...words) => execFileSync('tmux', ['-L', socket, ...words], { encoding: 'utf8', cwd: root });
  tmux('-f', '/dev/null', 'new-session', '-d', '-s', 'prdb', '-x', String(columns), '-y', String(rows), command);
  t.after(() => {
    try {
      tmux('kill-server');
    } catch {
      // Gone already.
    }
    rmSync(dir, { recursive: true, force: true });
  });
  const pane = {
    tmux,
    screen: () => tmux('capture-pane', '-p', '-t', 'prdb'),
    keys: (...keys) => tmux('send-keys', '-t', 'prdb', ...keys),
    type: (text) => tmux('send-keys', '-t', 'prdb', '-l', text),
    resize: (x, y) => tmux('resize-window', '-t', 'prdb', '-x', String(x), '-y', String(y)),
    cursorShown: () => tmux('display', '-p', '-t', 'prdb', '#{cursor_flag}').trim() === '1',
    waitFor: (pattern, what = String(pattern), deadlineMs = 15_000) =>
      pollUntil(
        () => {
          const text = pane.screen();
          return (typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text)) && text;
        },
        `${what} on the screen`,
        deadlineMs,
        50,
      ).catch((error) => {
        error.message += `\n--- screen ---\n${pane.screen()}`;
        throw error;
      }),
    /** Resolves with prdb's exit code and the terminal's settings once it has exited. */
    async exited() {
      await pollUntil(() => existsSync(path.join(dir, 'stty')), 'prdb attach to exit', 15_000, 50).catch((error) => {
        error.message += `\n--- screen ---\n${pane.screen()}`;
        throw error;
      });
      return {
        code: Number(readFileSync(path.join(dir, 'exit'), 'utf8')),
        stty: readFileSync(path.join(dir, 'stty'), 'utf8'),
      };
    },
    /** The pid of prdb itself: the pane's shell's child. */
    cliPid() {
      const shell = Number(tmux('display', '-p', '-t', 'prdb', '#{pane_pid}').trim());
      return pollUntil(
        () => readdirSync('/proc').find((name) => /^\d+$/.test(name) && procStat(name)?.ppid === shell),
        'the prdb process',
      ).then(Number);
    },
  };
  return pane;
}

/** A terminal given back as it was: canonical mode, echo, signals from keys; the cursor shown. */
function assertSane(stty, pane) {
  for (const flag of ['icanon', 'echo', 'isig', 'icrnl', 'opost'])
    assert.match(stty, new RegExp(`(^|\\s)${flag}(\\s|$)`), `${flag} is on again:\n${stty}`);
  if (pane !== undefined) assert.ok(pane.cursorShown(), 'the cursor is shown');
}

async function preparedTarget(t, options = {}, more = {}) {
  const target = await startTarget(t, { options: { port: 0, ...options }, ...more });
  const consoleUrl = await target.activate();
  return { target, consoleUrl };
}

const skip = hasTmux ? false : 'tmux is not installed (Debian package tmux)';

test(
  'a session in the terminal: keys, the size followed, Ctrl+C, Ctrl+D, the terminal given back',
  { skip },
  async (t) => {
    const { target, consoleUrl } = await preparedTarget(t);
    const pane = terminal(t, [consoleUrl.url]);
    await pane.waitFor(`prdb · pid ${target.pid}`);
    await pane.waitFor('Ctrl+C interrupts, Ctrl+D ends the session, .help lists the commands.');
    await pane.waitFor(/^> ?$/m, 'the prompt');
    pane.type('appState.name');
    pane.keys('Enter');
    await pane.waitFor("'fixture'");
    // The REPL's input preview is cut at the terminal's width less one: the width it was told.
    const previewWidth = async () => {
      pane.type("'x'.repeat(500)");
      const screen = await pane.waitFor(/^'x+\.\.\.$/m, 'the preview');
      pane.keys('C-u');
      await pane.waitFor(/^> ?$/m, 'the empty prompt');
      return screen.split('\n').find((line) => /^'x+\.\.\.$/.test(line)).length;
    };
    assert.equal(await previewWidth(), 99);
    pane.resize(60, 20);
    // The new size travels (SIGWINCH, a resize message, the target): looked at until it has arrived.
    const widths = [];
    for (const until = Date.now() + 10_000; widths.at(-1) !== 59 && Date.now() < until;)
      widths.push(await previewWidth());
    assert.equal(widths.at(-1), 59, `preview widths seen: ${widths}`);
    // Ctrl+C goes to the REPL: it interrupts a runaway loop, and the program goes on.
    pane.type('while (true) {}');
    pane.keys('Enter');
    await pane.waitFor('> while (true) {}');
    pane.keys('C-c');
    await pane.waitFor('Script execution was interrupted by Ctrl+C');
    // Output that hides the cursor: prdb shows it again when it leaves.
    pane.type("console.log('\\x1b[?25l')");
    pane.keys('Enter');
    await pollUntil(() => !pane.cursorShown(), 'the cursor hidden');
    pane.keys('C-d');
    await pane.waitFor('Session ended (.exit or Ctrl+D); the process goes on.');
    const { code, stty } = await pane.exited();
    assert.equal(code, exitCodes.EXIT_OK);
    assertSane(stty, pane);
    assert.equal(target.exit, null);
  },
);

test('SIGTERM, SIGHUP and a crash of prdb attach give the terminal back', { skip }, async (t) => {
  const { consoleUrl } = await preparedTarget(t);
  const dir = mkdtempSync(path.join(tmpdir(), 'prdb-crash-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // A real uncaught exception in prdb's process, on a signal the test sends.
  const crash = path.join(dir, 'crash-on-usr2.cjs');
  writeFileSync(crash, "process.on('SIGUSR2', () => setImmediate(() => { throw new Error('crash test'); }));\n");
  for (const [how, expected] of [
    ['SIGTERM', 143],
    ['SIGHUP', 129],
    ['crash', 1],
  ]) {
    const pane = terminal(t, [consoleUrl.url], { nodeArgs: ['--require', crash] });
    await pane.waitFor(/^> ?$/m, 'the prompt');
    pane.type("console.log('\\x1b[?25l')");
    pane.keys('Enter');
    await pollUntil(() => !pane.cursorShown(), 'the cursor hidden');
    const pid = await pane.cliPid();
    process.kill(pid, how === 'crash' ? 'SIGUSR2' : how);
    const { code, stty } = await pane.exited();
    assert.equal(code, expected, how);
    assertSane(stty, pane);
    if (how === 'crash') await pane.waitFor('crash test');
    await pollUntil(() => !isAlive(pid), 'prdb gone');
  }
});

test('the console going away ends attach with the page’s words: process exit, server stop', { skip }, async (t) => {
  const stopped = await preparedTarget(t);
  const stopPane = terminal(t, [stopped.consoleUrl.url]);
  await stopPane.waitFor(/^> ?$/m, 'the prompt');
  stopPane.type('prdb.stop()');
  stopPane.keys('Enter');
  await stopPane.waitFor(`The prdb server in process ${stopped.target.pid} was stopped; the process itself goes on.`);
  const afterStop = await stopPane.exited();
  assert.equal(afterStop.code, exitCodes.EXIT_CONNECTION_FAILED);
  assertSane(afterStop.stty, stopPane);

  const exiting = await preparedTarget(t);
  const exitPane = terminal(t, [exiting.consoleUrl.url]);
  await exitPane.waitFor(/^> ?$/m, 'the prompt');
  exitPane.type('process.exit(3)');
  exitPane.keys('Enter');
  await exitPane.waitFor(`Process ${exiting.target.pid} exited (code 3). There is nothing left to attach to.`);
  const afterExit = await exitPane.exited();
  assert.equal(afterExit.code, exitCodes.EXIT_CONNECTION_FAILED);
  assertSane(afterExit.stty, exitPane);
});

test('a lost connection is taken up again where it was, with what was printed meanwhile', { skip }, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'prdb-proxy-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const socketPath = path.join(dir, 'console.sock');
  const { consoleUrl } = await preparedTarget(t, { socketPath, port: undefined });
  // A TCP proxy to the console's unix socket: the test cuts every connection through it at once.
  const open = new Set();
  const proxy = net.createServer((downstream) => {
    const upstream = net.connect(socketPath);
    downstream.pipe(upstream).pipe(downstream);
    for (const socket of [downstream, upstream]) {
      open.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => open.delete(socket));
    }
  });
  proxy.listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  t.after(() => {
    for (const socket of open) socket.destroy();
    proxy.close();
  });
  const pane = terminal(t, [`http://127.0.0.1:${proxy.address().port}/#${consoleUrl.token}`]);
  await pane.waitFor(/^> ?$/m, 'the prompt');
  pane.type("let kept = 'still here'; console.log('marker before')");
  pane.keys('Enter');
  await pane.waitFor(/^marker before$/m);
  pane.type("setTimeout(() => console.log('printed while away'), 300)");
  pane.keys('Enter');
  await pane.waitFor(/^Timeout/m, 'the timer');
  for (const socket of open) socket.destroy();
  await pane.waitFor('Connection lost. Reconnecting; the session waits in the process.');
  await pane.waitFor('Reconnected: the session goes on.');
  await pane.waitFor(/^printed while away$/m);
  pane.type('kept');
  pane.keys('Enter');
  const screen = await pane.waitFor("'still here'");
  // Only what it missed was sent again: nothing shown twice.
  assert.equal(screen.match(/^marker before$/gm).length, 1, screen);
  // Gone for good (the tunnel closed): retrying, until Ctrl+C leaves, with the terminal sane.
  proxy.close();
  for (const socket of open) socket.destroy();
  await pane.waitFor(/Connection lost\. Reconnecting.*\n.*Ctrl\+C or Ctrl\+D to leave\.\n(?![^]*Connection lost)/);
  pane.keys('C-c');
  await pane.waitFor('Left. The session waits in process');
  const { code, stty } = await pane.exited();
  assert.equal(code, exitCodes.EXIT_CONNECTION_FAILED);
  assertSane(stty, pane);
});

test('attach refuses what it cannot do: no terminal, a wrong token, a bad argument', { skip }, async (t) => {
  const { consoleUrl } = await preparedTarget(t);
  const noTerminal = spawnSync(process.execPath, [cli, 'attach', consoleUrl.url], { encoding: 'utf8', stdio: 'pipe' });
  assert.equal(noTerminal.status, exitCodes.EXIT_USAGE);
  assert.match(
    noTerminal.stderr,
    /attach needs a terminal on its stdin and stdout; for scripts and cron, use prdb exec/,
  );
  const usage = spawnSync(process.execPath, [cli, 'attach'], { encoding: 'utf8', stdio: 'pipe' });
  assert.equal(usage.status, exitCodes.EXIT_USAGE);
  const pane = terminal(t, [`${consoleUrl.origin}/#${'A'.repeat(43)}`]);
  await pane.waitFor('The server refused the token: this URL is from an earlier start of prdb in that process.');
  const { code, stty } = await pane.exited();
  assert.equal(code, exitCodes.EXIT_CONNECTION_FAILED);
  assertSane(stty, pane);
});

test(
  'a busy program is said once in plain words, Ctrl+\\ shows its stack, the line redrawn when it frees',
  { skip },
  async (t) => {
    const { target, consoleUrl } = await preparedTarget(t, {}, { env: { FIXTURE_APP_BUSY_MS: '4000' } });
    const pane = terminal(t, [consoleUrl.url]);
    await pane.waitFor(/^> ?$/m, 'the prompt');
    pane.type('1 +');
    target.signal('SIGHUP');
    await pane.waitFor(/The process is busy: its main thread has not answered for \d\.\d s\./);
    // Ctrl+\ is the page's Stack button: the program's own busy code, by its file.
    pane.keys('C-\\');
    await pane.waitFor(/Main thread stack \(Ctrl\+\\\):\n[^]*target\.js/);
    await target.waitForStdout('fixture: app busy work done');
    // The half-typed line comes back under the notice, and goes on.
    await pane.waitFor(/\n> 1 \+\s*$/, 'the line redrawn last');
    pane.type(' 1');
    pane.keys('Enter');
    await pane.waitFor(/^2$/m);
    pane.keys('C-d');
    assert.equal((await pane.exited()).code, exitCodes.EXIT_OK);
  },
);
