// The program's own variables by their bare names, in CommonJS, ES module and TypeScript
// targets: top-level const/let/var, functions, classes and imports, the locals of an async
// main() that awaits for ever, read live, never copied onto globalThis; `.scope`, `expose`,
// completion, assignment, and the names no inspector call can reach.
import test from 'node:test';
import assert from 'node:assert/strict';
import { startTarget, connect, fixture, waitUntil } from './helpers.js';

/** A target running `script`, and a session on it. */
async function sessionOn(t, script) {
  const target = await startTarget(t, { script: fixture(script) });
  const session = await connect(t, await target.activate());
  return { target, session };
}

/** The value a line prints: its output without the echo and the next prompt. */
async function value(session, line) {
  const output = await session.evaluate(line);
  return output.slice(output.indexOf('\n') + 1).replace(/\n> $/, '');
}

/** What the program itself sees, printed by its SIGUSR2 handler. */
async function programSees(target) {
  const before = target.stdout.length;
  target.signal('SIGUSR2');
  const line = await waitUntil(
    target.child.stdout,
    'data',
    () => /fixture: program sees (.*)\n/.exec(target.stdout.slice(before)),
    'what the program sees',
  );
  return Object.fromEntries(line[1].split(' ').map((pair) => pair.split('=')));
}

for (const [kind, script] of [
  ['CommonJS', 'scope-main.cjs'],
  ['ES module', 'scope-main.mjs'],
]) {
  test(`${kind}: top-level const, let, var, function, class and imports by their bare names, live`, async (t) => {
    const { session } = await sessionOn(t, script);
    // First, before any other name: the module's variable, not the global of the same name (CommonJS has one).
    assert.equal(
      await value(session, 'epochs'),
      '100',
      'the top-level name wins over a global and over a local of main()',
    );
    assert.equal(await value(session, 'model'), '{ weights: [ 1, 2, 3 ], lr: 0.1 }');
    assert.equal(await value(session, 'typeof report'), "'function'");
    assert.match(await value(session, 'report()'), /^'step \d+ of 100'$/);
    assert.equal(await value(session, 'trainer instanceof Trainer'), 'true');
    assert.equal(await value(session, 'path.sep'), "'/'");
    // The program's timer moves `step`: a later read sees a higher value, without a new lookup.
    const first = Number(await value(session, 'step'));
    await session.evaluate('await new Promise((resolve) => setTimeout(resolve, 50))');
    const second = Number(await value(session, 'step'));
    assert.ok(second > first, `step moved from ${first} to ${second}`);
    // Inside a function typed at the prompt, too: the names are the program's wherever they are used.
    assert.equal(await value(session, '[1, 2].map((n) => n * model.lr)'), '[ 0.1, 0.2 ]');
  });

  test(`${kind}: the program's objects are shared both ways; globalThis never gets the names`, async (t) => {
    const { target, session } = await sessionOn(t, script);
    assert.equal(await value(session, 'model.lr = 0.5'), '0.5');
    assert.equal(await value(session, 'model.flag = "from-session"'), "'from-session'");
    const seen = await programSees(target);
    assert.equal(seen.lr, '0.5');
    assert.equal(seen.flag, 'from-session');
    assert.equal(seen.globals, 'none');
    assert.equal(await value(session, "'model' in globalThis"), 'false');
    assert.equal(await value(session, 'globalThis.model'), 'undefined');
    session.type('.exit\r');
    await session.waitForClose();
    const after = await programSees(target);
    assert.equal(after.globals, 'none', 'globalThis unchanged after the session');
    assert.equal(after.lr, '0.5', 'what the session changed stays changed');
    if (script.endsWith('.cjs')) {
      assert.equal(seen.globalEpochs, 'the_global_epochs');
      assert.equal(after.globalEpochs, 'the_global_epochs');
    }
  });

  test(`${kind}: the locals of an async main() that awaits for ever, and where each name came from`, async (t) => {
    const { session } = await sessionOn(t, script);
    assert.match(await value(session, 'optimizer.name'), /^'(sgd|adam)'$/);
    const scope = await session.evaluate('.scope');
    assert.match(scope, /\nmodel +Object +top level of test\/fixtures\/scope-main\.[cm]js\n/);
    assert.match(scope, /\nstep +number +top level of /);
    assert.match(scope, /\noptimizer +Object +function main of test\/fixtures\/scope-main\.[cm]js\n/);
    assert.match(scope, /\nTrainer +class +top level of /);
    assert.match(
      scope,
      /Looked in test\/fixtures\/scope-main\.[cm]js: \d+ functions the process's roots hold, in \d+ ms; \d+ on the whole heap, in \d+ ms \(the program held meanwhile\)\./,
    );
  });

  test(`${kind}: assigning a program's variable fails, says why, and creates no global`, async (t) => {
    const { target, session } = await sessionOn(t, script);
    const assigned = await session.evaluate('step = 0');
    assert.match(
      assigned,
      /TypeError: prdb cannot assign step: it is a variable of the top level of test\/fixtures\/scope-main\.[cm]js, and Node offers no safe way/,
    );
    assert.match(assigned, /expose\(\{ get step\(\)/);
    assert.doesNotMatch(assigned, /at assignScopeName|prdb\.[jt]s/, 'no prdb frames under the message');
    assert.match(await session.evaluate('model = {}'), /TypeError: prdb cannot assign model/);
    assert.match(await session.evaluate('step++'), /TypeError: prdb cannot assign step/);
    assert.equal(await value(session, "'step' in globalThis"), 'false');
    assert.equal(await value(session, 'model.weights.length'), '3', 'the program keeps its model');
    assert.equal((await programSees(target)).globals, 'none');
  });

  test(`${kind}: a declaration at the prompt shadows the program's name, from then on`, async (t) => {
    const { session } = await sessionOn(t, script);
    assert.equal(await value(session, 'let mine = model.lr * 2'), 'undefined');
    assert.equal(await value(session, 'mine'), '0.2');
    assert.equal(await value(session, 'function twice() { return model.weights.map((w) => w * 2) }'), 'undefined');
    assert.equal(await value(session, 'twice()'), '[ 2, 4, 6 ]');
    assert.equal(await value(session, 'const step = "mine"'), 'undefined');
    assert.equal(await value(session, 'step'), "'mine'");
    assert.equal(await value(session, 'step + 1'), "'mine1'");
    // With an await, the stepped evaluation sees the program's names too.
    assert.equal(await value(session, 'await Promise.resolve(model.weights[0])'), '1');
  });

  test(`${kind}: completion knows the program's names and their properties`, async (t) => {
    const { session } = await sessionOn(t, script);
    // Key by key, as a person types: readline takes a tab inside a pasted chunk as text.
    const press = async (keys, pattern) => {
      session.type(keys);
      await session.waitForOutput(pattern);
    };
    session.markOutput();
    await press('mod', /mod/);
    // Two names start so: the REPL's own `module`, and the program's `model`; a second Tab lists both.
    session.type('\t');
    await press('\t', /model\n+module/);
    await press('e', /mode/);
    session.markOutput();
    await press('\t', /l/);
    await press('.', /\./);
    session.markOutput();
    session.type('\t');
    await press('\t', /model\.weights/);
    session.type('\x15'); // Ctrl+U: clear the line
    assert.equal(await value(session, '1 + 1'), '2');
  });
}

test('CommonJS: what cannot be reached is said plainly, and names found twice are listed, not guessed', async (t) => {
  const { session } = await sessionOn(t, 'scope-main.cjs');
  const scope = await session.evaluate('.scope');
  const unreachable = /Not reachable in test\/fixtures\/scope-main\.cjs: (.*) \(no live function/.exec(scope);
  assert.ok(unreachable, scope);
  const names = unreachable[1].split(', ');
  for (const name of ['sep', 'pathDelimiter', 'firstWeight', 'thirdWeight'])
    assert.ok(names.includes(name), `${name} in ${unreachable[1]}`);
  assert.ok(!names.includes('delimiter') && !names.includes('model'), unreachable[1]);
  assert.match(
    scope,
    /\nshared: in more than one scope \(function makeWorker in test\/fixtures\/scope-main\.cjs; function makeWorker in test\/fixtures\/scope-main\.cjs\), so not bound\n/,
  );
  const typed = await session.evaluate('firstWeight');
  assert.match(
    typed,
    /ReferenceError: firstWeight is not defined here: test\/fixtures\/scope-main\.cjs declares it, but no live function of that module uses it, so node:inspector cannot reach it \(see \.scope\)/,
  );
  assert.match(
    await session.evaluate('shared'),
    /ReferenceError: shared is not defined here: the program has one in each of function makeWorker/,
  );
  // A name the program has nowhere is the REPL's plain ReferenceError.
  assert.match(await session.evaluate('noSuchThing'), /ReferenceError: noSuchThing is not defined\n/);
});

test('CommonJS: expose() adds values and live getters; .scope <path> adds another module; a new lookup finds new state', async (t) => {
  const { target, session } = await sessionOn(t, 'scope-main.cjs');
  assert.equal(await value(session, 'exposedNumber'), '42');
  const before = Number(await value(session, 'liveStep'));
  await session.evaluate('await new Promise((resolve) => setTimeout(resolve, 50))');
  assert.ok(Number(await value(session, 'liveStep')) > before, 'a getter given to expose() stays live');
  assert.match(await session.evaluate('.scope'), /\nexposedNumber +number +expose\(\)\n/);
  assert.match(await session.evaluate('checkpoint'), /ReferenceError: checkpoint is not defined\n/);
  assert.match(await session.evaluate('.scope ./no/such/file.js'), /prdb: no file \.\/no\/such\/file\.js \(looked in /);
  const added = await session.evaluate('.scope ./test/fixtures/scope-helper.cjs');
  assert.match(added, /\ncheckpoint +Object +top level of test\/fixtures\/scope-helper\.cjs\n/);
  assert.equal(await value(session, 'checkpoint.epoch'), '3');
  assert.equal(await value(session, 'helper.advance(2)'), '5');
  assert.equal(
    await value(session, 'checkpoint.epoch'),
    '5',
    'the module’s own object, changed through its own function',
  );
  // State made after the first lookup: found by the next one.
  assert.match(await session.evaluate('lateState'), /ReferenceError: lateState is not defined/);
  await programSees(target);
  await session.evaluate('.scope');
  assert.equal(await value(session, 'lateState.ready'), 'true');
});

test('expose() checks its arguments', async (t) => {
  const { session } = await sessionOn(t, 'scope-main.cjs');
  assert.match(
    await session.evaluate("prdb = await import(process.env.PRDB_ENTRY); prdb.expose('not a name', 1)"),
    /TypeError: Expected `expose` names to be JavaScript identifiers, got "not a name"/,
  );
  assert.match(
    await session.evaluate("prdb.expose('class', 1)"),
    /TypeError: Expected `expose` names to be JavaScript identifiers, got "class"/,
  );
  assert.match(
    await session.evaluate('prdb.expose(42)'),
    /TypeError: Expected `expose` to get a name and a value, or an object/,
  );
  await session.evaluate("prdb.expose('fromSession', { ok: true })");
  assert.equal(await value(session, 'fromSession.ok'), 'true', 'exposed from a line, reachable from the next');
});

test('ES module: an import nobody uses and a variable nobody reads are named as unreachable', async (t) => {
  const { session } = await sessionOn(t, 'scope-main.mjs');
  assert.match(
    await session.evaluate('neverRead'),
    /ReferenceError: neverRead is not defined here: test\/fixtures\/scope-main\.mjs declares it, but no live function of that module uses it/,
  );
  const scope = await session.evaluate('.scope');
  assert.doesNotMatch(scope, /strictEqual/, 'an import is known by its local name');
  assert.match(scope, /\bsame\b/);
  assert.match(scope, /\bok\b/);
});

const [major] = process.versions.node.split('.').map(Number);
test(
  "TypeScript run by Node's type stripping: the same names, live",
  { skip: major < 23 && 'this Node does not run .ts files' },
  async (t) => {
    const { target, session } = await sessionOn(t, 'scope-main.ts');
    assert.equal(await value(session, 'model.weights'), '[ 1, 2, 3 ]');
    assert.match(await value(session, 'report()'), /^'step \d+ of 100'$/);
    assert.equal(await value(session, 'trainer instanceof Trainer'), 'true');
    assert.equal(await value(session, 'optimizer.name'), "'adam'");
    assert.equal(await value(session, 'model.lr = 0.25'), '0.25');
    assert.equal((await programSees(target)).lr, '0.25');
    assert.match(await session.evaluate('.scope'), /\nmodel +Object +top level of test\/fixtures\/scope-main\.ts\n/);
    assert.doesNotMatch(
      target.stderr,
      /ExperimentalWarning: stripTypeScriptTypes/,
      'prdb’s own use of the type stripper warns nobody',
    );
  },
);
