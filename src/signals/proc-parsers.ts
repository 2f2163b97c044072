/**
 * Pure parsers of Linux /proc and cgroup files (the edge reads them; these turn text into numbers, so tests
 * can feed fixtures for the layouts this machine does not have, e.g. cgroup v2 on a v1 host).
 */

/** CPU time of a process from /proc/PID/stat, in clock ticks (USER_HZ). */
export function parseProcStat(text: string): { userTicks: number; systemTicks: number; threads: number } | undefined {
  // The command name (field 2) is in parentheses and may contain spaces and parentheses: split after the last ')'.
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = text.slice(close + 2).trim().split(/\s+/);
  // fields[0] is field 3 (state): utime is field 14, stime 15, num_threads 20.
  const userTicks = Number(fields[11]);
  const systemTicks = Number(fields[12]);
  const threads = Number(fields[17]);
  if (!Number.isFinite(userTicks) || !Number.isFinite(systemTicks)) return undefined;
  return { userTicks, systemTicks, threads };
}

/** `Key:   value [kB]` lines of /proc/PID/status → numbers (kB converted to bytes). */
export function parseProcStatus(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^(\w+):\s+(\d+)(\s+kB)?\s*$/.exec(line);
    if (match?.[1] && match[2]) values.set(match[1], Number(match[2]) * (match[3] ? 1024 : 1));
  }
  return values;
}

/** `key value` lines (cgroup cpu.stat, cpuacct.stat, /proc/PID/io) → numbers. */
export function parseKeyValues(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([\w.]+):?\s+(-?\d+)\s*$/.exec(line.trim());
    if (match?.[1] && match[2]) values.set(match[1], Number(match[2]));
  }
  return values;
}

export interface DiskCounters {
  device: string;
  readsCompleted: number;
  readTimeMs: number;
  writesCompleted: number;
  writeTimeMs: number;
  ioTimeMs: number;
}

/** /proc/diskstats, whole devices and partitions alike; loop and ram devices are left out (always idle noise). */
export function parseDiskstats(text: string): DiskCounters[] {
  const disks: DiskCounters[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    const device = fields[2];
    if (!device || fields.length < 14 || /^(loop|ram|zram)\d/.test(device)) continue;
    disks.push({
      device,
      readsCompleted: Number(fields[3]),
      readTimeMs: Number(fields[6]),
      writesCompleted: Number(fields[7]),
      writeTimeMs: Number(fields[10]),
      ioTimeMs: Number(fields[12]),
    });
  }
  return disks;
}

/** Listening TCP sockets of /proc/net/tcp or tcp6: port → socket inodes. */
export function parseListeningSockets(text: string): Map<number, number[]> {
  const byPort = new Map<number, number[]>();
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    const local = fields[1];
    const state = fields[3];
    const inode = Number(fields[9]);
    if (!local || state !== '0A' || !Number.isFinite(inode) || inode === 0) continue;
    const port = Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16);
    byPort.set(port, [...(byPort.get(port) ?? []), inode]);
  }
  return byPort;
}

/** cgroup v2 `cpu.max` ("max 100000" or "50000 100000") or v1 quota/period µs → cores; undefined when unlimited. */
export function quotaCores(quotaUs: number | 'max', periodUs: number): number | undefined {
  if (quotaUs === 'max' || quotaUs < 0 || !(periodUs > 0)) return undefined;
  return quotaUs / periodUs;
}

/** Time a thread waited on a run queue for a CPU, ns: the second field of /proc/PID/task/TID/schedstat. */
export function parseSchedstatWaitNs(text: string): number | undefined {
  const waitNs = Number(text.trim().split(/\s+/)[1]);
  return Number.isFinite(waitNs) ? waitNs : undefined;
}

/** A kernel CPU list (`Cpus_allowed_list: 0-2,5`) → CPU numbers; undefined when it does not parse. */
export function parseCpuList(text: string): number[] | undefined {
  const cpus: number[] = [];
  for (const part of text.trim().split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!match?.[1]) return undefined;
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    for (let cpu = from; cpu <= to; cpu++) cpus.push(cpu);
  }
  return cpus;
}

/**
 * /proc/stat's `cpuN` lines → each CPU's clock-tick counters, in the kernel's order: user nice system idle iowait
 * irq softirq steal [guest guest_nice — already inside user and nice].
 */
function perCpuTicks(text: string): Map<number, number[]> {
  const counters = new Map<number, number[]>();
  for (const line of text.split('\n')) {
    const match = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (match?.[1] && match[2] !== undefined) counters.set(Number(match[1]), match[2].trim().split(/\s+/).map(Number));
  }
  return counters;
}

/** Busy clock ticks of each CPU from /proc/stat: everything but idle and iowait. */
export function parseCpuBusyTicks(text: string): Map<number, number> {
  const busy = new Map<number, number>();
  for (const [cpu, [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0]] of perCpuTicks(text)) busy.set(cpu, user + nice + system + irq + softirq + steal);
  return busy;
}

/**
 * Steal time of the given CPUs from /proc/stat, in clock ticks (USER_HZ): time the hypervisor ran something
 * else while this guest's virtual CPU had work.
 */
export function parseCpuStealTicks(text: string, cpus: readonly number[]): number {
  const counters = perCpuTicks(text);
  return cpus.reduce((ticks, cpu) => ticks + (counters.get(cpu)?.[7] ?? 0), 0);
}
