// Ctrl+C from the browser against a runaway evaluation: it stops what the session typed, also
// after a top-level await, within a second, and never the app's own code, never the process.
import test from 'node:test';
import assert from 'node:assert/strict';
import { startTarget, connect, stripAnsi, waitUntil } from './helpers.js';

/** Types `line` and resolves once the evaluation has surely started (the target went silent). */
async function startRunaway(session, line) {
  session.markOutput();
  const from = session.messages.length;
  session.type(`${line}\r`);
  await session.waitForOutput(line);
  await session.waitForMessage('busy', { from });
}

for (const appHasSigintHandler of [false, true]) {
  test(`a runaway loop typed in the session is interrupted by Ctrl+C (app SIGINT handler: ${appHasSigintHandler})`, async (t) => {
    const target = await startTarget(t, { env: appHasSigintHandler ? { FIXTURE_APP_SIGINT: '1' } : {} });
    const session = await connect(t, await target.activate());
    await session.evaluate('appState.mark = appState.ticks; globalThis.kept = "state"');
    await startRunaway(session, 'while (true) {}');
    const pressed = Date.now();
    session.type('\x03');
    await session.waitForOutput(/Script execution was interrupted[^]*\n> $/);
    // How fast is for bench/: here, the output the loop printed before it stopped drains first.
    t.diagnostic(`prompt back ${Date.now() - pressed} ms after Ctrl+C`);
    // The queued Ctrl+C was not taken as a second one: the session is there, state intact.
    assert.doesNotMatch(stripAnsi(session.output.slice(session.mark)), /To exit, press Ctrl\+C again/);
    assert.match(await session.evaluate('kept + " " + (appState.ticks > appState.mark)'), /'state true'/);
    // Also after the loop has been running in a function the session defined.
    await session.evaluate('function spin() { for (;;) {} }');
    await startRunaway(session, 'spin()');
    session.type('\x03');
    await session.waitForOutput(/Script execution was interrupted[^]*\n> $/);
    // The app's SIGINT handling is what it was.
    target.child.kill('SIGINT');
    if (appHasSigintHandler) {
      await target.waitForStdout('app SIGINT handler ran');
      assert.match(await session.evaluate('1 + 1'), /\n2\n/);
      assert.equal(target.exit, null);
    } else {
      await target.exited;
      assert.equal(target.exit.signal, 'SIGINT', 'without a handler SIGINT ends the process, as it did before prdb');
    }
  });
}

test('a loop after an await is interrupted by Ctrl+C, and the work the process had queued survives', async (t) => {
  const target = await startTarget(t);
  const session = await connect(t, await target.activate());
  await session.evaluate('appState.mark = appState.ticks; globalThis.kept = "state"');
  // Work queued right before the loop, of each kind that a plain TerminateExecution loses.
  await startRunaway(
    session,
    'await null; queueMicrotask(() => globalThis.microtaskRan = true); setImmediate(() => globalThis.immediateRan = true); setTimeout(() => globalThis.timerRan = true, 0); while (true) {}',
  );
  const pressed = Date.now();
  session.type('\x03');
  await session.waitForOutput(/Uncaught Error: Script execution was interrupted by Ctrl\+C\n> $/);
  // How fast is for bench/ (a loaded machine makes any bound here a coin toss).
  t.diagnostic(`prompt back ${Date.now() - pressed} ms after Ctrl+C`);
  assert.doesNotMatch(stripAnsi(session.output.slice(session.mark)), /To exit, press Ctrl\+C again|prdb:/);
  await session.evaluate('await new Promise((resolve) => setTimeout(resolve, 30))');
  assert.match(
    await session.evaluate('[kept, appState.ticks > appState.mark, microtaskRan, immediateRan, timerRan].join()'),
    /'state,true,true,true,true'/,
  );
  // A loop further in, after several awaits, inside a block and a function's result.
  await startRunaway(
    session,
    'for (let round = 0; round < 3; round++) await new Promise((resolve) => setTimeout(resolve, 5)); if (appState) { const spins = await Promise.resolve(0); for (;;) {} }',
  );
  session.type('\x03');
  await session.waitForOutput(/Uncaught Error: Script execution was interrupted by Ctrl\+C\n> $/);
  assert.match(await session.evaluate('"still " + appState.name'), /'still fixture'/);
  target.child.kill('SIGINT');
  await target.exited;
  assert.equal(target.exit.signal, 'SIGINT', 'without a handler SIGINT ends the process, as it did before prdb');
});

test('in a program that handles SIGINT, a loop after an await is reported, stopped at its next await, and SIGINT from outside always reaches the program', async (t) => {
  const target = await startTarget(t, { env: { FIXTURE_APP_SIGINT: '1' } });
  const session = await connect(t, await target.activate());
  await session.evaluate('appState.mark = appState.ticks');
  await startRunaway(
    session,
    'await null; queueMicrotask(() => globalThis.microtaskRan = true); const end = Date.now() + 1500; while (Date.now() < end) {} await null; "not reached"',
  );
  session.type('\x03');
  const notice = await session.waitForMessage('notice');
  assert.match(
    notice.text,
    /in a step that Ctrl\+C cannot stop because this program handles SIGINT itself[^]*\(REPL\d+:/,
  );
  // The step runs to its end; the evaluation stops at its next await.
  await session.waitForOutput(/Uncaught Error: Script execution was interrupted by Ctrl\+C\n> $/);
  assert.doesNotMatch(stripAnsi(session.output.slice(session.mark)), /'not reached'/);
  assert.match(await session.evaluate('[microtaskRan, appState.ticks > appState.mark].join()'), /'true,true'/);
  // Steps of a loop that awaits all the time: every SIGINT sent from outside reaches the
  // program's own handler, and none ends the process (arming Node's SIGINT watchdog for each
  // step would leave moments where one does).
  session.markOutput();
  session.type(
    'for (let i = 0; ; i++) { if (i === 1000) console.log("stepping"); await new Promise((resolve) => setImmediate(resolve)) }\r',
  );
  await session.waitForOutput(/\nstepping\n/);
  const handled = () => (target.stdout.match(/app SIGINT handler ran/g) ?? []).length;
  const before = handled();
  for (let signal = 1; signal <= 30; signal++) {
    target.child.kill('SIGINT');
    await waitUntil(
      target.child.stdout,
      'data',
      () => handled() === before + signal,
      `the app's handler for SIGINT number ${signal}`,
    );
  }
  assert.equal(target.exit, null);
  session.type('\x03');
  await session.waitForOutput(/Uncaught Error: Script execution was interrupted by Ctrl\+C\n> $/);
});

for (const pace of ['promise jobs', 'timers']) {
  test(`a print loop that awaits ${pace} is stopped by Ctrl+C, and nothing prints after`, async (t) => {
    const target = await startTarget(t, { env: { FIXTURE_APP_SIGINT: '1' } });
    const session = await connect(t, await target.activate());
    const wait = pace === 'timers' ? 'new Promise((resolve) => setTimeout(resolve, 1))' : 'null';
    session.markOutput();
    session.type(`for (let i = 0; ; i++) { console.log("line", i); await ${wait} }\r`);
    await session.waitForOutput(/line 200\n/);
    const pressed = Date.now();
    session.type('\x03');
    await session.waitForOutput(/Uncaught Error: Script execution was interrupted by Ctrl\+C\n> $/);
    // How fast is for bench/: here, the output the loop printed before it stopped drains first.
    t.diagnostic(`prompt back ${Date.now() - pressed} ms after Ctrl+C`);
    const after = session.output.length;
    // Long enough for a loop that went on to print many more lines.
    assert.match(
      await session.evaluate('await new Promise((resolve) => setTimeout(resolve, 100)); "quiet"'),
      /'quiet'/,
    );
    assert.doesNotMatch(stripAnsi(session.output.slice(after)), /line \d/);
    assert.equal(target.exit, null);
    assert.doesNotMatch(target.stdout, /app SIGINT handler ran/);
  });
}

test('Ctrl+C between steps returns from the typed code: its finally blocks run', async (t) => {
  const target = await startTarget(t);
  const session = await connect(t, await target.activate());
  session.markOutput();
  // Waiting, not spinning: Ctrl+C reaches the target at once and stops the loop at its next
  // step. (A step that the watchdog stops with SIGINT inside it is terminated, as a
  // synchronous `while (true) {}` is, and runs no finally block.)
  session.type(
    'try { for (let i = 0; ; i++) { await new Promise((resolve) => setTimeout(resolve, 20)); if (i === 3) console.log("looping") } } finally { console.log("cleaned up") }\r',
  );
  await session.waitForOutput(/looping\n/);
  session.type('\x03');
  await session.waitForOutput(/Uncaught Error: Script execution was interrupted by Ctrl\+C\n> [^]*cleaned up/);
  assert.match(await session.evaluate('"after"'), /'after'/);
});

test('an error after an await shows the typed code, not the stepping under it', async (t) => {
  const target = await startTarget(t);
  const session = await connect(t, await target.activate());
  const shown = stripAnsi(await session.evaluate('await null; (function thrower() { throw new Error("boom") })()'));
  assert.match(shown, /Uncaught Error: boom\n\s+at thrower /);
  assert.doesNotMatch(shown, /driveEvaluation|resumePendingStep|Generator\.|prdb-await-step|node:vm/);
  assert.match(
    stripAnsi(await session.evaluate('await Promise.reject(new RangeError("rejected"))')),
    /Uncaught RangeError: rejected/,
  );
  // Thrown before the first await, in the step that runs inside the REPL's own call.
  const first = stripAnsi(await session.evaluate('(function early() { throw new Error("before") })(); await null'));
  assert.match(first, /Uncaught Error: before\n\s+at early /);
  assert.doesNotMatch(first, /driveEvaluation|resumePendingStep|Generator\./);
});

test('a stepped evaluation outlives its session; then the process is left as it was', async (t) => {
  // The session ends 300 ms after its page went away, if no page comes back.
  const target = await startTarget(t, { options: { port: 0, reattachTimeout: 300 } });
  const session = await connect(t, await target.activate());
  session.markOutput();
  session.type(
    'globalThis.keptByUser = "yes"; await new Promise((resolve) => setTimeout(resolve, 300)); console.log("finished after the session"); globalThis.keptByUser = "done"\r',
  );
  await session.waitForOutput('keptByUser');
  session.socket.close();
  // With no session left, the evaluation's console output goes to the process's own stdout.
  await target.waitForStdout('finished after the session');
  target.signal('SIGUSR2');
  await target.waitForStdout(/fixture: globals .*\n/);
  assert.match(
    target.stdout,
    /fixture: globals require=undefined fs=undefined underscore=undefined kept=done marker=undefined/,
  );
});

test('Ctrl+C on an await that never settles gives the prompt back, and leaves nothing behind', async (t) => {
  const target = await startTarget(t);
  const session = await connect(t, await target.activate());
  session.markOutput();
  session.type('globalThis.keptByUser = "waiting"; await new Promise(() => {}); keptByUser = "never"\r');
  await session.waitForOutput('keptByUser');
  session.type('\x03');
  await session.waitForOutput(/Uncaught Error: Script execution was interrupted by Ctrl\+C\n> $/);
  session.type('.exit\r');
  await session.waitForMessage('session-end');
  target.signal('SIGUSR2');
  await target.waitForStdout(/fixture: globals .*\n/);
  assert.match(
    target.stdout,
    /fixture: globals require=undefined fs=undefined underscore=undefined kept=waiting marker=undefined/,
  );
});

test('closing the tab while an evaluation waits for ever leaves nothing behind', async (t) => {
  // The session ends 300 ms after its page went away, if no page comes back.
  const target = await startTarget(t, { options: { port: 0, reattachTimeout: 300 } });
  const consoleUrl = await target.activate();
  const session = await connect(t, consoleUrl);
  session.markOutput();
  session.type('globalThis.keptByUser = "closed"; await new Promise(() => {})\r');
  await session.waitForOutput('keptByUser');
  session.socket.close();
  await session.waitForClose();
  // The session is gone once the page could open a new one and see the user's global.
  const next = await connect(t, consoleUrl);
  assert.match(await next.evaluate('keptByUser'), /'closed'/);
  // The closed tab's session ends when no page has come back for it in time.
  while (!/\n1\n> $/.test(await next.evaluate('prdb.status().sessions')));
  next.type('.exit\r');
  await next.waitForMessage('session-end');
  target.signal('SIGUSR2');
  await target.waitForStdout(/fixture: globals .*\n/);
  assert.match(target.stdout, /kept=closed marker=undefined/);
});

test('Ctrl+C in an async function the evaluation awaits is reported; the evaluation stops when it returns', async (t) => {
  const target = await startTarget(t);
  const session = await connect(t, await target.activate());
  await session.evaluate(
    'async function slowly() { await null; const end = Date.now() + 1500; while (Date.now() < end) {} return "returned" }',
  );
  await startRunaway(session, 'await slowly(); "not reached"');
  session.type('\x03');
  const notice = await session.waitForMessage('notice');
  assert.match(notice.text, /running in a callback[^]*stops as soon as it returns[^]*at slowly \(REPL\d+:/);
  await session.waitForOutput(/Uncaught Error: Script execution was interrupted by Ctrl\+C\n> $/);
  assert.doesNotMatch(stripAnsi(session.output.slice(session.mark)), /'not reached'/);
});

test('Ctrl+C and a stack request at the same moment: both answered, the loop stopped', async (t) => {
  const target = await startTarget(t);
  const session = await connect(t, await target.activate());
  for (let round = 0; round < 3; round++) {
    const from = session.messages.length;
    await startRunaway(session, 'for (let i = 0; ; i++) { if (i % 100000 === 0) console.log("line", i); await null }');
    session.send({ type: 'stack' });
    session.send({ type: 'stack' });
    session.type('\x03');
    await session.waitForOutput(/Uncaught Error: Script execution was interrupted by Ctrl\+C\n> $/);
    const stack = await session.waitForMessage('stack', { from });
    // The stack is asked first and the loop spins until the Ctrl+C: it is running, never "idle".
    assert.match(stack.text, /The main thread is running/);
  }
  assert.equal(target.exit, null);
});

test('a main thread blocked outside JavaScript is never said idle: Ctrl+C and a stack request both say why', async (t) => {
  const target = await startTarget(t);
  const session = await connect(t, await target.activate());
  // A synchronous child process: the thread waits in the kernel, where no inspector pause lands.
  await startRunaway(session, 'require("child_process").execFileSync("sleep", ["3"]); "slept"');
  const from = session.messages.length;
  session.send({ type: 'stack' });
  session.type('\x03');
  const notice = await session.waitForMessage('notice', { from });
  assert.match(
    notice.text,
    /not interrupted: the main thread answers nothing and did not stop[^]*blocked outside JavaScript/,
  );
  const stack = await session.waitForMessage('stack', { from });
  assert.match(stack.text, /No stack: the main thread answers nothing/);
  await session.waitForOutput(/'slept'\n> $/);
  assert.match(await session.evaluate('appState.name'), /'fixture'/);
  assert.equal(target.exit, null);
});

test('a print loop without end is stopped by Ctrl+C, with memory bounded', async (t) => {
  // The smallest bound, and lines of 64 KiB: the loop passes the bound after 16 of them, long
  // before it is reported busy, however slow the machine.
  const target = await startTarget(t, { options: { port: 0, maxOutputBuffer: 1 << 20 } });
  const session = await connect(t, await target.activate());
  await startRunaway(session, 'for (let i = 0; ; i++) console.log(String(i).padEnd(1 << 16, "."))');
  session.type('\x03');
  await session.waitForOutput(/Script execution was interrupted[^]*\n> $/).catch(async (error) => {
    // Where the main thread is then, as the Stack button would show it, for whoever reads the failure.
    const from = session.messages.length;
    session.send({ type: 'stack' });
    const stack = await session.waitForMessage('stack', { from, deadlineMs: 5000 }).catch((late) => late);
    throw new Error(`${error.message}; then the stack: ${stack.text ?? stack.message}; stderr: ${target.stderr}`);
  });
  assert.match(stripAnsi(session.output), /of output dropped here: it came faster than it could be sent/);
  // What the target holds is bounded: live JavaScript memory, and the process's footprint
  // (V8 keeps the heap it grew, so RSS is a loose bound; Node 24 grows more than 20).
  const memory = JSON.parse(/'(\{.*\})'/.exec(await session.evaluate('JSON.stringify(process.memoryUsage())'))[1]);
  t.diagnostic(
    `target after the loop: rss ${memory.rss >> 20} MiB, heap used ${memory.heapUsed >> 20} MiB, array buffers ${memory.arrayBuffers >> 20} MiB`,
  );
  assert.ok(memory.heapUsed + memory.arrayBuffers < 100 * 1024 * 1024, 'live memory bounded');
  assert.ok(memory.rss < 512 * 1024 * 1024, 'footprint bounded');
  assert.match(await session.evaluate('appState.name'), /'fixture'/);
});

test('Ctrl+C right after Enter stops the line, though the thread is first seen before the line runs', async (t) => {
  const target = await startTarget(t);
  const session = await connect(t, await target.activate());
  // The input preview of a loop runs it (side-effect free) until Node's 333 ms preview timeout:
  // Enter and Ctrl+C wait behind it, and the watchdog's first look may find the thread in the
  // preview, or in prdb's start of the evaluation, not yet in the loop. Where it lands depends
  // on when the key is pressed, so the keys go at several moments into the preview.
  for (const pressedAfterMs of [0, 15, 30, 45, 60, 90]) {
    await session.evaluate('appState.mark = appState.ticks');
    session.type('while (true) {}');
    await session.waitForOutput('while (true) {}');
    session.markOutput();
    await new Promise((resolve) => setTimeout(resolve, pressedAfterMs));
    session.type('\r');
    session.type('\x03');
    await session.waitForOutput(/Script execution was interrupted by Ctrl\+C[^]*\n> $/).catch((error) => {
      const notices = session.messages.filter((message) => message.type === 'notice');
      throw new Error(
        `Ctrl+C ${pressedAfterMs} ms after the echo: ${error.message}; notices ${JSON.stringify(notices)}`,
      );
    });
    const said = stripAnsi(session.output.slice(session.mark));
    assert.doesNotMatch(said, /did not start|To exit, press Ctrl\+C again/, `${pressedAfterMs} ms`);
    assert.match(await session.evaluate('appState.ticks > appState.mark'), /true/);
  }
});

test('Ctrl+C never interrupts the app’s own code', async (t) => {
  // Busy for long enough that the Ctrl+C reaches the watchdog, after the busy report and
  // STUCK_AFTER_MS, on a loaded machine too; else the program is free again and the REPL takes it.
  const target = await startTarget(t, { env: { FIXTURE_APP_BUSY_MS: '4000' } });
  const session = await connect(t, await target.activate());
  target.signal('SIGHUP');
  await session.waitForMessage('busy');
  session.type('\x03');
  const notice = await session.waitForMessage('notice');
  assert.match(notice.text, /busy in code that this session did not start; not interrupted/);
  await target.waitForStdout('fixture: app busy work done');
  // The watchdog answered that Ctrl+C; the late keystroke is not taken again by the REPL as
  // a first "press Ctrl+C again to exit".
  session.markOutput();
  const from = session.mark;
  session.type('appState.name\r');
  await session.waitForOutput(/'fixture'\n> $/, { from });
  assert.doesNotMatch(stripAnsi(session.output), /To exit, press Ctrl\+C again/);
});

test('a loop in a callback the session started is reported, with its stack, and left to finish', async (t) => {
  const target = await startTarget(t);
  const session = await connect(t, await target.activate());
  session.markOutput();
  session.type(
    'setTimeout(function spinInTimer() { const end = Date.now() + 1500; while (Date.now() < end) {} console.log("finished") }, 0); "started"\r',
  );
  await session.waitForOutput(/'started'\n> $/);
  await session.waitForMessage('busy', { from: session.messages.length });
  session.type('\x03');
  const notice = await session.waitForMessage('notice');
  assert.match(notice.text, /running in a callback[^]*spinInTimer \(REPL\d+:/);
  await session.waitForOutput(/finished/);
  assert.equal(target.exit, null);
});

// The typed code of a round, which spins for `duration` ms: at once, or in four steps with
// awaits between them (stepped: Ctrl+C may find it in a step, between steps, or waiting).
const stressRounds = {
  synchronous: (duration, round) =>
    `{ const until = Date.now() + ${duration}; while (Date.now() < until) {} ${round} }`,
  stepped: (duration, round) =>
    `for (let step = 0; step < 4; step++) { await new Promise((resolve) => setTimeout(resolve, 5)); const until = Date.now() + ${Math.floor(duration / 4)}; while (Date.now() < until) {} } ${round}`,
};

for (const [kind, roundCode] of Object.entries(stressRounds)) {
  test(`stress: interrupts at random moments around ${kind} evaluation boundaries never harm the target`, async (t) => {
    const target = await startTarget(t, { env: { FIXTURE_APP_SIGINT: '1' } });
    const session = await connect(t, await target.activate());
    await session.evaluate('appState.mark = appState.ticks');
    let seed = Number(process.env.PRDB_STRESS_SEED ?? 20261124);
    t.diagnostic(`seed ${seed}`);
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    let interrupted = 0;
    let completed = 0;
    for (let round = 0; round < (kind === 'synchronous' ? 20 : 14); round++) {
      const duration = 400 + Math.floor(random() * 600);
      session.markOutput();
      const mark = session.mark;
      session.type(`${roundCode(duration, round)}\r`);
      // Ctrl+C somewhere from the start to well after the end of the evaluation.
      await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * (duration + 400))));
      session.type('\x03');
      // The evaluation ends with its value or with the interruption; a Ctrl+C that came too
      // late for either is a plain Ctrl+C at the prompt, or dropped if the watchdog took it.
      await session.waitForOutput(new RegExp(`(\\n${round}\\n|Script execution was interrupted)`), { from: mark });
      session.type(`"round ${round} ok"\r`);
      await session.waitForOutput(new RegExp(`'round ${round} ok'\\n> $`), { from: mark });
      const text = stripAnsi(session.output.slice(mark));
      if (/Script execution was interrupted/.test(text)) interrupted++;
      else completed++;
    }
    t.diagnostic(`interrupted ${interrupted}, completed ${completed}`);
    assert.ok(interrupted > 0 && completed > 0, 'both outcomes were exercised');
    assert.equal(target.exit, null);
    assert.doesNotMatch(target.stdout, /app SIGINT handler ran/, 'no SIGINT ever reached the app');
    assert.match(await session.evaluate('appState.ticks > appState.mark'), /true/);
    target.child.kill('SIGINT');
    await target.waitForStdout('app SIGINT handler ran');
  });
}

test("Ctrl+C in one session never interrupts another session's evaluation", async (t) => {
  const target = await startTarget(t);
  const consoleUrl = await target.activate();
  const owner = await connect(t, consoleUrl);
  const other = await connect(t, consoleUrl);
  owner.markOutput();
  owner.type("{ const until = Date.now() + 2500; while (Date.now() < until) {} 'owner finished' }\r");
  // The other page sees the target busy, then presses Ctrl+C: not its evaluation, so not stopped.
  await other.waitForMessage('busy');
  other.type('\x03');
  const result = await owner.waitForOutput(/'owner finished'\n> $|Interrupted|interrupted/, { deadlineMs: 15_000 });
  assert.match(result[0], /'owner finished'/, "the owner's evaluation ran to its end");
  assert.match(await other.evaluate('1 + 1'), /\n2\n> $/);
});
