/**
 * Sequential independent calls: at least 3 sibling client calls (HTTP, cache, RPC) that run one after
 * another. SQL queries are left out on purpose: they usually share a connection or a transaction and
 * cannot run concurrently; N+1 covers repeated queries. Fix prediction: the chain runs concurrently.
 */
import { isDbCall } from '../span.js';
import { notAwaited, nodeToleranceNs, type SpanNode } from '../span-tree.js';
import { nodesOf, type Detector, type DetectorContext, type Finding } from './detector.js';
import { builderFor, FindingBuilder } from './finding-builder.js';
import { downstreamService, failed, isConnectSpan } from './span-target.js';

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

export const sequentialCallsDetector: Detector = {
  name: 'sequential-calls',
  detect(context: DetectorContext): Finding[] {
    const builders = new Map<string, FindingBuilder>();
    for (const trace of context.traces) {
      for (const parent of nodesOf(trace.tree)) {
        if (parent.children.length < context.thresholds.sequentialMinCalls) continue;
        for (const chain of sequentialChains(parent)) {
          if (chain.length < context.thresholds.sequentialMinCalls) continue;
          const builder = builderFor(builders, `${parent.span.service}\u0000${parent.span.name}`, () => new FindingBuilder('sequential-calls', parent.span.service, parent.span.name, context));
          builder.hit(trace.tree.traceId, chain[0]!.span.spanId);
          builder.max('maxSequentialCalls', chain.length);
          builder.add('calls', chain.length);
          // Targets are listed from the first example only: computing them per trace costs more than the detection.
          if (builder.details.targets === undefined) builder.details.targets = [...new Set(chain.map((node) => downstreamService(node) ?? node.span.name))].sort().join(', ');
          builder.plan(trace.tree.traceId).parallel.push(chain.map((node) => node.span.spanId));
        }
      }
    }
    return [...builders.values()].map((builder) =>
      builder.build(context, {
        title: `${builder.counts.maxSequentialCalls} independent calls run one after another (${builder.details.targets})`,
        fix: 'Issue the calls concurrently (Promise.all) or batch them (one multi-get / one request for all items).',
        tradeOff: 'Higher peak concurrency on the downstream services; error handling must cope with partial failure.',
      }),
    );
  },
};
