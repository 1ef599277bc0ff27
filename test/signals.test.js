// Whatever prdb's API is asked to do with signals, a signal afterwards does what Node does
// without prdb (SIGUSR1 opens the inspector) or what prdb does; it never kills the process.
// Removing the last listener of SIGUSR1 or SIGUSR2 would reset it to its default action: death.
import test from 'node:test';
import assert from 'node:assert/strict';
import { startTarget, fixture, waitUntil } from './helpers.js';

/** A target that ran `steps`; its inspector, if SIGUSR1 opens it, on a free port. */
function signalsTarget(t, steps, env = {}) {
  return startTarget(t, {
    script: fixture('signals.js'),
    options: null,
    execArgv: ['--inspect-port=0'],
    env: { FIXTURE_STEPS: steps, ...env },
  });
}

/** SIGTERM, and the proof that the target was still alive to answer it. */
async function assertAlive(target) {
  target.signal('SIGTERM');
  await target.exited;
  assert.deepEqual(target.exit, { code: 0, signal: null }, target.stderr);
  assert.match(target.stdout, /fixture: alive at SIGTERM/);
}

const inspectorOpened = /Debugger listening on ws:\/\/127\.0\.0\.1:\d+\//;

test("after removeSignalHandler(), SIGUSR1 opens Node's inspector, as without prdb, and does not kill", async (t) => {
  const target = await signalsTarget(t, 'remove');
  target.signal('SIGUSR1');
  await target.waitForStderr(inspectorOpened);
  target.signal('SIGUSR1');
  await assertAlive(target);
  assert.doesNotMatch(target.stderr, /prdb: console/);
});

test('after moving prdb to SIGUSR2, SIGUSR1 opens the inspector and SIGUSR2 the console', async (t) => {
  const target = await signalsTarget(t, 'move:SIGUSR2');
  target.signal('SIGUSR1');
  await target.waitForStderr(inspectorOpened);
  target.signal('SIGUSR2');
  await target.waitForStderr(/prdb: console for pid \d+ at /);
  await assertAlive(target);
});

test('moved to SIGUSR2 and back: SIGUSR2 then does nothing and does not kill; SIGUSR1 opens the console', async (t) => {
  const target = await signalsTarget(t, 'move:SIGUSR2,move:SIGUSR1');
  target.signal('SIGUSR2');
  target.signal('SIGUSR1');
  await target.waitForStderr(/prdb: console for pid \d+ at /);
  assert.doesNotMatch(target.stderr, /Debugger listening/);
  await assertAlive(target);
});

test('a program with its own SIGUSR1 listener keeps it, and no inspector opens, after removeSignalHandler()', async (t) => {
  const target = await signalsTarget(t, 'remove', { FIXTURE_OWN_SIGUSR1: '1' });
  target.signal('SIGUSR1');
  await waitUntil(
    target.child.stdout,
    'data',
    () => target.stdout.includes('fixture: own SIGUSR1 listener ran'),
    "the program's own listener",
  );
  await assertAlive(target);
  assert.doesNotMatch(target.stderr, /Debugger listening/);
});

test('removed twice, or removed then set again: no listener is lost or doubled', async (t) => {
  const target = await signalsTarget(t, 'remove,remove,move:SIGUSR1,move:SIGUSR1');
  target.signal('SIGUSR1');
  const url = await target.waitForStderr(/prdb: console for pid \d+ at .*\n/);
  assert.ok(url);
  assert.equal(target.stderr.match(/prdb: console for pid/g).length, 1, 'one URL for one signal: one listener');
  await assertAlive(target);
});
