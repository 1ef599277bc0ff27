#!/usr/bin/env node
// After tsc (npm run build): the same prdb in files whose extensions say their module format,
// so that a copied file works in any project, whatever its package.json's "type" says:
//   prdb.mjs    the ES module, as tsc wrote prdb.js (which is ESM only where "type" is "module");
//   prdb.cjs    CommonJS: `export` becomes module.exports, import.meta.url the file's own URL;
//   prdb.d.cts  prdb.d.ts for the package's `require` condition.
// Each is complete by itself: the server child and the watchdog thread run the file they were
// started from. The outputs are committed; CI checks that they are what this script makes.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const read = (name) => readFileSync(join(root, name), 'utf8');

function fail(message) {
  console.error(`build-formats: ${message}`);
  process.exit(1);
}

const esm = read('prdb.js');

// tsc emits each export as `export function name` or `export const name`: anything else would
// be left behind as ESM syntax in a CommonJS file, so it stops the build instead.
const exportedNames = [];
let commonjs = esm.replace(/^export (?:async )?(function|const|class) (\w+)/gm, (declaration, kind, name) => {
  exportedNames.push(name);
  return declaration.slice('export '.length);
});
const leftover = /^(export|import)\b.*$/m.exec(commonjs);
if (leftover !== null) fail(`prdb.js has a module statement this build does not convert: ${leftover[0]}`);
if (!commonjs.includes('import.meta.url')) fail('prdb.js no longer uses import.meta.url: is this build still needed?');
// prdb's own lazy built-in loader, as everywhere else in the file.
commonjs = commonjs.replaceAll('import.meta.url', "builtin('node:url').pathToFileURL(__filename).href");
if (/\bimport\.meta\b/.test(commonjs)) fail('prdb.js uses import.meta for more than its url');
// A module is strict code; CommonJS is strict only when it says so. After the shebang, if any.
commonjs = commonjs.replace(/^(#!.*\n)?/, (shebang) => `${shebang ?? ''}'use strict';\n`);
commonjs += `\nmodule.exports = { ${exportedNames.join(', ')} };\n`;

writeFileSync(join(root, 'prdb.mjs'), esm);
writeFileSync(join(root, 'prdb.cjs'), commonjs);
writeFileSync(join(root, 'prdb.d.cts'), read('prdb.d.ts'));
