// How long the lookup of the main module's variables holds a large program's main thread
// (100,000 functions and a 1 GB heap; goal under 300 ms), and what a read costs.
// Usage: node bench/scope-lookup.js [heap MB, default 1024]
// Prints the first use of a name (a quick lookup), `.scope` (a quick and a full lookup), the
// longest gap the program's own 1 ms timer saw across each, and the cost of one read.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { connect, parseConsoleUrl, waitUntil } from '../test/helpers.js';

const heapMegabytes = Number(process.argv[2] ?? 1024);
const script = fileURLToPath(new URL('./large-heap-job.js', import.meta.url));
const job = spawn(process.execPath, ['--max-old-space-size=4096', script], {
  env: { ...process.env, HEAP_MB: String(heapMegabytes), PRDB_OPTIONS: JSON.stringify({ port: 0 }) },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let stdout = '';
let stderr = '';
job.stdout.setEncoding('utf8').on('data', (text) => (stdout += text));
job.stderr.setEncoding('utf8').on('data', (text) => (stderr += text));
const t = { after() {} };
try {
  await waitUntil(job.stderr, 'data', () => /job: ready.*\n/.exec(stderr), 'the job to build its heap', 300_000);
  const ready = /job: ready(.*)\n/.exec(stderr)[1];
  job.kill('SIGUSR1');
  const url = (await waitUntil(job.stderr, 'data', () => /console for pid \d+ at (\S+)\n/.exec(stderr), 'the URL'))[1];
  const session = await connect(t, parseConsoleUrl(url));

  const longestGap = async () => {
    const before = stdout.length;
    job.kill('SIGUSR2');
    return Number(
      (await waitUntil(job.stdout, 'data', () => /longest gap ([\d.]+) ms/.exec(stdout.slice(before)), 'the gap'))[1],
    );
  };
  await longestGap();
  let started = performance.now();
  const first = await session.evaluate('model.name');
  const firstWall = performance.now() - started;
  const firstGap = await longestGap();
  if (!first.includes("'big'")) throw new Error(`unexpected: ${first}`);
  started = performance.now();
  const scope = await session.evaluate('.scope');
  const scopeWall = performance.now() - started;
  const scopeGap = await longestGap();
  const [, quickFunctions, quickMs, fullFunctions, fullMs] =
    /(\d+) functions the process.s roots hold, in (\d+) ms; (\d+) on the whole heap, in (\d+) ms/
      .exec(scope)
      .map(Number);
  const reads = 2000;
  const timing = await session.evaluate(
    `{ const started = performance.now(); for (let i = 0; i < ${reads}; i++) step; ((performance.now() - started) / ${reads} * 1000).toFixed(1) }`,
  );
  const perRead = /'([\d.]+)'/.exec(timing)?.[1];

  console.log(`Node ${process.version}, ${(await import('node:os')).availableParallelism()} cores; job:${ready}`);
  console.log('| figure | result |');
  console.log('|---|---|');
  console.log(
    `| first use of a name: quick lookup (roots) + the evaluation, round trip | ${firstWall.toFixed(0)} ms; the program's longest timer gap ${firstGap.toFixed(0)} ms |`,
  );
  console.log(`| .scope: quick lookup | ${quickMs} ms (${quickFunctions} functions) |`);
  console.log(
    `| .scope: full lookup (Runtime.queryObjects, after V8's full GC) | ${fullMs} ms (${fullFunctions} functions); the program's longest timer gap ${scopeGap.toFixed(0)} ms; round trip ${scopeWall.toFixed(0)} ms |`,
  );
  console.log(`| one read of a program variable | ${perRead} µs |`);
} catch (error) {
  console.error(error);
  console.error(stderr);
  process.exitCode = 1;
} finally {
  job.kill('SIGKILL');
  await once(job, 'exit');
  process.exit();
}
