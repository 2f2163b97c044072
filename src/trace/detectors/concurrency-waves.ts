/**
 * Concurrency limit reached: one parent's calls of one operation or statement (≥ 6) run in waves — never more than k
 * at a time (2 ≤ k ≤ 4, fewer than the calls), each new call starting within 1 ms of another one ending —
 * the signature of a small pool or semaphore with callers waiting for a slot. Fix prediction: the calls
 * run all at once (a pool large enough for the fan-out).
 */
import { notAwaited, nodeToleranceNs, type SpanNode } from '../span-tree.js';
import { nodesOf, type Detector, type DetectorContext, type Finding } from './detector.js';
import { builderFor, FindingBuilder } from './finding-builder.js';
import { normaliseStatement } from '../normalise-statement.js';
import { statementOf } from './span-target.js';

const MIN_CALLS = 6;
const MAX_WAVE = 4;
const BACK_TO_BACK_NS = 1e6;

/** Maximum number of overlapping intervals (ends before starts at equal times). */
function maxConcurrency(nodes: readonly SpanNode[]): number {
  const events: Array<[number, number]> = [];
  // Ends are pulled in by the clock tolerance so back-to-back calls with jittered timestamps do not count as overlapping.
  for (const node of nodes) events.push([node.startNs, 1], [node.endNs - nodeToleranceNs(node), -1]);
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let current = 0;
  let max = 0;
  for (const [, delta] of events) {
    current += delta;
    if (current > max) max = current;
  }
  return max;
}

/** True when every call after the first wave starts within 1 ms of some earlier call's end. */
function inWaves(nodes: readonly SpanNode[], wave: number): boolean {
  const byStart = [...nodes].sort((a, b) => a.startNs - b.startNs);
  const ends: number[] = [];
  for (let index = 0; index < byStart.length; index++) {
    const node = byStart[index]!;
    if (index >= wave && !ends.some((endNs) => node.startNs >= endNs - nodeToleranceNs(node) && node.startNs - endNs < BACK_TO_BACK_NS)) return false;
    ends.push(node.endNs);
  }
  return true;
}

export const concurrencyWavesDetector: Detector = {
  name: 'concurrency-waves',
  detect(context: DetectorContext): Finding[] {
    const builders = new Map<string, FindingBuilder>();
    for (const trace of context.traces) {
      for (const parent of nodesOf(trace.tree)) {
        if (parent.children.length < MIN_CALLS) continue;
        const groups = new Map<string, SpanNode[]>();
        for (const child of parent.children) {
          if (notAwaited(child) || child.span.kind !== 'client') continue;
          // The same statement (for database calls) or the same operation: one pool, one kind of call.
          const statement = statementOf(child.span);
          const key = statement === undefined ? child.span.name : normaliseStatement(statement);
          const group = groups.get(key);
          if (group) group.push(child);
          else groups.set(key, [child]);
        }
        for (const [operation, group] of groups) {
          if (group.length < MIN_CALLS) continue;
          const wave = maxConcurrency(group);
          if (wave < 2 || wave > MAX_WAVE || wave >= group.length || !inWaves(group, wave)) continue;
          const builder = builderFor(builders, `${parent.span.service}\u0000${parent.span.name}\u0000${operation}`, () => {
            const created = new FindingBuilder('concurrency-waves', parent.span.service, parent.span.name, context);
            created.details.call = operation;
            return created;
          });
          builder.hit(trace.tree.traceId, group[0]!.span.spanId);
          builder.max('maxCalls', group.length);
          builder.max('maxConcurrent', wave);
          builder.plan(trace.tree.traceId).parallel.push(group.map((node) => node.span.spanId));
        }
      }
    }
    return [...builders.values()].map((builder) =>
      builder.build(context, {
        title: `Concurrency limit: ${builder.counts.maxCalls} ${builder.details.call} calls run at most ${builder.counts.maxConcurrent} at a time`,
        fix: 'Raise the pool/semaphore size to the fan-out you issue (or batch the calls into one).',
        tradeOff: 'More concurrent calls load the downstream harder; keep the limit below what it can serve.',
      }),
    );
  },
};
