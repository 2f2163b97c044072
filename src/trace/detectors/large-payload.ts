/**
 * Large payloads: HTTP request/response bodies or message bodies above the threshold (default 256 KiB).
 * Fix prediction: a paginated, field-selected payload carries `largePayloadTargetBytes` (a page of summaries), and
 * the work done on the payload shrinks in proportion. That work is the span's own time after its last child —
 * serialising the body, or parsing it and building the next one — and, for a server span, the tail of the caller's
 * client span that received it (the transfer). Trimming only to the threshold, or only the span's own time, made
 * the lab's list prediction 3 ms of a measured 15–17 ms.
 */
import type { SpanNode } from '../span-tree.js';
import { numberAttribute } from '../span.js';
import { nodesOf, type Detector, type DetectorContext, type Finding } from './detector.js';
import { builderFor, FindingBuilder } from './finding-builder.js';

const SIZE_KEYS = ['http.response.body.size', 'http.request.body.size', 'messaging.message.body.size'] as const;

/** The largest body size a span records, with the attribute it came from (0 when none). */
function payloadOf(node: SpanNode): { bytes: number; key: string } {
  let largest = { bytes: 0, key: '' };
  for (const key of SIZE_KEYS) {
    if (node.span.attributes[key] === undefined) continue;
    const size = numberAttribute(node.span, key);
    if (size !== undefined && size > largest.bytes) largest = { bytes: size, key };
  }
  return largest;
}

export const largePayloadDetector: Detector = {
  name: 'large-payload',
  detect(context: DetectorContext): Finding[] {
    const { largePayloadBytes: limit, largePayloadTargetBytes: target } = context.thresholds;
    const builders = new Map<string, FindingBuilder>();
    for (const trace of context.traces) {
      for (const node of nodesOf(trace.tree)) {
        const { bytes, key } = payloadOf(node);
        if (bytes <= limit) continue;
        const builder = builderFor(builders, `${node.span.service}\u0000${node.span.name}`, () => new FindingBuilder('large-payload', node.span.service, node.span.name, context));
        builder.hit(trace.tree.traceId, node.span.spanId);
        builder.add('payloads');
        builder.max('maxBytes', bytes);
        builder.details.attribute = key;
        const share = 1 - Math.min(target, bytes) / bytes;
        const plan = builder.plan(trace.tree.traceId);
        plan.trimTailShare.set(node.span.spanId, share);
        // The caller's client span carried the same bytes; when it records no size of its own it is no finding of
        // its own, so its transfer belongs to this one.
        const caller = node.parent;
        if (node.span.kind === 'server' && caller?.span.kind === 'client' && payloadOf(caller).bytes === 0) plan.trimTailShare.set(caller.span.spanId, share);
      }
    }
    return [...builders.values()].map((builder) =>
      builder.build(context, {
        title: `Large payload: ${builder.operation} carries up to ${Math.round((builder.counts.maxBytes ?? 0) / 1024)} KiB`,
        fix: 'Paginate, select only the fields the caller uses, and compress (gzip/br) large responses.',
        tradeOff: 'Pagination costs more round trips for callers that need everything; compression costs CPU.',
      }),
    );
  },
};
