/**
 * Accuracy under stalls: nginx (pinned to core 1) is frozen with SIGSTOP for `freezeMs` every second,
 * a full-process pause. Load at `rate` req/s from perfloop (open model), and from wrk and autocannon
 * (closed model, the classic coordinated-omission case). The true latency distribution follows from the
 * measured freezes: a request arriving during a freeze of length d waits for what is left of it, so
 * P(latency > x) = Σ max(0, dᵢ − x) / T. Prints each tool's p50/p99/p99.9 against the truth.
 *   node dist/bench/accuracy.js [rate=2000] [seconds=20] [freezeMs=100]
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureAutocannon, ensureDebian, PERFLOOP_CLI, startNginx } from './peers.js';

const rate = Number(process.argv[2] ?? 2000);
const seconds = Number(process.argv[3] ?? 20);
const freezeMs = Number(process.argv[4] ?? 100);

function nginxWorkerPid(): number {
  const out = spawnSync('pgrep', ['-f', 'nginx: worker process'], { encoding: 'utf8' }).stdout.trim().split('\n');
  return Number(out.at(-1));
}

/** Freezes `pid` for freezeMs every second while `active()`; returns the measured freeze lengths (ms). */
async function freezer(pid: number, untilMs: number): Promise<number[]> {
  const freezes: number[] = [];
  while (performance.now() < untilMs) {
    await new Promise((resolve) => setTimeout(resolve, 1000 - freezeMs));
    const start = performance.now();
    process.kill(pid, 'SIGSTOP');
    await new Promise((resolve) => setTimeout(resolve, freezeMs));
    process.kill(pid, 'SIGCONT');
    freezes.push(performance.now() - start);
  }
  return freezes;
}

/** The p-th percentile of the latency implied by the freezes (ignoring the sub-millisecond base). */
function truthMs(freezes: readonly number[], totalMs: number, percentile: number): number {
  const exceed = 1 - percentile / 100;
  if (exceed >= freezes.reduce((sum, d) => sum + d, 0) / totalMs) return 0;
  // Bisection on x: Σ max(0, d − x)/T = exceed.
  let low = 0;
  let high = Math.max(...freezes);
  for (let step = 0; step < 60; step++) {
    const x = (low + high) / 2;
    const share = freezes.reduce((sum, d) => sum + Math.max(0, d - x), 0) / totalMs;
    if (share > exceed) low = x;
    else high = x;
  }
  return (low + high) / 2;
}

async function measure(name: string, command: string, args: string[], parse: (stdout: string) => number[]): Promise<{ name: string; measuredMs: number[]; truth: number[] }> {
  const pid = nginxWorkerPid();
  const startMs = performance.now();
  const child = spawn('taskset', ['-c', '0', command, ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const freezes = freezer(pid, startMs + seconds * 1000 - 200);
  await new Promise((resolve) => child.on('close', resolve));
  const measuredFreezes = await freezes;
  const totalMs = performance.now() - startMs;
  return { name, measuredMs: parse(stdout), truth: [50, 99, 99.9].map((p) => truthMs(measuredFreezes, totalMs, p)) };
}

async function main(): Promise<void> {
  ensureDebian('wrk', 'wrk');
  const autocannon = ensureAutocannon();
  const nginx = await startNginx(18182, 1);
  try {
    const out = join(tmpdir(), `perfloop-accuracy-${process.pid}.json`);
    const results = [
      await measure('perfloop', process.execPath, [PERFLOOP_CLI, 'run', nginx.url, '--rate', String(rate), '--duration', `${seconds}s`, '--quiet', '--out', out], () => {
        const run = JSON.parse(readFileSync(out, 'utf8')) as { summary: { total: { latency: { p50Us: number; p99Us: number; p999Us: number } } } };
        const latency = run.summary.total.latency;
        return [latency.p50Us / 1000, latency.p99Us / 1000, latency.p999Us / 1000];
      }),
      await measure('wrk', 'wrk', ['-t1', '-c16', `-d${seconds}s`, '--latency', nginx.url], (stdout) => {
        const pick = (label: string): number => {
          const match = new RegExp(`${label}%\\s+([\\d.]+)(us|ms|s)`).exec(stdout);
          const value = Number(match?.[1] ?? NaN);
          return match?.[2] === 'us' ? value / 1000 : match?.[2] === 's' ? value * 1000 : value;
        };
        return [pick('50'), pick('99'), NaN];
      }),
      await measure('autocannon', process.execPath, [autocannon, '-c', '16', '-d', String(seconds), '--json', nginx.url], (stdout) => {
        const latency = (JSON.parse(stdout) as { latency: { p50: number; p99: number; p99_9?: number } }).latency;
        return [latency.p50, latency.p99, latency.p99_9 ?? NaN];
      }),
    ];
    console.log(`accuracy: nginx frozen ${freezeMs} ms every second; perfloop at ${rate} req/s open loop; wrk/autocannon closed loop, 16 connections`);
    console.log('  tool          p50 (truth)          p99 (truth)            p99.9 (truth)        p99 error  p99.9 error');
    for (const result of results) {
      const cells = result.measuredMs.map((measured, index) => `${measured.toFixed(2).padStart(8)} (${(result.truth[index] ?? 0).toFixed(2).padStart(7)})`);
      const error = (index: number): string => {
        const truth = result.truth[index] ?? 0;
        const measured = result.measuredMs[index] ?? NaN;
        return Number.isFinite(measured) && truth > 0 ? `${(((measured - truth) / truth) * 100).toFixed(1)}%` : 'n/a';
      };
      console.log(`  ${result.name.padEnd(12)} ${cells.join('   ')}   ${error(1).padStart(8)}  ${error(2).padStart(8)}`);
    }
  } finally {
    nginx.stop();
  }
}

await main();
