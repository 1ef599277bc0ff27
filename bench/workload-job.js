// A job that times promise-heavy work of its own on demand (SIGUSR2), for bench/run.js (its
// lasting section) and test/lasting.test.js: an `await null` loop, a setImmediate chain, and
// HTTP requests to itself. It prints one line of JSON: the milliseconds of each.
import http from 'node:http';

const prdb = await import(process.env.PRDB_ENTRY ?? '../prdb.js');
if (process.env.PRDB_OPTIONS) prdb.setSignalHandler(JSON.parse(process.env.PRDB_OPTIONS));
const workloads = (process.env.WORKLOADS ?? 'await,immediate,http').split(',');
const awaits = Number(process.env.AWAITS ?? 200_000);

const server = http.createServer((request, response) => response.end('ok'));
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const agent = new http.Agent({ keepAlive: true });

async function awaitLoop() {
  for (let i = 0; i < awaits; i++) await null;
}
function immediateChain() {
  return new Promise((resolve) => {
    let left = 50_000;
    const next = () => (--left === 0 ? resolve() : setImmediate(next));
    setImmediate(next);
  });
}
async function httpLoop() {
  const { port } = server.address();
  for (let i = 0; i < 300; i++) {
    await new Promise((resolve, reject) => {
      http
        .get({ port, host: '127.0.0.1', path: '/', agent }, (response) => response.resume().on('end', resolve))
        .on('error', reject);
    });
  }
}
const run = { await: awaitLoop, immediate: immediateChain, http: httpLoop };

let busy = false;
process.on('SIGUSR2', async () => {
  if (busy) return;
  busy = true;
  const times = {};
  for (const name of workloads) {
    const started = performance.now();
    await run[name]();
    times[name] = Number((performance.now() - started).toFixed(1));
  }
  busy = false;
  console.log(`job: ${JSON.stringify(times)}`);
});
server.unref();
setInterval(() => {}, 1000);
console.error('fixture: job: ready');
