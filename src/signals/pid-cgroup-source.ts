/**
 * A process together with the cgroup it is in *now* and its run-queue wait (edge, Linux): what tells a throttled
 * process from one that waits behind CPU neighbours. `--watch pid:N` reads the process alone; this source adds
 * - `process_runqueue_wait_seconds_total`: time its threads were runnable but not running (the sum over
 *   /proc/PID/task/*\/schedstat's second field, ns), a counter whose rate is "threads waiting for a CPU";
 * - the cgroup's CPU counters (`cgroup_cpu_throttled_periods_total`, …) of the group /proc/PID/cgroup names at
 *   each reading, so a process moved into a throttled group mid-run is followed (the kv lab does exactly that);
 * - where it may run: `process_cpus_allowed` (its affinity ∩ cpuset, /proc/PID/status Cpus_allowed_list),
 *   `host_cpus`, and `process_cpus_allowed_busy_seconds_total`, the busy time of *those* CPUs (/proc/stat per CPU),
 *   whose rate minus the process's own CPU use is what its neighbours took from the only CPUs it may use. Summed
 *   run-queue wait cannot single out a member pinned among busy neighbours when the whole machine is busy; this can.
 */
import { readdir } from 'node:fs/promises';
import { parseCpuBusyTicks, parseCpuList } from './proc-parsers.js';
import { put, readCgroup, readProcess, readText, resolveCgroup, TICKS_PER_SEC } from './process-source.js';
import type { ReadResult, SignalSource } from './signal-source.js';

/** Sum of every thread's run-queue wait, seconds; undefined when schedstat is not readable. */
export async function runQueueWaitSeconds(pid: number): Promise<number | undefined> {
  let tasks: string[];
  try {
    tasks = await readdir(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  let totalNs = 0;
  let read = 0;
  for (const task of tasks) {
    const fields = (await readText(`/proc/${pid}/task/${task}/schedstat`))?.trim().split(/\s+/);
    const waitNs = Number(fields?.[1]);
    if (Number.isFinite(waitNs)) {
      totalNs += waitNs;
      read++;
    }
  }
  return read > 0 ? totalNs / 1e9 : undefined;
}

/** The CPUs `pid` may run on, the machine's CPUs, and the busy seconds of the allowed ones; undefined if unreadable. */
export async function allowedCpuBusy(pid: number): Promise<{ allowed: number; host: number; busySeconds: number } | undefined> {
  const line = /^Cpus_allowed_list:\s*(\S+)/m.exec((await readText(`/proc/${pid}/status`)) ?? '')?.[1];
  const cpus = line === undefined ? undefined : parseCpuList(line);
  const busy = parseCpuBusyTicks((await readText('/proc/stat')) ?? '');
  if (!cpus || busy.size === 0) return undefined;
  // The affinity mask may name CPUs that are not online: only those /proc/stat lists count.
  const online = cpus.filter((cpu) => busy.has(cpu));
  const ticks = online.reduce((total, cpu) => total + (busy.get(cpu) ?? 0), 0);
  return { allowed: online.length, host: busy.size, busySeconds: ticks / TICKS_PER_SEC };
}

/** The cgroup path of `pid` for the cpu controller: the v1 line naming `cpu`, else the v2 line (`0::/path`). */
export function cpuCgroupPath(procCgroup: string): string | undefined {
  let v2: string | undefined;
  for (const line of procCgroup.split('\n')) {
    const [, controllers = '', path] = line.split(':');
    if (path === undefined) continue;
    if (controllers.split(',').includes('cpu')) return path;
    if (controllers === '') v2 = path;
  }
  return v2;
}

export function pidCgroupSource(name: string, pid: number): SignalSource {
  return {
    name,
    kind: 'process',
    target: `pid:${pid} (+ its cgroup)`,
    async read(): Promise<ReadResult> {
      const snapshot = await readProcess(pid);
      if (!snapshot) return { kind: 'failed', reason: 'gone', message: `process ${pid} exited` };
      const wait = await runQueueWaitSeconds(pid);
      if (wait !== undefined) put(snapshot, 'process_runqueue_wait_seconds_total', {}, 'counter', wait);
      const cpus = await allowedCpuBusy(pid);
      if (cpus) {
        put(snapshot, 'process_cpus_allowed', {}, 'gauge', cpus.allowed);
        put(snapshot, 'host_cpus', {}, 'gauge', cpus.host);
        put(snapshot, 'process_cpus_allowed_busy_seconds_total', {}, 'counter', cpus.busySeconds);
      }
      const path = cpuCgroupPath((await readText(`/proc/${pid}/cgroup`)) ?? '');
      const dirs = path === undefined ? undefined : await resolveCgroup(path === '/' ? '' : path);
      const group = dirs ? await readCgroup(dirs) : undefined;
      if (group) for (const [key, series] of group) snapshot.set(key, series);
      return { kind: 'ok', snapshot, badLines: 0 };
    },
  };
}
