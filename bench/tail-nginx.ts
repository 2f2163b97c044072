/**
 * The generator's own tail against a fast target: nginx (≈0.13 ms per request) on core 1, each generator on
 * core 0, a fixed rate. Whatever perfloop reports above nginx's own time at p99.9 is the generator's doing;
 * its schedule lag and GC pauses are printed beside. autocannon at the same rate (-R) is the peer (it waits
 * for each response, so it hides stalls: coordinated omission). Each configuration runs twice, interleaved.
 * Each round starts with the machine's own floor (host-stalls.ts): what a real-time spinner on each core sees,
 * which no generator on that core can go below; each run says where its worst lag came from (health.worstStall).
 *   node dist/bench/tail-nginx.js [rate=1000] [seconds=15]
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeHostStalls, measureHostStalls } from './host-stalls.js';
import { ensureAutocannon, PERFLOOP_CLI, pinned, startNginx } from './peers.js';

const rate = Number(process.argv[2] ?? 1000);
const seconds = Number(process.argv[3] ?? 15);

interface RunSlice {
  summary: { total: { latency: { p50Us: number; p99Us: number; p999Us: number; p9999Us: number; maxUs: number }; serviceTime: { p50Us: number; p999Us: number } } };
  health: { valid: boolean; lagMaxUs: number; generatorShareUs?: Record<string, number>; gcPauseMaxUs?: number; untrustworthy?: string[]; worstStall?: { cause: string; gcMaxUs: number; runQueueWaitUs: number; stealUs: number } };
}

const ms = (us: number): string => `${(us / 1000).toFixed(2)} ms`;

async function main(): Promise<void> {
  const autocannon = ensureAutocannon();
  const nginx = await startNginx(18182, 1);
  try {
    pinned(0, 'wrk', ['-t1', '-c16', '-d1s', nginx.url]);
    const out = join(tmpdir(), `perfloop-tail-${process.pid}.json`);
    console.log(`generator tail: nginx on core 1, generators on core 0, ${rate} req/s for ${seconds}s`);
    for (let round = 1; round <= 2; round++) {
      for (const cpu of [0, 1]) console.log(`  floor ${describeHostStalls(measureHostStalls(cpu, Math.min(seconds, 10)))}`);
      for (const [dispatch, priority] of [['precise', 'raised'], ['precise', 'realtime'], ['timer', 'raised']] as const) {
        pinned(0, process.execPath, [PERFLOOP_CLI, 'run', nginx.url, '--rate', String(rate), '--duration', `${seconds}s`, '--warmup', '1s', '--dispatch', dispatch, '--priority', priority, '--quiet', '--out', out]);
        const run = JSON.parse(readFileSync(out, 'utf8')) as RunSlice;
        const { latency, serviceTime } = run.summary.total;
        console.log(
          `  perfloop (${dispatch.padEnd(7)} ${priority.padEnd(8)}) p50 ${ms(latency.p50Us)}  p99 ${ms(latency.p99Us)}  p99.9 ${ms(latency.p999Us)}  p99.99 ${ms(latency.p9999Us)}  max ${ms(latency.maxUs)} | service p50 ${ms(serviceTime.p50Us)} p99.9 ${ms(serviceTime.p999Us)} | lag p50 ${ms(run.health.generatorShareUs?.['p50'] ?? 0)} max ${ms(run.health.lagMaxUs)} | GC max ${ms(run.health.gcPauseMaxUs ?? 0)} | worst lag: ${run.health.worstStall?.cause ?? 'n/a'} | ${run.health.valid ? 'valid' : 'INVALID'}${run.health.untrustworthy?.length ? ` (untrustworthy: ${run.health.untrustworthy.join(' ')})` : ''}`,
        );
      }
      const acOut = pinned(0, process.execPath, [autocannon, '-c', '16', '-R', String(rate), '-d', String(seconds), '--json', nginx.url]);
      const latency = (JSON.parse(acOut) as { latency: { p50: number; p99: number; p99_9?: number; max: number } }).latency;
      console.log(`  autocannon -R        p50 ${latency.p50.toFixed(2)} ms  p99 ${latency.p99.toFixed(2)} ms  max ${latency.max.toFixed(2)} ms (ms resolution; waits for responses)`);
    }
    console.log('targets: perfloop p99.9 <= 3 ms, max schedule lag <= 2 ms, lag p50 < 50 us');
  } finally {
    nginx.stop();
  }
}

await main();
