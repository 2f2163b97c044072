/**
 * Slow queries: database calls longer than the threshold (default 50 ms), or taking more than half of a
 * request's critical path (and at least 25 ms) — in at least half of the statement's executions. Fix
 * prediction: the query takes the target time (default 1 ms, an indexed lookup).
 *
 * Queueing is not slowness: a statement whose spans record lock waits is left to the queueing detector
 * (no index advised); one whose time grows with concurrent executions is judged — and its saving
 * claimed — on its uncontended time only, never on the time it spent waiting.
 */
import { isDbCall } from '../span.js';
import { normaliseStatement } from '../normalise-statement.js';
import { criticalPathDurationNs, type CriticalPathSection } from '../critical-path.js';
import { nodesOf, type Detector, type DetectorContext, type Finding } from './detector.js';
import { builderFor, FindingBuilder } from './finding-builder.js';
import { isAcquireSpan, isConnectSpan, statementOf } from './span-target.js';
import { queueingByOperation } from '../queueing.js';

const DOMINANT_SHARE = 0.5;

function onPathNs(sections: readonly CriticalPathSection[], spanId: string): number {
  let total = 0;
  for (const section of sections) if (section.spanId === spanId) total += section.endNs - section.startNs;
  return total;
}
const DOMINANT_MIN_NS = 25e6;
const MIN_SLOW_SHARE = 0.5;

export const slowQueryDetector: Detector = {
  name: 'slow-query',
  detect(context: DetectorContext): Finding[] {
    const thresholdNs = context.thresholds.slowQueryMs * 1e6;
    const targetNs = context.thresholds.slowQueryTargetMs * 1e6;
    const builders = new Map<string, FindingBuilder>();
    const executions = new Map<string, number>();
    const queueing = queueingByOperation(context.traces);
    for (const trace of context.traces) {
      const pathNs = criticalPathDurationNs(trace.path);
      for (const node of nodesOf(trace.tree)) {
        // Connects and pool acquires are not statements: connection-per-request and pool-saturation cover them.
        if (!isDbCall(node.span) || isConnectSpan(node.span) || isAcquireSpan(node.span)) continue;
        const statement = normaliseStatement(statementOf(node.span) ?? node.span.name);
        const key = `${node.span.service}\u0000${statement}`;
        executions.set(key, (executions.get(key) ?? 0) + 1);
        const queue = queueing.get(key);
        if (queue?.kind === 'events') continue;
        // Under contention only the statement's own (uncontended) time counts: the wait is the queue's.
        const contendedNs = node.endNs - node.startNs;
        const durationNs = queue === undefined ? contendedNs : Math.min(contendedNs, queue.uncontendedNs);
        if (durationNs < DOMINANT_MIN_NS && durationNs <= thresholdNs) continue;
        const dominant = durationNs >= DOMINANT_MIN_NS && onPathNs(trace.path.sections, node.span.spanId) > DOMINANT_SHARE * pathNs;
        if (durationNs <= thresholdNs && !dominant) continue;
        const builder = builderFor(builders, key, () => {
          const created = new FindingBuilder('slow-query', node.span.service, node.span.name, context);
          created.details.statement = statement;
          return created;
        });
        builder.hit(trace.tree.traceId, node.span.spanId);
        builder.add('slowQueries');
        builder.max('maxDurationMs', Math.round(durationNs / 1e3) / 1e3);
        if (queue !== undefined) builder.details.uncontendedMs = Math.round(queue.uncontendedNs / 1e3) / 1e3;
        if (durationNs > targetNs) builder.plan(trace.tree.traceId).durationNs.set(node.span.spanId, contendedNs - (durationNs - targetNs));
      }
    }
    // A statement that is slow only now and then is the machine (CPU starvation, GC, a lock elsewhere), not
    // the statement: it must be slow in at least half of its executions.
    return [...builders]
      .filter(([key, builder]) => (builder.counts.slowQueries ?? 0) >= MIN_SLOW_SHARE * (executions.get(key) ?? 1))
      .map(([, builder]) =>
        builder.build(context, {
          title:
            builder.details.uncontendedMs === undefined
              ? `Slow query (up to ${builder.counts.maxDurationMs} ms): ${builder.details.statement}`
              : `Slow query (${builder.details.uncontendedMs} ms uncontended; the rest of its time is queueing): ${builder.details.statement}`,
          fix:
            builder.details.uncontendedMs === undefined
              ? 'EXPLAIN ANALYZE it: add the missing index (or rewrite the query) so it reads only the rows it returns.'
              : `Its time grows with the number of executions at once: most of it is queueing at a serialisation point (a single connection, a pool too small, a lock) — size the pool or remove the lock first. Then EXPLAIN ANALYZE the ${builder.details.uncontendedMs} ms it takes alone.`,
          tradeOff: 'An index costs write throughput and storage; check the plan again after data grows.',
        },
        builder.details.uncontendedMs === undefined
          ? undefined
          : { level: 'medium', because: [`its time grows with concurrent executions: only its uncontended ${builder.details.uncontendedMs} ms is counted (see the queueing finding)`] },
        ),
    );
  },
};
