/**
 * The trace analysis document: what `analyzeTraces` returns and what a run file stores at
 * `traces.analysis`. JSON-serialisable (µs numbers, hex ids; no bigint).
 */
import { z } from 'zod';

export const TRACE_ANALYSIS_VERSION = 1;

const operationTimeSchema = z.object({
  service: z.string(),
  operation: z.string(),
  /** Exclusive critical-path time summed over all traces, µs. */
  timeUs: z.number(),
  /** Share of all critical-path time, 0..1. */
  share: z.number(),
});

const serviceTimeSchema = z.object({ service: z.string(), timeUs: z.number(), share: z.number() });

export const cohortSchema = z.object({
  cohort: z.enum(['p50', 'p99']),
  /** Latency of the cohort's fastest member (the percentile's value), µs. */
  latencyUs: z.number(),
  traces: z.number().int().nonnegative(),
  /** Mean time per tier on the critical path, µs. */
  tiers: z.array(z.object({ tier: z.string(), us: z.number() })),
});

export const findingSchema = z.object({
  detector: z.string(),
  title: z.string(),
  where: z.object({ service: z.string(), operation: z.string() }),
  evidence: z.object({
    counts: z.record(z.string(), z.number()),
    exampleTraceIds: z.array(z.string()),
    exampleSpanIds: z.array(z.string()),
    details: z.record(z.string(), z.union([z.string(), z.number()])),
  }),
  shareOfRequests: z.number().min(0).max(1),
  /** Every trace that shows the problem: the finding's affected population (absent in documents written before it). */
  affectedTraceIds: z.array(z.string()).optional(),
  predictedSavingUs: z.object({ p50: z.number(), p99: z.number() }),
  fix: z.string(),
  tradeOff: z.string(),
  /** How sure the finding is and why (optional: analyses stored before it existed lack it). */
  confidence: z.object({ level: z.enum(['high', 'medium', 'low']), because: z.array(z.string()) }).optional(),
});

export const exemplarSpanSchema = z.object({
  spanId: z.string(),
  parentSpanId: z.string().optional(),
  name: z.string(),
  service: z.string(),
  kind: z.string(),
  status: z.enum(['ok', 'error']),
  /** Offset from the trace's start, µs. */
  startUs: z.number(),
  durationUs: z.number().nonnegative(),
  /** True when any section of the span is on the critical path. */
  critical: z.boolean(),
});

export const traceAnalysisSchema = z.object({
  version: z.literal(TRACE_ANALYSIS_VERSION),
  traceCount: z.number().int().nonnegative(),
  spanCount: z.number().int().nonnegative(),
  duplicateSpans: z.number().int().nonnegative(),
  orphanSpans: z.number().int().nonnegative(),
  /** Server spans moved into their client span because the hosts' clocks differ (Jaeger's adjuster). */
  skewAdjustedSpans: z.number().int().nonnegative(),
  /** Server spans that end after their client span on one host or starting inside it: instrumentation order, not skew. */
  serverOutlivesClientSpans: z.number().int().nonnegative().optional(),
  /** Spans dated before 2000 (kept: often relative test times) or ending before they start (kept as instantaneous). */
  implausibleTimeSpans: z.number().int().nonnegative().optional(),
  /** Traces whose client latency came from the run file's trace samples. */
  tracesWithClientLatency: z.number().int().nonnegative(),
  criticalPath: z.object({ byService: z.array(serviceTimeSchema), byOperation: z.array(operationTimeSchema) }),
  cohorts: z.array(cohortSchema),
  /** Ranked by predicted saving (p99 by default), largest first. */
  findings: z.array(findingSchema),
  exemplar: z
    .object({
      traceId: z.string(),
      latencyUs: z.number(),
      spans: z.array(exemplarSpanSchema),
      criticalPathSpanIds: z.array(z.string()),
      criticalPath: z.array(z.object({ spanId: z.string(), startUs: z.number(), endUs: z.number() })),
      /** Spans left out of `spans` to keep the document small. */
      truncatedSpans: z.number().int().nonnegative(),
    })
    .optional(),
});

export type TraceAnalysis = z.infer<typeof traceAnalysisSchema>;
