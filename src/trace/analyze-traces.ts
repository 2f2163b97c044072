/**
 * Trace analysis entry point (pure): spans in, `TraceAnalysis` out — trees, critical paths, tier
 * decomposition of the p50 and p99 cohorts, detector findings ranked by predicted saving (low-confidence
 * findings after the others), and one
 * exemplar slow trace for the report's waterfall.
 */
import type { TraceSample } from '../core/run-file.js';
import { criticalPath, criticalPathDurationNs, criticalPathTimeByOperation, criticalPathTimeByService } from './critical-path.js';
import { ALL_DETECTORS } from './detectors/all-detectors.js';
import { DEFAULT_THRESHOLDS, type AnalysedTrace, type Detector, type DetectorContext, type DetectorThresholds, type Finding } from './detectors/detector.js';
import { isBefore2000, type Span } from './span.js';
import { buildTraceTrees } from './span-tree.js';
import { inferSerialDatabase } from './serial-database.js';
import { meanTiers, TIERS, traceTiers } from './tiers.js';
import { TRACE_ANALYSIS_VERSION, type TraceAnalysis } from './trace-analysis.js';

export interface AnalyzeTracesOptions {
  /** The run file's trace samples: their latency (client side) is joined by trace id. */
  samples?: readonly TraceSample[];
  thresholds?: Partial<DetectorThresholds>;
  /** Detectors to run (default: all). */
  detectors?: readonly Detector[];
  /** Which cohort's predicted saving ranks the findings (default p99). */
  rankBy?: 'p50' | 'p99';
  /** Spans kept in the exemplar (default 300). */
  exemplarMaxSpans?: number;
  /**
   * The database serves one statement at a time (embedded, one shared connection, single-threaded): predictions
   * count the waits a fix takes off every other call (serial-database.ts). Default false.
   */
  serialDatabase?: boolean;
  /**
   * Every span of the window when `spans` are a part of it (one request type's traces): the serial database's queue
   * is inferred from all of them, as the other requests' calls queue there too. Default: `spans`.
   */
  windowSpans?: readonly Span[];
}

const P50_LOW = 0.45;
const P50_HIGH = 0.55;
const P99 = 0.99;

/** Cohorts by latency rank: p50 = ranks in the 45th–55th percentile, p99 = ranks at or above the 99th. */
export function latencyCohorts(traces: readonly AnalysedTrace[]): { p50: AnalysedTrace[]; p99: AnalysedTrace[] } {
  const sorted = [...traces].sort((a, b) => a.latencyUs - b.latencyUs || (a.tree.traceId < b.tree.traceId ? -1 : 1));
  const last = sorted.length - 1;
  if (last < 0) return { p50: [], p99: [] };
  const p50 = sorted.slice(Math.floor(P50_LOW * last), Math.ceil(P50_HIGH * last) + 1);
  const p99 = sorted.slice(Math.floor(P99 * last));
  return { p50, p99 };
}

export function analyzeTraces(spans: readonly Span[], options: AnalyzeTracesOptions = {}): TraceAnalysis {
  const thresholds: DetectorThresholds = { ...DEFAULT_THRESHOLDS, ...options.thresholds };
  const clientLatencyUs = new Map<string, number>();
  const clientSpanIds = new Set<string>();
  for (const sample of options.samples ?? []) {
    clientLatencyUs.set(sample.traceId, sample.latencyUs);
    clientSpanIds.add(sample.spanId);
  }

  const trees = buildTraceTrees(spans);
  const traces: AnalysedTrace[] = [];
  let duplicateSpans = 0;
  let orphanSpans = 0;
  let skewAdjustedSpans = 0;
  let serverOutlivesClientSpans = 0;
  let implausibleTimeSpans = 0;
  let tracesWithClientLatency = 0;
  for (const span of spans) if (isBefore2000(span)) implausibleTimeSpans++;
  for (const tree of trees) {
    duplicateSpans += tree.duplicateSpans;
    orphanSpans += tree.orphanSpans;
    // A root whose parent is the load generator's own (unexported) client span is expected, not an orphan.
    for (const root of tree.roots) if (root.span.parentSpanId !== undefined && clientSpanIds.has(root.span.parentSpanId)) orphanSpans--;
    skewAdjustedSpans += tree.skewAdjustments.length;
    serverOutlivesClientSpans += tree.outlivingServerSpans;
    implausibleTimeSpans += tree.negativeDurationSpans;
    const path = criticalPath(tree);
    const onPath = new Set<string>();
    for (const section of path.sections) onPath.add(section.spanId);
    const client = clientLatencyUs.get(tree.traceId);
    if (client !== undefined) tracesWithClientLatency++;
    traces.push({ tree, path, onPath, latencyUs: client ?? criticalPathDurationNs(path) / 1e3 });
  }

  const cohorts = latencyCohorts(traces);
  const context: DetectorContext = {
    traces,
    cohorts: { p50: new Set(cohorts.p50.map((trace) => trace.tree.traceId)), p99: new Set(cohorts.p99.map((trace) => trace.tree.traceId)) },
    thresholds,
    ...(options.serialDatabase ? { serialDatabase: inferSerialDatabase(options.windowSpans ? buildTraceTrees(options.windowSpans) : trees) } : {}),
  };
  const rankBy = options.rankBy ?? 'p99';
  const other = rankBy === 'p99' ? 'p50' : 'p99';
  const findings: Finding[] = (options.detectors ?? ALL_DETECTORS)
    .flatMap((detector) => detector.detect(context))
    .filter((finding) => finding.shareOfRequests >= thresholds.minShareOfRequests)
    // Uncertain findings (a possibly dependent pipeline) rank below every certain one, then by saving.
    .sort(
      (a, b) =>
        Number(a.confidence?.level === 'low') - Number(b.confidence?.level === 'low') ||
        b.predictedSavingUs[rankBy] - a.predictedSavingUs[rankBy] ||
        b.predictedSavingUs[other] - a.predictedSavingUs[other] ||
        b.shareOfRequests - a.shareOfRequests,
    );

  const paths = traces.map((trace) => trace.path);
  const byOperation = criticalPathTimeByOperation(paths);
  const totalNs = byOperation.reduce((sum, entry) => sum + entry.timeNs, 0);
  const share = (ns: number): number => (totalNs === 0 ? 0 : Math.round((ns / totalNs) * 10_000) / 10_000);

  const cohort = (name: 'p50' | 'p99', members: AnalysedTrace[]) => {
    const tiers = meanTiers(members.map((trace) => traceTiers(trace.tree, trace.path, clientLatencyUs.get(trace.tree.traceId))));
    return {
      cohort: name,
      latencyUs: Math.round(members[0]?.latencyUs ?? 0),
      traces: members.length,
      tiers: TIERS.map((tier) => ({ tier, us: tiers[tier] })),
    };
  };

  const analysis: TraceAnalysis = {
    version: TRACE_ANALYSIS_VERSION,
    traceCount: trees.length,
    spanCount: spans.length,
    duplicateSpans,
    orphanSpans,
    skewAdjustedSpans,
    serverOutlivesClientSpans,
    implausibleTimeSpans,
    tracesWithClientLatency,
    criticalPath: {
      byService: criticalPathTimeByService(paths).map((entry) => ({ service: entry.service, timeUs: Math.round(entry.timeNs / 1e3), share: share(entry.timeNs) })),
      byOperation: byOperation.map((entry) => ({ service: entry.service, operation: entry.operation, timeUs: Math.round(entry.timeNs / 1e3), share: share(entry.timeNs) })),
    },
    cohorts: traces.length === 0 ? [] : [cohort('p50', cohorts.p50), cohort('p99', cohorts.p99)],
    findings,
  };
  const exemplar = cohorts.p99[0];
  if (exemplar !== undefined) analysis.exemplar = exemplarOf(exemplar, options.exemplarMaxSpans ?? 300);
  return analysis;
}

function exemplarOf(trace: AnalysedTrace, maxSpans: number): NonNullable<TraceAnalysis['exemplar']> {
  const startNs = trace.path.startNs;
  const nodes = [...trace.tree.byId.values()].sort((a, b) => a.startNs - b.startNs);
  // Keep every critical span, then the earliest others, so the waterfall always shows the path.
  const kept = nodes.filter((node) => trace.onPath.has(node.span.spanId));
  for (const node of nodes) {
    if (kept.length >= maxSpans) break;
    if (!trace.onPath.has(node.span.spanId)) kept.push(node);
  }
  kept.sort((a, b) => a.startNs - b.startNs);
  const round = (ns: number): number => Math.round(ns) / 1e3;
  return {
    traceId: trace.tree.traceId,
    latencyUs: Math.round(trace.latencyUs),
    spans: kept.map((node) => ({
      spanId: node.span.spanId,
      ...(node.span.parentSpanId !== undefined ? { parentSpanId: node.span.parentSpanId } : {}),
      name: node.span.name,
      service: node.span.service,
      kind: node.span.kind,
      status: node.span.status,
      startUs: round(node.startNs - startNs),
      durationUs: round(node.endNs - node.startNs),
      critical: trace.onPath.has(node.span.spanId),
    })),
    criticalPathSpanIds: [...trace.onPath],
    criticalPath: trace.path.sections.map((section) => ({ spanId: section.spanId, startUs: round(section.startNs - startNs), endUs: round(section.endNs - startNs) })),
    truncatedSpans: nodes.length - kept.length,
  };
}
