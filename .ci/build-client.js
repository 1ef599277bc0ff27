#!/usr/bin/env node
// Builds client.html in place: `npm run build:client` (or `node .ci/build-client.js --check`
// to fail, without writing, when the committed file is not what the build would produce).
//
// Why inline everything instead of loading xterm.js from a CDN:
//   - the page must work with no network at all (servers in a private network, a laptop on a
//     train, an SSH tunnel to a box without internet access);
//   - the page is served by the target process itself, so anything fetched from elsewhere
//     would be a third party inside a debugging console that can run arbitrary code;
//   - the server sends a strict Content-Security-Policy (default-src 'none'), which only
//     self-contained inline code can satisfy.
// Why client.html is committed in its built form: users install prdb with no dev
// dependencies and no build step, and the server simply reads this one file.
//
// Scheme: in client.html, an element
//     <script data-inline="@xterm/xterm/lib/xterm.js">...</script>
//     <style data-inline="@xterm/xterm/css/xterm.css">...</style>
// has everything between its start tag and its end tag replaced by that file from
// node_modules. The end of the element is found by the same rule the HTML parser uses
// (the first `</script` / `</style`), and inlined code never contains one (escaped or
// refused below), so the build is idempotent: running it twice gives identical bytes.
//
// The first line of client.html is generated too:
//     <!-- prdb-csp-script-hashes: sha256-... sha256-... -->
// listing the CSP hash of every inline <script> in document order, so that the server can
// send `script-src 'sha256-...' ...` instead of 'unsafe-inline'. A hash covers the exact
// text between <script ...> and </script> (UTF-8), after the HTML parser's newline
// normalization (CRLF -> LF), which is what the browser hashes.

import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const htmlPath = join(root, 'client.html');
const check = process.argv.includes('--check');

const HASH_LINE = /^<!-- prdb-csp-script-hashes:[^\n]*-->\n/;
const INLINE = /(<(script|style) data-inline="([^"]+)">)[\s\S]*?(<\/\2>)/g;
const SCRIPT = /<script\b[^>]*>([\s\S]*?)<\/script>/g;

function fail(message) {
  console.error(`build-client: ${message}`);
  process.exit(1);
}

// "@xterm/xterm/lib/xterm.js" -> its package.json, for the license banner.
function packageOf(spec) {
  const parts = spec.split('/');
  const name = spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  const pkg = JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8'));
  const repo = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
  return `${pkg.name}@${pkg.version} (${pkg.license} license${repo ? ', ' + repo : ''})`;
}

function inlined(tag, spec) {
  let text;
  try {
    text = readFileSync(join(root, 'node_modules', spec), 'utf8');
  } catch (err) {
    fail(`cannot read node_modules/${spec} (run npm install first): ${err.message}`);
  }
  text = text
    .replace(/\r\n?/g, '\n')
    // Source maps are not shipped; a dangling reference only produces devtools noise.
    .replace(/^[ \t]*\/\/[#@] sourceMappingURL=.*$/gm, '')
    .replace(/\/\*[#@] sourceMappingURL=[^*]*\*\//g, '')
    .trim();
  if (tag === 'script') {
    // `</script` would end the element early. `<\/script` means the same inside the
    // strings, regular expressions and comments where such text can occur in JS.
    text = text.replace(/<\/(script)/gi, '<\\/$1');
    // `<!--` followed by `<script` makes the HTML parser ignore the next `</script>`;
    // no safe mechanical rewrite exists for it, so refuse rather than emit a broken page.
    if (/<!--/.test(text)) fail(`${spec} contains "<!--"; inlining it needs a manual look`);
  } else if (/<\/style/i.test(text)) {
    fail(`${spec} contains "</style"`);
  }
  return `\n/*! ${packageOf(spec)}, inlined from node_modules/${spec} */\n${text}\n`;
}

const original = readFileSync(htmlPath, 'utf8');
let html = original.replace(/\r\n?/g, '\n').replace(HASH_LINE, '');

// Everything outside the inlined regions is hand-written: it must not load anything.
const handWritten = html.replace(INLINE, '$1$4');
const markup = handWritten.replace(/(<(script|style)\b[^>]*>)[\s\S]*?(<\/\2>)/g, '$1$3');
const external = markup.match(/<[^>]*\s(?:src|href|srcset|action|formaction|poster|data|background)\s*=[^>]*>/gi);
if (external) fail(`client.html must be self-contained, found: ${external.join(' ')}`);
const ownCss = [...handWritten.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]).join('\n');
if (/@import|url\(\s*["']?(?!data:)/i.test(ownCss)) fail('client.html must not load CSS resources');

const seen = [];
html = html.replace(INLINE, (_, open, tag, spec, close) => {
  seen.push(spec);
  return open + inlined(tag, spec) + close;
});
if (seen.length === 0) fail('no data-inline elements found in client.html');

const hashes = [...html.matchAll(SCRIPT)].map(
  (m) => 'sha256-' + createHash('sha256').update(m[1], 'utf8').digest('base64'),
);
html = `<!-- prdb-csp-script-hashes: ${hashes.join(' ')} -->\n` + html;

if (check) {
  if (html !== original) fail('client.html is out of date: run `npm run build:client`');
  console.log('build-client: client.html is up to date');
} else {
  if (html !== original) writeFileSync(htmlPath, html);
  console.log(`build-client: inlined ${seen.join(', ')}`);
  console.log(`build-client: client.html ${Buffer.byteLength(html)} bytes, script hashes:`);
  for (const h of hashes) console.log(`  '${h}'`);
}
