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
function runCli(t, args, { env = {}, user = null, node = process.execPath } = {}) {
  const command = user === null ? node : 'runuser';
  const commandArgs = [...typeFlags, cli, ...args];
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
  t.after(() => theirs.kill('SIGKILL'));
  await waitUntil(theirs.stderr, 'data', () => true, 'the other user’s process');
  const theirPid = Number(
    execFileSync('pgrep', ['-u', 'prdb-other', '-P', String(theirs.pid)], { encoding: 'utf8' }).trim() || theirs.pid,
  );
  const asRoot = await cliResult(t, [String(theirPid)]);
  assert.equal(asRoot.code, codes.EXIT_NOT_PERMITTED, asRoot.stderr);
  assert.match(asRoot.stderr, /belongs to another user \(uid \d+\): run prdb as that user/);
  // And that user, against ours: the kernel says no.
  const target = await startTarget(t, { options: { port: 0 } });
  const asOther = await cliResult(t, [String(target.pid)], { user: 'prdb-other', node: publicNode });
  assert.equal(asOther.code, codes.EXIT_NOT_PERMITTED, asOther.stderr);
  assert.match(asOther.stderr, /belongs to another user/);
  assert.doesNotMatch(target.stderr, /prdb: console/);
  await assertAlive(target);
});
