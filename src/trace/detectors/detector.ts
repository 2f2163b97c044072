/**
 * The shared detector contract: a detector looks at analysed traces and returns findings, each with the
 * evidence that triggered it and a predicted saving computed by re-timing the affected traces as if fixed.
 */
import type { SerialDatabase } from '../serial-database.js';
import type { CriticalPath } from '../critical-path.js';
import type { SpanNode, TraceTree } from '../span-tree.js';

export type ConfidenceLevel = 'high' | 'medium' | 'low';

/** How sure a finding is, and why: the facts that raise or lower it. */
export interface Confidence {
  level: ConfidenceLevel;
  because: string[];
}

export interface Finding {
  detector: string;
  title: string;
  where: { service: string; operation: string };
  evidence: {
    /** Exact counts that triggered the finding (e.g. `repeats`, `traces`). */
    counts: Record<string, number>;
    exampleTraceIds: string[];
    exampleSpanIds: string[];
    /** Extra facts (e.g. the normalised statement, the target). */
    details: Record<string, string | number>;
  };
  /** Share of analysed requests (traces) showing the problem, 0..1. */
  shareOfRequests: number;
  /** Every trace showing the problem (the affected population; a fix is validated on these requests). */
  affectedTraceIds?: string[];
  /** Mean saving per request in the p50 and p99 cohorts, µs, from re-timing the traces as if fixed. */
  predictedSavingUs: { p50: number; p99: number };
  fix: string;
  tradeOff: string;
  /** How sure the finding is and the evidence for it (absent in analyses written before it existed). */
  confidence?: Confidence;
}

/** One analysed trace. */
export interface AnalysedTrace {
  tree: TraceTree;
  path: CriticalPath;
  /** Span ids on the critical path. */
  onPath: Set<string>;
  /** End-to-end latency, µs: the client's when known, else the critical path's length. */
  latencyUs: number;
}

export interface DetectorThresholds {
  /** N+1: minimum repeats of one normalised statement under one parent. */
  nPlusOneMinRepeats: number;
  /** Sequential calls: minimum non-overlapping sibling client calls in a chain. */
  sequentialMinCalls: number;
  /** Repeated reads: minimum traces containing the identical read. */
  repeatedReadMinTraces: number;
  /** Repeated reads: minimum share of traces containing the identical read. */
  repeatedReadMinShare: number;
  /** Slow query threshold, ms. */
  slowQueryMs: number;
  /** What a fixed slow query is assumed to take, ms (an indexed lookup). */
  slowQueryTargetMs: number;
  /** Connection per request: minimum share of traces with a connect span on the critical path. */
  connectMinShare: number;
  /** Serialisation: minimum spans of one operation to judge overlap. */
  serialisationMinSpans: number;
  /** Large payload threshold, bytes. */
  largePayloadBytes: number;
  /** What a payload is assumed to carry once fixed (paginated, fields selected), bytes: a page of summaries. */
  largePayloadTargetBytes: number;
  /** Findings affecting fewer traces than this share are dropped (noise). */
  minShareOfRequests: number;
}

export const DEFAULT_THRESHOLDS: DetectorThresholds = {
  nPlusOneMinRepeats: 5,
  sequentialMinCalls: 3,
  repeatedReadMinTraces: 10,
  repeatedReadMinShare: 0.2,
  slowQueryMs: 50,
  slowQueryTargetMs: 1,
  connectMinShare: 0.5,
  serialisationMinSpans: 10,
  largePayloadBytes: 256 * 1024,
  largePayloadTargetBytes: 16 * 1024,
  minShareOfRequests: 0,
};

export interface DetectorContext {
  traces: AnalysedTrace[];
  /** Trace ids of the p50 cohort (around the median latency) and the p99 cohort. */
  cohorts: { p50: ReadonlySet<string>; p99: ReadonlySet<string> };
  thresholds: DetectorThresholds;
  /**
   * Set when the database serves one statement at a time: its queue over the whole window, so a prediction counts
   * the waits a fix takes off every other call (predict-saving.ts).
   */
  serialDatabase?: SerialDatabase;
}

export interface Detector {
  name: string;
  detect(context: DetectorContext): Finding[];
}

/** Every node of a tree (in arrival order). */
export function nodesOf(tree: TraceTree): Iterable<SpanNode> {
  return tree.byId.values();
}
