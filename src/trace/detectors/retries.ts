/**
 * Retries: consecutive calls from one parent to the same target where earlier attempts failed (error
 * status, HTTP 5xx/429). The failed attempts are wasted time. One finding per operation (a call shape
 * without its keys), not per key: retries of "GET driver" for 37 drivers are one problem. Fix prediction:
 * the failed attempts vanish (backoff gaps are kept, so the prediction is conservative).
 */
import { notAwaited, type SpanNode } from '../span-tree.js';
import { nodesOf, type Detector, type DetectorContext, type Finding } from './detector.js';
import { builderFor, FindingBuilder } from './finding-builder.js';
import { failed, operationShape, targetKey } from './span-target.js';

export const retriesDetector: Detector = {
  name: 'retries',
  detect(context: DetectorContext): Finding[] {
    const builders = new Map<string, FindingBuilder>();
    const targets = new Map<FindingBuilder, Set<string>>();
    for (const trace of context.traces) {
      for (const parent of nodesOf(trace.tree)) {
        if (parent.children.length < 2) continue;
        const calls = parent.children.filter((child) => child.span.kind === 'client' && !notAwaited(child));
        // No failed call, no retry: skip building target keys (the common case).
        if (!calls.some((call) => failed(call.span))) continue;
        let run: SpanNode[] = [];
        let runKey = '';
        const flush = (): void => {
          const failedAttempts = run.slice(0, -1).filter((node) => failed(node.span));
          if (run.length >= 2 && failedAttempts.length > 0) {
            const last = run[run.length - 1]!;
            const shape = operationShape(last);
            const builder = builderFor(builders, `${parent.span.service}\u0000${shape}`, () => {
              const created = new FindingBuilder('retries', parent.span.service, parent.span.name, context);
              created.details.target = shape;
              return created;
            });
            let keys = targets.get(builder);
            if (keys === undefined) {
              keys = new Set();
              targets.set(builder, keys);
            }
            keys.add(runKey);
            builder.hit(trace.tree.traceId, failedAttempts[0]!.span.spanId);
            builder.add('failedAttempts', failedAttempts.length);
            builder.add('wastedUs', Math.round((last.startNs - run[0]!.startNs) / 1e3));
            if (!failed(last.span)) builder.add('recovered');
            const plan = builder.plan(trace.tree.traceId);
            for (const node of failedAttempts) plan.remove.add(node.span.spanId);
          }
        };
        for (const call of calls) {
          const key = targetKey(call);
          if (key !== runKey) {
            flush();
            run = [];
            runKey = key;
          }
          run.push(call);
        }
        flush();
      }
    }
    return [...builders.values()].map((builder) => {
      const keys = targets.get(builder)?.size ?? 1;
      if (keys > 1) builder.counts.distinctTargets = keys;
      return builder.build(context, {
        title: `Retries: ${builder.counts.failedAttempts} failed attempts of ${builder.details.target}${keys > 1 ? ` (${keys} different keys)` : ''}`,
        fix: 'Fix the cause of the failures; retry with capped exponential backoff and jitter, within a deadline budget.',
        tradeOff: 'Fewer retries surface more errors to callers; retries without a budget amplify overload.',
      });
    });
  },
};
