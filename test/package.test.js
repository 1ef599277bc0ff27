// The npm package as a user gets it: `npm pack`, the tarball installed into a scratch app
// (offline: prdb has no dependencies), then used by import, require, preload and the command
// line, each reaching a console for real. Also what the tarball holds, and its types resolving
// for ES module and CommonJS TypeScript.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connect, root, serverChildPid, startTarget } from './helpers.js';

const run = promisify(execFile);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

const APP = `globalThis.appState = { name: 'app' };
setInterval(() => {}, 1000);
process.on('SIGTERM', () => process.exit(0));
process.stderr.write('fixture: ready pid=' + process.pid + '\\n');
`;

describe('the npm package', () => {
  let directory;
  let app;
  let packed;

  before(async () => {
    directory = mkdtempSync(join(tmpdir(), 'prdb-package-'));
    app = join(directory, 'app');
    const { stdout } = await run(npm, ['pack', '--json', '--pack-destination', directory], { cwd: root });
    packed = JSON.parse(stdout)[0];
    // What `npm init -y` writes today: a CommonJS project.
    mkdirSync(app);
    await run(npm, ['init', '-y'], { cwd: app });
    await run(npm, ['install', '--offline', '--no-audit', '--no-fund', join(directory, packed.filename)], { cwd: app });
    writeFileSync(join(app, 'required.js'), `require('prdb').setSignalHandler({ port: 0 });\n${APP}`);
    writeFileSync(
      join(app, 'imported.mjs'),
      `import { setSignalHandler } from 'prdb';\nsetSignalHandler({ port: 0 });\n${APP}`,
    );
    writeFileSync(join(app, 'plain.js'), APP);
  });
  after(() => rmSync(directory, { recursive: true, force: true }));

  /** Signal, URL, a session that evaluates: and which of the package's files the server child runs. */
  async function reachConsole(t, options) {
    const target = await startTarget(t, { cwd: app, options: null, ...options });
    const session = await connect(t, await target.activate());
    assert.match(await session.evaluate('[process.pid, appState.name]'), new RegExp(`\\[ ${target.pid}, 'app' \\]`));
    const argv = readFileSync(`/proc/${serverChildPid(target.pid)}/cmdline`, 'utf8').split('\0');
    return argv[argv.indexOf('--prdb-server-role') - 1];
  }
  const installed = (file) => realpathSync(join(app, 'node_modules', 'prdb', file));

  it('holds the library in each format, its types, the page and the README, nothing else; no dependencies', () => {
    const files = packed.files.map((file) => file.path).sort();
    assert.deepEqual(files, [
      'README.md',
      'client.html',
      'package.json',
      'prdb.cjs',
      'prdb.d.cts',
      'prdb.d.ts',
      'prdb.js',
      'prdb.ts',
    ]);
    assert.equal(manifest.dependencies, undefined);
    assert.match(manifest.engines.node, /^>=20/);
    const lock = JSON.parse(readFileSync(join(app, 'package-lock.json'), 'utf8'));
    assert.deepEqual(Object.keys(lock.packages).sort(), ['', 'node_modules/prdb']);
  });

  it('by require, in the CommonJS project npm init makes', async (t) => {
    assert.equal(await reachConsole(t, { script: 'required.js' }), installed('prdb.cjs'));
  });

  it('by import', async (t) => {
    assert.equal(await reachConsole(t, { script: 'imported.mjs' }), installed('prdb.js'));
  });

  it('node --import prdb, in a program that never imports it', async (t) => {
    assert.equal(await reachConsole(t, { script: 'plain.js', execArgv: ['--import', 'prdb'] }), installed('prdb.js'));
  });

  it('node --require prdb', async (t) => {
    assert.equal(await reachConsole(t, { script: 'plain.js', execArgv: ['--require', 'prdb'] }), installed('prdb.cjs'));
  });

  it("NODE_OPTIONS='--import prdb'", async (t) => {
    const env = { NODE_OPTIONS: '--import prdb' };
    assert.equal(await reachConsole(t, { script: 'plain.js', env }), installed('prdb.js'));
  });

  it('the command line: npx prdb', async () => {
    const version = await run('npx', ['--no', '--', 'prdb', '--version'], { cwd: app });
    assert.equal(version.stdout, `${manifest.version}\n`);
    const help = await run('npx', ['--no', '--', 'prdb', '--help'], { cwd: app });
    assert.match(help.stdout, /^Usage: prdb <pid>/);
  });

  it('types for import and for require, as TypeScript resolves them', async () => {
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        // A TypeScript project of a Node program has Node's types (prdb's name NodeJS.Signals and Buffer).
        compilerOptions: {
          module: 'nodenext',
          strict: true,
          noEmit: true,
          typeRoots: [join(root, 'node_modules', '@types')],
          types: ['node'],
        },
        files: ['typed.mts', 'typed.cts', 'wrong.cts'],
      }),
    );
    const use = `const url: Promise<string> = start({ port: 0 });\nconst sessions: number = status().sessions;\nvoid url, sessions;\n`;
    writeFileSync(join(app, 'typed.mts'), `import { start, status } from 'prdb';\n${use}`);
    writeFileSync(join(app, 'typed.cts'), `import { start, status } from 'prdb';\n${use}`);
    // A wrong type is an error: the types are really checked.
    writeFileSync(
      join(app, 'wrong.cts'),
      `import { status } from 'prdb';\nexport const wrong: string = status().sessions;\n`,
    );
    const typescript = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const failed = await run(process.execPath, [typescript, '-p', app, '--traceResolution'], { cwd: app }).then(
      () => assert.fail('tsc passed wrong.cts'),
      (error) => error,
    );
    // Where the types come from, by condition: prdb.d.ts for import, prdb.d.cts for require.
    assert.match(failed.stdout, /'prdb' was successfully resolved to '[^']*\/node_modules\/prdb\/prdb\.d\.ts'/);
    assert.match(failed.stdout, /'prdb' was successfully resolved to '[^']*\/node_modules\/prdb\/prdb\.d\.cts'/);
    const errors = failed.stdout.split('\n').filter((line) => /error TS/.test(line));
    assert.equal(errors.length, 1, errors.join('\n'));
    assert.match(errors[0], /^wrong\.cts\(2,14\): error TS2322/);
  });
});
