/**
 * Serialisation point: the server spans of one operation never overlap across requests although requests
 * arrive back to back (most next spans start within 1 ms of the previous one's end) — a global lock or a
 * pool of one. Evidence of queueing is required so a lightly loaded service does not fire.
 * Fix prediction: the time each request waited between its caller's client span starting and the server
 * span starting (beyond the network time seen after it) disappears.
 */
import type { SpanNode } from '../span-tree.js';
import { nodesOf, type Detector, type DetectorContext, type Finding } from './detector.js';
import { FindingBuilder } from './finding-builder.js';

const BACK_TO_BACK_NS = 1e6;
const MIN_BACK_TO_BACK_SHARE = 0.5;

interface Occurrence {
  traceId: string;
  node: SpanNode;
  /** Absolute start/end as ns offsets from a common epoch (numbers; differences are what matter). */
  startNs: number;
  endNs: number;
}

export const serialisationPointDetector: Detector = {
  name: 'serialisation-point',
  detect(context: DetectorContext): Finding[] {
    let epochNs: bigint | undefined;
    for (const trace of context.traces) if (epochNs === undefined || trace.tree.originNs < epochNs) epochNs = trace.tree.originNs;
    const byOperation = new Map<string, Occurrence[]>();
    for (const trace of context.traces) {
      const offsetNs = Number(trace.tree.originNs - (epochNs ?? 0n));
      for (const node of nodesOf(trace.tree)) {
        if (node.span.kind !== 'server') continue;
        const key = `${node.span.service}\u0000${node.span.name}`;
        const occurrence = { traceId: trace.tree.traceId, node, startNs: offsetNs + node.startNs, endNs: offsetNs + node.endNs };
        const list = byOperation.get(key);
        if (list) list.push(occurrence);
        else byOperation.set(key, [occurrence]);
      }
    }
    const findings: Finding[] = [];
    for (const occurrences of byOperation.values()) {
      if (occurrences.length < context.thresholds.serialisationMinSpans) continue;
      occurrences.sort((a, b) => a.startNs - b.startNs);
      let overlaps = 0;
      let backToBack = 0;
      for (let index = 1; index < occurrences.length; index++) {
        // Strict on purpose (no clock tolerance): one real overlap proves concurrency, and a false
        // serialisation finding costs more than a missed one (lock waits are caught by pool-saturation).
        const gapNs = occurrences[index]!.startNs - occurrences[index - 1]!.endNs;
        if (gapNs < 0) overlaps++;
        else if (gapNs < BACK_TO_BACK_NS) backToBack++;
      }
      if (overlaps > 0 || backToBack / (occurrences.length - 1) < MIN_BACK_TO_BACK_SHARE) continue;
      const first = occurrences[0]!.node.span;
      const builder = new FindingBuilder('serialisation-point', first.service, first.name, context);
      for (const occurrence of occurrences) {
        builder.hit(occurrence.traceId, occurrence.node.span.spanId);
        const caller = occurrence.node.parent;
        if (caller === undefined || caller.span.kind !== 'client') continue;
        const queuedNs = occurrence.node.startNs - caller.startNs - (caller.endNs - occurrence.node.endNs);
        if (queuedNs > 0) builder.plan(occurrence.traceId).durationNs.set(caller.span.spanId, caller.endNs - caller.startNs - queuedNs);
      }
      builder.counts.spans = occurrences.length;
      builder.counts.overlapping = overlaps;
      builder.counts.backToBack = backToBack;
      findings.push(
        builder.build(context, {
          title: `Serialisation point: ${first.service} ${first.name} handles one request at a time (${occurrences.length} spans, none overlapping, ${backToBack} back to back)`,
          fix: 'Find the global lock or single-slot pool (a mutex, a pool of size 1, a single worker) and remove it or narrow it to the data that needs it.',
          tradeOff: 'Concurrency exposes races the lock hid; keep the invariant with row-level locking or optimistic concurrency.',
        }),
      );
    }
    return findings;
  },
};
