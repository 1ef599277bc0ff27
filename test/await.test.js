// Top-level await typed in a session runs as a generator that prdb steps, so that Ctrl+C can
// stop it: rewriteTopLevelAwait turns the typed input into the generator's body. The rewrite
// must mean exactly what Node's REPL makes of the input as typed. Part 1 checks the pure
// function on a table of inputs; part 2 types the same lines into Node's own REPL (a child
// process) and into a prdb session, and compares what each line prints.
//
// The "once diverged" groups hold inputs that earlier versions of the rewriter got wrong (most
// now run as typed, where the rewrite could not mean the same). Where Node's REPL itself is
// wrong, prdb does not copy it: those cases are checked against prdb alone, at the end.
import test from 'node:test';
import assert from 'node:assert/strict';
import vm from 'node:vm';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { startTarget, connect, entry, fixture, screenSince, stripAnsi } from './helpers.js';

const { rewriteTopLevelAwait, steppedSource } = (await import(entry)).internalsForTests;

// ---------------------------------------------------------------------------------------------
// Part 1: the pure function, input -> { hoisted, body } (or null: the REPL runs it as typed)
// ---------------------------------------------------------------------------------------------

const r = (body, hoisted = '') => ({ hoisted, body });

/** Checks each case as a subtest of its own, so that one wrong case does not hide the others. */
function table(name, cases, options = {}) {
  test(`rewriteTopLevelAwait: ${name}`, options, async (t) => {
    for (const [input, expected] of cases) {
      await t.test(JSON.stringify(input), () => {
        const rewritten = rewriteTopLevelAwait(input);
        assert.deepEqual(rewritten, expected);
        // What the REPL then gets (prdb's steppedSource) must compile, or it is never run.
        if (rewritten !== null) {
          const source = steppedSource(input, false);
          assert.ok(source !== null, 'the rewrite compiles');
          assert.doesNotThrow(() => new vm.Script(`(async () => {${source}})`), source);
        }
      });
    }
  });
}

table('await and its operand: precedence, tails, regexps and divisions', [
  ['await x', r('return ((yield x))')],
  // `await` binds like a unary operator: the parentheses close after its operand.
  ['await a + b', r('return ((yield a) + b)')],
  ['typeof await x', r('return (typeof (yield x))')],
  ['!await x', r('return (!(yield x))')],
  ['await -x', r('return ((yield -x))')],
  ['await await x', r('return ((yield (yield x)))')],
  ['await new Foo(await a).bar()', r('return ((yield new Foo((yield a)).bar()))')],
  ['await a.b[c]', r('return ((yield a.b[c]))')],
  ['await f(1)(2)', r('return ((yield f(1)(2)))')],
  ['await a?.b?.(c)?.[d]', r('return ((yield a?.b?.(c)?.[d]))')],
  ['await tag`t${x}`.length', r('return ((yield tag`t${x}`.length))')],
  // `await x++` is `await (x++)`.
  ['await x++', r('return ((yield x++))')],
  ['await import("y")', r('return ((yield import("y")))')],
  // A `/` after an operand divides; elsewhere it starts a regular expression.
  ['await x / 2', r('return ((yield x) / 2)')],
  ['a = b / await c / d', r('return (a = b / (yield c) / d)')],
  ['a[0] / await b / c', r('return (a[0] / (yield b) / c)')],
  ['x++ / await y', r('return (x++ / (yield y))')],
  ['await /re/g.exec(s)', r('return ((yield /re/g.exec(s)))')],
  ['if (x) /re/.test(await y)', r('if (x) /re/.test((yield y))')],
  ['x = /[/]await/.test(s) && await y', r('return (x = /[/]await/.test(s) && (yield y))')],
  ['await /["(]/.test(s)', r('return ((yield /["(]/.test(s)))')],
]);

table('declarations, hoisted as the REPL hoists them', [
  ['let a = await x', r('void  (a = (yield x))', 'let a; ')],
  ['const a = await x', r('void  (a = (yield x))', 'let a; ')],
  ['var a = await x', r('void  (a = (yield x))', 'var a; ')],
  ['let a = 1, b = await x, c', r('void ( (a = 1), (b = (yield x)), (c=undefined))', 'let a, b, c; ')],
  ['var a, b = await x', r('void ( (a=undefined), (b = (yield x)))', 'var a, b; ')],
  ['const {a, b: c, ...d} = await x', r('void  ({a, b: c, ...d} = (yield x))', 'let a, c, d; ')],
  ['var {a: {b}, c: [d]} = await x', r('void  ({a: {b}, c: [d]} = (yield x))', 'var b, d; ')],
  // Node's REPL leaves out names that have a default (and its hoisting throws on an array
  // hole): prdb declares them, see the last test in part 2.
  ['const [a, , b = 1, ...c] = await x', r('void  ([a, , b = 1, ...c] = (yield x))', 'let a, b, c; ')],
  [
    "let {[k]: a, 'q': b, 1: c, d = await y} = await x",
    r("void  ({[k]: a, 'q': b, 1: c, d = (yield y)} = (yield x))", 'let a, b, c, d; '),
  ],
  // `var` anywhere outside functions is hoisted; `let` and `const` only at the top level.
  ['if (c) { var a = await x }', r('if (c) { void  (a = (yield x)) }', 'var a; ')],
  ['{ { var a = 1 } } await x', r('{ { void  (a = 1) } } return ((yield x))', 'var a; ')],
  ['for (var i = 0; i < await n; i++) {}', r('for (void  (i = 0); i < (yield n); i++) {}', 'var i; ')],
  ['for (var x of await y) {}', r('for (x of (yield y)) {}', 'var x; ')],
  ['for (var k in await o) {}', r('for (k in (yield o)) {}', 'var k; ')],
  ['for (let i = 0; i < await n; i++) {}', r('for (let i = 0; i < (yield n); i++) {}')],
  ['for (const x of await y) {}', r('for (const x of (yield y)) {}')],
  ['await x; { let a = 1 }', r('(yield x); { let a = 1 }')],
  // Functions: `this.f = f` where declared, `var f` hoisted; classes: `C=class C`, `let C`.
  ['function f() {} await x', r('this.f = f; function f() {} return ((yield x))', 'var f; ')],
  ['async function* g() {} await x', r('this.g = g; async function* g() {} return ((yield x))', 'var g; ')],
  ['await x; { function f() {} }', r('(yield x); { this.f = f; function f() {} }', 'var f; ')],
  ['class C {}\nawait x', r('C=class C {}\nreturn ((yield x))', 'let C; ')],
  ['class C extends (await B) {}', r('C=class C extends ((yield B)) {}', 'let C; ')],
  ['await x; { class D {} }', r('(yield x); { class D {} }')],
]);

table('statements', [
  ['if (await a) await b; else await c', r('if ((yield a)) (yield b); else (yield c)')],
  ['while (await a) await b', r('while ((yield a)) (yield b)')],
  ['do await a; while (await b)', r('do (yield a); while ((yield b))')],
  [
    'switch (await a) { case await b: await c; break; default: await d }',
    r('switch ((yield a)) { case (yield b): (yield c); break; default: (yield d) }'),
  ],
  [
    'try { await a } catch (e) { await b } finally { await c }',
    r('try { (yield a) } catch (e) { (yield b) } finally { (yield c) }'),
  ],
  ['try { await a } catch { b }', r('try { (yield a) } catch { b }')],
  ['label: for (;;) { await a; break label }', r('label: for (;;) { (yield a); break label }')],
  ['`a${await b}c`', r('return (`a${(yield b)}c`)')],
  ['x = { a: await b, [await c]: 1, ...await d }', r('return (x = { a: (yield b), [(yield c)]: 1, ...(yield d) })')],
  [
    'x = class extends (await B) { async m() { await 1 } }',
    r('return (x = class extends ((yield B)) { async m() { await 1 } })'),
  ],
]);

table('nested functions, arrows, methods and classes keep their own awaits', [
  ['await x; async function f() { await y }', r('(yield x); this.f = f; async function f() { await y }', 'var f; ')],
  ['await x; function* g() { yield 1 }', r('(yield x); this.g = g; function* g() { yield 1 }', 'var g; ')],
  ['await x; f = async () => { await y }', r('(yield x); return (f = async () => { await y })')],
  ['f(async () => await y, await z)', r('return (f(async () => await y, (yield z)))')],
  [
    'await x; o = { async m() { await y }, get g() { return 1 } }',
    r('(yield x); return (o = { async m() { await y }, get g() { return 1 } })'),
  ],
  [
    'await x; class E { async m() { await y } static async s() { await z } }',
    r('(yield x); E=class E { async m() { await y } static async s() { await z } }', 'let E; '),
  ],
]);

table('line breaks: automatic semicolons and the last expression', [
  // An await that starts a line after a complete statement gets the `;` ASI gave it, or the
  // `(` of `(yield` would call what ended the line before.
  ['a\nawait x\nb', r('a\n;(yield x)\nreturn (b)')],
  ['o.while(1)\nawait x\ny', r('o.while(1)\n;(yield x)\nreturn (y)')],
  ['a\nawait x', r('a\nreturn ((yield x))')],
  ['f()\nawait x', r('f()\nreturn ((yield x))')],
  // Where the line goes on, the expression does.
  ['a\n(await x)', r('return (a\n((yield x)))')],
  ['x = await a\n(b)', r('return (x = (yield a\n(b)))')],
  ['await a\n+ b', r('return ((yield a)\n+ b)')],
  ['await a\n.then(f)', r('return ((yield a\n.then(f)))')],
  ['await a\nb', r('(yield a)\nreturn (b)')],
  ['await a;;', r('return ((yield a));;')],
  ['await x // await\n', r('return ((yield x)) // await\n')],
  ['await x\n/* await */', r('return ((yield x))\n/* await */')],
]);

table('input left to the REPL as typed', [
  // No top-level await at all, only the word.
  ["'await x'", null],
  ['x = \'await\'; y = "await"', null],
  ['`await`', null],
  ['async () => { await x }', null],
  ['// await x', null],
  // What the rewriter does not handle.
  ['for await (const x of y) {}', null],
  ['return await x', null],
  ["import x from 'y'; await x", null],
  ['export const a = await x', null],
  // Incomplete input: the REPL asks for more.
  ["await x; 'unterminated", null],
  ['await `unterminated ${x', null],
  ['await x /* unterminated', null],
  ['await f(x', null],
  ['await [x', null],
  ['await x; if (c) {', null],
  // Unbalanced brackets.
  ['await x)', null],
  ['await x]', null],
  ['await x }', null],
]);

table("inputs that once diverged from Node's REPL", [
  // Each template literal with a substitution makes every later `await` of its expression
  // rewritten again: awaited twice (an extra `then` lookup, an extra tick).
  ['`${a}` + await b', r('return (`${a}` + (yield b))')],
  ['f(`${a}`, await b)', r('return (f(`${a}`, (yield b)))')],
  ['`${await a}${await b}`', r('return (`${(yield a)}${(yield b)}`)')],
  // The `;` before an await that starts a line must not end an if or loop with no body.
  ['if (c)\nawait x', r('if (c)\n(yield x)')],
  ['while (c)\nawait x', r('while (c)\n(yield x)')],
  ['for (;;)\nawait x', r('for (;;)\n(yield x)')],
  // Input that stops where a statement or operand must follow (the REPL asks for the next
  // line): the rewriter throws a TypeError, and the session hangs for good.
  ['await x; if (c)', null],
  ['await x; for (const y of z)', null],
  ['await x; while (c)', null],
  ['await x; do', null],
  ['await x; l:', null],
  ['await x; if (c) y; else', null],
  ['await x; try {} catch', null],
  ['await x; y = class', null],
  ['await a.', null],
  ['await a?.', null],
  ['await new', null],
  // `(yield a)` is a primary expression where `await a` is not: input that is a syntax error
  // at the REPL runs, or an ASI line break after `a++` calls what was awaited.
  ['await a ** 2', null],
  ['class C extends await B {}', null],
  ['new await X', null],
  ['x = a await b', null],
  ['await x++.y', null],
  ['await x++\n(y)', null],
  ['await x++\n[0]', null],
  ['class C {} await x; y', null],
  ['for (var i of a) function f() {} await x', null],
  ['for (var i = a in b; ;) await x', null],
  // A generator has its own `arguments` and `new.target`, and `yield` is an operator in it;
  // the REPL's async arrow has none of them.
  ['await null; arguments', null],
  ['(() => { return arguments })(); await x', null],
  ['await 0; yield', null],
  ['new.target; await 1', null],
]);

// ---------------------------------------------------------------------------------------------
// Part 2: the same lines in Node's own REPL and in a prdb session
// ---------------------------------------------------------------------------------------------

/** A prompt that ends a line's output: the REPL's own, or the one that asks for more. */
const PROMPT_AT_END = /(?:^|\n)(?:> |\.\.\. |\| )$/;
/** The same in a session, after the echo of the typed line (not a prompt redrawn before it). */
const PROMPT_AFTER_ECHO = /\n(?:> |\.\.\. |\| )$/;

/**
 * What a line printed, comparable across the two REPLs: no colors, no final prompt, and no
 * stack frames (the REPL numbers and the columns differ; the error's own lines, including the
 * source line and caret of a syntax error, stay).
 */
function normalize(text) {
  return stripAnsi(text)
    .replace(PROMPT_AT_END, '')
    .split('\n')
    .filter((line) => !/^\s+at \S/.test(line))
    .join('\n');
}

/** Types the lines into Node's own REPL, in a child process: what each line printed. */
async function inStockRepl(t, lines) {
  const child = spawn(process.execPath, [fixture('stock-repl.js')], { stdio: ['pipe', 'pipe', 'pipe'] });
  const closed = once(child, 'close');
  t.after(() => child.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text) => (stderr += text));
  child.stdin.end(JSON.stringify(lines));
  const deadline = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const [code, signal] = await closed;
  clearTimeout(deadline);
  assert.equal(code, 0, `stock REPL exited with ${code ?? signal}: ${stdout}${stderr}`);
  return JSON.parse(stdout).outputs.map(normalize);
}

/**
 * Types the lines into a prdb session, each after the previous one's prompt (or its request
 * for more input): what each line printed, without the echo of the typed line. A line with no
 * prompt before the deadline fails its case and ends the run (the session is stuck).
 */
async function inSession(session, lines, deadlineMs) {
  const outputs = [];
  for (const line of lines) {
    session.markOutput();
    const from = session.mark;
    session.type(`${line}\r`);
    await session.waitForOutput(PROMPT_AFTER_ECHO, { from, deadlineMs });
    const text = screenSince(session.output, from);
    outputs.push(normalize(text.slice(text.indexOf('\n') + 1)));
  }
  return outputs;
}

/**
 * Runs each case (a few lines; fresh names in each) in both REPLs, one stock REPL and one
 * session for all of them, and compares them case by case, line by line.
 */
function differential(name, cases, { options = {}, deadlineMs = 5000 } = {}) {
  test(`same as Node's REPL: ${name}`, options, async (t) => {
    const stock = await inStockRepl(
      t,
      cases.flatMap((c) => c.lines),
    );
    const target = await startTarget(t);
    const session = await connect(t, await target.activate(), { columns: 200 });
    let offset = 0;
    let stuck = null;
    for (const c of cases) {
      const expected = stock.slice(offset, offset + c.lines.length);
      offset += c.lines.length;
      let actual = null;
      if (stuck === null) {
        try {
          actual = await inSession(session, c.lines, deadlineMs);
        } catch (error) {
          stuck = `${error.message}; target stderr: ${target.stderr
            .split('\n')
            .filter((line) => line.startsWith('prdb: internal'))
            .join(' ')}`;
        }
      }
      await t.test(c.name, options, () => {
        if (actual === null) assert.fail(`no prompt after ${JSON.stringify(c.lines)}: ${stuck}`);
        const shown = c.map ?? ((output) => output);
        assert.deepEqual(actual.map(shown), expected.map(shown), `lines ${JSON.stringify(c.lines)}`);
      });
    }
  });
}

const startsAsPromise = (output) => (output.startsWith('Promise {') ? 'Promise {…' : output);

differential('declarations, values, errors', [
  { name: 'a const declared with await, then read', lines: ['const ca = await Promise.resolve(1)', 'ca'] },
  {
    name: 'destructuring declarations, then the names',
    lines: [
      'let { cb, cc: [cd], ...ce } = await Promise.resolve({ cb: 1, cc: [2], cf: 3 })',
      '[cb, cd, ce]',
      'const [cg, ...ch] = await Promise.resolve([1, 2, 3])',
      '[cg, ch]',
    ],
  },
  {
    name: 'var in a block, then the name',
    lines: ['if (true) { var ci = await Promise.resolve("in a block") }', 'ci'],
  },
  {
    name: 'var in a for head and a for-of head',
    lines: [
      'for (var cj = 0; cj < await Promise.resolve(3); cj++) {}',
      'for (var ck of await Promise.resolve(["x", "y"])) {}',
      '[cj, ck]',
    ],
  },
  { name: 'var with several declarators', lines: ['await null; var cl = 1, cm', '[cl, cm]'] },
  {
    name: 'a function declared in awaited input, called on the next line',
    lines: ['function cn() { return "declared" } await null', 'cn()', 'typeof globalThis.cn'],
  },
  {
    name: 'a class declared in awaited input, used on the next line',
    lines: ['class Co { m() { return "method" } }; await null', 'new Co().m()'],
  },
  {
    name: 'a class whose heritage is awaited',
    lines: ['class Cp extends (await Promise.resolve(Array)) {}', 'new Cp() instanceof Array'],
  },
  { name: 'let declared twice', lines: ['let cq = await Promise.resolve(1)', 'let cq = 2', 'cq'] },
  { name: 'typeof of hoisted names', lines: ['await null; [typeof cn, typeof Co, typeof ca, typeof ci]'] },
  {
    name: 'the value of a last expression with awaits in it',
    lines: ['(await Promise.resolve(20)) + (await Promise.resolve(22))', 'typeof await Promise.resolve(1)'],
  },
  {
    name: 'a promise as the value is shown, not awaited',
    lines: ['await null; Promise.resolve(3)'],
    map: startsAsPromise,
  },
  {
    name: 'an object literal with awaits, in parentheses',
    lines: ['({ cr: await Promise.resolve(1), cs: [await 2], [await "ct"]: 3 })'],
  },
  { name: 'an error thrown after an await', lines: ['await null; throw new RangeError("after an await")'] },
  {
    name: 'a rejected promise awaited',
    lines: ['await Promise.reject(new TypeError("rejected"))', 'await null; null.property'],
  },
  { name: 'this after an await', lines: ['await null; this === globalThis'] },
  {
    name: 'the word await in strings, regexps, comments and templates',
    lines: [
      "'await 1 ' + await Promise.resolve('and')",
      '/await/.source + await Promise.resolve(1)',
      'await /* await */ Promise.resolve("commented") // await',
      '`await ${await Promise.resolve("template")}`',
    ],
  },
  {
    name: 'nested async arrows that are awaited',
    lines: [
      'await (async () => (await Promise.resolve(2)) * 3)()',
      'await Promise.all([1, 2].map(async (n) => n + await n))',
    ],
  },
  {
    name: 'control flow around awaits',
    lines: [
      'label: for (const cu of [1, 2]) { await null; var cv = cu; continue label }',
      'cv',
      'switch (await Promise.resolve(2)) { case 1: break; case 2: var cw = "two" }',
      'cw',
    ],
  },
  {
    name: 'try/catch/finally around a rejection',
    lines: [
      'try { await Promise.reject(new Error("caught")) } catch (e) { var cx = e.message } finally { var cy = "finally" }',
      '[cx, cy]',
    ],
  },
  { name: 'do-while with an await', lines: ['do { var cz = await Promise.resolve("do") } while (false)', 'cz'] },
  {
    name: 'input Node rejects as a syntax error',
    lines: ['await Promise.resolve(1) +* 2', 'let da = await 1, da = 2'],
  },
  {
    name: 'multi-line input: open brackets, then the rest',
    lines: [
      'const db = await Promise.resolve([',
      '1, 2,',
      '])',
      'db.length',
      'if (await Promise.resolve(true)) {',
      'var dc = "a"',
      'await Promise.resolve("b")',
      '}',
      'dc',
    ],
  },
]);

differential("inputs that once diverged from Node's REPL", [
  {
    // `${…}` before an `await` makes it awaited twice: the `then` getter runs twice.
    name: 'a template literal before an await',
    lines: [
      'globalThis.thenGets = 0; globalThis.peek = { get then() { thenGets++ } }; 0',
      '`${0}` + await peek, thenGets',
    ],
  },
  {
    name: 'an if with no braces whose body is an await on the next line',
    lines: ['globalThis.ea = "not run"', 'if (false)', 'await (ea = "ran")', 'ea'],
  },
  {
    name: 'a line break after await x++ ends the statement',
    lines: ['globalThis.eb = 1', 'if (true) {', 'await eb++', '(eb)', '}'],
  },
  // The REPL's own rewrite turns prdb's hoisted `var a;` into `a = undefined` before the code runs.
  {
    name: 'a var redeclared after an await keeps its value until assigned',
    lines: ['var ec = "old"', 'console.log(ec); await null; var ec = "new"', 'ec'],
  },
  {
    name: 'a function redeclared after an await',
    lines: [
      'function ed() { return "old" }',
      'console.log(typeof globalThis.ed); await null; function ed() { return "new" }',
    ],
  },
  {
    name: 'arguments after an await',
    lines: ['await null; typeof arguments', 'await null; (() => typeof arguments)()'],
  },
  { name: 'yield after an await is a name', lines: ['globalThis.yield = "a global"', 'await null; yield'] },
  { name: 'await a ** b is a syntax error', lines: ['await 2 ** 2'] },
  { name: 'extends await is a syntax error', lines: ['class Ee extends await Promise.resolve(Object) {}'] },
  { name: 'new.target is a syntax error', lines: ['new.target; await 1'] },
  { name: 'class C {} await x on one line is a syntax error', lines: ["class Ef {} await null; 'after'"] },
  {
    name: 'a function declaration as a loop body is a syntax error',
    lines: ['for (var eg of [1]) function eh() {} await null'],
  },
  { name: 'in, in a for initializer, is a syntax error', lines: ['for (var ei = "a" in {}; false;) ; await null'] },
]);

differential(
  "inputs that once diverged from Node's REPL: input that ends where a statement must follow",
  [
    // The rewriter throws on `await …; if (c)` and the session hangs: no prompt, ever.
    { name: 'an if whose body comes on the next line', lines: ['await null; if (true)', "'then'"] },
    { name: 'the session goes on afterwards', lines: ['1 + 1'] },
  ],
  { deadlineMs: 2000 },
);

// Two places where Node's REPL is wrong (lib/internal/repl/await.js) and prdb means what the
// input says, as a script would: checked against prdb alone, with Node's answer noted.
test("where Node's REPL hoisting is wrong, a session does what the input says", async (t) => {
  const target = await startTarget(t);
  const session = await connect(t, await target.activate(), { columns: 200 });
  // Node hoists no `let` for a destructured name with a default, so a later `const` of the
  // same name is allowed there; here the name is declared, as `const` says.
  const [, redeclared] = await inSession(session, ['const { ej = 1 } = await Promise.resolve({})', 'const ej = 2']);
  assert.equal(redeclared, "Uncaught SyntaxError: Identifier 'ej' has already been declared");
  // Node's hoisting throws a TypeError on an array hole; here the input runs.
  const [, values] = await inSession(session, ['const [ek, , el] = await Promise.resolve([1, 2, 3])', '[ek, el]']);
  assert.equal(values, '[ 1, 3 ]');
});
