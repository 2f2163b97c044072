/**
 * Large payloads: HTTP request/response bodies or message bodies above the threshold (default 256 KiB).
 * Fix prediction: the span's own time on the critical path (serialisation and transfer happen there)
 * shrinks in proportion to the payload trimmed to the threshold.
 */
import { numberAttribute } from '../span.js';
import { nodesOf, type Detector, type DetectorContext, type Finding } from './detector.js';
import { builderFor, FindingBuilder } from './finding-builder.js';

const SIZE_KEYS = ['http.response.body.size', 'http.request.body.size', 'messaging.message.body.size'] as const;

export const largePayloadDetector: Detector = {
  name: 'large-payload',
  detect(context: DetectorContext): Finding[] {
    const limit = context.thresholds.largePayloadBytes;
    const builders = new Map<string, FindingBuilder>();
    for (const trace of context.traces) {
      for (const node of nodesOf(trace.tree)) {
        let bytes = 0;
        let key = '';
        for (const sizeKey of SIZE_KEYS) {
          if (node.span.attributes[sizeKey] === undefined) continue;
          const size = numberAttribute(node.span, sizeKey);
          if (size !== undefined && size > bytes) {
            bytes = size;
            key = sizeKey;
          }
        }
        if (bytes <= limit) continue;
        const builder = builderFor(builders, `${node.span.service}\u0000${node.span.name}`, () => new FindingBuilder('large-payload', node.span.service, node.span.name, context));
        builder.hit(trace.tree.traceId, node.span.spanId);
        builder.add('payloads');
        builder.max('maxBytes', bytes);
        builder.details.attribute = key;
        let selfOnPathNs = 0;
        for (const section of trace.path.sections) if (section.spanId === node.span.spanId) selfOnPathNs += section.endNs - section.startNs;
        const savedNs = Math.round(selfOnPathNs * (1 - limit / bytes));
        if (savedNs > 0) builder.plan(trace.tree.traceId).durationNs.set(node.span.spanId, node.endNs - node.startNs - savedNs);
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
