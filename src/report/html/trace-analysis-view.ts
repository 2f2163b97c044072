/**
 * What the report shows of `traces.analysis`: tier decomposition of the p50 and p99 cohorts, ranked
 * findings, and the exemplar slow trace. The run-file schema leaves `analysis` opaque (owned by
 * src/trace/); this adapter reads it tolerantly so an unknown or newer shape degrades to a note, never
 * a broken report.
 */
import { z } from 'zod';

export interface TierShareView {
  tier: string;
  /** Time attributed to the tier on the critical path, µs (cohort mean). */
  us: number;
}

export interface CohortView {
  /** e.g. `p50`, `p99`. */
  cohort: string;
  latencyUs: number;
  traces: number;
  tiers: TierShareView[];
}

export interface FindingView {
  title: string;
  where: string;
  evidence: string;
  /** Share of requests affected, 0..1. */
  share: number;
  predictedSavingUs: number;
  fix: string;
  tradeOff: string;
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
}

export interface ExemplarView {
  traceId: string;
  latencyUs: number;
  spans: WaterfallSpanView[];
}

export interface TraceAnalysisView {
  cohorts: CohortView[];
  findings: FindingView[];
  exemplar?: ExemplarView;
}

const num = z.number().finite();
const cohortSchema = z.object({
  cohort: z.string(),
  latencyUs: num.default(0),
  traces: num.default(0),
  tiers: z.array(z.object({ tier: z.string(), us: num })),
});
const findingSchema = z.object({
  title: z.string(),
  where: z.string().default(''),
  evidence: z.string().default(''),
  share: num.default(0),
  predictedSavingUs: num.default(0),
  fix: z.string().default(''),
  tradeOff: z.string().default(''),
});
const spanSchema = z.object({
  spanId: z.string(),
  parentSpanId: z.string().optional(),
  name: z.string(),
  service: z.string().default(''),
  startUs: num,
  durationUs: num.nonnegative(),
  critical: z.boolean().default(false),
});
const analysisSchema = z.object({
  cohorts: z.array(cohortSchema).default([]),
  findings: z.array(findingSchema).default([]),
  exemplar: z.object({ traceId: z.string(), latencyUs: num, spans: z.array(spanSchema) }).optional(),
});

export type TraceAnalysisReading = { kind: 'ok'; view: TraceAnalysisView } | { kind: 'unrecognised'; reason: string };

export function readTraceAnalysis(analysis: Record<string, unknown>): TraceAnalysisReading {
  const parsed = analysisSchema.safeParse(analysis);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { kind: 'unrecognised', reason: `${issue?.path.join('.') ?? '(root)'}: ${issue?.message ?? 'invalid'}` };
  }
  const view: TraceAnalysisView = {
    cohorts: parsed.data.cohorts,
    // Ranked by predicted saving: the first finding is the one to fix first.
    findings: [...parsed.data.findings].sort((a, b) => b.predictedSavingUs - a.predictedSavingUs),
  };
  if (parsed.data.exemplar) view.exemplar = parsed.data.exemplar;
  return { kind: 'ok', view };
}
