// Activation (issue 13): on a loopback TCP port the target binds the port itself at the signal and
// prints the URL at once; the server child, forked right after, inherits the listening socket.
// What that must keep: connections made at once are served and checked as any other, the URL file
// never outlives a child or a target that died while the child started, and every other way of
// listening (unix socket, TLS, another interface, a host name: tested elsewhere and here) still works.
import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import WebSocket from 'ws';
import { connect, isAlive, parseConsoleUrl, pollUntil, serverChildPid, startTarget, waitUntil } from './helpers.js';

const urlFileOf = (pid) => `${tmpdir()}/prdb-${process.getuid()}/${pid}.url`;

/** Sends the signal and resolves with the URL as soon as it is printed, without waiting for anything else. */
async function signalForUrl(target) {
  const before = target.stderr.length;
  target.signal();
  const [, url] = await waitUntil(
    target.child.stderr,
    'data',
    () => /prdb: console for pid \d+ at (\S+)\n/.exec(target.stderr.slice(before)),
    'the URL on stderr',
  );
  return parseConsoleUrl(url);
}

function get(consoleUrl, headers = {}) {
  return new Promise((resolve, reject) => {
    http
      .get(`http://${consoleUrl.host}/`, { headers }, (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode));
      })
      .on('error', reject);
  });
}

/** A WebSocket opened with `token` (and `origin`): resolves with how it closed, or 'open' once a session said hello. */
function tryWebSocket(consoleUrl, { token = consoleUrl.token, origin = consoleUrl.origin } = {}) {
  return new Promise((resolve) => {
    const socket = new WebSocket(consoleUrl.wsUrl, { origin });
    socket.on('open', () => socket.send(JSON.stringify({ type: 'token', token })));
    socket.on('message', (data, isBinary) => {
      if (!isBinary && JSON.parse(data.toString()).type === 'hello') {
        socket.terminate();
        resolve('open');
      }
    });
    socket.on('unexpected-response', (_request, response) => resolve(`refused ${response.statusCode}`));
    socket.on('close', (code) => resolve(`closed ${code}`));
    socket.on('error', () => {});
  });
}

/** Server children of any parent whose argv names `urlFile` (the one a target wrote): they outlive their target. */
function childrenNaming(urlFile) {
  return readdirSync('/proc').filter((name) => {
    try {
      return /^\d+$/.test(name) && readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').includes(urlFile);
    } catch {
      return false;
    }
  });
}

test('connections made as soon as the URL is printed are served: the page, and a session', async (t) => {
  const target = await startTarget(t);
  const consoleUrl = await signalForUrl(target);
  const [page, session] = await Promise.all([get(consoleUrl), connect(t, consoleUrl)]);
  assert.equal(page, 200);
  assert.match(await session.evaluate('appState.name'), /'fixture'/);
  assert.equal(readFileSync(urlFileOf(target.pid), 'utf8'), `${consoleUrl.url}\n`, 'the URL file holds the URL');
});

test('connections that wait for the child are checked as any other: wrong token, foreign Origin, foreign Host', async (t) => {
  const target = await startTarget(t);
  const consoleUrl = await signalForUrl(target);
  const [wrongToken, foreignOrigin, foreignHost, good] = await Promise.all([
    tryWebSocket(consoleUrl, { token: 'A'.repeat(43) }),
    tryWebSocket(consoleUrl, { origin: 'http://evil.example' }),
    get(consoleUrl, { Host: `evil.example:${consoleUrl.port}` }),
    tryWebSocket(consoleUrl),
  ]);
  assert.equal(wrongToken, 'closed 1008');
  assert.equal(foreignOrigin, 'refused 403');
  assert.equal(foreignHost, 421);
  assert.equal(good, 'open');
});

test('the server child killed while it starts: the URL file goes, the target says so, the next signal starts afresh', async (t) => {
  const target = await startTarget(t);
  const first = await signalForUrl(target);
  const childPid = await pollUntil(() => serverChildPid(target.pid), 'the server child', 10_000, 1);
  process.kill(childPid, 'SIGKILL');
  await target.waitForStderr(/console server stopped unexpectedly \(SIGKILL\)/);
  await pollUntil(() => !existsSync(urlFileOf(target.pid)), 'the URL file removed');
  const second = await signalForUrl(target);
  assert.notEqual(second.token, first.token);
  const session = await connect(t, second);
  assert.match(await session.evaluate('6 * 7'), /42/);
  assert.equal(target.exit, null);
});

test('the target killed while its server child starts: the child exits and removes the URL file', async (t) => {
  const target = await startTarget(t);
  await signalForUrl(target);
  const urlFile = urlFileOf(target.pid);
  const childPid = await pollUntil(() => childrenNaming(urlFile)[0], 'the server child', 10_000, 1);
  target.child.kill('SIGKILL');
  await target.exited;
  await pollUntil(() => !isAlive(childPid) && !existsSync(urlFile), 'the child gone and the URL file removed');
});

for (const host of ['::1', 'localhost']) {
  test(`host ${host}: the console is at the printed URL`, async (t) => {
    const target = await startTarget(t, { options: { port: 0, host } });
    const consoleUrl = await target.activate();
    assert.equal(consoleUrl.url, readFileSync(urlFileOf(target.pid), 'utf8').trim());
    const session = await connect(t, consoleUrl);
    assert.match(await session.evaluate('appState.name'), /'fixture'/);
  });
}
