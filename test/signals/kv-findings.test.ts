/**
 * The kv detectors on synthetic per-interval series (pure): each planted signature is found on the right node
 * with the right fix, the ranking puts causes before consequences, the healthy cluster yields nothing, a slow
 * follower yields a quorum note and no network finding, and a busy machine (every member waiting for CPU) is a
 * note, not a culprit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunFile, SignalSeries } from '../../src/core/run-file.js';
import { diagnoseKv, type KvTopology } from '../../src/signals/kv-findings.js';

/** Interval 0 is warm-up; 1..4 are measured. */
const INTERVALS = 5;
const each = (value: number): number[] => Array.from({ length: INTERVALS }, () => value);

const topology: KvTopology = {
  members: ['kv0', 'kv1', 'kv2'].map((name, index) => ({ name, role: index === 0 ? 'leader' : 'follower', idHex: `${index + 1}a`, metrics: name, process: `${name}.proc`, peerProbe: `${name}.peer` })),
  app: 'app',
};

interface Member {
  fsyncMeanSec: number;
  /** The fsync histogram's p90; the mean when absent. */
  fsyncP90Sec?: number;
  gcPerSec: number;
  waitPerSec: number;
  cpuPerSec: number;
  throttledShare: number;
  peerSec: number;
  lateHeartbeatsPerSec: number;
  /** CPUs it may run on (of HOST_CPUS) and how busy those CPUs were, CPU-seconds per second (its own use included). */
  allowedCpus: number;
  allowedBusyPerSec: number;
  /** Go's allocation counter's rate and mean heap; undefined: the metrics are absent (GC judged against the others). */
  allocBytesPerSec?: number;
  heapBytes?: number;
}

const HOST_CPUS = 2;
const MIB = 1024 * 1024;

const HEALTHY: Member = { fsyncMeanSec: 0.002, gcPerSec: 0.3, waitPerSec: 0.05, cpuPerSec: 0.2, throttledShare: 0, peerSec: 0.0012, lateHeartbeatsPerSec: 0, allowedCpus: HOST_CPUS, allowedBusyPerSec: 0.8 };

function run(members: Partial<Member>[], app: { lockWaitSec?: number; handlingSec: number; documentBytes: number }): RunFile {
  const series: SignalSeries[] = [];
  members.forEach((overrides, index) => {
    const m = { ...HEALTHY, ...overrides };
    const name = `kv${index}`;
    series.push({ source: name, metric: 'etcd_disk_wal_fsync_duration_seconds', labels: {}, kind: 'histogram', rate: each(30), mean: each(m.fsyncMeanSec), p90: each(m.fsyncP90Sec ?? m.fsyncMeanSec), p99: each(m.fsyncMeanSec * 2) });
    series.push({ source: name, metric: 'go_gc_duration_seconds', labels: {}, kind: 'summary', rate: each(m.gcPerSec), mean: each(0.0005) });
    if (m.allocBytesPerSec !== undefined) series.push({ source: name, metric: 'go_memstats_alloc_bytes_total', labels: {}, kind: 'counter', rate: each(m.allocBytesPerSec) });
    if (m.heapBytes !== undefined) series.push({ source: name, metric: 'go_memstats_heap_alloc_bytes', labels: {}, kind: 'gauge', value: each(m.heapBytes) });
    series.push({ source: name, metric: 'etcd_server_heartbeat_send_failures_total', labels: {}, kind: 'counter', rate: each(m.lateHeartbeatsPerSec) });
    series.push({ source: `${name}.proc`, metric: 'process_runqueue_wait_seconds_total', labels: {}, kind: 'counter', rate: each(m.waitPerSec) });
    series.push({ source: `${name}.proc`, metric: 'process_cpu_user_seconds_total', labels: {}, kind: 'counter', rate: each(m.cpuPerSec * 0.7) });
    series.push({ source: `${name}.proc`, metric: 'process_cpu_system_seconds_total', labels: {}, kind: 'counter', rate: each(m.cpuPerSec * 0.3) });
    series.push({ source: `${name}.proc`, metric: 'process_cpus_allowed', labels: {}, kind: 'gauge', value: each(m.allowedCpus) });
    series.push({ source: `${name}.proc`, metric: 'host_cpus', labels: {}, kind: 'gauge', value: each(HOST_CPUS) });
    series.push({ source: `${name}.proc`, metric: 'process_cpus_allowed_busy_seconds_total', labels: {}, kind: 'counter', rate: each(m.allowedBusyPerSec) });
    series.push({ source: `${name}.proc`, metric: 'cgroup_cpu_periods_total', labels: {}, kind: 'counter', rate: each(10) });
    series.push({ source: `${name}.proc`, metric: 'cgroup_cpu_throttled_periods_total', labels: {}, kind: 'counter', rate: each(10 * m.throttledShare) });
    series.push({ source: `${name}.peer`, metric: 'peer_probe_rtt_seconds', labels: {}, kind: 'gauge', value: each(m.peerSec) });
    series.push({ source: `${name}.peer`, metric: 'direct_probe_rtt_seconds', labels: {}, kind: 'gauge', value: each(0.001) });
  });
  series.push({ source: 'app', metric: 'kv_app_request_duration_seconds', labels: { route: 'PUT /kv/:key', status: '200' }, kind: 'histogram', rate: each(30), mean: each(app.handlingSec) });
  if (app.lockWaitSec !== undefined) series.push({ source: 'app', metric: 'kv_app_lock_wait_seconds', labels: {}, kind: 'histogram', rate: each(30), mean: each(app.lockWaitSec) });
  series.push({ source: 'app', metric: 'kv_app_document_bytes', labels: {}, kind: 'histogram', rate: each(30), mean: each(app.documentBytes) });
  const intervals = Array.from({ length: INTERVALS }, (_, index) => ({ warmup: index === 0 }));
  return { intervals, signals: { version: 1, intervalMs: 1000, sources: [], series } } as unknown as RunFile;
}

const calm = { handlingSec: 0.01, documentBytes: 150 };
const healthy = (): Partial<Member>[] => [{}, {}, {}];

test('a healthy cluster yields no finding and no note', () => {
  const diagnosis = diagnoseKv(run(healthy(), calm), topology);
  assert.deepEqual(diagnosis.findings, []);
  assert.deepEqual(diagnosis.notes, []);
});

test('each planted signature is the top finding on the right node with its fix', () => {
  const cases: { name: string; members: Partial<Member>[]; app?: typeof calm & { lockWaitSec?: number }; culprit: string; node: string; labFix: string }[] = [
    { name: 'network', members: [{ peerSec: 0.021 }, { peerSec: 0.021 }, { peerSec: 0.021 }], culprit: 'network', node: 'leader kv0 ↔ followers', labFix: 'network=0' },
    { name: 'fsync', members: [{ fsyncMeanSec: 0.03 }, {}, {}], culprit: 'fsync', node: 'leader kv0', labFix: 'wal-tmpfs' },
    { name: 'throttle (slow fsync and late heartbeats are its consequences)', members: [{ throttledShare: 0.9, fsyncMeanSec: 0.03, lateHeartbeatsPerSec: 2, waitPerSec: 2 }, {}, {}], culprit: 'throttle', node: 'leader kv0', labFix: 'throttle=0' },
    { name: 'cpu (run-queue wait)', members: [{ waitPerSec: 0.6 }, {}, {}], culprit: 'cpu', node: 'leader kv0', labFix: 'cpu=0' },
    { name: 'cpu (pinned among busy neighbours)', members: [{ allowedCpus: 1, allowedBusyPerSec: 1 }, {}, {}], culprit: 'cpu', node: 'leader kv0', labFix: 'cpu=0' },
    { name: 'gc (cycles against the others)', members: [{ gcPerSec: 7 }, {}, {}], culprit: 'gc', node: 'leader kv0', labFix: 'gc=0' },
    { name: 'gc (cycles for what it allocates)', members: [{ gcPerSec: 20, allocBytesPerSec: 24 * MIB, heapBytes: 20 * MIB }, { allocBytesPerSec: MIB, heapBytes: 8 * MIB }, { allocBytesPerSec: MIB, heapBytes: 8 * MIB }], culprit: 'gc', node: 'leader kv0', labFix: 'gc=0' },
    { name: 'stall', members: [{ lateHeartbeatsPerSec: 1 }, {}, {}], culprit: 'stall', node: 'leader kv0', labFix: 'stall=0' },
    { name: 'lock', members: healthy(), app: { handlingSec: 0.2, documentBytes: 150, lockWaitSec: 0.15 }, culprit: 'lock', node: 'app tier', labFix: 'lock=0' },
    { name: 'serialization (beats the GC it causes)', members: [{ gcPerSec: 7 }, {}, {}], app: { handlingSec: 0.1, documentBytes: 88_000 }, culprit: 'serialization', node: 'app tier', labFix: 'serialization=0' },
  ];
  for (const planted of cases) {
    const diagnosis = diagnoseKv(run(planted.members, planted.app ?? calm), topology);
    const top = diagnosis.findings[0];
    assert.ok(top, `${planted.name}: no finding`);
    assert.equal(top.culprit, planted.culprit, `${planted.name}: top is ${top.culprit}`);
    assert.equal(top.node, planted.node, planted.name);
    assert.equal(top.labFix, planted.labFix, planted.name);
  }
});

test('throttling takes the slow fsync and the late heartbeats of the same member: one finding, one note', () => {
  const diagnosis = diagnoseKv(run([{ throttledShare: 0.9, fsyncMeanSec: 0.03, lateHeartbeatsPerSec: 2 }, {}, {}], calm), topology);
  assert.deepEqual(diagnosis.findings.map((finding) => finding.culprit), ['throttle']);
  assert.equal(diagnosis.findings[0]?.evidence, "90% of its cgroup's CPU periods were throttled (9.0 of 10.0 per second)");
  assert.equal(diagnosis.notes.length, 1);
  assert.match(diagnosis.notes[0] ?? '', /kv0's WAL fsync is slow too \(p90 30\.0 ms\), but it is throttled/);
});

test('a member crowded onto busy CPUs takes its slow fsync too: the cpu finding, and the fsync as a note', () => {
  // As in the CI run where the pinned leader's WAL syncs waited for its CPU (fsync p90 30 ms) and fsync outranked cpu.
  const diagnosis = diagnoseKv(run([{ allowedCpus: 1, allowedBusyPerSec: 1, fsyncMeanSec: 0.03 }, {}, {}], calm), topology);
  assert.deepEqual(diagnosis.findings.map((finding) => finding.culprit), ['cpu']);
  assert.equal(diagnosis.findings[0]?.node, 'leader kv0');
  assert.ok(diagnosis.notes.some((note) => /^kv0's WAL fsync is slow too \(p90 30\.0 ms\), but it is crowded onto busy CPUs: counted under CPU contention$/.test(note)), diagnosis.notes.join('; '));
});

test('one slow follower: no network finding, and a note that the quorum hides it', () => {
  const diagnosis = diagnoseKv(run([{}, { peerSec: 0.021 }, {}], calm), topology);
  assert.deepEqual(diagnosis.findings, []);
  assert.deepEqual(diagnosis.notes, ['follower kv1 is far from the leader (round trip 20.0 ms), but the quorum hides it: writes commit with kv2 (0.2 ms) — no finding']);
});

test('a busy machine where every member waits for CPU is a note, not a culprit', () => {
  const diagnosis = diagnoseKv(run([{ waitPerSec: 0.9 }, { waitPerSec: 0.8 }, { waitPerSec: 0.7 }], calm), topology);
  assert.deepEqual(diagnosis.findings, []);
  assert.match(diagnosis.notes[0] ?? '', /the machine is saturated/);
});

test('the warm-up interval is ignored', () => {
  const planted = run([{}, {}, {}], calm);
  const fsync = planted.signals?.series.find((series) => series.source === 'kv0' && series.metric === 'etcd_disk_wal_fsync_duration_seconds');
  assert.ok(fsync?.mean);
  fsync.mean[0] = 0.5;
  assert.deepEqual(diagnoseKv(planted, topology).findings, []);
});

test('a member pinned to one CPU that neighbours keep busy is found even when every member waits for CPU', () => {
  const saturated = { waitPerSec: 0.9, allowedBusyPerSec: 1.95 };
  const diagnosis = diagnoseKv(run([{ ...saturated, allowedCpus: 1, allowedBusyPerSec: 0.98 }, saturated, saturated], calm), topology);
  assert.deepEqual(diagnosis.findings.map((finding) => `${finding.culprit} @ ${finding.node}`), ['cpu @ leader kv0']);
  assert.equal(
    diagnosis.findings[0]?.evidence,
    "it may run on 1 of the machine's 2 CPUs (Cpus_allowed_list), and other processes kept that CPU 78% busy (/proc/stat per CPU, minus its own 0.20 CPU-s/s); its threads waited 4.5 s for a CPU per second they ran: CPU contention on its cores",
  );
  assert.match(diagnosis.notes[0] ?? '', /the machine is saturated/);
});

test('a pinned member whose CPU is mostly idle, and unpinned members on a busy machine, are no cpu finding', () => {
  assert.deepEqual(diagnoseKv(run([{ allowedCpus: 1, allowedBusyPerSec: 0.5 }, {}, {}], calm), topology).findings, []);
  assert.deepEqual(diagnoseKv(run([{ allowedBusyPerSec: 2 }, { allowedBusyPerSec: 2 }, { allowedBusyPerSec: 2 }], calm), topology).findings, []);
});

test('GC is judged by what a member allocates per cycle: a leader collecting often because it serves list reads is no finding', () => {
  const followers = { gcPerSec: 0.1, allocBytesPerSec: MIB, heapBytes: 8 * MIB };
  // Default GOGC under list reads: 1.6 cycles/s … 3/s, each after ~25 MiB of a 30 MiB heap.
  const busyDefault = diagnoseKv(run([{ gcPerSec: 3, allocBytesPerSec: 75 * MIB, heapBytes: 30 * MIB }, followers, followers], calm), topology);
  assert.deepEqual(busyDefault.findings, []);
  // GOGC=5: 21.5 cycles/s, each after 1.2 MiB of a 20.5 MiB heap.
  const lowGogc = diagnoseKv(run([{ gcPerSec: 21.5, allocBytesPerSec: 25.8 * MIB, heapBytes: 20.5 * MIB }, followers, followers], calm), topology);
  assert.deepEqual(lowGogc.findings.map((finding) => `${finding.culprit} @ ${finding.node}`), ['gc @ leader kv0']);
  assert.equal(
    lowGogc.findings[0]?.evidence,
    "21.5 GC cycles/s (go_gc_duration_seconds): it collects after every 1.2 MiB allocated, 6% of its 20.5 MiB heap (go_memstats_alloc_bytes_total per cycle; Go's default GOGC=100 waits for the heap to grow by its live size); mean pause 0.5 ms",
  );
});

test('one WAL sync caught in each stop lifts the fsync mean, not the p90: a stall, not a slow disk', () => {
  const diagnosis = diagnoseKv(run([{ fsyncMeanSec: 0.0053, fsyncP90Sec: 0.0015, lateHeartbeatsPerSec: 0.5 }, {}, {}], calm), topology);
  assert.deepEqual(diagnosis.findings.map((finding) => `${finding.culprit} @ ${finding.node}`), ['stall @ leader kv0']);
  const slowDisk = diagnoseKv(run([{ fsyncMeanSec: 0.03, fsyncP90Sec: 0.016 }, {}, {}], calm), topology);
  assert.equal(slowDisk.findings[0]?.evidence, 'WAL fsync p90 16.0 ms, mean 30.0 ms (etcd_disk_wal_fsync_duration_seconds) vs a p90 of 2.0 ms on the other members');
});
