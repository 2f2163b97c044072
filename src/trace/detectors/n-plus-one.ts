/**
 * N+1 queries: one parent issues the same normalised statement (literals replaced by ?) at least N times.
 * Fix prediction: the n queries become one query as long as a typical (the median) one of them. A repeat's time is
 * mostly the database's queue under load, and the one batched query meets that queue once: keeping the longest
 * repeat kept the one that waited behind a slow scan (26 ms among 1–3 ms ones in the lab), and the demo's n+1
 * prediction understated 2–4× once the lab's lock was fixed.
 */
import { isDbCall } from '../span.js';
import { normaliseStatement } from '../normalise-statement.js';
import { notAwaited, type SpanNode } from '../span-tree.js';
import { nodesOf, type Detector, type DetectorContext, type Finding } from './detector.js';
import { builderFor, FindingBuilder } from './finding-builder.js';
import { isAcquireSpan, isConnectSpan, statementOf } from './span-target.js';

export const nPlusOneDetector: Detector = {
  name: 'n-plus-one',
  detect(context: DetectorContext): Finding[] {
    const builders = new Map<string, FindingBuilder>();
    for (const trace of context.traces) {
      for (const parent of nodesOf(trace.tree)) {
        if (parent.children.length < context.thresholds.nPlusOneMinRepeats) continue;
        const groups = new Map<string, SpanNode[]>();
        for (const child of parent.children) {
          if (notAwaited(child) || !isDbCall(child.span) || isConnectSpan(child.span) || isAcquireSpan(child.span)) continue;
          const statement = normaliseStatement(statementOf(child.span) ?? child.span.name);
          const group = groups.get(statement);
          if (group) group.push(child);
          else groups.set(statement, [child]);
        }
        for (const [statement, group] of groups) {
          if (group.length < context.thresholds.nPlusOneMinRepeats) continue;
          const key = `${parent.span.service}\u0000${parent.span.name}\u0000${statement}`;
          const builder = builderFor(builders, key, () => {
            const created = new FindingBuilder('n-plus-one', parent.span.service, parent.span.name, context);
            created.details.statement = statement;
            return created;
          });
          builder.hit(trace.tree.traceId, group[0]!.span.spanId);
          builder.max('maxRepeats', group.length);
          builder.add('queries', group.length);
          const byDuration = [...group].sort((a, b) => a.endNs - a.startNs - (b.endNs - b.startNs));
          const typical = byDuration[Math.floor(byDuration.length / 2)]!;
          const plan = builder.plan(trace.tree.traceId);
          for (const node of group) if (node !== typical) plan.remove.add(node.span.spanId);
        }
      }
    }
    return [...builders.values()].map((builder) =>
      builder.build(context, {
        title: `N+1 queries: "${builder.details.statement}" repeated up to ${builder.counts.maxRepeats} times per request`,
        fix: 'Fetch the rows in one query (JOIN, WHERE id = ANY($1) / IN (...)) or batch them with a data loader.',
        tradeOff: 'One larger result set per request; a batched query needs an index that serves the whole key set.',
      }),
    );
  },
};
