/**
 * A database that serves one statement at a time (an embedded database such as SQLite or PGlite, one connection
 * shared by everyone, a single-threaded store): what its queue would have been without some of its work.
 *
 * Why: a fix that takes work off such a database (a batched N+1, an index, a pooled connection, a cache) also
 * shortens the wait of every other statement queued behind that work — in other requests too. Re-timing each trace
 * on its own saw only the request's own statements and understated the lab's database fixes 1.6–4×.
 *
 * Inference: with one server and first-come first-served, a call leaves the server when its service ends, so in
 * order of their ends each call's service time is its end minus the later of its own start and the previous call's
 * end (the classic departure-time reconstruction). The client span's start stands for its arrival at the server.
 * Replay: the same arrivals, in the same service order, with the fix's service times: every remaining call gets a
 * new end, and its new duration is that end minus its arrival. First order only: requests that finish sooner would
 * send their next statements sooner, which the replay does not move; and a transaction's hold on the server between
 * its statements counts as idle time that others could use.
 */
import { isDbCall, type Span } from './span.js';
import type { TraceTree } from './span-tree.js';
import { isAcquireSpan, statementOf } from './detectors/span-target.js';
import { normaliseStatement } from './normalise-statement.js';

interface QueuedCall {
  /** `callKey(traceId, spanId)`: span ids are unique within a trace only. */
  key: string;
  /** Arrival (client span start), ns after the queue's origin. */
  arrivalNs: number;
  /** Original duration (wait + service), ns. */
  durationNs: number;
  serviceNs: number;
  /** The median service time of calls of the same statement (service + normalised text, or the span's name). */
  typicalServiceNs: number;
}

export interface SerialDatabase {
  /** Every database call of the window (connects too; pool acquires are the client's own wait), in service order. */
  calls: readonly QueuedCall[];
}

/** A call's key across traces. */
export const callKey = (traceId: string, spanId: string): string => `${traceId}/${spanId}`;

/** Database calls that reach the server: statements and connects, not a pool's acquire inside the client. */
const reachesServer = (span: Span): boolean => isDbCall(span) && !isAcquireSpan(span);

/** The queue behind every database call of `trees` (one server, first come first served). */
export function inferSerialDatabase(trees: readonly TraceTree[]): SerialDatabase {
  const first = trees[0];
  if (first === undefined) return { calls: [] };
  const origin = trees.reduce((earliest, tree) => (tree.originNs < earliest ? tree.originNs : earliest), first.originNs);
  const timed: { key: string; statement: string; startNs: number; endNs: number }[] = [];
  for (const tree of trees) {
    const offsetNs = Number(tree.originNs - origin);
    for (const node of tree.byId.values()) {
      if (!reachesServer(node.span)) continue;
      const statement = `${node.span.service}\u0000${normaliseStatement(statementOf(node.span) ?? node.span.name)}`;
      timed.push({ key: callKey(tree.traceId, node.span.spanId), statement, startNs: node.startNs + offsetNs, endNs: node.endNs + offsetNs });
    }
  }
  timed.sort((a, b) => a.endNs - b.endNs);
  const services: number[] = [];
  const byStatement = new Map<string, number[]>();
  let previousEndNs = Number.NEGATIVE_INFINITY;
  for (const call of timed) {
    const serviceNs = Math.max(0, call.endNs - Math.max(call.startNs, previousEndNs));
    services.push(serviceNs);
    const list = byStatement.get(call.statement) ?? [];
    list.push(serviceNs);
    byStatement.set(call.statement, list);
    previousEndNs = Math.max(previousEndNs, call.endNs);
  }
  const typical = new Map([...byStatement].map(([statement, list]) => [statement, median(list)]));
  const calls = timed.map((call, index): QueuedCall => ({
    key: call.key,
    arrivalNs: call.startNs,
    durationNs: call.endNs - call.startNs,
    serviceNs: services[index] ?? 0,
    typicalServiceNs: typical.get(call.statement) ?? 0,
  }));
  return { calls };
}

/** Keyed by `callKey`. */
export interface DatabaseWorkChange {
  /** Calls that no longer happen. */
  removed: ReadonlySet<string>;
  /** Calls whose own work gets shorter: their new duration, ns (the shortening comes off their service time). */
  durationNs: ReadonlyMap<string, number>;
}

/**
 * New durations, ns, of the remaining calls (by `callKey`) that `change` shortens or whose wait it alters, once it
 * takes its work off the server (calls served before the first change keep theirs and are left out). A fix takes
 * off at most the statement's typical service time: a call's service beyond it is a stall of the server (a pause, a
 * checkpoint) that happened to fall during it, and stays in the queue when the call goes — at the lab's busy
 * baseline, removing N+1 repeats together with the stalls they sat in predicted 4× the measured saving.
 */
export function relievedDurations(database: SerialDatabase, change: DatabaseWorkChange): Map<string, number> {
  const durations = new Map<string, number>();
  let previousEndNs = Number.NEGATIVE_INFINITY;
  for (const call of database.calls) {
    const removed = change.removed.has(call.key);
    const shortened = change.durationNs.get(call.key);
    const wantedNs = removed ? call.serviceNs : shortened === undefined ? 0 : Math.max(0, call.durationNs - shortened);
    const serviceNs = call.serviceNs - Math.min(call.serviceNs, wantedNs, call.typicalServiceNs);
    const endNs = Math.max(call.arrivalNs, previousEndNs) + serviceNs;
    if (!removed && (shortened !== undefined || endNs - call.arrivalNs !== call.durationNs)) durations.set(call.key, endNs - call.arrivalNs);
    previousEndNs = endNs;
  }
  return durations;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
}
