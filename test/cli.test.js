// The command line, run as users run it (`node prdb.js …`, or prdb.ts with PRDB_ENTRY=ts),
// against real processes: targets that loaded prdb and targets that never did (CommonJS and
// ES modules), busy ones, another user's, and impostors on the inspector's port.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  startTarget,
  fixture,
  entry,
  root,
  parseConsoleUrl,
  connect,
  pollUntil,
  waitUntil,
  isAlive,
} from './helpers.js';

const cli = fileURLToPath(entry);
const { internalsForTests, urlFilePath } = await import(entry);
const codes = internalsForTests.exitCodes;
const typeFlags = cli.endsWith('.ts') ? ['--disable-warning=ExperimentalWarning'] : [];

/** Runs `node prdb.js …args`; resolves with its exit code, stdout and stderr. */
function runCli(t, args, { env = {}, user = null, node = process.execPath, script = cli } = {}) {
  const command = user === null ? node : 'runuser';
  const commandArgs = [...(script.endsWith('.ts') ? typeFlags : []), script, ...args];
  const child = spawn(command, user === null ? commandArgs : ['-u', user, '--', node, ...commandArgs], {
    cwd: root,
    env: { ...process.env, PRDB_REPL_HISTORY: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run = { child, stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (text) => (run.stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text) => (run.stderr += text));
  t.after(() => child.exitCode === null && child.kill('SIGKILL'));
  run.done = new Promise((resolve) =>
    child.on('close', (code) => resolve({ code, stdout: run.stdout, stderr: run.stderr })),
  );
  return run;
}

const cliResult = (t, args, options) => runCli(t, args, options).done;

/** A target that never loaded prdb; its inspector, when the signal opens it, on a free port (never 9229). */
function unprepared(t, name = 'unprepared.cjs', { env = {}, execArgv = ['--inspect-port=0'], node } = {}) {
  return startTarget(t, { script: fixture(name), options: null, execArgv, env, node });
}

/** The TCP ports `pid` itself listens on, from its descriptors and /proc/net. */
function listeningPorts(pid) {
  const inodes = new Set();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]);
    } catch {
      // Closed meanwhile.
    }
  }
  const ports = [];
  for (const table of ['tcp', 'tcp6'])
    for (const line of fs.readFileSync(`/proc/${pid}/net/${table}`, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[3] === '0A' && inodes.has(fields[9])) ports.push(parseInt(fields[1].split(':')[1], 16));
    }
  return ports;
}

/** Stops a target with SIGTERM and checks that it was alive to answer. */
async function assertAlive(target) {
  target.signal('SIGTERM');
  await target.exited;
  assert.deepEqual(target.exit, { code: 0, signal: null }, target.stderr);
}

/** The console works: a session reads the program's own state. */
async function assertConsoleWorks(t, url, expression, expected) {
  const session = await connect(t, parseConsoleUrl(url));
  assert.match(await session.evaluate(expression), expected);
  session.socket.close();
}

test('--help and --version; VERSION is package.json’s version; unknown commands and bad pids are usage errors', async (t) => {
  const help = await cliResult(t, ['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: prdb <pid> \[--open\] \[--timeout <seconds>\]/);
  assert.match(help.stdout, /prdb list \[--json\]/);
  const bare = await cliResult(t, []);
  assert.equal(bare.code, codes.EXIT_USAGE, 'no arguments: the usage, and a usage error');
  assert.match(bare.stdout, /Usage:/);
  const version = await cliResult(t, ['--version']);
  assert.equal(version.code, 0);
  const { version: packageVersion } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  assert.equal(version.stdout.trim(), packageVersion);
  for (const args of [
    ['frobnicate'],
    ['0'],
    ['-1'],
    ['12abc'],
    ['99999999'],
    ['123', '--bogus'],
    ['123', '--timeout'],
    ['123', '--timeout', 'soon'],
    ['list', '--yaml'],
  ]) {
    const result = await cliResult(t, args);
    assert.equal(result.code, codes.EXIT_USAGE, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, /^prdb: /);
  }
});

test('a process that loaded prdb: the signal, then the URL from its owner-only file; a second call finds it running', async (t) => {
  const target = await startTarget(t, { options: { port: 0 } });
  const result = await cliResult(t, [String(target.pid)]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /sent SIGUSR1 to pid \d+, which has prdb: its console started/);
  const url = result.stdout.trim();
  assert.equal(url, fs.readFileSync(urlFilePath(target.pid), 'utf8').trim());
  await assertConsoleWorks(t, url, 'appState.name', /'fixture'/);
  const again = await cliResult(t, [String(target.pid)]);
  assert.equal(again.code, 0);
  assert.equal(again.stdout.trim(), url);
  assert.match(again.stderr, /is running already/);
  assert.equal(target.stderr.match(/prdb: console for pid/g).length, 1, 'the second call sent no signal');
  await assertAlive(target);
});

for (const name of ['unprepared.cjs', 'unprepared.mjs']) {
  test(`a process that never loaded prdb (${name}): in through Node's inspector, prdb started, the inspector closed again`, async (t) => {
    const target = await unprepared(t, name);
    const result = await cliResult(t, [String(target.pid)]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stderr,
      /had not loaded prdb: opened Node's inspector \(SIGUSR1, 127\.0\.0\.1:\d+, checked it is pid \d+'s\), loaded \S+prdb\.\w+ into it and started the console, and closed the inspector again \(open \d+ ms/,
    );
    const url = parseConsoleUrl(result.stdout.trim());
    assert.deepEqual(listeningPorts(target.pid), [], 'the target listens on nothing: its inspector is closed');
    assert.match(target.stderr, /Debugger listening on/);
    await assertConsoleWorks(t, url.url, 'appState.kind', name.endsWith('.mjs') ? /'module'/ : /'commonjs'/);
    // From now on the process has prdb: the next call takes the signal's path.
    const again = await cliResult(t, [String(target.pid)]);
    assert.equal(again.stdout.trim(), url.url);
    await assertAlive(target);
  });
}

test('no such process; a process that is not Node (it gets no signal)', async (t) => {
  const gone = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => gone.on('exit', resolve));
  const none = await cliResult(t, [String(gone.pid)]);
  assert.equal(none.code, codes.EXIT_NO_SUCH_PROCESS, none.stderr);
  assert.match(none.stderr, new RegExp(`no process with pid ${gone.pid}`));
  const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
  t.after(() => sleeper.kill('SIGKILL'));
  const notNode = await cliResult(t, [String(sleeper.pid)]);
  assert.equal(notNode.code, codes.EXIT_NOT_NODE, notNode.stderr);
  assert.match(notNode.stderr, /is not a Node\.js process \(it runs \S*sleep\)/);
  assert.equal(sleeper.exitCode, null);
  assert.ok(isAlive(sleeper.pid), 'sleep got no SIGUSR1 (it would have died)');
});

test('a process of another user: refused both ways, with what to do', async (t) => {
  const publicNode = ['/usr/bin/node', '/usr/local/bin/node'].find((candidate) => fs.existsSync(candidate));
  if (process.getuid?.() !== 0 || publicNode === undefined)
    return t.skip('needs root (useradd, runuser) and a node outside /root');
  try {
    execFileSync('id', ['prdb-other'], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['--no-create-home', '--shell', '/bin/false', 'prdb-other']);
  }
  // The other user's Node process; root could signal it, but the console would be theirs.
  const theirs = spawn(
    'runuser',
    ['-u', 'prdb-other', '--', publicNode, '-e', 'setInterval(() => {}, 1000); console.error("fixture: ready")'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let theirStderr = '';
  theirs.stderr.setEncoding('utf8').on('data', (text) => (theirStderr += text));
  await waitUntil(theirs.stderr, 'data', () => theirStderr.includes('fixture: ready'), 'the other user’s process');
  // runuser waits for its child: the child is the other user's process.
  const theirPid = Number(execFileSync('pgrep', ['-u', 'prdb-other', '-P', String(theirs.pid)], { encoding: 'utf8' }));
  t.after(async () => {
    process.kill(theirPid, 'SIGKILL');
    await new Promise((resolve) => (theirs.exitCode === null ? theirs.on('exit', resolve) : resolve()));
  });
  const asRoot = await cliResult(t, [String(theirPid)]);
  assert.equal(asRoot.code, codes.EXIT_NOT_PERMITTED, asRoot.stderr);
  assert.match(asRoot.stderr, /belongs to another user \(uid \d+\): run prdb as that user/);
  // And that user, against ours: the kernel says no.
  const target = await startTarget(t, { options: { port: 0 } });
  // The checkout may sit where only root can read (a clean clone in a 0700 temporary directory):
  // that user runs a copy in a directory of its own. A node that user can run may not strip
  // types: the kernel's refusal is the same for every build.
  const readable = fs.mkdtempSync(path.join(os.tmpdir(), 'prdb-other-'));
  t.after(() => fs.rmSync(readable, { recursive: true, force: true }));
  fs.chmodSync(readable, 0o755);
  const script = path.join(readable, 'prdb.mjs');
  fs.copyFileSync(path.join(root, 'prdb.mjs'), script);
  fs.chmodSync(script, 0o644);
  const asOther = await cliResult(t, [String(target.pid)], { user: 'prdb-other', node: publicNode, script });
  assert.equal(asOther.code, codes.EXIT_NOT_PERMITTED, asOther.stderr);
  assert.match(asOther.stderr, /belongs to another user/);
  assert.doesNotMatch(target.stderr, /prdb: console/);
  await assertAlive(target);
});

test('a busy process with prdb: the CLI says so, waits, and prints the URL when the main thread frees', async (t) => {
  const target = await startTarget(t, { options: { port: 0 }, env: { FIXTURE_APP_BUSY_MS: '6000' } });
  target.signal('SIGHUP');
  await pollUntil(
    () => fs.readFileSync(`/proc/${target.pid}/stat`, 'utf8').split(') ')[1][0] === 'R',
    'the main thread running',
  );
  const run = runCli(t, [String(target.pid)]);
  await waitUntil(run.child.stderr, 'data', () => /main thread is busy/.test(run.stderr), 'the busy notice');
  assert.match(
    run.stderr,
    /running JavaScript without yielding to its event loop\): a process with prdb handles the signal when it yields, and the console appears then\. Waiting up to 30 s \(--timeout\)/,
  );
  assert.equal(run.stdout, '', 'no URL while busy');
  const result = await run.done;
  assert.equal(result.code, 0, result.stderr);
  assert.match(target.stdout, /fixture: app busy work done/);
  assert.equal(result.stdout.trim(), fs.readFileSync(urlFilePath(target.pid), 'utf8').trim());
  await assertAlive(target);
});

test('--timeout: a main thread that stays busy ends the wait with its own exit code, and the console still comes', async (t) => {
  const target = await startTarget(t, { options: { port: 0 }, env: { FIXTURE_APP_BUSY_MS: '8000' } });
  target.signal('SIGHUP');
  await pollUntil(
    () => fs.readFileSync(`/proc/${target.pid}/stat`, 'utf8').split(') ')[1][0] === 'R',
    'the main thread running',
  );
  const started = Date.now();
  const result = await cliResult(t, [String(target.pid), '--timeout', '2']);
  assert.equal(result.code, codes.EXIT_TIMEOUT, result.stderr);
  assert.ok(Date.now() - started < 6000, 'it gave up at the timeout, not when the thread freed');
  assert.match(
    result.stderr,
    /did not answer in 2 s: its main thread is still busy\. The signal is pending: a process with prdb starts its console when the main thread frees/,
  );
  await target.waitForStderr(/prdb: console for pid \d+ at /);
  await assertAlive(target);
});

test('a busy process without prdb: in through the inspector at once (it interrupts JavaScript), the URL before it frees, the inspector closed again after', async (t) => {
  const target = await unprepared(t, 'unprepared.cjs', { env: { FIXTURE_BUSY_MS: '8000' } });
  await target.waitForStderr('fixture: busy');
  const result = await cliResult(t, [String(target.pid)]);
  assert.equal(result.code, 0, result.stderr);
  assert.doesNotMatch(target.stderr, /fixture: free/, 'the URL came while the main thread was still busy');
  assert.match(result.stderr, /main thread is busy: its console starts, and answers once the main thread frees/);
  const url = parseConsoleUrl(result.stdout.trim());
  // Node opens its inspector again once the loop frees (the signal's wakeup was queued there): prdb closes it again.
  await target.waitForStderr('fixture: free');
  await target.waitForStderr(/Debugger listening[^]*Debugger listening/);
  await pollUntil(() => listeningPorts(target.pid).length === 0, 'the inspector closed once more');
  await assertConsoleWorks(t, url.url, 'appState.ticks > 0', /true/);
  await assertAlive(target);
});

test('on a terminal, the wait shows the seconds going by (tmux)', async (t) => {
  const target = await startTarget(t, { options: { port: 0 }, env: { FIXTURE_APP_BUSY_MS: '6000' } });
  target.signal('SIGHUP');
  await pollUntil(
    () => fs.readFileSync(`/proc/${target.pid}/stat`, 'utf8').split(') ')[1][0] === 'R',
    'the main thread running',
  );
  const sessionName = `prdb-cli-${process.pid}`;
  const command = [process.execPath, ...typeFlags, cli, String(target.pid)].map((part) => `'${part}'`).join(' ');
  execFileSync('tmux', [
    'new-session',
    '-d',
    '-s',
    sessionName,
    '-x',
    '200',
    '-y',
    '20',
    `${command}; echo exit=$?; sleep 30`,
  ]);
  t.after(() => execFileSync('tmux', ['kill-session', '-t', sessionName], { stdio: 'ignore' }));
  const screen = () => execFileSync('tmux', ['capture-pane', '-p', '-t', sessionName], { encoding: 'utf8' });
  await pollUntil(() => /waiting for the main thread: [2-9] s/.test(screen()), 'the elapsed seconds on the terminal');
  await pollUntil(() => /exit=0/.test(screen()), 'the URL after the wait');
  assert.match(screen(), /http:\/\/127\.0\.0\.1:\d+\/#\S{43}/);
  assert.doesNotMatch(screen(), /waiting for the main thread/, 'the waiting line was cleared');
  await assertAlive(target);
});

test('the inspector port is taken by another process: it is told, and nothing is sent to the port’s holder', async (t) => {
  const connections = [];
  const squatter = net.createServer((socket) => {
    connections.push(socket);
    socket.on('data', () => {});
  });
  await new Promise((resolve) => squatter.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const socket of connections) socket.destroy();
    squatter.close();
  });
  const port = squatter.address().port;
  const target = await unprepared(t, 'unprepared.cjs', { execArgv: [`--inspect-port=${port}`] });
  const result = await cliResult(t, [String(target.pid)]);
  assert.equal(result.code, codes.EXIT_INSPECTOR_PORT_TAKEN, result.stderr);
  assert.match(
    result.stderr,
    new RegExp(
      `has not loaded prdb, and Node could not open its inspector: port ${port} \\(127\\.0\\.0\\.1\\) is taken by another program`,
    ),
  );
  assert.equal(connections.length, 0, 'the holder of the port got no connection');
  await assertAlive(target);
});

test('attack: an inspector on the port that lies about its pid gets nothing but the question', async (t) => {
  const target = await unprepared(t, 'fake-inspector.cjs');
  const result = await cliResult(t, [String(target.pid)]);
  assert.equal(result.code, codes.EXIT_INSPECTOR_PORT_TAKEN, result.stderr);
  assert.match(
    result.stderr,
    new RegExp(
      `answers for pid ${target.pid + 1}, not ${target.pid}: another process holds that port; prdb sent it nothing more`,
    ),
  );
  await target.waitForStdout('fixture: asked');
  assert.deepEqual(target.stdout.match(/fixture: asked .*/g), ['fixture: asked "process.pid"']);
  assert.equal(result.stdout, '');
});

test('a program that owns SIGUSR1 (its own listener), and one whose SIGUSR1 would kill it (reset), are told apart and left alive', async (t) => {
  const owner = await unprepared(t, 'unprepared.cjs', { env: { FIXTURE_OWN_SIGUSR1: '1' } });
  const owned = await cliResult(t, [String(owner.pid)]);
  assert.equal(owned.code, codes.EXIT_SIGNAL_UNAVAILABLE, owned.stderr);
  assert.match(
    owned.stderr,
    /handled SIGUSR1 without starting a console or Node's inspector: the program uses SIGUSR1 for itself/,
  );
  assert.match(owner.stdout, /fixture: own SIGUSR1 listener ran/);
  await assertAlive(owner);
  const reset = await unprepared(t, 'unprepared.cjs', { env: { FIXTURE_RESET_SIGUSR1: '1' } });
  const refused = await cliResult(t, [String(reset.pid)]);
  assert.equal(refused.code, codes.EXIT_SIGNAL_UNAVAILABLE, refused.stderr);
  assert.match(refused.stderr, /has no handler for SIGUSR1 .*: the signal would kill it, so prdb sends nothing/);
  await assertAlive(reset);
});

test('--disable-sigusr1: refused before any signal, and said why', async (t) => {
  if (!process.allowedNodeEnvironmentFlags.has('--disable-sigusr1'))
    return t.skip(`Node ${process.version} has no --disable-sigusr1`);
  const target = await unprepared(t, 'unprepared.cjs', { execArgv: ['--disable-sigusr1'] });
  const result = await cliResult(t, [String(target.pid)]);
  assert.equal(result.code, codes.EXIT_SIGNAL_UNAVAILABLE, result.stderr);
  assert.match(result.stderr, /runs with --disable-sigusr1: neither prdb nor Node can be reached by the signal/);
  await assertAlive(target);
});

test('--open: the browser gets an owner-only page that forwards to the URL; no command line shows the token', async (t) => {
  const target = await startTarget(t, { options: { port: 0 } });
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'prdb-browser-'));
  t.after(() => fs.rmSync(scratch, { recursive: true, force: true }));
  // A stand-in browser: records its own command line as the kernel shows it to everyone, and what it was given.
  const browser = path.join(scratch, 'browser.sh');
  fs.writeFileSync(
    browser,
    `#!/bin/sh\ntr '\\0' ' ' < /proc/$$/cmdline > ${scratch}/cmdline\ncat "$1" > ${scratch}/page.html\necho done > ${scratch}/done\n`,
    { mode: 0o755 },
  );
  const result = await cliResult(t, [String(target.pid), '--open'], { env: { BROWSER: browser } });
  assert.equal(result.code, 0, result.stderr);
  const url = result.stdout.trim();
  const { token } = parseConsoleUrl(url);
  await pollUntil(() => fs.existsSync(path.join(scratch, 'done')), 'the browser to run');
  const commandLine = fs.readFileSync(path.join(scratch, 'cmdline'), 'utf8');
  assert.doesNotMatch(commandLine, new RegExp(token), 'the token is on no command line');
  const pageFile = commandLine.trim().split(' ').pop();
  assert.equal(pageFile, path.join(path.dirname(urlFilePath(target.pid)), `${target.pid}.open.html`));
  assert.equal(fs.statSync(pageFile).mode & 0o777, 0o600, 'only its owner reads the page');
  const page = fs.readFileSync(path.join(scratch, 'page.html'), 'utf8');
  assert.ok(page.includes(`location.replace(${JSON.stringify(url)})`), page);
  assert.ok(page.includes(`content="0;url=${url}"`), page);
  // A browser that cannot start: the URL is still printed, and it says so.
  const missing = await cliResult(t, [String(target.pid), '--open'], { env: { BROWSER: path.join(scratch, 'none') } });
  assert.equal(missing.stdout.trim(), url);
  assert.match(missing.stderr, /could not open a browser .*ENOENT.*; the URL is above/);
  await assertAlive(target);
  await pollUntil(() => !fs.existsSync(pageFile), 'the page file removed with the URL file');
});

test('prdb list: this user’s consoles with pid, title and URL; stale files of dead processes are removed', async (t) => {
  const first = await startTarget(t, { options: { port: 0 } });
  const second = await unprepared(t, 'unprepared.mjs');
  const urls = new Map();
  for (const target of [first, second]) urls.set(target.pid, (await cliResult(t, [String(target.pid)])).stdout.trim());
  // A dead process's file, as a SIGKILL of target and server together leaves it.
  const gone = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => gone.on('exit', resolve));
  const staleFile = urlFilePath(gone.pid);
  fs.writeFileSync(staleFile, `http://127.0.0.1:1/#${'A'.repeat(43)}\n`, { mode: 0o600 });
  // A file of this user that is no URL file is left alone and not listed.
  const strange = path.join(path.dirname(staleFile), `${second.pid + 100000}.txt`);
  fs.writeFileSync(strange, 'x', { mode: 0o600 });
  t.after(() => fs.rmSync(strange, { force: true }));
  const json = await cliResult(t, ['list', '--json']);
  assert.equal(json.code, 0, json.stderr);
  const listed = JSON.parse(json.stdout);
  for (const [pid, url] of urls) {
    const entry = listed.find((item) => item.pid === pid);
    assert.ok(entry, `pid ${pid} listed`);
    assert.equal(entry.url, url);
  }
  assert.match(listed.find((item) => item.pid === second.pid).title, /unprepared\.mjs/);
  assert.ok(!listed.some((item) => item.pid === gone.pid), 'a dead process is not listed');
  assert.ok(!fs.existsSync(staleFile), 'its stale file is removed');
  assert.ok(fs.existsSync(strange));
  const text = await cliResult(t, ['list']);
  assert.match(text.stdout, /^PID +URL +TITLE\n/);
  assert.match(
    text.stdout,
    new RegExp(`^${first.pid} +${urls.get(first.pid).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} +\\S*node`, 'm'),
  );
  await assertAlive(first);
  await assertAlive(second);
  const after = JSON.parse((await cliResult(t, ['list', '--json'])).stdout);
  assert.ok(!after.some((item) => urls.has(item.pid)), 'consoles of processes that ended are gone');
});

test('a program whose prdb moved to another signal: in through the inspector, its own prdb woken, no second copy loaded', async (t) => {
  const target = await startTarget(t, {
    script: fixture('signals.js'),
    options: null,
    execArgv: ['--inspect-port=0'],
    env: { FIXTURE_STEPS: 'move:SIGUSR2' },
  });
  const result = await cliResult(t, [String(target.pid)]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(
    result.stderr,
    /woke the prdb it had loaded \(on SIGUSR2\) and started its console, and closed the inspector again/,
  );
  assert.equal(result.stdout.trim(), fs.readFileSync(urlFilePath(target.pid), 'utf8').trim());
  assert.deepEqual(listeningPorts(target.pid), []);
  await assertAlive(target);
});

test('a program started with --inspect: through its open inspector, without a signal, and the inspector stays open', async (t) => {
  const target = await unprepared(t, 'unprepared.cjs', { execArgv: ['--inspect=127.0.0.1:0'] });
  const before = listeningPorts(target.pid);
  assert.equal(before.length, 1);
  const result = await cliResult(t, [String(target.pid)]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(
    result.stderr,
    /inspector was open \(127\.0\.0\.1:\d+, checked it is pid \d+'s\): loaded \S+ into it and started the console; the inspector stays open/,
  );
  assert.deepEqual(listeningPorts(target.pid), before);
  await assertConsoleWorks(t, result.stdout.trim(), 'appState.kind', /'commonjs'/);
  await assertAlive(target);
});

test('a console whose program turned the URL file off: said so, not waited on until the timeout', async (t) => {
  const target = await startTarget(t, { options: { port: 0, urlFile: false } });
  const started = Date.now();
  const result = await cliResult(t, [String(target.pid)]);
  assert.equal(result.code, codes.EXIT_CONNECTION_FAILED, result.stderr);
  assert.match(
    result.stderr,
    /runs a console but no URL file appeared: its program turned the file off \(urlFile: false\)/,
  );
  assert.ok(Date.now() - started < 20_000, 'well before the 30 s timeout');
  await assertAlive(target);
});
