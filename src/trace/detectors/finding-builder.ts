/**
 * Accumulates one finding's evidence across traces (affected traces, example spans, counts, the re-timing
 * plan per trace) and turns it into a `Finding` with a predicted saving.
 */
import { predictSavingUs } from '../predict-saving.js';
import type { RetimePlan } from '../retime-trace.js';
import type { Confidence, DetectorContext, Finding } from './detector.js';

const MAX_EXAMPLES = 5;

interface MutablePlan {
  remove: Set<string>;
  durationNs: Map<string, number>;
  trimTailShare: Map<string, number>;
  parallel: string[][];
}

/** What detectors write into a plan. */
export interface PlanWriter {
  remove: Pick<Set<string>, 'add'>;
  durationNs: Pick<Map<string, number>, 'set'>;
  trimTailShare: Pick<Map<string, number>, 'set'>;
  parallel: Pick<string[][], 'push'>;
}

/** Plans of traces outside both cohorts are never re-timed: writing them is discarded, not stored (serial database aside). */
const DISCARD: PlanWriter = {
  remove: { add: () => new Set<string>() },
  durationNs: { set: () => new Map<string, number>() },
  trimTailShare: { set: () => new Map<string, number>() },
  parallel: { push: () => 0 },
};

export class FindingBuilder {
  readonly traceIds = new Set<string>();
  readonly exampleSpanIds: string[] = [];
  readonly counts: Record<string, number> = {};
  readonly details: Record<string, string | number> = {};
  private readonly plans = new Map<string, MutablePlan>();

  constructor(
    readonly detector: string,
    readonly service: string,
    readonly operation: string,
    /** When given, only plans of traces in the p50 or p99 cohort are kept (the only ones re-timed). */
    private readonly context?: DetectorContext,
  ) {}

  /** Records that trace `traceId` shows the problem, at span `spanId`. */
  hit(traceId: string, spanId: string): void {
    this.traceIds.add(traceId);
    if (this.exampleSpanIds.length < MAX_EXAMPLES && !this.exampleSpanIds.includes(spanId)) this.exampleSpanIds.push(spanId);
  }

  add(count: string, amount = 1): void {
    this.counts[count] = (this.counts[count] ?? 0) + amount;
  }

  max(count: string, value: number): void {
    this.counts[count] = Math.max(this.counts[count] ?? Number.NEGATIVE_INFINITY, value);
  }

  plan(traceId: string): PlanWriter {
    // A serial database's queue needs every trace's plan: the work taken off it anywhere shortens the cohorts' waits.
    const retimedOnly = this.context !== undefined && this.context.serialDatabase === undefined;
    if (retimedOnly && !this.context?.cohorts.p50.has(traceId) && !this.context?.cohorts.p99.has(traceId)) return DISCARD;
    let plan = this.plans.get(traceId);
    if (plan === undefined) {
      plan = { remove: new Set(), durationNs: new Map(), trimTailShare: new Map(), parallel: [] };
      this.plans.set(traceId, plan);
    }
    return plan;
  }

  /** The finding; confidence defaults to high, backed by how many requests showed the signature. */
  build(context: DetectorContext, text: { title: string; fix: string; tradeOff: string }, confidence?: Confidence): Finding {
    const plans = new Map<string, RetimePlan>(this.plans);
    this.counts.traces = this.traceIds.size;
    return {
      detector: this.detector,
      title: text.title,
      where: { service: this.service, operation: this.operation },
      evidence: {
        counts: { ...this.counts },
        exampleTraceIds: [...this.traceIds].slice(0, MAX_EXAMPLES),
        exampleSpanIds: [...this.exampleSpanIds],
        details: { ...this.details },
      },
      shareOfRequests: context.traces.length === 0 ? 0 : this.traceIds.size / context.traces.length,
      affectedTraceIds: [...this.traceIds],
      predictedSavingUs: predictSavingUs(context, plans),
      fix: text.fix,
      tradeOff: text.tradeOff,
      confidence: confidence ?? { level: 'high', because: [`seen in ${this.traceIds.size} of ${context.traces.length} requests`] },
    };
  }
}

/** Gets or creates the builder for `key`. */
export function builderFor(map: Map<string, FindingBuilder>, key: string, create: () => FindingBuilder): FindingBuilder {
  let builder = map.get(key);
  if (builder === undefined) {
    builder = create();
    map.set(key, builder);
  }
  return builder;
}
