/**
 * Diagnosis of a replicated key-value store (etcd behind an app tier) from evidence, without traces (pure).
 * Reads the run's signals — every member's Prometheus metrics, every member's process and cgroup readings, the
 * app tier's metrics — over the measured intervals, and names the culprit, the node (leader, follower N, the app
 * tier) and the fix. Leader-side detectors compare the leader with its followers: the followers append, sync and
 * apply the same log on the same machine, so a shared machine's load moves them together, while a culprit on the
 * leader moves only the leader. Ranking: findings that name a cause (throttling, a member crowded onto CPUs that
 * other processes keep busy, a slow disk, the network, a lock, large documents) come before findings that can be a
 * consequence of another (run-queue wait, GC), and stalls (late heartbeats, with the client/server gap: time
 * outside the server's own handler) come last; within a tier, by how far past its threshold.
 */
import type { KvFinding, RunFile, SignalSeries } from '../core/run-file.js';

export type { KvFinding } from '../core/run-file.js';
export type KvCulpritKind = KvFinding['culprit'];

export interface KvMemberSources {
  name: string;
  role: 'leader' | 'follower';
  /** etcd member id in hex (the `To` label of the peer round-trip histogram). */
  idHex: string;
  /** Signal source with the member's /metrics. */
  metrics: string;
  /** Signal source with the member's process + cgroup readings (pid-cgroup-source). */
  process?: string;
  /** Signal source probing the member's peer endpoint (peer-probe-source): the path other members take to it. */
  peerProbe?: string;
}

export interface KvTopology {
  members: KvMemberSources[];
  /** Signal source with the app tier's /metrics. */
  app?: string;
}

export interface KvDiagnosis {
  findings: KvFinding[];
  /** What was looked at and dismissed, e.g. a slow follower the quorum hides. */
  notes: string[];
}

export const KV_THRESHOLDS = {
  throttledPeriodShare: 0.1,
  /**
   * Seconds a member's threads waited for a CPU per second they ran (its "stretch" − 1), and its ratio to the other
   * members'. A busy shared machine makes every member wait; a culprit on one member's cores makes that one wait more.
   */
  runQueueWaitPerCpu: 1,
  runQueueWaitRatio: 2,
  /**
   * Share of the CPUs a member may use (affinity/cpuset narrower than the machine) that other processes kept busy:
   * past it, the member is crowded onto its cores.
   */
  crowdedCpuShare: 0.5,
  /** The WAL fsync p90 (etcd's histogram per interval, weighted by syncs). */
  walFsyncP90Sec: 0.005,
  walFsyncRatio: 3,
  gcPerSec: 2,
  gcRatio: 4,
  /**
   * Bytes allocated per GC cycle as a share of the heap: Go's default (GOGC=100) collects when the heap has grown by
   * its live size (a share of ~0.7 of the mean heap); a collector set to run far more often shows far less.
   */
  gcAllocShareOfHeap: 0.25,
  peerRoundTripSec: 0.01,
  /** Heartbeats the leader sent late (> 2 heartbeat intervals apart), per second. */
  lateHeartbeatsPerSec: 0.2,
  lockWaitMeanSec: 0.01,
  lockWaitShare: 0.25,
  documentMeanBytes: 32 * 1024,
} as const;

/** Intervals outside the warm-up, where the client measured something. */
function measuredIndices(run: RunFile): number[] {
  return run.intervals.flatMap((interval, index) => (interval.warmup ? [] : [index]));
}

const finite = (value: number | null | undefined): value is number => value !== null && value !== undefined && Number.isFinite(value);

class SeriesView {
  constructor(
    private readonly series: readonly SignalSeries[],
    private readonly indices: readonly number[],
  ) {}

  find(source: string, metric: string, labels: Record<string, string> = {}): SignalSeries[] {
    return this.series.filter((item) => item.source === source && item.metric === metric && Object.entries(labels).every(([key, value]) => item.labels[key] === value));
  }

  /** Mean per-second rate over the measured intervals (summed over matching series); undefined without data. */
  rate(source: string, metric: string, labels: Record<string, string> = {}): number | undefined {
    const matches = this.find(source, metric, labels);
    if (matches.length === 0) return undefined;
    let total = 0;
    let seen = 0;
    for (const index of this.indices) {
      const values = matches.map((item) => item.rate?.[index]).filter(finite);
      if (values.length === 0) continue;
      total += values.reduce((a, b) => a + b, 0);
      seen++;
    }
    return seen > 0 ? total / seen : undefined;
  }

  /** Observation-weighted mean of a histogram or summary over the measured intervals (or `indices`). */
  mean(source: string, metric: string, labels: Record<string, string> = {}, indices: readonly number[] = this.indices): { mean: number; count: number } | undefined {
    let weighted = 0;
    let count = 0;
    for (const item of this.find(source, metric, labels)) {
      for (const index of indices) {
        const rate = item.rate?.[index];
        const mean = item.mean?.[index];
        if (finite(rate) && finite(mean) && rate > 0) {
          weighted += rate * mean;
          count += rate;
        }
      }
    }
    return count > 0 ? { mean: weighted / count, count } : undefined;
  }

  /** Mean of a gauge's interval values over the measured intervals. */
  gaugeMean(source: string, metric: string): number | undefined {
    const values = this.find(source, metric).flatMap((item) => this.indices.map((index) => item.value?.[index]).filter(finite));
    return values.length > 0 ? values.reduce((a, b) => a + b, 0) / values.length : undefined;
  }

  /** The largest interval p99 of a histogram over the measured intervals. */
  maxP99(source: string, metric: string, labels: Record<string, string> = {}): number | undefined {
    const values = this.find(source, metric, labels).flatMap((item) => this.indices.map((index) => item.p99?.[index]).filter(finite));
    return values.length > 0 ? Math.max(...values) : undefined;
  }

  /** Mean of a percentile series over the measured intervals where it exists, weighted by observations. */
  weightedPercentile(source: string, metric: string, percentile: 'p50' | 'p90' | 'p99', labels: Record<string, string> = {}): number | undefined {
    let weighted = 0;
    let count = 0;
    for (const item of this.find(source, metric, labels)) {
      for (const index of this.indices) {
        const rate = item.rate?.[index];
        const value = item[percentile]?.[index];
        if (finite(rate) && finite(value) && rate > 0) {
          weighted += rate * value;
          count += rate;
        }
      }
    }
    return count > 0 ? weighted / count : undefined;
  }
}

const ms = (seconds: number): string => `${(seconds * 1000).toFixed(1)} ms`;
const pct = (share: number): string => `${(share * 100).toFixed(0)}%`;
const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const roleName = (member: KvMemberSources): string => `${member.role} ${member.name}`;
const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};

/** `name` is an outlier: at least `minimum` and `ratio` × the median of the others. */
function outliers(values: { member: KvMemberSources; value: number }[], minimum: number, ratio: number): { member: KvMemberSources; value: number; others: number }[] {
  return values.flatMap((entry) => {
    const others = values.filter((other) => other !== entry).map((other) => other.value);
    const reference = others.length > 0 ? median(others) : 0;
    return entry.value >= minimum && entry.value >= ratio * reference ? [{ ...entry, others: reference }] : [];
  });
}

/** Runs every kv detector over the run's signals. */
export function diagnoseKv(run: RunFile, topology: KvTopology): KvDiagnosis {
  const findings: KvFinding[] = [];
  const notes: string[] = [];
  const signals = run.signals;
  if (!signals) return { findings, notes: ['no signals in the run'] };
  const view = new SeriesView(signals.series, measuredIndices(run));
  const members = topology.members;
  const leader = members.find((member) => member.role === 'leader');
  const throttled = new Set<string>();

  // Throttling: the share of CFS periods in which the member's cgroup ran out of quota.
  for (const member of members) {
    if (!member.process) continue;
    const periods = view.rate(member.process, 'cgroup_cpu_periods_total');
    const hits = view.rate(member.process, 'cgroup_cpu_throttled_periods_total');
    if (periods === undefined || hits === undefined || periods <= 0) continue;
    const share = hits / periods;
    if (share < KV_THRESHOLDS.throttledPeriodShare) continue;
    throttled.add(member.name);
    findings.push({
      culprit: 'throttle',
      node: roleName(member),
      member: member.name,
      evidence: `${pct(share)} of its cgroup's CPU periods were throttled (${hits.toFixed(1)} of ${periods.toFixed(1)} per second)`,
      labFix: 'throttle=0',
      fix: `raise or remove the CPU limit of ${member.name}'s cgroup (keep a request)`,
      tradeOff: 'a higher limit packs fewer members per node; without one a noisy neighbour can take the CPU',
      tier: 1,
      severity: share / KV_THRESHOLDS.throttledPeriodShare,
    });
  }

  // CPU contention. A member allowed fewer CPUs than the machine has (affinity, cpuset) whose CPUs other processes
  // keep busy is crowded onto its cores, however busy the rest of the machine is: a cause, named by where it may run.
  // Otherwise: a member's threads waiting for a CPU far more than the other members' (and not throttled).
  const waits = members.flatMap((member) => {
    if (!member.process) return [];
    const wait = view.rate(member.process, 'process_runqueue_wait_seconds_total');
    const user = view.rate(member.process, 'process_cpu_user_seconds_total') ?? 0;
    const system = view.rate(member.process, 'process_cpu_system_seconds_total') ?? 0;
    if (wait === undefined) return [];
    return user + system > 0 ? [{ member, value: wait / (user + system) }] : [];
  });
  const crowded = new Set<string>();
  for (const member of members) {
    if (!member.process || throttled.has(member.name)) continue;
    const allowed = view.gaugeMean(member.process, 'process_cpus_allowed');
    const host = view.gaugeMean(member.process, 'host_cpus');
    const busy = view.rate(member.process, 'process_cpus_allowed_busy_seconds_total');
    const own = (view.rate(member.process, 'process_cpu_user_seconds_total') ?? 0) + (view.rate(member.process, 'process_cpu_system_seconds_total') ?? 0);
    if (allowed === undefined || host === undefined || busy === undefined || allowed <= 0 || allowed >= host) continue;
    const othersShare = Math.min(1, Math.max(0, busy - own) / allowed);
    if (othersShare < KV_THRESHOLDS.crowdedCpuShare) continue;
    crowded.add(member.name);
    const wait = waits.find((entry) => entry.member === member);
    findings.push({
      culprit: 'cpu',
      node: roleName(member),
      member: member.name,
      evidence: `it may run on ${allowed.toFixed(0)} of the machine's ${host.toFixed(0)} CPUs (Cpus_allowed_list), and other processes kept ${allowed === 1 ? 'that CPU' : 'those CPUs'} ${pct(othersShare)} busy (/proc/stat per CPU, minus its own ${own.toFixed(2)} CPU-s/s)${wait ? `; its threads waited ${wait.value.toFixed(1)} s for a CPU per second they ran` : ''}: CPU contention on its cores`,
      labFix: 'cpu=0',
      fix: `give ${member.name} its own cores: move the neighbours off its CPUs, or widen its affinity/cpuset`,
      tradeOff: 'dedicated cores cost capacity the neighbours had',
      tier: 1,
      severity: othersShare / KV_THRESHOLDS.crowdedCpuShare,
    });
  }
  if (waits.length === members.length && waits.every((entry) => entry.value >= KV_THRESHOLDS.runQueueWaitPerCpu)) {
    notes.push(`every member waited ≥ ${KV_THRESHOLDS.runQueueWaitPerCpu} s for a CPU per second it ran (${waits.map((entry) => `${entry.member.name} ${entry.value.toFixed(1)} s`).join(', ')}): the machine is saturated, so CPU contention on one member hardly stands out`);
  }
  for (const hit of outliers(waits, KV_THRESHOLDS.runQueueWaitPerCpu, KV_THRESHOLDS.runQueueWaitRatio)) {
    if (throttled.has(hit.member.name) || crowded.has(hit.member.name)) continue;
    findings.push({
      culprit: 'cpu',
      node: roleName(hit.member),
      member: hit.member.name,
      evidence: `its threads waited ${hit.value.toFixed(1)} s for a CPU per second they ran (/proc/PID/task/*/schedstat), the other members ${hit.others.toFixed(1)} s: CPU contention on its cores`,
      labFix: 'cpu=0',
      fix: `give ${hit.member.name} its own cores (move the neighbours, or pin them elsewhere)`,
      tradeOff: 'dedicated cores cost capacity the neighbours had',
      tier: 2,
      severity: hit.value / Math.max(KV_THRESHOLDS.runQueueWaitPerCpu, KV_THRESHOLDS.runQueueWaitRatio * hit.others),
    });
  }

  // Disk: the WAL's fsync, one member against the others, by its p90: a slow device (or an IOPS cap, which lets
  // bursts through) slows a large share of the syncs, while the one sync caught in each stop (SIGSTOP, a long GC, a
  // VM pause) lifts the mean of a few seconds' syncs but not the p90.
  const fsyncs = members.flatMap((member) => {
    const p90 = view.weightedPercentile(member.metrics, 'etcd_disk_wal_fsync_duration_seconds', 'p90');
    const mean = view.mean(member.metrics, 'etcd_disk_wal_fsync_duration_seconds');
    const value = p90 ?? mean?.mean;
    return value === undefined ? [] : [{ member, value, mean: mean?.mean }];
  });
  for (const hit of outliers(fsyncs, KV_THRESHOLDS.walFsyncP90Sec, KV_THRESHOLDS.walFsyncRatio)) {
    const mean = fsyncs.find((entry) => entry.member === hit.member)?.mean;
    // A throttled process, or one crowded onto CPUs others keep busy, is slow at everything, its WAL syncs included
    // (a sync's time counts the wait for a CPU after the I/O): the CPU is the cause.
    const cpuCause = throttled.has(hit.member.name) ? 'throttled: counted under throttling' : crowded.has(hit.member.name) ? 'crowded onto busy CPUs: counted under CPU contention' : undefined;
    if (cpuCause !== undefined) {
      notes.push(`${hit.member.name}'s WAL fsync is slow too (p90 ${ms(hit.value)}), but it is ${cpuCause}`);
      continue;
    }
    findings.push({
      culprit: 'fsync',
      node: roleName(hit.member),
      member: hit.member.name,
      evidence: `WAL fsync p90 ${ms(hit.value)}${mean !== undefined ? `, mean ${ms(mean)}` : ''} (etcd_disk_wal_fsync_duration_seconds) vs a p90 of ${ms(hit.others)} on the other members`,
      labFix: 'wal-tmpfs',
      fix: `put ${hit.member.name}'s WAL on a dedicated low-latency device (--wal-dir)`,
      tradeOff: 'a dedicated fast disk costs more; --unsafe-no-fsync would be faster still but loses committed writes on a crash',
      tier: 1,
      severity: hit.value / KV_THRESHOLDS.walFsyncP90Sec,
    });
  }

  // GC: a member collecting often *for what it allocates*: bytes allocated per cycle against its heap (Go's own
  // metrics). Counting cycles alone would blame whichever member serves the allocation-heavy requests (the leader
  // answering list reads collects more at any setting); without the allocation metrics, the count against the others.
  const gcs = members.flatMap((member) => {
    const rate = view.rate(member.metrics, 'go_gc_duration_seconds');
    return rate === undefined ? [] : [{ member, value: rate }];
  });
  const judgedByAllocation = new Set<KvMemberSources>();
  const gcFindings: { member: KvMemberSources; cycles: number; why: string; severity: number }[] = [];
  for (const { member, value: cycles } of gcs) {
    const allocated = view.rate(member.metrics, 'go_memstats_alloc_bytes_total');
    const heap = view.gaugeMean(member.metrics, 'go_memstats_heap_alloc_bytes');
    if (allocated === undefined || heap === undefined || heap <= 0) continue;
    judgedByAllocation.add(member);
    const perCycle = cycles > 0 ? allocated / cycles : Number.POSITIVE_INFINITY;
    const share = perCycle / heap;
    if (cycles < KV_THRESHOLDS.gcPerSec || share >= KV_THRESHOLDS.gcAllocShareOfHeap) continue;
    gcFindings.push({
      member,
      cycles,
      why: `it collects after every ${mib(perCycle)} allocated, ${pct(share)} of its ${mib(heap)} heap (go_memstats_alloc_bytes_total per cycle; Go's default GOGC=100 waits for the heap to grow by its live size)`,
      severity: KV_THRESHOLDS.gcAllocShareOfHeap / Math.max(share, 1e-3),
    });
  }
  for (const hit of outliers(gcs.filter((entry) => !judgedByAllocation.has(entry.member)), KV_THRESHOLDS.gcPerSec, KV_THRESHOLDS.gcRatio)) {
    gcFindings.push({ member: hit.member, cycles: hit.value, why: `vs ${hit.others.toFixed(1)}/s on the other members`, severity: hit.value / Math.max(KV_THRESHOLDS.gcPerSec, KV_THRESHOLDS.gcRatio * hit.others) });
  }
  for (const hit of gcFindings) {
    const pause = view.mean(hit.member.metrics, 'go_gc_duration_seconds');
    findings.push({
      culprit: 'gc',
      node: roleName(hit.member),
      member: hit.member.name,
      evidence: `${hit.cycles.toFixed(1)} GC cycles/s (go_gc_duration_seconds): ${hit.why}${pause ? `; mean pause ${ms(pause.mean)}` : ''}`,
      labFix: 'gc=0',
      fix: `let ${hit.member.name}'s heap grow before collecting: GOGC=100 (Go's default) or a GOMEMLIMIT`,
      tradeOff: 'a larger heap uses more memory; GOMEMLIMIT set too low brings the collections back',
      tier: 2,
      severity: hit.severity,
    });
  }

  // Network: the leader's round trip to each follower. A write commits on the leader plus the fastest
  // follower, so only the fastest one's round trip is on the write path.
  if (leader) {
    const followers = members.filter((member) => member.role === 'follower');
    // The path to each follower: a blackbox probe of its peer endpoint when there is one; else etcd's own
    // smoothed round-trip histogram as the leader sees it (sparse: probed every few seconds).
    const trips = followers.flatMap((follower) => {
      const probed = follower.peerProbe ? view.gaugeMean(follower.peerProbe, 'peer_probe_rtt_seconds') : undefined;
      const direct = follower.peerProbe ? view.gaugeMean(follower.peerProbe, 'direct_probe_rtt_seconds') : undefined;
      if (probed !== undefined && direct !== undefined) return [{ follower, rtt: Math.max(0, probed - direct), how: `peer-port probe ${ms(probed)} − client-port probe ${ms(direct)}` }];
      if (probed !== undefined) return [{ follower, rtt: probed, how: 'probe of its peer endpoint' }];
      const mean = view.mean(leader.metrics, 'etcd_network_peer_round_trip_time_seconds', { To: follower.idHex }, run.intervals.map((_, index) => index));
      return mean ? [{ follower, rtt: mean.mean, how: 'etcd_network_peer_round_trip_time_seconds' }] : [];
    });
    if (trips.length === followers.length && trips.length > 0) {
      const fastest = trips.reduce((a, b) => (b.rtt < a.rtt ? b : a));
      const slowest = trips.reduce((a, b) => (b.rtt > a.rtt ? b : a));
      const list = trips.map((trip) => `${trip.follower.name} ${ms(trip.rtt)} (${trip.how})`).join(', ');
      if (fastest.rtt >= KV_THRESHOLDS.peerRoundTripSec) {
        findings.push({
          culprit: 'network',
          node: `leader ${leader.name} ↔ followers`,
          member: leader.name,
          evidence: `round trips to the followers: ${list}; every write waits for the fastest follower`,
          labFix: 'network=0',
          fix: 'place the members closer (same zone / rack), or check the path for loss and queueing',
          tradeOff: 'members in one zone lose zone-failure tolerance',
          tier: 1,
          severity: fastest.rtt / KV_THRESHOLDS.peerRoundTripSec,
        });
      } else if (slowest.rtt >= KV_THRESHOLDS.peerRoundTripSec) {
        notes.push(`follower ${slowest.follower.name} is far from the leader (round trip ${ms(slowest.rtt)}), but the quorum hides it: writes commit with ${fastest.follower.name} (${ms(fastest.rtt)}) — no finding`);
      }
    } else if (followers.length > 0) {
      notes.push('no round-trip observation of every follower in this run (no probe, and etcd probes peers only every few seconds)');
    }

    // Stalls: the leader sending heartbeats late (etcd_server_heartbeat_send_failures_total counts each heartbeat
    // sent over twice the heartbeat interval after the last: the process did not run). A throttled leader does
    // that too — counted under throttling. The gap between the app's view of each etcd call and the leader's own
    // gRPC handling of it is the supporting evidence: time the server's handler never sees.
    const late = view.rate(leader.metrics, 'etcd_server_heartbeat_send_failures_total');
    if (late !== undefined && late >= KV_THRESHOLDS.lateHeartbeatsPerSec && !throttled.has(leader.name)) {
      const gaps = topology.app
        ? (['range', 'txn', 'put'] as const).flatMap((op) => {
            const method = op === 'range' ? 'Range' : op === 'txn' ? 'Txn' : 'Put';
            const client = view.weightedPercentile(topology.app ?? '', 'kv_app_etcd_request_duration_seconds', 'p99', { op });
            const server = view.weightedPercentile(leader.metrics, 'grpc_server_handling_seconds', 'p99', { grpc_method: method });
            return client !== undefined && server !== undefined ? [{ op, client, server }] : [];
          })
        : [];
      const top = gaps.sort((a, b) => b.client - b.server - (a.client - a.server))[0];
      const gap = top ? `; ${top.op} p99 ${ms(top.client)} as the app sees it vs ${ms(top.server)} in the leader's own gRPC handler: ${ms(top.client - top.server)} outside the handler` : '';
      findings.push({
        culprit: 'stall',
        node: roleName(leader),
        member: leader.name,
        evidence: `${late.toFixed(1)} late heartbeats/s from the leader (etcd_server_heartbeat_send_failures_total): it stops now and then${gap}`,
        labFix: 'stall=0',
        fix: `find what stops ${leader.name}: stop-the-world pauses, SIGSTOP/freezer, swapping, a VM's steal time; move leadership off a member that stalls`,
        tradeOff: 'moving leadership costs one election round; a bigger machine costs money',
        tier: 3,
        severity: late / KV_THRESHOLDS.lateHeartbeatsPerSec,
      });
    }
  }

  if (topology.app) {
    const app = topology.app;
    const handling = view.mean(app, 'kv_app_request_duration_seconds');
    const wait = view.mean(app, 'kv_app_lock_wait_seconds');
    if (wait && handling && wait.mean >= KV_THRESHOLDS.lockWaitMeanSec && wait.mean >= KV_THRESHOLDS.lockWaitShare * handling.mean) {
      findings.push({
        culprit: 'lock',
        node: 'app tier',
        evidence: `writes waited ${ms(wait.mean)} on average for the shared lock (kv_app_lock_wait_seconds): ${pct(wait.mean / handling.mean)} of the ${ms(handling.mean)} handling time`,
        labFix: 'lock=0',
        fix: 'drop the shared lock: a compare-and-swap txn on the key\'s mod_revision (or a lock per key)',
        tradeOff: 'CAS retries on conflict: a hot key spins instead of queueing',
        tier: 1,
        severity: wait.mean / KV_THRESHOLDS.lockWaitMeanSec,
      });
    }
    const bytes = view.mean(app, 'kv_app_document_bytes');
    if (bytes && bytes.mean >= KV_THRESHOLDS.documentMeanBytes) {
      const received = view.rate(leader?.metrics ?? '', 'etcd_network_client_grpc_received_bytes_total');
      findings.push({
        culprit: 'serialization',
        node: 'app tier',
        evidence: `each write sends ${(bytes.mean / 1024).toFixed(0)} KiB to etcd (kv_app_document_bytes)${received !== undefined && leader ? `; ${leader.name} receives ${(received / 1024 / 1024).toFixed(1)} MiB/s from clients` : ''}`,
        labFix: 'serialization=0',
        fix: 'store the compact document (no embedded history; a reference to a blob store for large parts), or speak etcd\'s native gRPC protobuf API instead of JSON + base64',
        tradeOff: 'splitting a document makes reads assemble it; gRPC needs generated stubs',
        tier: 1,
        severity: bytes.mean / KV_THRESHOLDS.documentMeanBytes,
      });
    }
  }

  findings.sort((a, b) => a.tier - b.tier || b.severity - a.severity);
  return { findings, notes };
}

export function renderKvDiagnosis(diagnosis: KvDiagnosis): string {
  const lines = diagnosis.findings.length === 0 ? ['kv findings: none'] : ['kv findings (causes first, then by how far past the threshold):'];
  diagnosis.findings.forEach((finding, index) => {
    lines.push(`  ${index + 1}. ${finding.culprit} on ${finding.node}: ${finding.evidence}`);
    lines.push(`     fix: ${finding.fix} (lab: ${finding.labFix}); trade-off: ${finding.tradeOff}`);
  });
  for (const note of diagnosis.notes) lines.push(`  note: ${note}`);
  return lines.join('\n');
}
