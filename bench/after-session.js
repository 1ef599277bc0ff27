// Does opening a console leave the process slower? Times the job's own promise-heavy work
// (bench/workload-job.js) before any session, while one is open, and after it closed, in the
// same process, median of 5 runs each. Usage: node bench/after-session.js
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { connect, parseConsoleUrl, waitUntil } from '../test/helpers.js';

const job = spawn(process.execPath, [fileURLToPath(new URL('./workload-job.js', import.meta.url))], {
  env: { ...process.env, PRDB_OPTIONS: JSON.stringify({ port: 0 }) },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let stdout = '';
let stderr = '';
job.stdout.setEncoding('utf8').on('data', (text) => (stdout += text));
job.stderr.setEncoding('utf8').on('data', (text) => (stderr += text));
const t = { after() {} };

async function measure(runs = 5) {
  const all = [];
  for (let run = 0; run < runs; run++) {
    const before = stdout.length;
    job.kill('SIGUSR2');
    const line = await waitUntil(
      job.stdout,
      'data',
      () => /job: (\{.*\})\n/.exec(stdout.slice(before)),
      'the job to time its work',
      60_000,
    );
    all.push(JSON.parse(line[1]));
  }
  const median = (values) => values.sort((a, b) => a - b)[values.length >> 1];
  return Object.fromEntries(Object.keys(all[0]).map((name) => [name, median(all.map((times) => times[name]))]));
}

try {
  await waitUntil(job.stderr, 'data', () => stderr.includes('job: ready'), 'the job');
  await measure(3); // warm-up: the JIT and the HTTP agent's sockets
  const never = await measure();
  job.kill('SIGUSR1');
  const url = (await waitUntil(job.stderr, 'data', () => /console for pid \d+ at (\S+)\n/.exec(stderr), 'the URL'))[1];
  const session = await connect(t, parseConsoleUrl(url));
  await session.evaluate('setTimeout(() => {}, 1); await null; 1 + 1');
  const open = await measure();
  session.socket.close();
  await session.waitForClose();
  // The first session has ended in the target once a second one has come and gone after it.
  const check = await connect(t, parseConsoleUrl(url));
  await check.evaluate('1');
  check.socket.close();
  await check.waitForClose();
  const after = await measure();
  const row = (label, times) =>
    `| ${label} | ${Object.values(times)
      .map((ms) => `${ms} ms`)
      .join(' | ')} |`;
  console.log(`Node ${process.version}, ${(await import('node:os')).availableParallelism()} cores, median of 5`);
  console.log(
    `| | ${Object.keys(never)
      .map(
        (name) =>
          ({ await: '200,000 `await null`', immediate: '50,000 `setImmediate`', http: '300 HTTP requests' })[name],
      )
      .join(' | ')} |`,
  );
  console.log(
    `|---|${Object.keys(never)
      .map(() => '---')
      .join('|')}|`,
  );
  console.log(row('never opened', never));
  console.log(row('session open', open));
  console.log(row('after it closed', after));
  console.log(
    row(
      'after / never',
      Object.fromEntries(Object.keys(never).map((name) => [name, (after[name] / never[name]).toFixed(2)])),
    ).replace(/ ms/g, ''),
  );
} catch (error) {
  console.error(error, stderr);
  process.exitCode = 1;
} finally {
  job.kill('SIGKILL');
  await once(job, 'exit');
  process.exit();
}
