/**
 * N+1 queries: one parent issues the same normalised statement (literals replaced by ?) at least N times.
 * Fix prediction: wherever that parent repeats the statement (N times or fewer), the repeats become one query as long
 * as a typical (the median) one of them. A repeat's time is mostly the database's queue under load, and the one
 * batched query meets that queue once: keeping the longest repeat kept the one that waited behind a slow scan
 * (26 ms among 1–3 ms ones in the lab), and the demo's n+1 prediction understated 2–4× once the lab's lock was fixed.
 */
import { isDbCall } from '../span.js';
import { normaliseStatement } from '../normalise-statement.js';
import { notAwaited, type SpanNode } from '../span-tree.js';
import { nodesOf, type Detector, type DetectorContext, type Finding } from './detector.js';
import { FindingBuilder } from './finding-builder.js';
import { isAcquireSpan, isConnectSpan, statementOf } from './span-target.js';

/**
 * The statements a parent runs more than once, awaited, each with its calls (connects and pool acquires are not
 * statements). Shared with repeated-reads, which leaves the N+1 finding's loops to it.
 */
export function repeatedStatements(parent: SpanNode): Map<string, SpanNode[]> {
  const groups = new Map<string, SpanNode[]>();
  for (const child of parent.children) {
    if (notAwaited(child) || !isDbCall(child.span) || isConnectSpan(child.span) || isAcquireSpan(child.span)) continue;
    const statement = normaliseStatement(statementOf(child.span) ?? child.span.name);
    const group = groups.get(statement);
    if (group) group.push(child);
    else groups.set(statement, [child]);
  }
  for (const [statement, group] of groups) if (group.length < 2) groups.delete(statement);
  return groups;
}

export const nPlusOneDetector: Detector = {
  name: 'n-plus-one',
  detect(context: DetectorContext): Finding[] {
    /** Every parent that repeats a statement (twice or more), per parent operation and statement. */
    const repeats = new Map<string, { traceId: string; parent: SpanNode; statement: string; group: SpanNode[] }[]>();
    for (const trace of context.traces) {
      for (const parent of nodesOf(trace.tree)) {
        for (const [statement, group] of repeatedStatements(parent)) {
          const key = `${parent.span.service}\u0000${parent.span.name}\u0000${statement}`;
          const list = repeats.get(key) ?? [];
          list.push({ traceId: trace.tree.traceId, parent, statement, group });
          repeats.set(key, list);
        }
      }
    }
    const builders: FindingBuilder[] = [];
    for (const list of repeats.values()) {
      const flagged = list.filter((repeat) => repeat.group.length >= context.thresholds.nPlusOneMinRepeats);
      const first = flagged[0];
      if (first === undefined) continue;
      const builder = new FindingBuilder('n-plus-one', first.parent.span.service, first.parent.span.name, context);
      builder.details.statement = first.statement;
      for (const { traceId, group } of flagged) {
        builder.hit(traceId, group[0]!.span.spanId);
        builder.max('maxRepeats', group.length);
        builder.add('queries', group.length);
      }
      // The batching serves the same code path when it repeats fewer times than the threshold (an order of three
      // lines as well as one of eight): every repeat of the statement is re-timed.
      for (const { traceId, group } of list) {
        const byDuration = [...group].sort((a, b) => a.endNs - a.startNs - (b.endNs - b.startNs));
        const typical = byDuration[Math.floor(byDuration.length / 2)]!;
        const plan = builder.plan(traceId);
        for (const node of group) if (node !== typical) plan.remove.add(node.span.spanId);
      }
      builders.push(builder);
    }
    return builders.map((builder) =>
      builder.build(context, {
        title: `N+1 queries: "${builder.details.statement}" repeated up to ${builder.counts.maxRepeats} times per request`,
        fix: 'Fetch the rows in one query (JOIN, WHERE id = ANY($1) / IN (...)) or batch them with a data loader.',
        tradeOff: 'One larger result set per request; a batched query needs an index that serves the whole key set.',
      }),
    );
  },
};
