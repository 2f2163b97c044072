/**
 * Does scraping disturb the generator? The same open-loop run with no collector and with 3 scrape targets at the
 * run's 1 s interval, each a ~120 KiB exposition (Node defaults + 40 labelled histograms, etcd-sized). The
 * generator runs in its own thread (as every run does); the collector runs on the main thread, as in
 * `perfloop run`. The two arms alternate (ABAB…, `pairs` times) so drift on a shared machine hits both alike;
 * prints each run's schedule lag p99/max and the medians' ratios (3 targets ÷ none: 1.0 = no effect). Target and
 * endpoints run in a child process.
 *
 *   node dist/bench/scrape-cost.js [rate=500] [seconds=6] [pairs=3]
 */
import { spawn } from 'node:child_process';
import { runLoad } from '../src/load/run-load.js';
import { scenarioFromUrl } from '../src/load/scenario-from-flags.js';
import { prometheusSource } from '../src/signals/prometheus-source.js';
import { signalCollector } from '../src/signals/signal-collector.js';

const rate = Number(process.argv[2] ?? 500);
const seconds = Number(process.argv[3] ?? 6);
const pairs = Number(process.argv[4] ?? 3);

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

interface Measured {
  lagP99Us: number;
  lagMaxUs: number;
  cpuMs: number;
}

async function measure(label: string, scrapes: number): Promise<Measured> {
  const scenario = scenarioFromUrl(`${url}/`, { ratePerSec: rate, duration: `${seconds}s` });
  const collector = signalCollector(Array.from({ length: scrapes }, (_, i) => prometheusSource(`t${i}`, `${url}/metrics${i}`, { timeoutMs: 1000 })));
  const cpuBefore = process.cpuUsage();
  await collector.start({ intervalMs: scenario.intervalMs, expectedDurationMs: seconds * 1000 });
  const run = await runLoad(scenario, { workers: 1 });
  await collector.stop();
  const cpu = process.cpuUsage(cpuBefore);
  const counts = collector.counts();
  const ok = counts.reduce((sum, count) => sum + count.ok, 0);
  const failed = counts.reduce((sum, count) => sum + count.failed, 0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  console.log(
    `${label.padEnd(22)} lag p99 ${(run.health.lagP99Us / 1000).toFixed(3).padStart(7)} ms  max ${(run.health.lagMaxUs / 1000).toFixed(2).padStart(7)} ms  ` +
      `sent ${run.health.sent}/${run.health.scheduled}  scrapes ok ${ok} failed ${failed}  process CPU ${cpuMs.toFixed(0)} ms`,
  );
  return { lagP99Us: run.health.lagP99Us, lagMaxUs: run.health.lagMaxUs, cpuMs };
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

try {
  console.log(`open loop ${rate}/s for ${seconds}s, generator in its own thread; ${pairs} pairs alternating no scraping / 3 targets @ 1 s`);
  await measure('warm-up run', 0);
  const none: Measured[] = [];
  const three: Measured[] = [];
  for (let pair = 1; pair <= pairs; pair++) {
    none.push(await measure(`pair ${pair}: no scraping`, 0));
    three.push(await measure(`pair ${pair}: 3 targets`, 3));
  }
  const ratio = (pick: (m: Measured) => number): string => {
    const base = median(none.map(pick));
    return base > 0 ? (median(three.map(pick)) / base).toFixed(2) : 'n/a';
  };
  console.log(
    `medians: lag p99 ${(median(none.map((m) => m.lagP99Us)) / 1000).toFixed(3)} → ${(median(three.map((m) => m.lagP99Us)) / 1000).toFixed(3)} ms (ratio ${ratio((m) => m.lagP99Us)}), ` +
      `lag max ${(median(none.map((m) => m.lagMaxUs)) / 1000).toFixed(2)} → ${(median(three.map((m) => m.lagMaxUs)) / 1000).toFixed(2)} ms (ratio ${ratio((m) => m.lagMaxUs)}), ` +
      `process CPU ratio (generator + collector) ${ratio((m) => m.cpuMs)}`,
  );
} finally {
  child.kill();
}
