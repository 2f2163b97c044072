/**
 * Critical path: the chain of span sections that sets a trace's end-to-end time (Jaeger's algorithm).
 * Walk back from a span's end: take the last-finishing synchronous child that ends before the current
 * point, recurse into it, continue from its start; the gaps in between are the span's own (self) time.
 * Parallel siblings that overlap the chosen child, and async children, are off the path. As in Jaeger,
 * every child is first clipped to its (clipped) parent: one that starts before or ends after its parent is
 * truncated, one entirely outside it is dropped.
 *
 * Several roots: each root is taken as running until the next-later root takes over, so the whole
 * extent of the trace is accounted for.
 */
import { nodeToleranceNs, type SpanNode, type TraceTree } from './span-tree.js';

export interface CriticalPathSection {
  spanId: string;
  service: string;
  operation: string;
  /** ns after the tree's originNs. */
  startNs: number;
  endNs: number;
}

export interface CriticalPath {
  traceId: string;
  originNs: bigint;
  /** Extent of the path, ns after originNs. */
  startNs: number;
  endNs: number;
  /** In time order. */
  sections: CriticalPathSection[];
}

function emit(sections: CriticalPathSection[], node: SpanNode, startNs: number, endNs: number): void {
  if (endNs <= startNs) return;
  sections.push({ spanId: node.span.spanId, service: node.span.service, operation: node.span.name, startNs, endNs });
}

interface Frame {
  node: SpanNode;
  /** The node clipped to its parent's clipped window (Jaeger's rule): [startNs, endNs). */
  startNs: number;
  endNs: number;
  /** Synchronous children that overlap the window, latest clipped end first. */
  children: SpanNode[];
  index: number;
  cursorNs: number;
}

function frameOf(node: SpanNode, startNs: number, endNs: number, cursorNs: number): Frame {
  const children: SpanNode[] = [];
  // A child entirely outside its (clipped) parent is dropped, as Jaeger does; one partly outside is clipped.
  for (const child of node.children) if (!child.async && child.endNs > startNs && child.startNs < endNs) children.push(child);
  if (children.length > 1) children.sort((a, b) => Math.min(b.endNs, endNs) - Math.min(a.endNs, endNs) || b.startNs - a.startNs);
  return { node, startNs, endNs, children, index: 0, cursorNs };
}

/**
 * Appends `root`'s path from `cursorNs` back to its start, latest section first. Iterative (an explicit
 * stack of frames) so a pathologically deep trace cannot overflow the call stack.
 */
function walk(root: SpanNode, cursorNs: number, sections: CriticalPathSection[]): void {
  const stack: Frame[] = [frameOf(root, root.startNs, root.endNs, cursorNs)];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const { node } = top;
    let descended = false;
    while (top.index < top.children.length && top.cursorNs > top.startNs) {
      const child = top.children[top.index++]!;
      const childStartNs = Math.max(child.startNs, top.startNs);
      const childEndNs = Math.min(child.endNs, top.endNs);
      // Overlaps the section already on the path: a parallel sibling (beyond clock granularity, when coarse).
      if (childEndNs > top.cursorNs + nodeToleranceNs(child)) continue;
      if (childStartNs >= top.cursorNs) continue;
      const sectionEndNs = Math.min(childEndNs, top.cursorNs);
      emit(sections, node, sectionEndNs, top.cursorNs);
      top.cursorNs = childStartNs;
      stack.push(frameOf(child, childStartNs, childEndNs, sectionEndNs));
      descended = true;
      break;
    }
    if (descended) continue;
    emit(sections, node, top.startNs, top.cursorNs);
    stack.pop();
  }
}

/** The critical path of one trace tree. */
export function criticalPath(tree: TraceTree): CriticalPath {
  const sections: CriticalPathSection[] = [];
  const roots = [...tree.roots].sort((a, b) => b.endNs - a.endNs || a.startNs - b.startNs);
  let cursorNs = Number.POSITIVE_INFINITY;
  let startNs = 0;
  let endNs = 0;
  let first = true;
  for (const root of roots) {
    if (root.startNs >= cursorNs) continue;
    if (first) {
      endNs = root.endNs;
      first = false;
    }
    const rootEndNs = Math.min(root.endNs, cursorNs);
    const before = sections.length;
    // A root clipped by a later root: its children ending after the clip point are skipped by walk().
    walk(root, rootEndNs, sections);
    if (sections.length > before) startNs = root.startNs;
    cursorNs = root.startNs;
  }
  sections.reverse();
  startNs = sections[0]?.startNs ?? startNs;
  return { traceId: tree.traceId, originNs: tree.originNs, startNs, endNs, sections };
}

export function criticalPathDurationNs(path: CriticalPath): number {
  return path.endNs - path.startNs;
}

export interface OperationTime {
  service: string;
  operation: string;
  /** Exclusive time on the critical path, ns. */
  timeNs: number;
}

/** Exclusive critical-path time per service/operation, largest first. */
export function criticalPathTimeByOperation(paths: Iterable<CriticalPath>): OperationTime[] {
  // Nested maps rather than a concatenated key: no string built per section.
  const totals = new Map<string, Map<string, OperationTime>>();
  for (const path of paths) {
    for (const section of path.sections) {
      let byOperation = totals.get(section.service);
      if (byOperation === undefined) {
        byOperation = new Map();
        totals.set(section.service, byOperation);
      }
      const entry = byOperation.get(section.operation);
      if (entry) entry.timeNs += section.endNs - section.startNs;
      else byOperation.set(section.operation, { service: section.service, operation: section.operation, timeNs: section.endNs - section.startNs });
    }
  }
  const all: OperationTime[] = [];
  for (const byOperation of totals.values()) for (const entry of byOperation.values()) all.push(entry);
  return all.sort((a, b) => b.timeNs - a.timeNs);
}

/** Exclusive critical-path time per service, largest first. */
export function criticalPathTimeByService(paths: Iterable<CriticalPath>): Array<{ service: string; timeNs: number }> {
  const totals = new Map<string, number>();
  for (const path of paths) for (const section of path.sections) totals.set(section.service, (totals.get(section.service) ?? 0) + section.endNs - section.startNs);
  return [...totals].map(([service, timeNs]) => ({ service, timeNs })).sort((a, b) => b.timeNs - a.timeNs);
}
