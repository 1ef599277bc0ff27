// How soon after the signal is the console there? For fresh targets (test/fixtures/target.js,
// port 0), each signalled once: signal to URL on stderr, to WebSocket open (the connection made
// as soon as the URL is out), to the first prompt of the session; beside a bare `node -e 0`
// measured in the same run, which is what a server child cannot beat. Median of 20 (or argv[2]).
// Usage: node bench/activation.js [runs]
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { fixture, parseConsoleUrl, root, stripAnsi, waitUntil } from '../test/helpers.js';
import WebSocket from 'ws';

const runs = Number(process.argv[2] ?? 20);
const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];

function bareNode() {
  const started = performance.now();
  spawnSync(process.execPath, ['-e', '0']);
  return performance.now() - started;
}

async function activation() {
  const target = spawn(process.execPath, [fixture('target.js')], {
    cwd: root,
    env: { ...process.env, PRDB_OPTIONS: JSON.stringify({ port: 0 }), PRDB_REPL_HISTORY: '' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  target.stderr.setEncoding('utf8').on('data', (text) => (stderr += text));
  try {
    await waitUntil(target.stderr, 'data', () => stderr.includes('fixture: ready'), 'the target');
    // Settled: the program's own start is not what this measures.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const signalled = performance.now();
    target.kill('SIGUSR1');
    const [, url] = await waitUntil(target.stderr, 'data', () => /at (http\S+)\n/.exec(stderr), 'the URL');
    const times = { url: performance.now() - signalled };
    const consoleUrl = parseConsoleUrl(url);
    const socket = new WebSocket(consoleUrl.wsUrl, { origin: consoleUrl.origin });
    socket.on('open', () => {
      times.open = performance.now() - signalled;
      socket.send(JSON.stringify({ type: 'token', token: consoleUrl.token }));
    });
    let output = '';
    socket.on('message', (data, isBinary) => {
      if (isBinary) output += data.toString();
      if (times.prompt === undefined && /> $/.test(stripAnsi(output))) {
        times.prompt = performance.now() - signalled;
        socket.emit('prompt');
      }
    });
    await once(socket, 'prompt');
    socket.terminate();
    return times;
  } finally {
    target.kill('SIGKILL');
  }
}

const all = [];
const node = [];
for (let run = 0; run < runs; run++) {
  node.push(bareNode());
  all.push(await activation());
}
const [url, open, prompt, bare] = [
  median(all.map((times) => times.url)),
  median(all.map((times) => times.open)),
  median(all.map((times) => times.prompt)),
  median(node),
];
console.log(
  `activation (Node ${process.version}, median of ${runs}): signal to URL ${url.toFixed(1)} ms, to WebSocket open ` +
    `${open.toFixed(1)} ms, to first prompt ${prompt.toFixed(1)} ms; node -e 0 ${bare.toFixed(1)} ms ` +
    `(first prompt ${(prompt - bare).toFixed(1)} ms after it)`,
);
