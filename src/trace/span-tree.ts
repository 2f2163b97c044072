/**
 * Span trees: one per trace, robust to the defects real traces have — orphans (parent never arrived: the
 * span becomes a root), several roots, duplicate span ids (first kept, rest counted), parent cycles
 * (broken, the span becomes a root), children outside their parent (clipped by the critical path, as
 * Jaeger does), client/server clock skew, and server spans that outlive their client span.
 *
 * Times on nodes are `number` nanoseconds relative to the trace's earliest start (`originNs`): exact for
 * traces shorter than ~104 days, and far cheaper than bigint arithmetic in the hot analysis loops.
 */
import type { Span } from './span.js';

export interface SpanNode {
  span: Span;
  /** Start, ns after the tree's originNs (after any skew adjustment). */
  startNs: number;
  endNs: number;
  parent: SpanNode | undefined;
  children: SpanNode[];
  /**
   * Work the parent does not wait for: a consumer span, anything under a producer span, or a follows-from
   * link. Never on the parent's critical path. (A child that merely ends after its parent is not async:
   * like Jaeger, the critical path truncates it to its parent.)
   */
  async: boolean;
  /**
   * The span's service records millisecond-granular timestamps in this trace (OpenTelemetry JS takes span
   * starts from Date.now()), so apparent overlaps of up to a millisecond with it are clock granularity.
   */
  coarse: boolean;
}

/**
 * Millisecond-granular timestamps (OpenTelemetry JS takes span starts from Date.now() and ends from a
 * sub-millisecond timer) make a call that started right after its predecessor ended appear to overlap it
 * by up to a millisecond. For spans of a service whose timestamps are coarse, overlaps up to this much —
 * and at most a quarter of the earlier span's duration, so genuinely parallel short calls stay parallel —
 * count as sequential. Microsecond-exact timestamps get no tolerance: a 5 µs overlap is an overlap.
 */
export const CLOCK_TOLERANCE_NS = 1e6;

/** How much a coarse-clock span of `durationNs` may appear to overlap its successor and still count as before it. */
export function overlapToleranceNs(durationNs: number): number {
  return Math.min(CLOCK_TOLERANCE_NS, durationNs / 4);
}

/** The overlap tolerance for `node`: zero unless its timestamps are millisecond-granular. */
export function nodeToleranceNs(node: SpanNode): number {
  return node.coarse ? overlapToleranceNs(node.endNs - node.startNs) : 0;
}

/**
 * Work its parent did not wait for: async (consumer, under a producer, follows-from), or a child that
 * outlives its parent by more than a millisecond (fired and forgotten). The critical path truncates the
 * latter as Jaeger does; detectors that judge what a request waited for leave both out.
 */
export function notAwaited(node: SpanNode): boolean {
  return node.async || (node.parent !== undefined && node.endNs > node.parent.endNs + CLOCK_TOLERANCE_NS);
}

/** A service's timestamps in a trace are coarse when at least this share of them (and two) are whole milliseconds. */
const COARSE_SHARE = 0.2;

/** Services whose span timestamps in this trace are millisecond-granular. */
function coarseServices(spans: readonly Span[]): Set<string> {
  const whole = new Map<string, number>();
  const total = new Map<string, number>();
  for (const span of spans) {
    let count = 0;
    if (span.startNs % 1_000_000n === 0n) count++;
    if (span.endNs % 1_000_000n === 0n) count++;
    whole.set(span.service, (whole.get(span.service) ?? 0) + count);
    total.set(span.service, (total.get(span.service) ?? 0) + 2);
  }
  const coarse = new Set<string>();
  for (const [service, count] of whole) if (count >= 2 && count >= COARSE_SHARE * (total.get(service) ?? 0)) coarse.add(service);
  return coarse;
}

export interface SkewAdjustment {
  spanId: string;
  /** Shift applied to the span and its subtree, ns (positive = later). */
  shiftNs: number;
}

export interface TraceTree {
  traceId: string;
  originNs: bigint;
  roots: SpanNode[];
  byId: Map<string, SpanNode>;
  /** Spans dropped because their id repeated an earlier span's. */
  duplicateSpans: number;
  /** Spans whose parent is absent from the trace (treated as roots). */
  orphanSpans: number;
  skewAdjustments: SkewAdjustment[];
  /**
   * Server spans that start inside their client span but end after it (or run on the client's host):
   * instrumentation order (the server ends its span after sending the response), not clock skew — left
   * in place and truncated to the client span by the critical path.
   */
  outlivingServerSpans: number;
  /** Spans that end before they start (kept as instantaneous, counted). */
  negativeDurationSpans: number;
}

/** Groups spans by trace id, keeping arrival order within each trace. */
export function groupByTrace(spans: readonly Span[]): Map<string, Span[]> {
  const traces = new Map<string, Span[]>();
  for (const span of spans) {
    const list = traces.get(span.traceId);
    if (list) list.push(span);
    else traces.set(span.traceId, [span]);
  }
  return traces;
}

function shiftSubtree(node: SpanNode, shiftNs: number): void {
  const stack = [node];
  while (stack.length > 0) {
    const current = stack.pop()!;
    current.startNs += shiftNs;
    current.endNs += shiftNs;
    for (const child of current.children) stack.push(child);
  }
}

/**
 * Jaeger's clock-skew adjuster: a server span that is not inside its client parent ran on a host whose clock
 * differs, so the server subtree is moved to the middle of the client span (its start to the client's start
 * when it is longer than the client span). Not skew, and left alone: the two spans ran on one host, or the
 * server span starts inside the client span and only its end overflows (the server ended its span after
 * sending the response) — those are counted as server spans outliving their client span.
 */
function adjustSkew(roots: SpanNode[], adjustments: SkewAdjustment[]): number {
  let outliving = 0;
  const stack = [...roots];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const parent = node.parent;
    if (
      parent !== undefined &&
      parent.span.kind === 'client' &&
      node.span.kind === 'server' &&
      (node.startNs < parent.startNs || node.endNs > parent.endNs)
    ) {
      const sameHost = node.span.host !== undefined && node.span.host === parent.span.host;
      const startsInside = node.startNs >= parent.startNs && node.startNs <= parent.endNs;
      if (sameHost || startsInside) {
        if (node.endNs > parent.endNs) outliving++;
      } else {
        const parentDurationNs = parent.endNs - parent.startNs;
        const durationNs = node.endNs - node.startNs;
        const targetStartNs = durationNs <= parentDurationNs ? parent.startNs + Math.floor((parentDurationNs - durationNs) / 2) : parent.startNs;
        const shiftNs = targetStartNs - node.startNs;
        if (shiftNs !== 0) {
          shiftSubtree(node, shiftNs);
          adjustments.push({ spanId: node.span.spanId, shiftNs });
        }
      }
    }
    for (const child of node.children) stack.push(child);
  }
  return outliving;
}

function isAsyncChild(node: SpanNode, parent: SpanNode, followsFrom: boolean): boolean {
  return followsFrom || node.span.kind === 'consumer' || parent.span.kind === 'producer';
}

/** Builds the tree of one trace's spans (all spans must share one trace id). */
export function buildTraceTree(spans: readonly Span[]): TraceTree {
  const first = spans[0];
  const traceId = first?.traceId ?? '';
  let originNs = first?.startNs ?? 0n;
  for (const span of spans) if (span.startNs < originNs) originNs = span.startNs;

  const coarse = coarseServices(spans);
  const byId = new Map<string, SpanNode>();
  const nodes: SpanNode[] = [];
  let duplicateSpans = 0;
  let negativeDurationSpans = 0;
  for (const span of spans) {
    if (byId.has(span.spanId)) {
      duplicateSpans++;
      continue;
    }
    const startNs = Number(span.startNs - originNs);
    // A span that ends before it starts is treated as instantaneous rather than negative, and counted.
    if (span.endNs < span.startNs) negativeDurationSpans++;
    const endNs = span.endNs < span.startNs ? startNs : Number(span.endNs - originNs);
    const node: SpanNode = { span, startNs, endNs, parent: undefined, children: [], async: false, coarse: coarse.has(span.service) };
    byId.set(span.spanId, node);
    nodes.push(node);
  }

  let roots: SpanNode[] = [];
  let orphanSpans = 0;
  const followsFrom = new Set<SpanNode>();
  for (const node of nodes) {
    const parentId = node.span.parentSpanId;
    let parent = parentId !== undefined && parentId !== node.span.spanId ? byId.get(parentId) : undefined;
    if (parentId === undefined) {
      // A root that follows from a span of the same trace (Jaeger FOLLOWS_FROM) hangs under it, off its path.
      const link = node.span.links.find((candidate) => candidate.traceId === traceId && byId.has(candidate.spanId));
      if (link !== undefined && link.spanId !== node.span.spanId) {
        parent = byId.get(link.spanId);
        if (parent !== undefined) followsFrom.add(node);
      }
    } else if (parent === undefined) {
      orphanSpans++;
    }
    if (parent === undefined) {
      roots.push(node);
    } else {
      node.parent = parent;
      parent.children.push(node);
    }
  }

  // Parent cycles leave nodes unreachable from any root: break each cycle by promoting one node to a root.
  // Counting first avoids a visited-set allocation for the (usual) acyclic trace: a walk from the roots
  // cannot loop, because every node has at most one parent.
  let reachable = 0;
  const stack: SpanNode[] = [...roots];
  while (stack.length > 0) {
    const current = stack.pop()!;
    reachable++;
    for (const child of current.children) stack.push(child);
  }
  if (reachable < nodes.length) {
    const reached = new Set<SpanNode>();
    const visit = (start: SpanNode): void => {
      const pending = [start];
      while (pending.length > 0) {
        const current = pending.pop()!;
        if (reached.has(current)) continue;
        reached.add(current);
        for (const child of current.children) pending.push(child);
      }
    };
    for (const root of roots) visit(root);
    for (const node of nodes) {
      if (reached.has(node) || node.parent === undefined) continue;
      const siblings = node.parent.children;
      siblings.splice(siblings.indexOf(node), 1);
      node.parent = undefined;
      roots.push(node);
      visit(node);
    }
  }

  const skewAdjustments: SkewAdjustment[] = [];
  const outlivingServerSpans = adjustSkew(roots, skewAdjustments);
  if (skewAdjustments.length > 0) {
    // A shift can move spans before the origin; re-base so relative times stay non-negative.
    let minStartNs = 0;
    for (const node of nodes) if (node.startNs < minStartNs) minStartNs = node.startNs;
    if (minStartNs < 0) {
      for (const node of nodes) {
        node.startNs -= minStartNs;
        node.endNs -= minStartNs;
      }
      originNs += BigInt(minStartNs);
    }
  }

  for (const node of nodes) {
    if (node.children.length > 1) node.children.sort((a, b) => a.startNs - b.startNs || a.endNs - b.endNs);
    if (node.parent !== undefined) node.async = isAsyncChild(node, node.parent, followsFrom.has(node));
  }
  roots = roots.sort((a, b) => a.startNs - b.startNs || a.endNs - b.endNs);
  return { traceId, originNs, roots, byId, duplicateSpans, orphanSpans, skewAdjustments, outlivingServerSpans, negativeDurationSpans };
}

/** Builds one tree per trace id. */
export function buildTraceTrees(spans: readonly Span[]): TraceTree[] {
  const trees: TraceTree[] = [];
  for (const traceSpans of groupByTrace(spans).values()) trees.push(buildTraceTree(traceSpans));
  return trees;
}

/** End-to-end extent of a tree: earliest root start to latest root end, ns relative to originNs. */
export function traceExtentNs(tree: TraceTree): { startNs: number; endNs: number } {
  let startNs = Number.POSITIVE_INFINITY;
  let endNs = Number.NEGATIVE_INFINITY;
  for (const root of tree.roots) {
    if (root.startNs < startNs) startNs = root.startNs;
    if (root.endNs > endNs) endNs = root.endNs;
  }
  return Number.isFinite(startNs) ? { startNs, endNs } : { startNs: 0, endNs: 0 };
}
