/**
 * A new database connection per request: a connect span (pg.connect, db connect — not a pool acquire) on
 * the critical path of most requests (default ≥ 50%). A warm pool connects only a few times per run.
 * Fix prediction: the connect disappears.
 */
import { nodesOf, type Detector, type DetectorContext, type Finding } from './detector.js';
import { builderFor, FindingBuilder } from './finding-builder.js';
import { isConnectSpan } from './span-target.js';

export const connectionPerRequestDetector: Detector = {
  name: 'connection-per-request',
  detect(context: DetectorContext): Finding[] {
    const builders = new Map<string, FindingBuilder>();
    for (const trace of context.traces) {
      for (const node of nodesOf(trace.tree)) {
        if (!isConnectSpan(node.span) || !trace.onPath.has(node.span.spanId)) continue;
        const builder = builderFor(builders, `${node.span.service}\u0000${node.span.name}`, () => new FindingBuilder('connection-per-request', node.span.service, node.span.name, context));
        builder.hit(trace.tree.traceId, node.span.spanId);
        builder.add('connects');
        builder.add('connectTimeUs', Math.round((node.endNs - node.startNs) / 1e3));
        builder.plan(trace.tree.traceId).remove.add(node.span.spanId);
      }
    }
    const total = context.traces.length;
    return [...builders.values()]
      .filter((builder) => builder.traceIds.size / total >= context.thresholds.connectMinShare)
      .map((builder) =>
        builder.build(context, {
          title: `New database connection per request (${builder.operation} on the critical path of ${Math.round((100 * builder.traceIds.size) / total)}% of requests)`,
          fix: 'Use a connection pool created once at startup (pg.Pool) and release connections back to it.',
          tradeOff: 'Idle pooled connections hold server memory; size the pool below the database max_connections.',
        }),
      );
  },
};
