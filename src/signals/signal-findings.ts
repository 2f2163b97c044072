/**
 * Signal findings (pure): which resource moved when client latency moved. Every detector (all-signal-detectors.ts)
 * proposes findings with their per-interval values; here each proposal gets how much of the client latency p99's
 * variation over the measured intervals it explains (r² of Pearson's r, only when r > 0) — a correlation over
 * intervals, not a guess — and that share turned into microseconds of p99 (`explainedP99Us`, the scale shared
 * with the trace findings' predicted saving; see ranked-findings.ts). Ranked by it, then by how far past the
 * threshold a finding is.
 */
import type { RunFile, SignalFinding } from '../core/run-file.js';
import { ALL_SIGNAL_DETECTORS } from './all-signal-detectors.js';
import { pearson } from './correlation.js';
import { clientLatency, type ClientLatency, type SignalDetector } from './signal-detector.js';

/** The signal and client p99 over the intervals where both exist. */
function correlate(values: readonly (number | null)[], client: ClientLatency): { r: number | null; share: number } {
  const xs: number[] = [];
  const ys: number[] = [];
  client.indices.forEach((index, k) => {
    const value = values[index];
    if (value !== null && value !== undefined && Number.isFinite(value)) {
      xs.push(value);
      ys.push(client.p99Sec[k] ?? 0);
    }
  });
  const r = pearson(xs, ys);
  return { r: r === null ? null : Number(r.toFixed(3)), share: r !== null && r > 0 ? Number((r * r).toFixed(3)) : 0 };
}

/**
 * How far the client p99 rose above its best measured interval, on average, µs: what a resource that explains
 * all of the p99's variation would give back if it stopped moving. A finding's `explainedP99Us` is its share of it.
 */
export function p99RiseUs(client: ClientLatency): number {
  if (client.p99Sec.length === 0) return 0;
  const best = Math.min(...client.p99Sec);
  const mean = client.p99Sec.reduce((a, b) => a + b, 0) / client.p99Sec.length;
  return (mean - best) * 1e6;
}

/** Runs every detector over the run's signals. */
export function detectSignalFindings(run: RunFile, detectors: readonly SignalDetector[] = ALL_SIGNAL_DETECTORS): SignalFinding[] {
  const signals = run.signals;
  if (!signals) return [];
  const client = clientLatency(run);
  const riseUs = p99RiseUs(client);
  const findings = detectors.flatMap((detector) =>
    detector.detect({ run, signals, client }).map((candidate) => {
      const { r, share } = correlate(candidate.values, client);
      return { finding: { ...candidate.finding, correlation: r, explainedShare: share, explainedP99Us: Math.round(share * riseUs) }, severity: candidate.severity };
    }),
  );
  return findings
    .sort((a, b) => b.finding.explainedP99Us - a.finding.explainedP99Us || b.finding.explainedShare - a.finding.explainedShare || b.severity - a.severity)
    .map(({ finding }) => finding);
}
