/**
 * Queueing: an operation that waits its turn (lock wait events inside its span, or a wait before its first
 * call that grows with concurrency) — a serialisation point, not slow work.
 * The finding names the lock or pool and its fix; no index is advised (slow-query stands aside for these
 * operations, or claims at most their uncontended time). Fix prediction: the waits disappear.
 */
import { queueingByOperation, type OperationQueueing } from '../queueing.js';
import { isDbCall } from '../span.js';
import type { Detector, DetectorContext, Finding } from './detector.js';
import { FindingBuilder } from './finding-builder.js';

const ms = (ns: number): string => `${(ns / 1e6).toFixed(ns < 10e6 ? 1 : 0)} ms`;

function title(queue: OperationQueueing, meanWaitNs: number): string {
  const what = `${queue.service} ${queue.operation}`;
  if (queue.kind === 'events') {
    return `Requests queue for a lock in ${what}${queue.maxQueueDepth > 0 ? ` (up to ${queue.maxQueueDepth} waiting)` : ''}: ${ms(meanWaitNs)} waiting on average; the work itself takes ${ms(queue.uncontendedNs)}`;
  }
  if (queue.kind === 'concurrency') return `${what} is serialised: it takes ${ms(queue.uncontendedNs)} alone and about that much longer for every other execution running at once`;
  return `${what} waits for a worker before it starts: ${ms(meanWaitNs)} on average when others run at once`;
}

export const queueingDetector: Detector = {
  name: 'queueing',
  detect(context: DetectorContext): Finding[] {
    const findings: Finding[] = [];
    for (const queue of queueingByOperation(context.traces).values()) {
      // Time that grows with concurrency alone is also what a starved machine shows (measured on the lab at
      // load average 10-20, with every service slow): it re-attributes a slow query's time (slow-query
      // claims only the uncontended part) but does not make a finding of its own.
      if (queue.kind === 'concurrency') continue;
      const builder = new FindingBuilder('queueing', queue.service, queue.operation, context);
      let totalWaitNs = 0;
      for (const [execution, waitNs] of queue.waitNs) {
        if (waitNs <= 0) continue;
        builder.hit(execution.traceId, execution.node.span.spanId);
        builder.add('waits');
        totalWaitNs += waitNs;
        builder.plan(execution.traceId).durationNs.set(execution.node.span.spanId, Math.max(0, execution.node.endNs - execution.node.startNs - waitNs));
      }
      if (builder.traceIds.size === 0) continue;
      const meanWaitNs = totalWaitNs / (builder.counts.waits ?? 1);
      builder.counts.executions = queue.executions.length;
      builder.counts.meanWaitUs = Math.round(meanWaitNs / 1e3);
      builder.counts.uncontendedUs = Math.round(queue.uncontendedNs / 1e3);
      if (queue.maxQueueDepth > 0) builder.counts.maxQueueDepth = queue.maxQueueDepth;
      builder.details.evidence = queue.kind;
      const database = isDbCall(queue.executions[0]!.node.span);
      findings.push(
        builder.build(
          context,
          {
            title: title(queue, meanWaitNs),
            fix:
              queue.kind === 'gap'
                ? 'Size the worker pool (or semaphore) for the concurrency you receive, or stop funnelling the calls through one worker.'
                : `Find the serialisation point — a mutex, a pool of one connection, a single worker — and remove it, narrow it to the data that needs it, or size the pool for the concurrency.${database ? ` An index will not help: the statement itself takes ${ms(queue.uncontendedNs)}.` : ''}`,
            tradeOff: 'Concurrency exposes races the lock hid, and a bigger pool moves the queue downstream; keep the invariant by other means (row locks, optimistic concurrency).',
          },
          { level: queue.kind === 'events' ? 'high' : 'medium', because: queue.evidence },
        ),
      );
    }
    return findings;
  },
};
