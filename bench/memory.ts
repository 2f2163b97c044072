/**
 * Memory: RSS of a long run at a constant rate stays flat, because intervals are sealed and encoded as
 * time passes. Samples the perfloop process's RSS every 10 s and compares the end with the level after
 * warm-up (the first minute).
 *   node dist/bench/memory.js [seconds=600] [rate=5000]
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PERFLOOP_CLI, startNginx } from './peers.js';

const seconds = Number(process.argv[2] ?? 600);
const rate = Number(process.argv[3] ?? 5000);

const rssMiB = (pid: number): number => {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0) / 1024;
};

async function main(): Promise<void> {
  const nginx = await startNginx(18184, 1);
  try {
    const out = join(tmpdir(), `perfloop-memory-${process.pid}.json`);
    const child = spawn('taskset', ['-c', '0', process.execPath, PERFLOOP_CLI, 'run', nginx.url, '--rate', String(rate), '--duration', `${seconds}s`, '--quiet', '--out', out], { stdio: 'ignore' });
    const samples: { atSec: number; rssMiB: number }[] = [];
    const started = Date.now();
    const timer = setInterval(() => {
      try {
        // taskset execs node, so the child's pid is perfloop's.
        samples.push({ atSec: Math.round((Date.now() - started) / 1000), rssMiB: rssMiB(child.pid ?? 0) });
      } catch {
        /* the process has exited */
      }
    }, 10_000);
    await new Promise((resolve) => child.on('close', resolve));
    clearInterval(timer);
    // RSS swings with the garbage collector's cycle; the median of a minute is the level, a single sample is not.
    const median = (values: number[]): number => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
    const minuteAfterWarmup = median(samples.filter((sample) => sample.atSec >= 60 && sample.atSec < 120).map((sample) => sample.rssMiB));
    const lastMinute = median(samples.filter((sample) => sample.atSec > seconds - 60).map((sample) => sample.rssMiB));
    const peak = Math.max(...samples.map((sample) => sample.rssMiB));
    const run = JSON.parse(readFileSync(out, 'utf8')) as { summary: { total: { count: number } }; health: { valid: boolean } };
    console.log(`memory: ${seconds}s at ${rate} req/s, ${run.summary.total.count.toLocaleString('en-US')} requests, run ${run.health.valid ? 'valid' : 'INVALID'}`);
    console.log(`  RSS samples (s: MiB): ${samples.map((sample) => `${sample.atSec}:${sample.rssMiB.toFixed(0)}`).join(' ')}`);
    console.log(
      `  median RSS, minute after warm-up ${minuteAfterWarmup.toFixed(1)} MiB, last minute ${lastMinute.toFixed(1)} MiB: change ${(((lastMinute - minuteAfterWarmup) / minuteAfterWarmup) * 100).toFixed(1)}% (target within 10%); peak ${peak.toFixed(1)} MiB`,
    );
  } finally {
    nginx.stop();
  }
}

await main();
