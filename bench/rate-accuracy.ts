/**
 * Rate accuracy: achieved rate (and schedule lag p50/p99) against the target at 1k and 10k req/s, then at rising rates until the
 * run is no longer valid (the generator's own self-check) — the highest sustainable rate.
 * perfloop on core 0 (one worker), nginx on core 1.
 *   node dist/bench/rate-accuracy.js [seconds=10]
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PERFLOOP_CLI, pinned, startNginx } from './peers.js';

const seconds = Number(process.argv[2] ?? 10);

interface RunResult {
  achievedPerSec: number;
  valid: boolean;
  lagP50Us: number;
  lagP99Ms: number;
  p99Ms: number;
}

function runAt(url: string, ratePerSec: number): RunResult {
  const out = join(tmpdir(), `perfloop-rate-${process.pid}-${ratePerSec}.json`);
  pinned(0, process.execPath, [PERFLOOP_CLI, 'run', url, '--rate', String(ratePerSec), '--duration', `${seconds}s`, '--warmup', '2s', '--quiet', '--out', out]);
  const run = JSON.parse(readFileSync(out, 'utf8')) as {
    summary: { total: { throughputPerSec: number; latency: { p99Us: number } } };
    health: { valid: boolean; lagP99Us: number; scheduled: number; generatorShareUs?: Record<string, number> };
  };
  return { achievedPerSec: run.summary.total.throughputPerSec, valid: run.health.valid, lagP50Us: run.health.generatorShareUs?.['p50'] ?? NaN, lagP99Ms: run.health.lagP99Us / 1000, p99Ms: run.summary.total.latency.p99Us / 1000 };
}

function line(target: number, result: RunResult): string {
  const error = ((result.achievedPerSec - target) / target) * 100;
  return `  ${String(target).padStart(7)}/s  achieved ${result.achievedPerSec.toFixed(1).padStart(9)}/s  (${error >= 0 ? '+' : ''}${error.toFixed(2)}%)  lag p50 ${result.lagP50Us.toFixed(0)} µs, p99 ${result.lagP99Ms.toFixed(2)} ms  p99 ${result.p99Ms.toFixed(2)} ms  ${result.valid ? 'valid' : 'INVALID'}`;
}

async function main(): Promise<void> {
  const nginx = await startNginx(18183, 1);
  try {
    console.log(`rate accuracy, ${seconds}s per rate, perfloop (1 worker) on core 0, nginx on core 1`);
    for (const rate of [1000, 10_000]) console.log(line(rate, runAt(nginx.url, rate)));
    let highestValid = 0;
    for (const rate of [15_000, 20_000, 25_000, 30_000, 35_000, 40_000]) {
      const result = runAt(nginx.url, rate);
      console.log(line(rate, result));
      if (!result.valid) break;
      highestValid = rate;
    }
    console.log(`  highest sustainable (valid) rate: ${highestValid ? `${highestValid}/s` : 'below 15000/s'}`);
  } finally {
    nginx.stop();
  }
}

await main();
