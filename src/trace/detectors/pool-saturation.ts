/**
 * Pool/concurrency saturation: requests wait for a scarce resource — a pool acquire, a lock, a semaphore
 * (spans named like `pg-pool.connect`, `lock.wait`, `*.acquire`) — and the wait sits on the critical path:
 * at least a quarter of all its waits take 1 ms or more (p75 ≥ 1 ms), and it is on the path of at least
 * 20% of requests. An uncontended acquire takes microseconds; contention makes a large share of waits long
 * (the lab's global lock: 42% ≥ 1 ms), while a busy machine's occasional stalls stay rare (≤ 3% measured).
 * Fix prediction: the wait disappears (a large enough pool, or no global lock).
 */
import { nodesOf, type Detector, type DetectorContext, type Finding } from './detector.js';
import { builderFor, FindingBuilder } from './finding-builder.js';

const WAIT_NAME = /lock\.wait|\block\b|mutex|semaphore|acquire|pool.*connect|queue\.wait/i;
const MIN_P75_WAIT_NS = 1e6;
const MIN_SHARE = 0.2;

export const poolSaturationDetector: Detector = {
  name: 'pool-saturation',
  detect(context: DetectorContext): Finding[] {
    const builders = new Map<string, FindingBuilder>();
    const waitNs = new Map<FindingBuilder, number>();
    const allWaitsNs = new Map<string, number[]>();
    for (const trace of context.traces) {
      for (const node of nodesOf(trace.tree)) {
        if (!WAIT_NAME.test(node.span.name)) continue;
        const waitKey = `${node.span.service}\u0000${node.span.name}`;
        const waits = allWaitsNs.get(waitKey);
        if (waits) waits.push(node.endNs - node.startNs);
        else allWaitsNs.set(waitKey, [node.endNs - node.startNs]);
        if (!trace.onPath.has(node.span.spanId)) continue;
        const builder = builderFor(builders, waitKey, () => new FindingBuilder('pool-saturation', node.span.service, node.span.name, context));
        builder.hit(trace.tree.traceId, node.span.spanId);
        builder.add('waits');
        waitNs.set(builder, (waitNs.get(builder) ?? 0) + node.endNs - node.startNs);
        builder.plan(trace.tree.traceId).remove.add(node.span.spanId);
      }
    }
    const total = context.traces.length;
    const findings: Finding[] = [];
    for (const [key, builder] of builders) {
      const meanWaitNs = (waitNs.get(builder) ?? 0) / (builder.counts.waits ?? 1);
      const sorted = (allWaitsNs.get(key) ?? []).sort((a, b) => a - b);
      const p75WaitNs = sorted[Math.floor(0.75 * (sorted.length - 1))] ?? 0;
      if (p75WaitNs < MIN_P75_WAIT_NS || builder.traceIds.size / total < MIN_SHARE) continue;
      builder.counts.p75WaitUs = Math.round(p75WaitNs / 1e3);
      builder.counts.meanWaitUs = Math.round(meanWaitNs / 1e3);
      findings.push(
        builder.build(context, {
          title: `Requests queue for a scarce resource: ${builder.operation} waits ${(meanWaitNs / 1e6).toFixed(1)} ms on average`,
          fix: 'Size the pool for the offered concurrency (Little’s law: rate × hold time), or remove the global lock / narrow its scope.',
          tradeOff: 'A bigger pool moves the queue to the database; removing a lock needs another way to keep the invariant it protected.',
        }),
      );
    }
    return findings;
  },
};
