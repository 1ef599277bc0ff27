// A job with a large heap, for the scope section of bench/run.js: 100,000 live functions and about
// HEAP_MB of small objects, its state in top-level variables. It reports the longest gap
// its own 1 ms timer saw, on demand (SIGUSR2), so that the bench measures the pause the
// program itself felt.
const prdb = await import(process.env.PRDB_ENTRY ?? '../prdb.js');
if (process.env.PRDB_OPTIONS) prdb.setSignalHandler(JSON.parse(process.env.PRDB_OPTIONS));

const heapMegabytes = Number(process.env.HEAP_MB ?? 1024);
const functionCount = Number(process.env.FUNCTIONS ?? 100_000);
// test/helpers.js's startTarget waits for a line that starts so; the heap takes seconds more.
console.error(`fixture: job: building ${functionCount} functions and a ${heapMegabytes} MB heap`);

const model = { name: 'big', epoch: 0 };
let step = 0;

// Functions as a program has them: many small modules' worth, each a closure with its own text.
const handlers = [];
for (let group = 0; group < functionCount / 100; group++) {
  const batch = [];
  for (let index = 0; index < 100; index++) batch.push(new Function('x', `return x + ${group * 100 + index};`));
  handlers.push(batch);
}
// The heap: small objects in chunks, as caches and parsed records are.
const records = [];
while (process.memoryUsage().heapUsed < heapMegabytes * 1024 * 1024) {
  const chunk = [];
  for (let index = 0; index < 10_000; index++) chunk.push({ id: index, value: index * 2, label: null });
  records.push(chunk);
}

let longestGap = 0;
let last = performance.now();
setInterval(() => {
  const now = performance.now();
  longestGap = Math.max(longestGap, now - last);
  last = now;
  step++;
  model.epoch = step >> 10;
}, 1);
process.on('SIGUSR2', () => {
  console.log(`job: longest gap ${longestGap.toFixed(1)} ms`);
  longestGap = 0;
});
const heap = process.memoryUsage().heapUsed;
console.error(
  `job: ready, heap ${(heap / 2 ** 20).toFixed(0)} MB, ${handlers.length * 100} functions, ${records.length} record chunks`,
);
