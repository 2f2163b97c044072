/**
 * The contract of a signal detector (pure): it reads the run's per-interval signals and proposes findings, each
 * with the per-interval values that show it. `detectSignalFindings` then measures, for every proposal, how much
 * of the client p99's variation over the measured intervals those values explain, so every detector — the
 * built-in resource ones and kv-specific ones alike — is ranked on one scale. New detectors are added to
 * `ALL_SIGNAL_DETECTORS` (all-signal-detectors.ts).
 */
import type { RunFile, SignalFinding, SignalSeries, Signals } from '../core/run-file.js';
import { LatencyHistogram } from '../histogram/latency-histogram.js';

/** Client latency over the measured (non-warm-up) intervals that saw requests. */
export interface ClientLatency {
  /** Run interval indices. */
  indices: number[];
  p99Sec: number[];
  meanSec: number[];
}

export interface SignalContext {
  run: RunFile;
  signals: Signals;
  client: ClientLatency;
}

/** What a detector proposes; correlation and the explained share are added by `detectSignalFindings`. */
export interface SignalCandidate {
  finding: Omit<SignalFinding, 'correlation' | 'explainedShare' | 'explainedP99Us'>;
  /** The signal per run interval (null where unknown), correlated with the client p99. */
  values: readonly (number | null)[];
  /** How far past its threshold (≥ 1): breaks ties between findings explaining the same share. */
  severity: number;
}

export interface SignalDetector {
  name: string;
  detect(context: SignalContext): SignalCandidate[];
}

export function clientLatency(run: RunFile): ClientLatency {
  const indices: number[] = [];
  const p99Sec: number[] = [];
  const meanSec: number[] = [];
  run.intervals.forEach((interval, index) => {
    if (interval.warmup) return;
    const merged = LatencyHistogram.merge(Object.values(interval.requests).map((request) => LatencyHistogram.decode(request.latency)));
    if (merged.count === 0) return;
    indices.push(index);
    p99Sec.push(merged.percentileUs(99) / 1e6);
    meanSec.push(merged.meanUs / 1e6);
  });
  return { indices, p99Sec, meanSec };
}

/** The values of the measured intervals (finite ones only). */
export function measured(values: readonly (number | null)[] | undefined, client: ClientLatency): number[] {
  return client.indices.map((index) => values?.[index]).filter((value): value is number => value !== null && value !== undefined && Number.isFinite(value));
}

/** The series of one source, and a lookup by metric name. */
export function seriesOfSource(signals: Signals, source: string): { series: SignalSeries[]; find: (metric: string) => SignalSeries | undefined } {
  const series = signals.series.filter((item) => item.source === source);
  return { series, find: (metric) => series.find((item) => item.metric === metric) };
}
