/**
 * How the generator thread asks the kernel for the CPU. A late send is measured as latency, and on a busy
 * machine — the lab and its databases beside the generator, other work — a thread of ordinary priority
 * waits its turn for tens of milliseconds (p99 schedule lag 11–98 ms at 4 req/s was seen beside a loaded
 * lab, at nice −5). In the real-time class (SCHED_RR, the lowest real-time priority) a waking generator
 * preempts ordinary threads at once. It mostly sleeps (Atomics.wait or epoll) and works in short bursts, and
 * the kernel's real-time throttling keeps a share of every second for ordinary threads.
 *   realtime  SCHED_RR 1 when permitted (root or CAP_SYS_NICE; `chrt` from util-linux), else `raised`
 *   raised    nice −5 when permitted, else `normal`
 *   normal    the thread keeps the priority it was born with
 * Only with no more generator threads than cores: equal real-time threads sharing a core take turns in
 * 100 ms slices, which is worse than no real-time class at all.
 */
import { spawnSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

export type GeneratorPriority = 'realtime' | 'raised' | 'normal';

export const GENERATOR_PRIORITIES: readonly GeneratorPriority[] = ['realtime', 'raised', 'normal'];

const RAISED_NICENESS = -5;

/** The calling thread's kernel id (Linux: /proc/thread-self), or undefined elsewhere. */
function currentThreadId(): number | undefined {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : undefined;
  } catch {
    return undefined;
  }
}

function enterRealtimeClass(): boolean {
  const tid = currentThreadId();
  if (tid === undefined) return false;
  const result = spawnSync('chrt', ['--rr', '--pid', '1', String(tid)], { stdio: 'ignore', timeout: 2000 });
  return result.status === 0;
}

function raiseNiceness(): boolean {
  try {
    // pid 0: the calling thread (on Linux the nice value is per thread).
    setPriority(RAISED_NICENESS);
    return true;
  } catch {
    return false;
  }
}

/** Applies `wanted` to the calling thread, falling back as far as needed; returns what it got. */
export function prioritizeGeneratorThread(wanted: GeneratorPriority): GeneratorPriority {
  if (wanted === 'realtime' && enterRealtimeClass()) return 'realtime';
  if (wanted !== 'normal' && raiseNiceness()) return 'raised';
  return 'normal';
}
