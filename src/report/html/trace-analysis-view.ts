/**
 * What the report shows of `traces.analysis` (schema: src/trace/trace-analysis.ts): tier decomposition of the
 * p50 and p99 cohorts, ranked findings, critical-path time by operation, and the exemplar slow trace. The run
 * file keeps `analysis` opaque, so it is validated here; an unknown or newer shape degrades to a note, never
 * a broken report.
 */
import { traceAnalysisSchema, type TraceAnalysis } from '../../trace/trace-analysis.js';

export interface TierShareView {
  tier: string;
  /** Mean time the cohort spends in the tier on the critical path, µs. */
  us: number;
}

export interface CohortView {
  /** `p50` or `p99`. */
  cohort: string;
  latencyUs: number;
  traces: number;
  tiers: TierShareView[];
}

export interface FindingView {
  detector: string;
  title: string;
  /** `service · operation`. */
  where: string;
  /** Counts and details in words, e.g. `queries: 41 · statement: SELECT …`. */
  evidence: string;
  /** Share of requests affected, 0..1. */
  share: number;
  savingP50Us: number;
  savingP99Us: number;
  fix: string;
  tradeOff: string;
  /** `high`, `medium` or `low` (absent in analyses stored before confidence existed). */
  confidence?: string;
  /** Why the confidence is what it is, in words. */
  confidenceBecause?: string;
}

export interface WaterfallSpanView {
  spanId: string;
  parentSpanId?: string;
  name: string;
  service: string;
  /** Offset from the trace's start, µs. */
  startUs: number;
  durationUs: number;
  critical: boolean;
  error: boolean;
}

export interface CriticalSectionView {
  spanId: string;
  startUs: number;
  endUs: number;
}

export interface ExemplarView {
  traceId: string;
  latencyUs: number;
  spans: WaterfallSpanView[];
  /** The sections of spans that make up the critical path (offsets from the trace's start, µs). */
  criticalPath: CriticalSectionView[];
  truncatedSpans: number;
}

export interface OperationTimeView {
  service: string;
  operation: string;
  timeUs: number;
  share: number;
}

export interface TraceAnalysisView {
  traceCount: number;
  spanCount: number;
  cohorts: CohortView[];
  findings: FindingView[];
  byOperation: OperationTimeView[];
  exemplar?: ExemplarView;
}

export type TraceAnalysisReading = { kind: 'ok'; view: TraceAnalysisView } | { kind: 'unrecognised'; reason: string };

function evidenceText(evidence: TraceAnalysis['findings'][number]['evidence']): string {
  const parts = [...Object.entries(evidence.counts), ...Object.entries(evidence.details)].map(([key, value]) => `${key}: ${value}`);
  if (evidence.exampleTraceIds.length > 0) parts.push(`e.g. trace ${evidence.exampleTraceIds.slice(0, 2).join(', ')}`);
  return parts.join(' · ');
}

export function traceAnalysisViewOf(analysis: TraceAnalysis): TraceAnalysisView {
  const view: TraceAnalysisView = {
    traceCount: analysis.traceCount,
    spanCount: analysis.spanCount,
    cohorts: analysis.cohorts,
    // The analysis ranks by p99 saving already; sorting again keeps the report right for any producer.
    findings: analysis.findings
      .map((finding) => ({
        detector: finding.detector,
        title: finding.title,
        where: `${finding.where.service} · ${finding.where.operation}`,
        evidence: evidenceText(finding.evidence),
        share: finding.shareOfRequests,
        savingP50Us: finding.predictedSavingUs.p50,
        savingP99Us: finding.predictedSavingUs.p99,
        fix: finding.fix,
        tradeOff: finding.tradeOff,
        ...(finding.confidence === undefined ? {} : { confidence: finding.confidence.level, confidenceBecause: finding.confidence.because.join('; ') }),
      }))
      // Low-confidence findings (a possibly dependent pipeline) stay below the certain ones.
      .sort((a, b) => Number(a.confidence === 'low') - Number(b.confidence === 'low') || b.savingP99Us - a.savingP99Us),
    byOperation: [...analysis.criticalPath.byOperation].sort((a, b) => b.timeUs - a.timeUs),
  };
  if (analysis.exemplar) {
    view.exemplar = {
      traceId: analysis.exemplar.traceId,
      latencyUs: analysis.exemplar.latencyUs,
      spans: analysis.exemplar.spans.map((span) => ({
        spanId: span.spanId,
        ...(span.parentSpanId === undefined ? {} : { parentSpanId: span.parentSpanId }),
        name: span.name,
        service: span.service,
        startUs: span.startUs,
        durationUs: span.durationUs,
        critical: span.critical,
        error: span.status === 'error',
      })),
      criticalPath: analysis.exemplar.criticalPath,
      truncatedSpans: analysis.exemplar.truncatedSpans,
    };
  }
  return view;
}

export function readTraceAnalysis(analysis: Record<string, unknown>): TraceAnalysisReading {
  const parsed = traceAnalysisSchema.safeParse(analysis);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { kind: 'unrecognised', reason: `${issue?.path.join('.') ?? '(root)'}: ${issue?.message ?? 'invalid'}` };
  }
  return { kind: 'ok', view: traceAnalysisViewOf(parsed.data) };
}
