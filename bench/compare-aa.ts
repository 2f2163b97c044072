/**
 * A/A and A/B with real runs: a local node:http server answering after a fixed delay (+ 0–1 ms jitter), loaded by
 * runLoad at a constant rate. Prints how often two runs of the same configuration are called "no significant change"
 * (noise-awareness) and how often a 10% slower server is called "regressed" (power), with the per-run cost.
 *
 * With repeats > 1 each side is that many runs, interleaved (A B A B …), so the run-to-run spread enters the
 * intervals — the remedy when the machine itself is noisy (shared CI runners, other processes).
 *
 *   node dist/bench/compare-aa.js [pairs=10] [durationSec=6] [ratePerSec=200] [repeats=1]
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { compareRuns } from '../src/compare/compare-runs.js';
import { runLoad } from '../src/load/run-load.js';
import { scenarioFromUrl } from '../src/load/scenario-from-flags.js';

const pairs = Number(process.argv[2] ?? 10);
// ≥ 5 s: the block bootstrap needs ≥ 5 one-second intervals per run.
const durationSec = Number(process.argv[3] ?? 6);
const ratePerSec = Number(process.argv[4] ?? 200);
const repeats = Number(process.argv[5] ?? 1);

let delayMs = 5;
const server = createServer((_request, response) => {
  setTimeout(() => response.end('ok'), delayMs + Math.random());
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
const scenario = scenarioFromUrl(url, { ratePerSec, duration: `${durationSec}s`, warmup: '0.5s' });

const run = async (serverDelayMs: number) => {
  delayMs = serverDelayMs;
  return runLoad(scenario, { workers: 1 });
};

// One throw-away run: the first run of a process pays for JIT and connection set-up.
await run(5);
let quiet = 0;
let detected = 0;
const p50Changes: number[] = [];
const started = performance.now();
for (let pair = 0; pair < pairs; pair++) {
  const a: Awaited<ReturnType<typeof run>>[] = [];
  const b: Awaited<ReturnType<typeof run>>[] = [];
  const slower: Awaited<ReturnType<typeof run>>[] = [];
  for (let r = 0; r < repeats; r++) {
    a.push(await run(5));
    b.push(await run(5));
    slower.push(await run(5.5));
  }
  const aa = compareRuns(a, b, { seed: pair + 1 });
  if (aa.verdict === 'no significant change') quiet++;
  p50Changes.push(aa.total.metrics.find((metric) => metric.metric === 'p50')?.change ?? 0);
  const ab = compareRuns(a, slower, { seed: pair + 1 });
  if (ab.verdict === 'regressed') detected++;
}
const elapsedSec = (performance.now() - started) / 1000;
server.closeAllConnections();
server.close();
const spread = p50Changes.map((change) => `${(change * 100).toFixed(1)}%`).join(' ');
process.stdout.write(
  [
    `compare-aa: ${pairs} comparisons of ${repeats} vs ${repeats} run(s) of ${durationSec}s at ${ratePerSec}/s against a 5 ms (+0–1 ms jitter) server`,
    `  A/A  "no significant change": ${quiet}/${pairs} (${((quiet / pairs) * 100).toFixed(0)}%)   A/A p50 changes: ${spread}`,
    `  A/B  5 ms → 5.5 ms (+10%) "regressed": ${detected}/${pairs} (${((detected / pairs) * 100).toFixed(0)}%)`,
    `  wall time ${elapsedSec.toFixed(1)}s`,
  ].join('\n') + '\n',
);
