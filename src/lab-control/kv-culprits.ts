/**
 * The kv lab's culprit switches: names, magnitudes, parsing of `name[=value]` lists, and each one's fix.
 * Shared by the supervisor (which applies them) and the CLI/API (which validates and explains them); it lives
 * in src/ so src/ never imports lab/ code (only its types).
 * A switch set to 0 (false for walTmpfs) is off: that is its fix, except fsync whose fix is walTmpfs.
 */

export interface KvCulprits {
  /** Network: one-way delay added by every member's peer proxy (so a leader↔follower round trip gains 2×). */
  networkDelayMs: number;
  /** Control case: the same delay on one follower only; quorum (leader + the other follower) hides it. */
  slowFollowerDelayMs: number;
  /** Throttling: the leader's CFS quota as a percentage of one CPU (cgroup v1 cpu.cfs_quota_us). */
  leaderCpuQuotaPercent: number;
  /** CPU contention: busy-loop processes pinned with the leader to CPU 0 (taskset). */
  leaderCpuHogs: number;
  /** Disk: extra time per WAL fdatasync on the leader (blkio write-IOPS throttle, or strace injection). */
  fsyncDelayMs: number;
  /** The disk culprit's fix: the leader's WAL on tmpfs (a stand-in for a faster log device). */
  walTmpfs: boolean;
  /** GC: the leader's GOGC (0 = Go's default 100). */
  leaderGogc: number;
  /** Stalls: the leader is SIGSTOPped for this long every `stallEveryMs`. */
  leaderStallMs: number;
  stallEveryMs: number;
  /** Lock contention in the app tier: 1 = every write takes one shared etcd lock; 0 = a compare-and-swap txn (the fix). */
  appSharedLock: number;
  /** Serialization in the app tier: KiB of padding the app adds to every stored document (0 = the compact value, the fix). */
  appValueKiB: number;
}

export const NO_CULPRITS: KvCulprits = {
  networkDelayMs: 0,
  slowFollowerDelayMs: 0,
  leaderCpuQuotaPercent: 0,
  leaderCpuHogs: 0,
  fsyncDelayMs: 0,
  walTmpfs: false,
  leaderGogc: 0,
  leaderStallMs: 0,
  stallEveryMs: 2000,
  appSharedLock: 0,
  appValueKiB: 0,
};

export interface CulpritSwitch {
  name: string;
  field: keyof KvCulprits;
  /** The value `name` alone switches on. */
  defaultValue: number;
  unit: string;
  culprit: string;
  how: string;
  fix: string;
}

export const KV_SWITCHES: CulpritSwitch[] = [
  { name: 'network', field: 'networkDelayMs', defaultValue: 10, unit: 'ms each way', culprit: 'network latency between members', how: 'TCP delay proxy in front of every member\'s peer port (members advertise the proxy)', fix: 'network=0 (members close together)' },
  { name: 'slow-follower', field: 'slowFollowerDelayMs', defaultValue: 10, unit: 'ms each way', culprit: 'control: one slow follower', how: 'the delay proxy of one follower only', fix: 'none needed: the quorum (leader + the fast follower) hides it; p50 barely moves' },
  { name: 'throttle', field: 'leaderCpuQuotaPercent', defaultValue: 10, unit: '% of one CPU', culprit: 'CPU throttling of the leader process', how: 'cgroup v1 cpu.cfs_quota_us on the leader (root only)', fix: 'throttle=0 (quota removed)' },
  { name: 'cpu', field: 'leaderCpuHogs', defaultValue: 2, unit: 'busy processes', culprit: 'CPU contention on the leader', how: 'busy loops pinned with the leader to CPU 0 (taskset)', fix: 'cpu=0 (neighbours gone, leader unpinned)' },
  { name: 'fsync', field: 'fsyncDelayMs', defaultValue: 10, unit: 'ms per fdatasync', culprit: 'disk I/O: slow WAL fsync on the leader', how: 'cgroup v1 blkio write-IOPS throttle (1000/ms IOPS) on the leader\'s disk (root), else restart under strace --seccomp-bpf inject=fdatasync:delay_exit', fix: 'wal-tmpfs (WAL on a faster device; fixes the blkio form — strace\'s delay follows the syscall, so under strace only fsync=0 fixes it)' },
  { name: 'wal-tmpfs', field: 'walTmpfs', defaultValue: 1, unit: '', culprit: 'fix for fsync', how: 'leader restarted with --wal-dir on /dev/shm (its WAL copied there)', fix: '' },
  { name: 'gc', field: 'leaderGogc', defaultValue: 5, unit: 'GOGC', culprit: 'GC pauses/overhead on the leader', how: 'leader restarted with GOGC=value (shows with allocation-heavy work: ranges, large values)', fix: 'gc=0 (GOGC=100, or GOMEMLIMIT)' },
  { name: 'lock', field: 'appSharedLock', defaultValue: 1, unit: '1 = shared, 0 = per-write CAS', culprit: 'lock contention in the application (app tier)', how: 'the app tier wraps every read-modify-write in one shared etcd lock (v3 lock API, name "perfloop-app-lock")', fix: 'lock=0 (no lock: a compare-and-swap txn on the key\'s mod_revision, retried on conflict)' },
  { name: 'serialization', field: 'appValueKiB', defaultValue: 64, unit: 'KiB per stored document', culprit: 'inefficient serialization (app tier)', how: 'the app tier stores each document padded to this size through the JSON gateway (base64 adds a third)', fix: 'serialization=0 (the compact document; or etcd\'s native gRPC protobuf API)' },
  { name: 'stall', field: 'leaderStallMs', defaultValue: 300, unit: 'ms every stallEveryMs (2 s)', culprit: 'stop-the-world style stalls of the leader', how: 'periodic SIGSTOP/SIGCONT of the leader', fix: 'stall=0' },
];

export function culpritSwitch(name: string): CulpritSwitch | undefined {
  return KV_SWITCHES.find((candidate) => candidate.name === name);
}

export class CulpritSpecError extends Error {}

/** `lock=shared` and `lock=cas` read better than 1 and 0. */
const LOCK_ALIASES: Record<string, number> = { shared: 1, cas: 0 };

/**
 * Parses `network=10,fsync,wal-tmpfs` (or `none`) into culprits. Values are non-negative numbers; a name alone
 * takes its default. Throws CulpritSpecError naming the bad entry.
 */
export function parseCulprits(list: string, base: KvCulprits = NO_CULPRITS): KvCulprits {
  const result: KvCulprits = { ...base };
  const trimmed = list.trim();
  if (trimmed === '' || trimmed === 'none') return { ...NO_CULPRITS };
  for (const entry of trimmed.split(',')) {
    const [name = '', rawValue] = entry.trim().split('=');
    const spec = culpritSwitch(name);
    if (!spec) throw new CulpritSpecError(`unknown culprit "${name}"; expected some of ${KV_SWITCHES.map((candidate) => candidate.name).join(', ')} (or none)`);
    const alias = spec.field === 'appSharedLock' ? LOCK_ALIASES[rawValue ?? ''] : undefined;
    const value = rawValue === undefined ? spec.defaultValue : (alias ?? Number(rawValue));
    if (!Number.isFinite(value) || value < 0) throw new CulpritSpecError(`${name}: value must be a number ≥ 0, got "${rawValue}"`);
    if (spec.field === 'walTmpfs') result.walTmpfs = value !== 0;
    else result[spec.field] = value;
  }
  if (result.leaderCpuQuotaPercent > 0 && result.leaderCpuQuotaPercent < 1) throw new CulpritSpecError('throttle: at least 1 (% of one CPU)');
  return result;
}

/** `network=10,fsync=10` for the culprits that are on; `none` when all are off. */
export function formatCulprits(culprits: KvCulprits): string {
  const on = KV_SWITCHES.flatMap((spec) => {
    const value = culprits[spec.field];
    if (spec.field === 'walTmpfs') return value ? [spec.name] : [];
    return value ? [`${spec.name}=${String(value)}`] : [];
  });
  return on.length === 0 ? 'none' : on.join(',');
}
