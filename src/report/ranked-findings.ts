/**
 * One ranking of every finding of a run (pure): trace findings and signal findings on one scale, the client's
 * p99 in microseconds that the finding accounts for.
 * - A trace finding's value is its predicted p99 saving: the affected traces re-timed as if fixed, averaged
 *   over the p99 cohort (src/trace/predict-saving.ts).
 * - A signal finding's value is its `explainedP99Us`: the share of the client p99's variation over the measured
 *   intervals that the signal explains (r²), times how far the p99 rose above its best interval on average
 *   (src/signals/signal-findings.ts) — the p99 that would come back if the resource stopped moving.
 * Both say "this much p99 is this finding's"; the first from the traces' structure, the second from time
 * correlation, and the basis is shown beside each value.
 * - A kv-lab run's kv findings (src/signals/kv-findings.ts) name a culprit and a node by comparing each member with
 *   its peers; they carry no p99 share, so they come first, in the kv diagnosis's own order (causes, then possible
 *   consequences, then stalls; by how far past the threshold), without a value on the p99 scale.
 */
import type { KvFinding, RunFile, SignalFinding } from '../core/run-file.js';
import { clientLatency } from '../signals/signal-detector.js';
import { p99RiseUs } from '../signals/signal-findings.js';
import { terminalSafe } from '../core/terminal-safe.js';
import { formatUs } from '../core/units.js';
import { traceAnalysisSchema, type TraceAnalysis } from '../trace/trace-analysis.js';

export interface RankedFinding {
  rank: number;
  origin: 'trace' | 'signal' | 'kv';
  /** Trace detector name, signal finding kind, or kv culprit. */
  kind: string;
  /** Where: service and operation, the resource in words, or the kv node (`leader kv0`, `app tier`). */
  where: string;
  title: string;
  evidence: string;
  /** The common scale: p99 µs the finding accounts for (absent for kv findings: they are not on it). */
  p99Us?: number;
  /** How `p99Us` was obtained, or how a kv finding was ranked. */
  basis: 'predicted saving (traces re-timed as if fixed)' | 'explained by correlation over intervals' | typeof KV_BASIS;
  confidence?: 'high' | 'medium' | 'low';
  fix: string;
  tradeOff: string;
}

type TraceFinding = TraceAnalysis['findings'][number];

function fromTrace(finding: TraceFinding): Omit<RankedFinding, 'rank'> {
  const counts = Object.entries(finding.evidence.counts).map(([key, value]) => `${key}=${value}`).join(', ');
  return {
    origin: 'trace',
    kind: finding.detector,
    where: `${finding.where.service} ${finding.where.operation}`,
    title: finding.title,
    evidence: `${(finding.shareOfRequests * 100).toFixed(0)}% of requests${counts ? `; ${counts}` : ''}`,
    p99Us: Math.max(0, finding.predictedSavingUs.p99),
    basis: 'predicted saving (traces re-timed as if fixed)',
    ...(finding.confidence ? { confidence: finding.confidence.level } : {}),
    fix: finding.fix,
    tradeOff: finding.tradeOff,
  };
}

function fromSignal(finding: SignalFinding, riseUs: number): Omit<RankedFinding, 'rank'> {
  return {
    origin: 'signal',
    kind: finding.kind,
    where: finding.resource,
    title: `${finding.kind}: ${finding.resource}`,
    evidence: `${finding.evidence}; explains ${(finding.explainedShare * 100).toFixed(0)}% of the client p99's variation over intervals (r ${finding.correlation ?? 'n/a'})`,
    // Files written before explainedP99Us existed: the same formula from the run's own intervals.
    p99Us: finding.explainedP99Us ?? Math.round(finding.explainedShare * riseUs),
    basis: 'explained by correlation over intervals',
    fix: finding.fix,
    tradeOff: finding.tradeOff,
  };
}

const KV_BASIS = 'kv diagnosis: the member against its peers (causes first, then how far past the threshold)';

function fromKv(finding: KvFinding): Omit<RankedFinding, 'rank'> {
  return {
    origin: 'kv',
    kind: finding.culprit,
    where: finding.node,
    title: `${finding.culprit} on ${finding.node}`,
    evidence: finding.evidence,
    basis: KV_BASIS,
    fix: `${finding.fix} (kv lab: ${finding.labFix})`,
    tradeOff: finding.tradeOff,
  };
}

const CONFIDENCE_ORDER = { high: 0, medium: 1, low: 2 } as const;

/**
 * Ranks trace and signal findings together: most p99 first; low-confidence trace findings after sure ones of equal
 * value. kv findings (already in the kv diagnosis's order) come before them.
 */
export function rankFindings(traceFindings: readonly TraceFinding[], signalFindings: readonly SignalFinding[], riseUs = 0, kvFindings: readonly KvFinding[] = []): RankedFinding[] {
  const scaled = [...traceFindings.map(fromTrace), ...signalFindings.map((finding) => fromSignal(finding, riseUs))].sort(
    (a, b) => (b.p99Us ?? 0) - (a.p99Us ?? 0) || CONFIDENCE_ORDER[a.confidence ?? 'high'] - CONFIDENCE_ORDER[b.confidence ?? 'high'],
  );
  return [...kvFindings.map(fromKv), ...scaled].map((finding, index) => ({ rank: index + 1, ...finding }));
}

/** The ranking of a run file's stored findings (an unreadable trace analysis contributes none). */
export function rankedFindingsOf(run: RunFile): RankedFinding[] {
  const parsed = run.traces?.analysis ? traceAnalysisSchema.safeParse(run.traces.analysis) : undefined;
  const signalFindings = run.signals?.findings ?? [];
  const riseUs = signalFindings.some((finding) => finding.explainedP99Us === undefined) ? p99RiseUs(clientLatency(run)) : 0;
  return rankFindings(parsed?.success ? parsed.data.findings : [], signalFindings, riseUs, run.signals?.kvFindings ?? []);
}

export function renderRankedFindings(findings: readonly RankedFinding[]): string {
  if (findings.length === 0) return 'Ranked findings: none';
  const lines = ['Ranked findings (trace and signal findings together, by the client p99 they account for; kv findings first):'];
  for (const finding of findings) {
    const confidence = finding.confidence && finding.confidence !== 'high' ? ` (${finding.confidence} confidence)` : '';
    lines.push(`${String(finding.rank).padStart(2)}. ${(finding.p99Us === undefined ? '—' : formatUs(finding.p99Us)).padStart(9)} p99  [${finding.origin}: ${finding.kind}] ${finding.where}${confidence}`);
    lines.push(`      ${finding.basis}; ${finding.evidence}`);
    lines.push(`      fix: ${finding.fix}; trade-off: ${finding.tradeOff}`);
  }
  return terminalSafe(lines.join('\n'));
}
