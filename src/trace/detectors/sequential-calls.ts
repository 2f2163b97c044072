/**
 * Sequential calls: at least 3 sibling client calls (HTTP, cache, RPC) that run one after another. SQL
 * queries are left out on purpose: they usually share a connection or a transaction and cannot run
 * concurrently; N+1 covers repeated queries.
 *
 * Two cases, told apart because only one is certain:
 * - **repeated calls to one operation** with different keys (ten "GET driver" reads): they could be one
 *   batch or run concurrently — high confidence. The prediction runs just those calls concurrently (a call
 *   before them, such as the one that listed the keys, stays first);
 * - **a pipeline of different operations**, each called once per request in a fixed order
 *   (customer → driver → route): the later calls may need the earlier results, which a trace cannot show.
 *   Reported as possibly dependent, with low confidence (ranked below certain findings); the prediction keeps
 *   the first call first (it usually supplies the keys the others need) and runs the later ones concurrently —
 *   still optimistic when a later call needs an earlier one's result too.
 */
import { isDbCall } from '../span.js';
import { nodeToleranceNs, notAwaited, type SpanNode } from '../span-tree.js';
import { nodesOf, type Detector, type DetectorContext, type Finding } from './detector.js';
import { builderFor, FindingBuilder } from './finding-builder.js';
import { downstreamService, failed, isConnectSpan, operationShape } from './span-target.js';

function candidate(node: SpanNode): boolean {
  const span = node.span;
  return !notAwaited(node) && span.kind === 'client' && !isDbCall(span) && !isConnectSpan(span) && !failed(span);
}

/** Maximal runs of calls where each starts after the previous one ended. */
function sequentialChains(parent: SpanNode): SpanNode[][] {
  const chains: SpanNode[][] = [];
  let chain: SpanNode[] = [];
  for (const child of parent.children) {
    if (!candidate(child)) continue;
    const previous = chain[chain.length - 1];
    if (previous !== undefined && child.startNs < previous.endNs - nodeToleranceNs(previous)) {
      chains.push(chain);
      chain = [];
    }
    chain.push(child);
  }
  chains.push(chain);
  return chains;
}

/** The most repeated operation shape in a chain and its calls (`shapes[i]` is `chain[i]`'s shape). */
function mostRepeated(chain: readonly SpanNode[], shapes: readonly string[]): { shape: string; calls: SpanNode[] } {
  const byShape = new Map<string, SpanNode[]>();
  for (let index = 0; index < chain.length; index++) {
    const node = chain[index]!;
    const shape = shapes[index]!;
    const list = byShape.get(shape);
    if (list) list.push(node);
    else byShape.set(shape, [node]);
  }
  let best: { shape: string; calls: SpanNode[] } = { shape: '', calls: [] };
  for (const [shape, calls] of byShape) if (calls.length > best.calls.length) best = { shape, calls };
  return best;
}

export const sequentialCallsDetector: Detector = {
  name: 'sequential-calls',
  detect(context: DetectorContext): Finding[] {
    const minCalls = context.thresholds.sequentialMinCalls;
    const batches = new Map<string, FindingBuilder>();
    const pipelines = new Map<string, FindingBuilder>();
    const orders = new Map<FindingBuilder, Map<string, number>>();
    for (const trace of context.traces) {
      for (const parent of nodesOf(trace.tree)) {
        if (parent.children.length < minCalls) continue;
        for (const chain of sequentialChains(parent)) {
          if (chain.length < minCalls) continue;
          const shapes = chain.map(operationShape);
          const repeated = mostRepeated(chain, shapes);
          const where = `${parent.span.service}\u0000${parent.span.name}`;
          if (repeated.calls.length >= minCalls) {
            const builder = builderFor(batches, `${where}\u0000${repeated.shape}`, () => {
              const created = new FindingBuilder('sequential-calls', parent.span.service, parent.span.name, context);
              created.details.call = repeated.shape;
              created.details.targets = downstreamService(repeated.calls[0]!) ?? repeated.calls[0]!.span.name;
              created.details.dependency = 'same operation, different keys';
              return created;
            });
            builder.hit(trace.tree.traceId, repeated.calls[0]!.span.spanId);
            builder.max('maxSequentialCalls', repeated.calls.length);
            builder.add('calls', repeated.calls.length);
            builder.plan(trace.tree.traceId).parallel.push(repeated.calls.map((node) => node.span.spanId));
            continue;
          }
          const builder = builderFor(pipelines, where, () => {
            const created = new FindingBuilder('sequential-calls', parent.span.service, parent.span.name, context);
            // Targets are listed from the first example only: computing them per trace costs more than the detection.
            created.details.targets = chain.map((node) => downstreamService(node) ?? node.span.name).join(' → ');
            created.details.dependency = 'possibly dependent';
            return created;
          });
          builder.hit(trace.tree.traceId, chain[0]!.span.spanId);
          builder.max('maxSequentialCalls', chain.length);
          builder.add('calls', chain.length);
          const order = shapes.join('\u0000');
          let counts = orders.get(builder);
          if (counts === undefined) {
            counts = new Map();
            orders.set(builder, counts);
          }
          counts.set(order, (counts.get(order) ?? 0) + 1);
          // The first call usually feeds the rest (an order's customer and products come from the order): it stays
          // first and only the later calls overlap. Predicting the whole chain concurrent overstated the saving.
          builder.plan(trace.tree.traceId).parallel.push(chain.slice(1).map((node) => node.span.spanId));
        }
      }
    }
    const findings: Finding[] = [];
    for (const builder of batches.values()) {
      findings.push(
        builder.build(
          context,
          {
            title: `${builder.counts.maxSequentialCalls} calls to the same operation run one after another, one key each (${builder.details.call})`,
            fix: 'Fetch the keys in one batch (a multi-get, one request for all items) or issue the calls concurrently (Promise.all with a concurrency limit).',
            tradeOff: 'Higher peak load on the downstream service; error handling must cope with partial failure.',
          },
          { level: 'high', because: [`the same operation called up to ${builder.counts.maxSequentialCalls} times in a row with different keys: no call needs another's result`] },
        ),
      );
    }
    for (const [builder, counts] of orders) {
      let usual = 0;
      for (const count of counts.values()) if (count > usual) usual = count;
      const fixedOrder = usual / builder.traceIds.size >= 0.9;
      findings.push(
        builder.build(
          context,
          {
            title: `${builder.counts.maxSequentialCalls} calls to different services run one after another (${builder.details.targets}) — possibly a data-dependent pipeline`,
            fix: 'Check whether each call needs the previous one’s result; issue the independent ones concurrently (Promise.all) and keep the dependent ones in order.',
            tradeOff: 'Higher peak concurrency on the downstream services; error handling must cope with partial failure.',
          },
          {
            level: 'low',
            because: [
              `each service is called once per request${fixedOrder ? ', always in the same order' : ''}: a later call may need an earlier one’s result, which the trace cannot show`,
              'the predicted saving assumes only the first call feeds the others and the rest are independent',
            ],
          },
        ),
      );
    }
    return findings;
  },
};
