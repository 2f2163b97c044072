/**
 * Synchronous side effects: a client call on the critical path whose result the request does not need —
 * marked with the span attribute `perfloop.side_effect`, or a POST/PUT to a notification, email, webhook,
 * audit or analytics target made as the parent's last call. Publishing to a queue (a producer span) is
 * already the fix, so producers never count. Fix prediction: the call
 * leaves the path (queued, or fired after the response).
 */
import { stringAttribute } from '../span.js';
import { notAwaited, type SpanNode } from '../span-tree.js';
import { nodesOf, type Detector, type DetectorContext, type Finding } from './detector.js';
import { builderFor, FindingBuilder } from './finding-builder.js';
import { downstreamService } from './span-target.js';

const SIDE_EFFECT_TARGET = /notif|e-?mail|\bmail|sms|webhook|push|audit|analytics|tracking|telemetry/i;

function targetText(node: SpanNode): string {
  const span = node.span;
  return [span.name, stringAttribute(span, 'url.full'), stringAttribute(span, 'url.path'), stringAttribute(span, 'server.address'), stringAttribute(span, 'peer.service'), downstreamService(node)]
    .filter((part) => part !== undefined)
    .join(' ');
}

function isSideEffect(node: SpanNode, lastCall: SpanNode | undefined): boolean {
  const marker = node.span.attributes['perfloop.side_effect'];
  if (marker === true || marker === 'true') return true;
  if (node !== lastCall) return false;
  const method = stringAttribute(node.span, 'http.request.method')?.toUpperCase();
  const writes = method === 'POST' || method === 'PUT';
  const otherService = downstreamService(node) !== node.span.service;
  return writes && otherService && SIDE_EFFECT_TARGET.test(targetText(node));
}

export const syncSideEffectDetector: Detector = {
  name: 'sync-side-effect',
  detect(context: DetectorContext): Finding[] {
    const builders = new Map<string, FindingBuilder>();
    for (const trace of context.traces) {
      for (const parent of nodesOf(trace.tree)) {
        let lastCall: SpanNode | undefined;
        for (const child of parent.children) {
          if (!notAwaited(child) && child.span.kind === 'client' && (lastCall === undefined || child.endNs >= lastCall.endNs)) lastCall = child;
        }
        if (lastCall === undefined) continue;
        for (const child of parent.children) {
          if (notAwaited(child) || !trace.onPath.has(child.span.spanId) || !isSideEffect(child, lastCall)) continue;
          const target = downstreamService(child) ?? child.span.name;
          const builder = builderFor(builders, `${parent.span.service}\u0000${child.span.name}\u0000${target}`, () => {
            const created = new FindingBuilder('sync-side-effect', parent.span.service, parent.span.name, context);
            created.details.call = child.span.name;
            created.details.target = target;
            return created;
          });
          builder.hit(trace.tree.traceId, child.span.spanId);
          builder.add('calls');
          builder.add('callTimeUs', Math.round((child.endNs - child.startNs) / 1e3));
          builder.plan(trace.tree.traceId).remove.add(child.span.spanId);
        }
      }
    }
    return [...builders.values()].map((builder) =>
      builder.build(context, {
        title: `Synchronous side effect in the request path: ${builder.details.call} → ${builder.details.target}`,
        fix: 'Put the side effect on a queue (outbox table + worker, or a message broker) and respond without waiting for it.',
        tradeOff: 'The side effect becomes eventually consistent and needs its own retries, idempotency and monitoring.',
      }),
    );
  },
};
