/**
 * The machine's own floor: how long does this machine stop a thread that wants nothing but the CPU? A probe
 * pinned to one core, in the real-time class (SCHED_FIFO 10, above every ordinary thread), reads the clock in
 * a tight loop and records every gap between readings. What it sees — interrupts, the hypervisor taking the
 * virtual CPU — no user-space program on that core can avoid, so it bounds what a generator's lag can reach.
 * The probe rests 100 ms after every 800 ms so the kernel's real-time throttling (950 ms a second) never
 * stops it; those rests are not counted.
 *   node dist/bench/host-stalls.js [seconds=10]
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseCpuStealTicks } from '../src/signals/proc-parsers.js';

export interface HostStalls {
  cpu: number;
  seconds: number;
  /** Gaps between clock readings over 0.5, 1, 2 and 5 ms. */
  over: { '0.5': number; '1': number; '2': number; '5': number };
  maxMs: number;
  stealMs: number;
  /** The scheduling class the probe got: `fifo` or, where not permitted, `normal`. */
  priority: 'fifo' | 'normal';
}

const THRESHOLDS_MS = [0.5, 1, 2, 5] as const;

function probe(cpu: number, seconds: number): Omit<HostStalls, 'priority'> {
  const steal = (): number => parseCpuStealTicks(readFileSync('/proc/stat', 'utf8'), [cpu]) * 10;
  const stealBefore = steal();
  const rest = new Int32Array(new SharedArrayBuffer(4));
  const counts = [0, 0, 0, 0];
  let maxMs = 0;
  const endMs = performance.now() + seconds * 1000;
  let restAtMs = performance.now() + 800;
  let previous = performance.now();
  while (previous < endMs) {
    const now = performance.now();
    const gap = now - previous;
    if (gap > THRESHOLDS_MS[0]) {
      for (let n = 0; n < THRESHOLDS_MS.length; n++) if (gap > THRESHOLDS_MS[n]!) counts[n]!++;
      if (gap > maxMs) maxMs = gap;
    }
    previous = now;
    if (now >= restAtMs) {
      Atomics.wait(rest, 0, 0, 100);
      restAtMs = performance.now() + 800;
      previous = performance.now();
    }
  }
  return { cpu, seconds, over: { '0.5': counts[0]!, '1': counts[1]!, '2': counts[2]!, '5': counts[3]! }, maxMs, stealMs: steal() - stealBefore };
}

/** Runs the probe in a child process pinned to `cpu`, real-time when permitted. */
export function measureHostStalls(cpu: number, seconds: number): HostStalls {
  const self = fileURLToPath(import.meta.url);
  const args = ['-c', String(cpu), process.execPath, self, '--probe', String(cpu), String(seconds)];
  let result = spawnSync('taskset', ['-c', String(cpu), 'chrt', '-f', '10', ...args.slice(2)], { encoding: 'utf8' });
  let priority: HostStalls['priority'] = 'fifo';
  if (result.status !== 0) {
    result = spawnSync('taskset', args, { encoding: 'utf8' });
    priority = 'normal';
  }
  if (result.status !== 0) throw new Error(`host-stall probe on CPU ${cpu} failed: ${result.stderr}`);
  return { ...(JSON.parse(result.stdout) as Omit<HostStalls, 'priority'>), priority };
}

export function describeHostStalls(stalls: HostStalls): string {
  const { over } = stalls;
  return `CPU ${stalls.cpu} (${stalls.priority}, ${stalls.seconds} s): gaps > 0.5 ms ${over['0.5']}, > 1 ms ${over['1']}, > 2 ms ${over['2']}, > 5 ms ${over['5']}; max ${stalls.maxMs.toFixed(2)} ms; host steal ${stalls.stealMs} ms`;
}

if (process.argv[2] === '--probe') {
  console.log(JSON.stringify(probe(Number(process.argv[3]), Number(process.argv[4]))));
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const seconds = Number(process.argv[2] ?? 10);
  console.log(`host stalls: a real-time probe spinning on each core for ${seconds} s (the floor no program on that core can go below)`);
  for (let cpu = 0; cpu < availableParallelism(); cpu++) console.log(`  ${describeHostStalls(measureHostStalls(cpu, seconds))}`);
}
