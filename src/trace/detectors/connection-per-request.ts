/**
 * A new database connection per request: a connect span (pg.connect, db connect — not a pool acquire) on
 * the critical path of most requests (default ≥ 50%). A warm pool connects only a few times per run.
 * Fix prediction: the connect disappears, and with it the session setup run on the new connection (the SET
 * statements right after it: a pooled connection keeps its settings). Counting the connect alone, the lab's pool fix
 * was predicted at 2.4–2.9 ms and measured at 5.6–7.4: each of its connects is followed by a ~0.8 ms SET.
 */
import type { SpanNode } from '../span-tree.js';
import { isDbCall } from '../span.js';
import { nodesOf, type Detector, type DetectorContext, type Finding } from './detector.js';
import { builderFor, FindingBuilder } from './finding-builder.js';
import { isConnectSpan, statementOf } from './span-target.js';

const SESSION_SETUP = /^\s*(SET|RESET)\b/i;

/** The session-setup statements the connect's caller ran on the new connection before anything else. */
function sessionSetupAfter(connect: SpanNode): SpanNode[] {
  const siblings = (connect.parent?.children ?? []).filter((node) => node.startNs >= connect.endNs).sort((a, b) => a.startNs - b.startNs);
  const setup: SpanNode[] = [];
  for (const node of siblings) {
    if (!isDbCall(node.span) || !SESSION_SETUP.test(statementOf(node.span) ?? '')) break;
    setup.push(node);
  }
  return setup;
}

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
        const plan = builder.plan(trace.tree.traceId);
        plan.remove.add(node.span.spanId);
        for (const setup of sessionSetupAfter(node)) {
          builder.add('setupStatements');
          plan.remove.add(setup.span.spanId);
        }
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
