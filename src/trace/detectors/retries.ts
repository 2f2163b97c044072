/**
 * Retries: consecutive calls from one parent to the same target where earlier attempts failed (error
 * status, HTTP 5xx/429). The failed attempts are wasted time. Fix prediction: the failed attempts vanish
 * (backoff gaps are kept, so the prediction is conservative).
 */
import { notAwaited, type SpanNode } from '../span-tree.js';
import { nodesOf, type Detector, type DetectorContext, type Finding } from './detector.js';
import { builderFor, FindingBuilder } from './finding-builder.js';
import { failed, targetKey } from './span-target.js';

export const retriesDetector: Detector = {
  name: 'retries',
  detect(context: DetectorContext): Finding[] {
    const builders = new Map<string, FindingBuilder>();
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
            const builder = builderFor(builders, `${parent.span.service}\u0000${runKey}`, () => {
              const created = new FindingBuilder('retries', parent.span.service, parent.span.name, context);
              created.details.target = runKey.trim();
              return created;
            });
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
    return [...builders.values()].map((builder) =>
      builder.build(context, {
        title: `Retries: ${builder.counts.failedAttempts} failed attempts to ${builder.details.target}`,
        fix: 'Fix the cause of the failures; retry with capped exponential backoff and jitter, within a deadline budget.',
        tradeOff: 'Fewer retries surface more errors to callers; retries without a budget amplify overload.',
      }),
    );
  },
};
