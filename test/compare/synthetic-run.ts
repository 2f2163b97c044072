/** Builds valid run files from latency samples, for comparison and budget tests. */
import { seededRandom } from '../../src/load/random.js';
import { summarizeIntervals } from '../../src/core/run-aggregate.js';
import { RUN_FILE_FORMAT, RUN_FILE_VERSION, type Interval, type RunFile } from '../../src/core/run-file.js';
import { LatencyHistogram } from '../../src/histogram/latency-histogram.js';

export interface SyntheticInterval {
  /** Latencies per request name, µs. */
  latenciesUs: Record<string, number[]>;
  /** Failed requests per request name (counted among the latencies' requests). */
  errors?: Record<string, number>;
  durationMs?: number;
  warmup?: boolean;
}

export function syntheticRun(id: string, intervals: SyntheticInterval[]): RunFile {
  let startMs = 0;
  const built: Interval[] = intervals.map((spec) => {
    const durationMs = spec.durationMs ?? 1000;
    const requests: Interval['requests'] = {};
    let total = 0;
    for (const [name, latencies] of Object.entries(spec.latenciesUs)) {
      const histogram = LatencyHistogram.empty();
      for (const value of latencies) histogram.record(value);
      const errors = spec.errors?.[name] ?? 0;
      total += latencies.length;
      requests[name] = {
        count: latencies.length,
        ok: latencies.length - errors,
        statuses: { '200': latencies.length - errors, ...(errors > 0 ? { '500': errors } : {}) },
        errors: errors > 0 ? { unexpected_status: errors } : {},
        latency: histogram.encode(),
        serviceTime: histogram.encode(),
        bytesReceived: 0,
      };
    }
    const interval: Interval = { startMs, durationMs, phase: 'main', warmup: spec.warmup ?? false, scheduled: total, sent: total, requests, scheduleLag: '' };
    startMs += durationMs;
    return interval;
  });
  return {
    format: RUN_FILE_FORMAT,
    version: RUN_FILE_VERSION,
    id,
    startedAt: '2026-01-01T00:00:00.000Z',
    endedAt: '2026-01-01T00:01:00.000Z',
    interrupted: false,
    scenario: {},
    environment: { perfloopVersion: '0', node: 'v20', platform: 'linux', arch: 'x64', cpuModel: 'test', cpus: 1, hostname: 'test', workers: 1, segment: { index: 0, count: 1 } },
    intervalMs: 1000,
    intervals: built,
    health: { valid: true, reasons: [], lagP99Us: 0, lagMaxUs: 0, generatorCpuPct: 0, scheduled: 0, sent: 0, inFlightAtEnd: 0 },
    summary: summarizeIntervals(built),
  };
}

/** A seeded uniform generator for simulated latencies (the load engine's mulberry32). */
export const uniforms = seededRandom;

/** Log-normal latencies (median medianUs, log-sd sigma), scaled by `scale`. */
export function logNormalLatencies(count: number, seed: number, medianUs = 10_000, sigma = 0.5, scale = 1): number[] {
  const next = uniforms(seed);
  const values: number[] = [];
  for (let i = 0; i < count; i++) {
    const u1 = 1 - next();
    const u2 = next();
    const normal = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    values.push(medianUs * Math.exp(sigma * normal) * scale);
  }
  return values;
}
