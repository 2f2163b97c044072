/**
 * Does scraping disturb the generator? The same open-loop run with no collector and with 3 scrape targets at the run's
 * 1 s interval, each a ~120 KiB exposition (Node defaults + 40 labelled histograms, etcd-sized). Prints
 * schedule lag p99/max, once with the generator on the main thread (1 worker: it shares the thread with the
 * collector, the worst case) and once in worker threads. Target and endpoints run in a child process.
 *
 *   node dist/bench/scrape-cost.js [rate=500] [seconds=6]
 */
import { spawn } from 'node:child_process';
import { runLoad } from '../src/load/run-load.js';
import { scenarioFromUrl } from '../src/load/scenario-from-flags.js';
import { prometheusSource } from '../src/signals/prometheus-source.js';
import { signalCollector } from '../src/signals/signal-collector.js';

const rate = Number(process.argv[2] ?? 500);
const seconds = Number(process.argv[3] ?? 6);

const child = spawn(process.execPath, ['--input-type=module', '-e', `
import { createServer } from 'node:http';
import { Histogram, Registry, collectDefaultMetrics } from 'prom-client';
const registry = new Registry();
collectDefaultMetrics({ register: registry });
for (let h = 0; h < 40; h++) {
  const histogram = new Histogram({ name: 'grpc_handling_' + h + '_seconds', help: 'x', labelNames: ['method', 'code'], registers: [registry] });
  for (let m = 0; m < 3; m++) histogram.observe({ method: 'M' + m, code: 'OK' }, 0.001 * (m + 1));
}
const server = createServer((request, response) => {
  if (request.url.startsWith('/metrics')) registry.metrics().then((text) => response.end(text));
  else response.end('ok');
});
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
`], { stdio: ['ignore', 'pipe', 'inherit'], cwd: process.cwd() });
const port = await new Promise<number>((resolve) => child.stdout.once('data', (data: Buffer) => resolve(Number(data.toString()))));
const url = `http://127.0.0.1:${port}`;

async function measure(label: string, scrapes: number, workers: number): Promise<void> {
  const scenario = scenarioFromUrl(`${url}/`, { ratePerSec: rate, duration: `${seconds}s` });
  const collector = signalCollector(Array.from({ length: scrapes }, (_, i) => prometheusSource(`t${i}`, `${url}/metrics${i}`, { timeoutMs: 1000 })));
  const cpuBefore = process.cpuUsage();
  await collector.start({ intervalMs: scenario.intervalMs, expectedDurationMs: seconds * 1000 });
  const run = await runLoad(scenario, { workers });
  await collector.stop();
  const cpu = process.cpuUsage(cpuBefore);
  const counts = collector.counts();
  const ok = counts.reduce((sum, count) => sum + count.ok, 0);
  console.log(
    `${label.padEnd(24)} lag p99 ${(run.health.lagP99Us / 1000).toFixed(2).padStart(6)} ms  max ${(run.health.lagMaxUs / 1000).toFixed(2).padStart(7)} ms  ` +
      `sent ${run.health.sent}/${run.health.scheduled}  scrapes ok ${ok}  process CPU ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms`,
  );
}

try {
  console.log(`open loop ${rate}/s for ${seconds}s; 1 worker = the generator on the collector's thread, 2 = worker threads`);
  await measure('warm-up run', 0, 1);
  for (const workers of [1, 2]) {
    await measure(`${workers}w no scraping`, 0, workers);
    await measure(`${workers}w 3 targets @ 1 s`, 3, workers);
  }
} finally {
  child.kill();
}
