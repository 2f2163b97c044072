/**
 * What kept a generator thread from its schedule besides its own work, read by the thread itself (Linux):
 *   run-queue wait — the thread was ready but another thread had its CPU (/proc/thread-self/schedstat);
 *   steal          — the hypervisor ran something else on the virtual CPUs the thread may use (/proc/stat).
 * With the thread's garbage-collection pauses, these say whether a schedule-lag spike was the generator's doing
 * (GC, its own work) or the machine's (another process on its core, the host). Reading both costs two small
 * file reads per interval. Elsewhere, or when /proc is not readable, the meter reports nothing.
 */
import { readFileSync } from 'node:fs';
import { parseCpuList, parseCpuStealTicks, parseSchedstatWaitNs } from '../signals/proc-parsers.js';

export interface ThreadStalls {
  runQueueWaitUs: number;
  stealUs: number;
}

/** USER_HZ: the unit of /proc/stat on every Linux architecture Node runs on. */
const US_PER_TICK = 10_000;

type ReadText = (path: string) => string | undefined;

function readProcText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export class ThreadStallMeter {
  private readonly cpus: number[];
  private last: ThreadStalls | undefined;

  /** Construct on the thread to be measured: /proc/thread-self is the calling thread. */
  constructor(private readonly read: ReadText = readProcText) {
    const allowed = /^Cpus_allowed_list:\s*(\S+)/m.exec(read('/proc/thread-self/status') ?? '')?.[1];
    this.cpus = (allowed ? parseCpuList(allowed) : undefined) ?? [];
    this.last = this.totals();
  }

  /** Run-queue wait and steal since the previous call (or construction); undefined where not measurable. */
  take(): ThreadStalls | undefined {
    const now = this.totals();
    const previous = this.last;
    this.last = now;
    if (!now || !previous) return undefined;
    return { runQueueWaitUs: Math.max(0, now.runQueueWaitUs - previous.runQueueWaitUs), stealUs: Math.max(0, now.stealUs - previous.stealUs) };
  }

  private totals(): ThreadStalls | undefined {
    const schedstat = this.read('/proc/thread-self/schedstat');
    const waitNs = schedstat === undefined ? undefined : parseSchedstatWaitNs(schedstat);
    if (waitNs === undefined) return undefined;
    const stat = this.read('/proc/stat');
    return { runQueueWaitUs: waitNs / 1000, stealUs: stat === undefined ? 0 : parseCpuStealTicks(stat, this.cpus) * US_PER_TICK };
  }
}
