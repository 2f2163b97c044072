/** A run reduced to the figures the history keeps (one row per run). Pure. */
import { aggregateIntervals, errorCount, measuredMs } from '../core/run-aggregate.js';
import type { RunFile } from '../core/run-file.js';

export interface HistoryEntry {
  runId: string;
  startedAt: string;
  /** Which runs are comparable: the run's request names (method + path), sorted and joined. */
  series: string;
  count: number;
  throughputPerSec: number;
  errorRate: number;
  meanUs: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  p999Us: number;
  /** The run's own health verdict (schedule lag, generator saturation). */
  valid: boolean;
  /** Where the run file was read from. */
  source: string;
}

export const HISTORY_METRICS = ['p50Us', 'p90Us', 'p99Us', 'p999Us', 'meanUs', 'throughputPerSec', 'errorRate'] as const;
export type HistoryMetric = (typeof HISTORY_METRICS)[number];

/** `p99` → `p99Us`, `throughput` → `throughputPerSec`, `errors` → `errorRate`; null when unknown. */
export function historyMetricOf(name: string): HistoryMetric | null {
  const aliases: Record<string, HistoryMetric> = {
    p50: 'p50Us',
    p90: 'p90Us',
    p99: 'p99Us',
    'p99.9': 'p999Us',
    p999: 'p999Us',
    mean: 'meanUs',
    throughput: 'throughputPerSec',
    errors: 'errorRate',
  };
  return aliases[name] ?? ((HISTORY_METRICS as readonly string[]).includes(name) ? (name as HistoryMetric) : null);
}

export function historyEntryOf(run: RunFile, source: string): HistoryEntry {
  const { total, byRequest } = aggregateIntervals(run.intervals);
  const durationMs = measuredMs(run.intervals);
  const errors = errorCount(total);
  return {
    runId: run.id,
    startedAt: run.startedAt,
    series: [...byRequest.keys()].sort().join(', '),
    count: total.count,
    throughputPerSec: durationMs > 0 ? total.count / (durationMs / 1000) : 0,
    errorRate: total.count > 0 ? errors / total.count : 0,
    meanUs: total.latency.meanUs,
    p50Us: total.latency.percentileUs(50),
    p90Us: total.latency.percentileUs(90),
    p99Us: total.latency.percentileUs(99),
    p999Us: total.latency.percentileUs(99.9),
    valid: run.health.valid,
    source,
  };
}
