// Opening a console leaves the process as it was: no lasting slowdown (Node's REPL brings a
// domain, which makes every promise job slower for good), errors of code typed in a session
// contained without it, and the program's own uncaught errors exactly as without prdb.
import test from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { startTarget, connect, fixture, entry, waitUntil } from './helpers.js';

const workloadJob = fileURLToPath(new URL('../bench/workload-job.js', import.meta.url));

/** The median over `runs` of the job's own `await null` loop, in ms. */
async function awaitLoopMs(target, runs = 5) {
  const times = [];
  for (let run = 0; run < runs; run++) {
    const before = target.stdout.length;
    target.signal('SIGUSR2');
    const line = await waitUntil(
      target.child.stdout,
      'data',
      () => /job: (\{.*\})\n/.exec(target.stdout.slice(before)),
      'the job to time its work',
    );
    times.push(JSON.parse(line[1]).await);
  }
  return times.sort((a, b) => a - b)[runs >> 1];
}

test('after the last session ends, promise jobs run as fast as before the first (generous bound; `npm run bench lasting` measures it)', async (t) => {
  // A million awaits: long enough (tens of ms) that a loaded machine's noise does not decide.
  const target = await startTarget(t, { script: workloadJob, env: { WORKLOADS: 'await', AWAITS: '1000000' } });
  await awaitLoopMs(target, 3);
  const never = await awaitLoopMs(target);
  const consoleUrl = await target.activate();
  const session = await connect(t, consoleUrl);
  await session.evaluate('await null; setTimeout(() => {}, 1); 1');
  session.type('.exit\r');
  await session.waitForClose();
  // A second session that comes and goes: the first has ended in the target by then.
  const check = await connect(t, consoleUrl);
  check.type('.exit\r');
  await check.waitForClose();
  const after = await awaitLoopMs(target);
  t.diagnostic(`1,000,000 await null: ${never} ms before any session, ${after} ms after`);
  assert.ok(after <= never * 2 + 10, `${after} ms after the session, ${never} ms before: the process stayed slower`);
});

test('errors thrown later by code typed in a session print in the session and never crash the target; also after it ended', async (t) => {
  const target = await startTarget(t);
  const consoleUrl = await target.activate();
  const session = await connect(t, consoleUrl);
  const cases = [
    ["setTimeout(() => { throw new Error('from a timer') }, 5); 1", /Uncaught Error: from a timer/],
    ["Promise.reject(new Error('a rejection')); 1", /Uncaught Error: a rejection/],
    ["setTimeout(() => Promise.reject(new Error('a later rejection')), 5); 1", /Uncaught Error: a later rejection/],
    [
      "const emitter = new (require('node:events'))(); emitter.on('go', () => { throw new Error('from a listener') }); setTimeout(() => emitter.emit('go'), 5); 1",
      /Uncaught Error: from a listener/,
    ],
    ["setImmediate(() => { throw new Error('from an immediate') }); 1", /Uncaught Error: from an immediate/],
  ];
  for (const [line, shown] of cases) {
    session.markOutput();
    session.type(`${line}\r`);
    await session.waitForOutput(shown);
  }
  assert.match(await session.evaluate('appState.name'), /'fixture'/);
  // Left behind by a session that has ended: kept from crashing the program, said on its stderr.
  await session.evaluate("setTimeout(() => { throw new Error('after the session') }, 300); 1");
  session.type('.exit\r');
  await session.waitForClose();
  await target.waitForStderr(
    /prdb: code typed in a session that has ended threw, and was kept from crashing the program: Error: after the session/,
  );
  const again = await connect(t, consoleUrl);
  assert.match(await again.evaluate('appState.name'), /'fixture'/);
  assert.equal(target.exit, null);
});

test('after an input that threw, output while the prompt is idle still redraws the line being typed', async (t) => {
  // Node 26's REPL shows a thrown input's error without calling back: the evaluation must end all the same.
  const target = await startTarget(t);
  const session = await connect(t, await target.activate());
  assert.match(
    await session.evaluate('setTimeout(() => console.log("late line"), 300); throw new Error("typed")'),
    /Uncaught Error: typed/,
  );
  session.markOutput();
  session.type('12');
  await session.waitForOutput(/late line\n> 12/);
  session.type('3\r');
  await session.waitForOutput(/\n123\n> $/);
  assert.equal(target.stderr.includes('kept from crashing'), false);
});

/** The program-error fixture, run to its end by its own error; `session` opens (and leaves open) a console first. */
async function programError(t, { withPrdb, session: openSession = false, env = {} }) {
  const target = await startTarget(t, {
    script: fixture('program-error.js'),
    options: withPrdb ? { port: 0 } : null,
    env: { PRDB_ENTRY: withPrdb ? entry : '', ...env },
  });
  if (openSession) {
    const session = await connect(t, await target.activate());
    assert.match(await session.evaluate('setTimeout(() => {}, 1); await null; 1 + 1'), /\n2\n> $/);
  }
  target.signal('SIGUSR2');
  await target.exited;
  const errorOutput = target.stderr
    .split('\n')
    .filter((line) => !/^(fixture|prdb): /.test(line))
    .join('\n')
    .replace(/Node\.js v[\d.]+/, 'Node.js');
  return { exit: target.exit, stdout: target.stdout, errorOutput };
}

for (const [label, env] of [
  ['a thrown error', {}],
  ['an unhandled rejection', { FIXTURE_REJECT: '1' }],
  ['its own uncaughtException listener', { FIXTURE_UNCAUGHT_LISTENER: '1' }],
]) {
  test(`the program's own uncaught error with a session open: the same output, exit code and listeners as without prdb (${label})`, async (t) => {
    const without = await programError(t, { withPrdb: false, env });
    const withSession = await programError(t, { withPrdb: true, session: true, env });
    assert.deepEqual(withSession.exit, without.exit);
    assert.equal(withSession.stdout, without.stdout);
    assert.equal(withSession.errorOutput, without.errorOutput);
    assert.match(without.stdout, /fixture: exit listener ran with [13]/);
  });
}
