/**
 * Process and cgroup signals from /proc and /sys/fs/cgroup (edge, Linux): CPU user/system seconds, RSS,
 * threads, context switches, I/O bytes, cgroup CPU usage and throttling (v1 and v2), and host disk I/O from
 * /proc/diskstats. Every reading is a snapshot of counters and gauges, turned into per-interval rates by the
 * same code as scraped metrics (`process_cpu_user_seconds_total` → cores used).
 */
import { readdir, readFile, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { badInput } from '../core/errors.js';
import { seriesKey, type MetricSnapshot } from './metric-snapshot.js';
import { parseDiskstats, parseKeyValues, parseListeningSockets, parseProcStat, parseProcStatus, quotaCores } from './proc-parsers.js';
import type { ReadResult, SignalSource } from './signal-source.js';

/** USER_HZ: 100 on every Linux architecture Node supports (the kernel fixes it for /proc's ABI). */
export const TICKS_PER_SEC = 100;
const CGROUP_ROOT = '/sys/fs/cgroup';

export type WatchSpec = { kind: 'pid'; pid: number } | { kind: 'port'; port: number } | { kind: 'cgroup'; path: string };

/** Parses `pid:N`, `port:N` or `cgroup:PATH`; errors name `flag`. */
export function parseWatchSpec(text: string, flag: string): WatchSpec {
  const colon = text.indexOf(':');
  const kind = colon < 0 ? '' : text.slice(0, colon);
  const rest = text.slice(colon + 1);
  if (kind === 'pid' || kind === 'port') {
    const value = Number(rest);
    if (!Number.isInteger(value) || value <= 0 || (kind === 'port' && value > 65535)) throw badInput(flag, `${kind} must be a positive integer, got "${rest}"`);
    return kind === 'pid' ? { kind, pid: value } : { kind, port: value };
  }
  if (kind === 'cgroup' && rest.length > 0) return { kind, path: rest };
  throw badInput(flag, `expected pid:N, port:N or cgroup:PATH, got "${text}"`);
}

/** A /proc or cgroup file's text; undefined when it cannot be read (gone, no permission, not on this kernel). */
export async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The pid of the process listening on a TCP port (IPv4 or IPv6), via /proc/net/tcp* and /proc/*\/fd. */
export async function findListeningPid(port: number): Promise<number | undefined> {
  const inodes = new Set<number>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readText(file);
    if (text) for (const inode of parseListeningSockets(text).get(port) ?? []) inodes.add(inode);
  }
  if (inodes.size === 0) return undefined;
  const wanted = new Set([...inodes].map((inode) => `socket:[${inode}]`));
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = await readdir(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (wanted.has(await readlink(`/proc/${entry}/fd/${fd}`))) return Number(entry);
      } catch {
        // The fd closed while we looked: keep going.
      }
    }
  }
  return undefined;
}

/** Sets one reading, skipping values that could not be read (NaN). */
export function put(snapshot: MetricSnapshot, metric: string, labels: Record<string, string>, kind: 'counter' | 'gauge', value: number): void {
  if (Number.isFinite(value)) snapshot.set(seriesKey(metric, labels), { metric, labels, reading: { kind, value } });
}

async function addDisks(snapshot: MetricSnapshot): Promise<void> {
  const text = await readText('/proc/diskstats');
  if (!text) return;
  for (const disk of parseDiskstats(text)) {
    const labels = { device: disk.device };
    put(snapshot, 'disk_reads_completed_total', labels, 'counter', disk.readsCompleted);
    put(snapshot, 'disk_read_time_seconds_total', labels, 'counter', disk.readTimeMs / 1000);
    put(snapshot, 'disk_writes_completed_total', labels, 'counter', disk.writesCompleted);
    put(snapshot, 'disk_write_time_seconds_total', labels, 'counter', disk.writeTimeMs / 1000);
    put(snapshot, 'disk_io_time_seconds_total', labels, 'counter', disk.ioTimeMs / 1000);
  }
}

/** Reads one process: CPU, memory, threads, context switches, I/O bytes (when readable). */
export async function readProcess(pid: number): Promise<MetricSnapshot | undefined> {
  const statText = await readText(`/proc/${pid}/stat`);
  const stat = statText ? parseProcStat(statText) : undefined;
  if (!stat) return undefined;
  const status = parseProcStatus((await readText(`/proc/${pid}/status`)) ?? '');
  const snapshot: MetricSnapshot = new Map();
  put(snapshot, 'process_cpu_user_seconds_total', {}, 'counter', stat.userTicks / TICKS_PER_SEC);
  put(snapshot, 'process_cpu_system_seconds_total', {}, 'counter', stat.systemTicks / TICKS_PER_SEC);
  put(snapshot, 'process_resident_memory_bytes', {}, 'gauge', status.get('VmRSS') ?? Number.NaN);
  put(snapshot, 'process_threads', {}, 'gauge', stat.threads);
  put(snapshot, 'process_context_switches_total', { kind: 'voluntary' }, 'counter', status.get('voluntary_ctxt_switches') ?? Number.NaN);
  put(snapshot, 'process_context_switches_total', { kind: 'involuntary' }, 'counter', status.get('nonvoluntary_ctxt_switches') ?? Number.NaN);
  const io = parseKeyValues((await readText(`/proc/${pid}/io`)) ?? '');
  put(snapshot, 'process_io_read_bytes_total', {}, 'counter', io.get('read_bytes') ?? Number.NaN);
  put(snapshot, 'process_io_write_bytes_total', {}, 'counter', io.get('write_bytes') ?? Number.NaN);
  return snapshot;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

export interface CgroupDirs {
  version: 1 | 2;
  /** v2: the group's directory; v1: the cpu controller's. */
  cpu: string;
  /** v1 only: the cpuacct controller's directory (often the same as cpu). */
  cpuacct?: string;
  memory?: string;
}

/** Finds a cgroup's directories: an absolute /sys/fs/cgroup path, or a path relative to the hierarchy roots. */
export async function resolveCgroup(path: string): Promise<CgroupDirs | undefined> {
  const relative = path.startsWith(`${CGROUP_ROOT}/`) ? undefined : path.replace(/^\/+/, '');
  if (relative === undefined) {
    if (!(await isDirectory(path))) return undefined;
    if (await readText(join(path, 'cgroup.controllers')) !== undefined) return { version: 2, cpu: path };
    const tail = path.slice(CGROUP_ROOT.length + 1).split('/').slice(1).join('/');
    return { version: 1, cpu: path, cpuacct: join(CGROUP_ROOT, 'cpuacct', tail), memory: join(CGROUP_ROOT, 'memory', tail) };
  }
  for (const root of [CGROUP_ROOT, join(CGROUP_ROOT, 'unified')]) {
    if ((await readText(join(root, 'cgroup.controllers'))) !== undefined && (await isDirectory(join(root, relative))) && (await readText(join(root, relative, 'cpu.stat'))) !== undefined) {
      return { version: 2, cpu: join(root, relative) };
    }
  }
  for (const controller of ['cpu', 'cpu,cpuacct']) {
    const dir = join(CGROUP_ROOT, controller, relative);
    if (await isDirectory(dir)) {
      const cpuacct = (await isDirectory(join(CGROUP_ROOT, 'cpuacct', relative))) ? join(CGROUP_ROOT, 'cpuacct', relative) : dir;
      return { version: 1, cpu: dir, cpuacct, memory: join(CGROUP_ROOT, 'memory', relative) };
    }
  }
  return undefined;
}

/** Reads a cgroup's CPU usage, throttling, quota and memory. */
export async function readCgroup(dirs: CgroupDirs): Promise<MetricSnapshot | undefined> {
  const cpuStatText = await readText(join(dirs.cpu, 'cpu.stat'));
  if (cpuStatText === undefined) return undefined;
  const cpuStat = parseKeyValues(cpuStatText);
  const snapshot: MetricSnapshot = new Map();
  put(snapshot, 'cgroup_cpu_periods_total', {}, 'counter', cpuStat.get('nr_periods') ?? Number.NaN);
  put(snapshot, 'cgroup_cpu_throttled_periods_total', {}, 'counter', cpuStat.get('nr_throttled') ?? Number.NaN);
  if (dirs.version === 2) {
    put(snapshot, 'cgroup_cpu_usage_seconds_total', {}, 'counter', (cpuStat.get('usage_usec') ?? Number.NaN) / 1e6);
    put(snapshot, 'cgroup_cpu_user_seconds_total', {}, 'counter', (cpuStat.get('user_usec') ?? Number.NaN) / 1e6);
    put(snapshot, 'cgroup_cpu_system_seconds_total', {}, 'counter', (cpuStat.get('system_usec') ?? Number.NaN) / 1e6);
    put(snapshot, 'cgroup_cpu_throttled_seconds_total', {}, 'counter', (cpuStat.get('throttled_usec') ?? Number.NaN) / 1e6);
    const [quota, period] = ((await readText(join(dirs.cpu, 'cpu.max'))) ?? '').trim().split(/\s+/);
    put(snapshot, 'cgroup_cpu_quota_cores', {}, 'gauge', quotaCores(quota === 'max' ? 'max' : Number(quota), Number(period)) ?? Number.NaN);
    put(snapshot, 'cgroup_memory_bytes', {}, 'gauge', Number((await readText(join(dirs.cpu, 'memory.current'))) ?? Number.NaN));
  } else {
    put(snapshot, 'cgroup_cpu_throttled_seconds_total', {}, 'counter', (cpuStat.get('throttled_time') ?? Number.NaN) / 1e9);
    const cpuacct = dirs.cpuacct ?? dirs.cpu;
    put(snapshot, 'cgroup_cpu_usage_seconds_total', {}, 'counter', Number((await readText(join(cpuacct, 'cpuacct.usage'))) ?? Number.NaN) / 1e9);
    const split = parseKeyValues((await readText(join(cpuacct, 'cpuacct.stat'))) ?? '');
    put(snapshot, 'cgroup_cpu_user_seconds_total', {}, 'counter', (split.get('user') ?? Number.NaN) / TICKS_PER_SEC);
    put(snapshot, 'cgroup_cpu_system_seconds_total', {}, 'counter', (split.get('system') ?? Number.NaN) / TICKS_PER_SEC);
    const quota = Number(await readText(join(dirs.cpu, 'cpu.cfs_quota_us')));
    const period = Number(await readText(join(dirs.cpu, 'cpu.cfs_period_us')));
    put(snapshot, 'cgroup_cpu_quota_cores', {}, 'gauge', quotaCores(quota, period) ?? Number.NaN);
    if (dirs.memory) put(snapshot, 'cgroup_memory_bytes', {}, 'gauge', Number((await readText(join(dirs.memory, 'memory.usage_in_bytes'))) ?? Number.NaN));
  }
  return snapshot;
}

/** A `--watch` source: resolves a port to its pid and a cgroup path to its directories once, at creation. */
export async function watchSource(name: string, spec: WatchSpec, flag: string): Promise<SignalSource> {
  if (spec.kind === 'cgroup') {
    const dirs = await resolveCgroup(spec.path);
    if (!dirs) throw badInput(flag, `no cgroup "${spec.path}" with a cpu controller under ${CGROUP_ROOT}`);
    return {
      name,
      kind: 'cgroup',
      target: `cgroup v${dirs.version} ${dirs.cpu}`,
      async read(): Promise<ReadResult> {
        const snapshot = await readCgroup(dirs);
        if (!snapshot) return { kind: 'failed', reason: 'gone', message: `${dirs.cpu}/cpu.stat is gone` };
        await addDisks(snapshot);
        return { kind: 'ok', snapshot, badLines: 0 };
      },
    };
  }
  let pid: number;
  let target: string;
  if (spec.kind === 'port') {
    const found = await findListeningPid(spec.port);
    if (found === undefined) throw badInput(flag, `no process of this user listens on port ${spec.port}`);
    pid = found;
    target = `port:${spec.port} (pid ${pid})`;
  } else {
    pid = spec.pid;
    target = `pid:${pid}`;
    if (!(await readProcess(pid))) throw badInput(flag, `no process ${pid}`);
  }
  return {
    name,
    kind: 'process',
    target,
    async read(): Promise<ReadResult> {
      const snapshot = await readProcess(pid);
      if (!snapshot) return { kind: 'failed', reason: 'gone', message: `process ${pid} exited` };
      await addDisks(snapshot);
      return { kind: 'ok', snapshot, badLines: 0 };
    },
  };
}
