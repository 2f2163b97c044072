/**
 * Re-times a trace "as if fixed", so a finding's predicted saving comes from re-running the critical path
 * rather than from a guess. Each child is anchored to the sibling that finished last before it started
 * (or to its parent's start) and keeps its gap to that anchor; a parent's end keeps its gap to the last
 * child that finished inside it. Changing one span's time therefore moves exactly the work that waited
 * for it. With an empty plan the re-timed tree equals the original.
 */
import { nodeToleranceNs, type SpanNode, type TraceTree } from './span-tree.js';

export interface RetimePlan {
  /** Spans removed with their subtrees: their time collapses to zero (e.g. a side effect moved to a queue). */
  remove?: ReadonlySet<string>;
  /** New durations, ns, for spans (their subtrees move with their start). */
  durationNs?: ReadonlyMap<string, number>;
  /** Groups of sibling span ids that run concurrently, all starting when the group's first member started. */
  parallel?: ReadonlyArray<readonly string[]>;
  /**
   * Share (0–1) of spans' own time after their last child (all their time when they have none) taken off their end —
   * serialising, sending and parsing a response happen there. Children keep their own re-timing.
   */
  trimTailShare?: ReadonlyMap<string, number>;
}

interface Context {
  remove: ReadonlySet<string>;
  durationNs: ReadonlyMap<string, number>;
  trimTailShare: ReadonlyMap<string, number>;
  groupOf: Map<string, number>;
}

function shifted(node: SpanNode, parent: SpanNode | undefined, shiftNs: number): SpanNode {
  const copy: SpanNode = { span: node.span, startNs: node.startNs + shiftNs, endNs: node.endNs + shiftNs, parent, children: [], async: node.async, coarse: node.coarse };
  for (const child of node.children) copy.children.push(shifted(child, copy, shiftNs));
  return copy;
}

function relayout(node: SpanNode, parent: SpanNode | undefined, newStartNs: number, context: Context): SpanNode {
  const override = context.durationNs.get(node.span.spanId);
  if (override !== undefined) {
    const copy = shifted(node, parent, newStartNs - node.startNs);
    copy.endNs = copy.startNs + override;
    return copy;
  }
  const copy: SpanNode = { span: node.span, startNs: newStartNs, endNs: newStartNs, parent, children: [], async: node.async, coarse: node.coarse };
  const children = node.children;
  const byEnd = [...children].sort((a, b) => a.endNs - b.endNs);
  const newEndOf = new Map<SpanNode, number>();
  const groupEndNs = new Map<number, number>();
  const groupStart = new Map<number, number>();
  let endIndex = 0;
  let predecessor: SpanNode | undefined;

  const effectiveEnd = (sibling: SpanNode): number => {
    const group = context.groupOf.get(sibling.span.spanId);
    return group === undefined ? (newEndOf.get(sibling) ?? sibling.endNs) : (groupEndNs.get(group) ?? newEndOf.get(sibling) ?? sibling.endNs);
  };

  for (const child of children) {
    while (endIndex < byEnd.length && byEnd[endIndex]!.endNs <= child.startNs + nodeToleranceNs(byEnd[endIndex]!)) {
      const candidate = byEnd[endIndex]!;
      if (candidate !== child && newEndOf.has(candidate)) predecessor = candidate;
      endIndex++;
    }
    const group = context.groupOf.get(child.span.spanId);
    let childStartNs: number;
    const firstOfGroup = group === undefined ? undefined : groupStart.get(group);
    if (firstOfGroup !== undefined) {
      childStartNs = firstOfGroup;
    } else {
      const anchorOrigNs = predecessor ? predecessor.endNs : node.startNs;
      const anchorNewNs = predecessor ? effectiveEnd(predecessor) : newStartNs;
      childStartNs = anchorNewNs + (child.startNs - anchorOrigNs);
      if (group !== undefined) groupStart.set(group, childStartNs);
    }
    if (context.remove.has(child.span.spanId)) {
      newEndOf.set(child, childStartNs);
      if (group !== undefined) groupEndNs.set(group, Math.max(groupEndNs.get(group) ?? childStartNs, childStartNs));
      continue;
    }
    const placed = relayout(child, copy, childStartNs, context);
    copy.children.push(placed);
    newEndOf.set(child, placed.endNs);
    if (group !== undefined) groupEndNs.set(group, Math.max(groupEndNs.get(group) ?? placed.endNs, placed.endNs));
  }

  // The parent's end waits for the last synchronous child that finished inside it.
  let last: SpanNode | undefined;
  for (const child of children) if (!child.async && (last === undefined || Math.min(child.endNs, node.endNs) > Math.min(last.endNs, node.endNs))) last = child;
  const tailNs = last === undefined ? node.endNs - node.startNs : node.endNs - last.endNs;
  // A child ending after its parent leaves no tail to trim; a share beyond 1 takes the whole tail.
  const share = Math.min(1, Math.max(0, context.trimTailShare.get(node.span.spanId) ?? 0));
  const keptTailNs = tailNs > 0 ? tailNs - Math.round(tailNs * share) : tailNs;
  copy.endNs = last === undefined ? newStartNs + keptTailNs : Math.max(effectiveEnd(last) + keptTailNs, copy.startNs);
  return copy;
}

/** A re-timed copy of `tree` (spans are shared, nodes are new). */
export function retimeTree(tree: TraceTree, plan: RetimePlan): TraceTree {
  const groupOf = new Map<string, number>();
  (plan.parallel ?? []).forEach((group, index) => {
    for (const spanId of group) groupOf.set(spanId, index);
  });
  const context: Context = { remove: plan.remove ?? new Set(), durationNs: plan.durationNs ?? new Map(), trimTailShare: plan.trimTailShare ?? new Map(), groupOf };
  const roots: SpanNode[] = [];
  for (const root of tree.roots) if (!context.remove.has(root.span.spanId)) roots.push(relayout(root, undefined, root.startNs, context));
  const byId = new Map<string, SpanNode>();
  const stack = [...roots];
  while (stack.length > 0) {
    const node = stack.pop()!;
    byId.set(node.span.spanId, node);
    for (const child of node.children) stack.push(child);
  }
  return { ...tree, roots, byId, skewAdjustments: [...tree.skewAdjustments] };
}
