/**
 * Builds real run files from known latencies: each interval's values are recorded into LatencyHistograms and
 * encoded exactly as the load engine does, so the report is tested on the real format (validated by runFileSchema).
 */
import { summarizeIntervals, scheduleLagOf } from '../../src/core/run-aggregate.js';
import { runFileSchema, type Interval, type RunFile } from '../../src/core/run-file.js';
import { LatencyHistogram } from '../../src/histogram/latency-histogram.js';
import { traceAnalysisSchema } from '../../src/trace/trace-analysis.js';

export interface SyntheticRequest {
  latenciesUs: readonly number[];
  /** How many of those requests failed with an unexpected (500) status. */
  errors?: number;
}

export interface SyntheticInterval {
  requests: Record<string, SyntheticRequest>;
  warmup?: boolean;
  phase?: string;
  lagUs?: readonly number[];
}

export interface SyntheticRunOptions {
  id: string;
  intervalMs?: number;
  intervals: readonly SyntheticInterval[];
  valid?: boolean;
  reasons?: string[];
  analysis?: Record<string, unknown>;
}

function histogramOf(valuesUs: readonly number[], scale = 1): string {
  const histogram = LatencyHistogram.empty();
  for (const value of valuesUs) histogram.record(value * scale);
  return histogram.encode();
}

export function syntheticRun(options: SyntheticRunOptions): RunFile {
  const intervalMs = options.intervalMs ?? 1000;
  const intervals: Interval[] = options.intervals.map((spec, index) => {
    let total = 0;
    const requests: Interval['requests'] = {};
    for (const [name, request] of Object.entries(spec.requests)) {
      const count = request.latenciesUs.length;
      const errors = request.errors ?? 0;
      total += count;
      requests[name] = {
        count,
        ok: count - errors,
        statuses: errors > 0 ? { '200': count - errors, '500': errors } : { '200': count },
        errors: errors > 0 ? { unexpected_status: errors } : {},
        latency: histogramOf(request.latenciesUs),
        // Service time is latency minus the (here constant) queueing: 90% of it.
        serviceTime: histogramOf(request.latenciesUs, 0.9),
        bytesReceived: count * 100,
      };
    }
    return {
      startMs: index * intervalMs,
      durationMs: intervalMs,
      phase: spec.phase ?? (spec.warmup ? 'warmup' : 'main'),
      warmup: spec.warmup ?? false,
      scheduled: total,
      sent: total,
      requests,
      scheduleLag: histogramOf(spec.lagUs ?? Array.from({ length: total }, () => 50)),
    };
  });
  const lag = scheduleLagOf({ intervals });
  // As the load engine does: health counts the measured (non-warm-up) intervals only.
  const scheduled = intervals.filter((interval) => !interval.warmup).reduce((sum, interval) => sum + interval.scheduled, 0);
  const run = {
    format: 'perfloop-run',
    version: 1,
    id: options.id,
    startedAt: '2026-11-23T18:00:00.000Z',
    endedAt: new Date(Date.parse('2026-11-23T18:00:00.000Z') + intervals.length * intervalMs).toISOString(),
    interrupted: false,
    scenario: { target: 'http://127.0.0.1:1' },
    environment: {
      perfloopVersion: '0.1.0',
      node: process.version,
      platform: 'linux',
      arch: 'x64',
      cpuModel: 'test cpu',
      cpus: 2,
      hostname: 'test-host',
      workers: 1,
      segment: { index: 0, count: 1 },
    },
    intervalMs,
    intervals,
    health: {
      valid: options.valid ?? true,
      reasons: options.reasons ?? [],
      lagP99Us: lag.percentileUs(99),
      lagMaxUs: lag.maxUs,
      generatorCpuPct: 12,
      scheduled,
      sent: scheduled,
      inFlightAtEnd: 0,
    },
    summary: summarizeIntervals(intervals),
    ...(options.analysis ? { traces: { sampleRate: 1, samples: [], samplesCap: 100, analysis: options.analysis } } : {}),
  };
  return runFileSchema.parse(run);
}

/** `count` values spread evenly over [fromUs, toUs] (inclusive). */
export function evenly(fromUs: number, toUs: number, count: number): number[] {
  if (count === 1) return [fromUs];
  return Array.from({ length: count }, (_, i) => fromUs + ((toUs - fromUs) * i) / (count - 1));
}

/** The golden run of the report tests: hand-computed percentiles in html-report.test.ts. */
export const HOSTILE_NAME = 'POST /b"><img src=x onerror=alert(1)>';

export function goldenRun(id = 'golden'): RunFile {
  // GET /a: 1, 2, …, 100 ms once each per interval; POST /b: 50 × 5 ms per interval, 2 errors in interval 3.
  const a = Array.from({ length: 100 }, (_, i) => (i + 1) * 1000);
  const b = Array.from({ length: 50 }, () => 5000);
  return syntheticRun({
    id,
    intervals: [
      // A warm-up with 10 s latencies that must not reach any headline figure.
      { warmup: true, requests: { 'GET /a': { latenciesUs: [10_000_000, 10_000_000] } } },
      ...Array.from({ length: 10 }, (_, i) => ({ requests: { 'GET /a': { latenciesUs: a }, [HOSTILE_NAME]: { latenciesUs: b, errors: i === 3 ? 2 : 0 } } })),
    ],
    reasons: ['<b>lag warning</b> & co'],
  });
}

/** A trace analysis document (schema: src/trace/trace-analysis.ts), validated by traceAnalysisSchema. */
export function sampleAnalysis(): Record<string, unknown> {
  const finding = (title: string, operation: string, share: number, p50: number, p99: number, counts: Record<string, number>) => ({
    detector: 'n_plus_one',
    title,
    where: { service: 'orders', operation },
    evidence: { counts, exampleTraceIds: ['0af7651916cd43dd8448eb211c80319c'], exampleSpanIds: [], details: {} },
    shareOfRequests: share,
    predictedSavingUs: { p50, p99 },
    fix: 'batch the SELECTs',
    tradeOff: 'one larger query',
  });
  return traceAnalysisSchema.parse({
    version: 1,
    traceCount: 408,
    spanCount: 4000,
    duplicateSpans: 0,
    orphanSpans: 0,
    skewAdjustedSpans: 0,
    tracesWithClientLatency: 408,
    criticalPath: {
      byService: [{ service: 'postgres', timeUs: 3_000_000, share: 0.6 }, { service: 'orders', timeUs: 2_000_000, share: 0.4 }],
      byOperation: [
        { service: 'orders', operation: 'orders.list', timeUs: 2_000_000, share: 0.4 },
        { service: 'postgres', operation: 'SELECT orders', timeUs: 3_000_000, share: 0.6 },
      ],
    },
    cohorts: [
      { cohort: 'p50', latencyUs: 12_000, traces: 400, tiers: [{ tier: 'gateway', us: 2000 }, { tier: 'orders', us: 4000 }, { tier: 'postgres', us: 6000 }] },
      { cohort: 'p99', latencyUs: 95_000, traces: 8, tiers: [{ tier: 'gateway', us: 5000 }, { tier: 'orders', us: 10_000 }, { tier: 'postgres', us: 80_000 }] },
    ],
    findings: [
      finding('Cache miss storm', 'GET cache', 0.2, 1000, 8000, { misses: 88 }),
      finding('N+1 queries <script>alert(1)</script>', 'orders.list', 0.9, 6000, 60_000, { queries: 41 }),
    ],
    exemplar: {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      latencyUs: 95_000,
      spans: [
        { spanId: 'a000000000000001', name: 'GET /a', service: 'gateway', kind: 'server', status: 'ok', startUs: 0, durationUs: 95_000, critical: true },
        { spanId: 'a000000000000002', parentSpanId: 'a000000000000001', name: 'orders.list', service: 'orders', kind: 'server', status: 'ok', startUs: 2000, durationUs: 90_000, critical: true },
        { spanId: 'a000000000000003', parentSpanId: 'a000000000000002', name: 'SELECT orders', service: 'postgres', kind: 'client', status: 'ok', startUs: 5000, durationUs: 80_000, critical: true },
        { spanId: 'a000000000000004', parentSpanId: 'a000000000000002', name: 'GET cache', service: 'redis', kind: 'client', status: 'error', startUs: 3000, durationUs: 1000, critical: false },
      ],
      criticalPathSpanIds: ['a000000000000001', 'a000000000000002', 'a000000000000003'],
      criticalPath: [
        { spanId: 'a000000000000001', startUs: 0, endUs: 2000 },
        { spanId: 'a000000000000002', startUs: 2000, endUs: 5000 },
        { spanId: 'a000000000000003', startUs: 5000, endUs: 85_000 },
        { spanId: 'a000000000000002', startUs: 85_000, endUs: 92_000 },
        { spanId: 'a000000000000001', startUs: 92_000, endUs: 95_000 },
      ],
      truncatedSpans: 0,
    },
  });
}
