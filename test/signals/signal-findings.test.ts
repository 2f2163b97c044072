import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SIGNALS_VERSION, type RunFile, type SignalSeries } from '../../src/core/run-file.js';
import { pearson } from '../../src/signals/correlation.js';
import { detectSignalFindings } from '../../src/signals/signal-findings.js';
import { syntheticRun } from '../report/synthetic-run.js';

/** Six measured intervals whose client latency (all requests equal) is `latencyMs[i]`. */
function runWith(latencyMs: readonly number[], series: Omit<SignalSeries, 'source' | 'labels'>[], cpus = 2): RunFile {
  const base = syntheticRun({ id: 'f', intervals: latencyMs.map((ms) => ({ requests: { GET: { latenciesUs: Array.from({ length: 50 }, () => ms * 1000) } } })) });
  return {
    ...base,
    environment: { ...base.environment, cpus },
    signals: {
      version: SIGNALS_VERSION,
      intervalMs: 1000,
      sources: [{ name: 'api', kind: 'process', target: 'pid:7', attempts: 7, failures: {}, badLines: 0, droppedSeries: 0, droppedMetrics: [] }],
      series: series.map((item) => ({ ...item, source: 'api', labels: {} })),
    },
  };
}

const LATENCY = [10, 12, 20, 40, 80, 100];

test('pearson: exact values; fewer than 4 points is null', () => {
  assert.equal(pearson([1, 2, 3, 4], [2, 4, 6, 8]), 1);
  assert.equal(pearson([1, 2, 3, 4], [8, 6, 4, 2]), -1);
  assert.equal(pearson([1, 2, 3], [1, 2, 3]), null);
});

test('CPU saturation that rises with latency explains most of it; the near miss (84%) is not a finding', () => {
  const cpu = [0.4, 0.6, 1.0, 1.4, 1.8, 1.9];
  const run = runWith(LATENCY, [
    { metric: 'process_cpu_user_seconds_total', kind: 'counter', rate: cpu },
    { metric: 'process_cpu_system_seconds_total', kind: 'counter', rate: cpu.map(() => 0) },
  ]);
  const [finding] = detectSignalFindings(run);
  assert.equal(finding?.kind, 'cpu-saturation');
  assert.match(finding?.evidence ?? '', /95% of 2 cores/);
  assert.ok((finding?.explainedShare ?? 0) > 0.85, String(finding?.explainedShare));
  const nearMiss = runWith(LATENCY, [
    { metric: 'process_cpu_user_seconds_total', kind: 'counter', rate: cpu.map((c) => (c / 1.9) * 1.68) },
    { metric: 'process_cpu_system_seconds_total', kind: 'counter', rate: cpu.map(() => 0) },
  ]);
  assert.deepEqual(detectSignalFindings(nearMiss), []);
});

test('throttling, event-loop delay, disk sync and the gap outside the handler; ranked by explained share', () => {
  const run = runWith(LATENCY, [
    { metric: 'cgroup_cpu_periods_total', kind: 'counter', rate: [10, 10, 10, 10, 10, 10] },
    // Throttling flat at 30%: a finding, but it explains none of the rise (no variation → r undefined → 0).
    { metric: 'cgroup_cpu_throttled_periods_total', kind: 'counter', rate: [3, 3, 3, 3, 3, 3] },
    { metric: 'nodejs_eventloop_lag_p99_seconds', kind: 'gauge', value: [0.005, 0.006, 0.012, 0.03, 0.07, 0.09] },
    { metric: 'etcd_disk_wal_fsync_duration_seconds', kind: 'histogram', rate: [5, 5, 5, 5, 5, 5], mean: [0.002, 0.002, 0.002, 0.002, 0.002, 0.002], p50: [0.001, 0.001, 0.001, 0.001, 0.001, 0.001], p90: [0.004, 0.004, 0.004, 0.004, 0.004, 0.004], p99: [0.008, 0.009, 0.008, 0.009, 0.008, 0.009] },
    // Handler time constant 5 ms: the rest of the client latency is outside it.
    { metric: 'lab_request_handling_seconds', kind: 'histogram', rate: [50, 50, 50, 50, 50, 50], mean: [0.005, 0.005, 0.005, 0.005, 0.005, 0.005], p50: [0.005, 0.005, 0.005, 0.005, 0.005, 0.005], p90: [0.005, 0.005, 0.005, 0.005, 0.005, 0.005], p99: [0.005, 0.005, 0.005, 0.005, 0.005, 0.005] },
  ]);
  const findings = detectSignalFindings(run);
  assert.deepEqual(findings.map((finding) => finding.kind), ['outside-handler', 'event-loop-delay', 'cpu-throttling']);
  const [outside, loop, throttling] = findings;
  assert.ok((outside?.explainedShare ?? 0) > 0.99);
  assert.ok((loop?.explainedShare ?? 0) > 0.95);
  assert.equal(throttling?.explainedShare, 0);
  assert.equal(throttling?.correlation, null);
  assert.match(throttling?.evidence ?? '', /30% of CFS periods throttled/);
  assert.ok(findings.every((finding) => finding.fix.length > 0 && finding.tradeOff.length > 0));
});

test('soak: a heap growing 2 MiB/min steadily is a leak suspect with its slope; a sawtooth without trend is not', () => {
  const minutes = Array.from({ length: 12 }, (_, i) => i);
  const series = (values: number[]): Omit<SignalSeries, 'source' | 'labels'>[] => [{ metric: 'nodejs_heap_size_used_bytes', kind: 'gauge', value: values }];
  const flat = minutes.map(() => 10);
  // The synthetic run's intervals are 1 s, so 2 MiB/min is 2/60 MiB per interval.
  const perSecond = runWith(flat, series(minutes.map((i) => 50 * 1024 * 1024 + (i * 2 * 1024 * 1024) / 60)), 2);
  const [finding] = detectSignalFindings(perSecond);
  assert.equal(finding?.kind, 'heap-growth');
  assert.match(finding?.evidence ?? '', /grows 2\.0 MiB\/min over 12 intervals \(linear fit r² 1\.00\)/);
  const sawtooth = runWith(flat, series(minutes.map((i) => 50 * 1024 * 1024 + (i % 3) * 8 * 1024 * 1024)), 2);
  assert.deepEqual(detectSignalFindings(sawtooth), []);
});
