/**
 * Queueing versus slowness: does an operation take long because its own work is slow, or because it
 * waits its turn behind others (a mutex, a pool of one, a single worker)? Three kinds of evidence, per
 * operation (service + normalised statement for database calls, service + span name otherwise):
 *
 * - **wait events** inside the span ("Waiting for lock behind 3 transactions", "acquire", "queue") — the
 *   way many applications trace a lock. The wait is the time from the span's start to the "acquired"
 *   event, or the span's time beyond its uncontended time when no such event exists;
 * - **self time that grows with concurrency**: executions that overlap other executions of the same
 *   operation take about as many times longer as there are executions at once (a serialised resource);
 *   parallel work on a busy machine slows by far less;
 * - **a wait gap before the first child** that grows with concurrency (the request waited for a worker).
 *
 * The uncontended time is the median of executions that did not wait (no wait event, or alone). A finding
 * about the work itself (a slow query) may claim at most that much; the rest belongs to the queue.
 */
import type { AnalysedTrace } from './detectors/detector.js';
import { statementOf } from './detectors/span-target.js';
import { normaliseStatement } from './normalise-statement.js';
import { isDbCall, type Span, type SpanEvent } from './span.js';
import { notAwaited, type SpanNode } from './span-tree.js';

export type QueueingKind = 'events' | 'concurrency' | 'gap';

export interface Execution {
  traceId: string;
  node: SpanNode;
  /** Executions of the same operation running when this one started (itself included). */
  concurrency: number;
  /** Start, ns after the earliest trace's origin (comparable across traces). */
  absoluteStartNs: number;
  /** Time not covered by synchronous children, ns. */
  selfNs: number;
  /** Start of the first synchronous child minus the span's start, ns (undefined without children). */
  gapNs: number | undefined;
  /** A wait event saying others were ahead. */
  waited: boolean;
  /** Queue depth from the event text ("behind 3"), when given. */
  queueDepth: number | undefined;
  /** Start to the "acquired" event, ns, when the span has one. */
  acquiredAfterNs: number | undefined;
}

export interface OperationQueueing {
  key: string;
  service: string;
  operation: string;
  kind: QueueingKind;
  executions: Execution[];
  /** What the operation takes when it does not wait, ns. */
  uncontendedNs: number;
  /** Estimated wait per execution that waited, ns. */
  waitNs: Map<Execution, number>;
  maxQueueDepth: number;
  /** Human-readable evidence, one fact per line. */
  evidence: string[];
}

const WAIT_EVENT = /\b(wait(s|ing|ed)?|lock(s|ed|ing)?|acquir(e|es|ing)|queue[ds]?|queueing|queuing|blocked|contention)\b/i;
const ACQUIRED_EVENT = /\b(acquired|granted|obtained|got (the )?lock)\b/i;
/** Events about letting go are not waits. */
const RELEASE_EVENT = /\b(releas(e|ed|ing)|unlock(ed)?|freed)\b/i;
const DEPTH = /\bbehind (\d+)\b|\b(\d+)\s+(?:ahead|in (?:the )?queue|waiters? ahead)\b/i;
/** Spans that are themselves a wait (lock.wait, pool acquire): pool-saturation reports those. */
const WAIT_SPAN = /lock\.wait|\block\b|mutex|semaphore|acquire|pool.*connect|queue\.wait|checkout/i;

const MIN_EXECUTIONS = 10;
const MIN_WAITED = 3;
const MIN_WAITED_SHARE = 0.1;
const MIN_ALONE = 3;
const MIN_TOGETHER = 5;
/**
 * Serialisation makes an execution among c take about c times its alone time (c − ½ on average behind a
 * mutex); parallel work on a busy machine slows far less. Strict on purpose, with floors: a starved machine
 * (every service slow at once) must not read as a lock — checked on lab traces taken at load average 21.
 */
const MIN_SERIAL_RATIO = 0.8;
const MIN_TOGETHER_SHARE = 0.2;
const MIN_UNCONTENDED_NS = 5e6;
const MIN_EXCESS_NS = 5e6;
const MIN_GAP_NS = 2e6;

/** The key grouping executions of one operation: the same one slow-query uses. */
export function operationKey(span: Span): string {
  return isDbCall(span) ? `${span.service}\u0000${normaliseStatement(statementOf(span) ?? span.name)}` : `${span.service}\u0000${span.name}`;
}

/** Largest (or `empty` for none) without spreading: arrays of 100k+ executions overflow `Math.max(...)`. */
function maxOf(values: readonly number[], empty: number): number {
  let max = empty;
  for (const value of values) if (value > max) max = value;
  return max;
}

function minOf(values: readonly number[]): number {
  let min = Number.POSITIVE_INFINITY;
  for (const value of values) if (value < min) min = value;
  return Number.isFinite(min) ? min : 0;
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function waitEventOf(events: readonly SpanEvent[] | undefined): { waited: boolean; depth: number | undefined; acquiredNs: bigint | undefined } {
  let waited = false;
  let depth: number | undefined;
  let acquiredNs: bigint | undefined;
  for (const event of events ?? []) {
    if (ACQUIRED_EVENT.test(event.name)) {
      acquiredNs ??= event.timeNs;
      continue;
    }
    if (!WAIT_EVENT.test(event.name) || RELEASE_EVENT.test(event.name)) continue;
    const match = DEPTH.exec(event.name);
    const eventDepth = match === null ? undefined : Number(match[1] ?? match[2]);
    // "behind 0 transactions" is no wait at all.
    if (eventDepth === 0) continue;
    waited = true;
    if (eventDepth !== undefined) depth = Math.max(depth ?? 0, eventDepth);
  }
  return { waited, depth, acquiredNs };
}

/** Self time and the gap before the first synchronous child, each child clipped to the span. */
function selfAndGap(node: SpanNode): { selfNs: number; gapNs: number | undefined } {
  let coveredNs = 0;
  let cursorNs = node.startNs;
  let gapNs: number | undefined;
  for (const child of node.children) {
    if (notAwaited(child)) continue;
    const startNs = Math.max(child.startNs, node.startNs);
    const endNs = Math.min(child.endNs, node.endNs);
    if (endNs <= startNs) continue;
    gapNs ??= startNs - node.startNs;
    if (endNs > cursorNs) {
      coveredNs += endNs - Math.max(startNs, cursorNs);
      cursorNs = endNs;
    }
  }
  return { selfNs: node.endNs - node.startNs - coveredNs, gapNs };
}

function upperBound(sorted: Float64Array, value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (sorted[middle]! <= value) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * One at a time means completions are spaced by about the work's own time: of executions that overlapped
 * the one finishing before them, at least 80% finish ≥ ½ the alone time after it. A starved machine runs
 * them together and finishes them close together.
 */
function completionsSpaced(executions: readonly Execution[], uncontendedNs: number): boolean {
  const byEnd = executions.map((execution) => ({ startNs: execution.absoluteStartNs, endNs: execution.absoluteStartNs + execution.node.endNs - execution.node.startNs })).sort((a, b) => a.endNs - b.endNs);
  let pairs = 0;
  let spaced = 0;
  for (let index = 1; index < byEnd.length; index++) {
    const previous = byEnd[index - 1]!;
    const current = byEnd[index]!;
    if (current.startNs >= previous.endNs) continue;
    pairs++;
    if (current.endNs - previous.endNs >= 0.5 * uncontendedNs) spaced++;
  }
  return pairs >= MIN_TOGETHER && spaced >= 0.8 * pairs;
}

const ms = (ns: number): string => `${(ns / 1e6).toFixed(ns < 10e6 ? 1 : 0)} ms`;

function judge(key: string, executions: Execution[]): OperationQueueing | undefined {
  const first = executions[0]!.node.span;
  const base = { key, service: first.service, operation: first.name, executions };
  const durationOf = (execution: Execution): number => execution.node.endNs - execution.node.startNs;

  // 1. Wait events.
  const waited = executions.filter((execution) => execution.waited);
  if (waited.length >= MIN_WAITED && waited.length >= MIN_WAITED_SHARE * executions.length) {
    const calm = executions.filter((execution) => !execution.waited).map((execution) => durationOf(execution) - (execution.acquiredAfterNs ?? 0));
    const uncontendedNs = calm.length >= MIN_ALONE ? median(calm) : minOf(executions.map(durationOf));
    const waitNs = new Map<Execution, number>();
    for (const execution of waited) waitNs.set(execution, Math.max(0, execution.acquiredAfterNs ?? durationOf(execution) - uncontendedNs));
    const maxQueueDepth = maxOf(waited.map((execution) => execution.queueDepth ?? 0), 0);
    return {
      ...base,
      kind: 'events',
      uncontendedNs,
      waitNs,
      maxQueueDepth,
      evidence: [
        `${waited.length} of ${executions.length} executions recorded a wait event${maxQueueDepth > 0 ? ` (up to ${maxQueueDepth} ahead)` : ''}`,
        `waits ${ms(median([...waitNs.values()]))} median; the work itself takes ${ms(uncontendedNs)} when it does not wait`,
      ],
    };
  }
  if (executions.length < MIN_EXECUTIONS || WAIT_SPAN.test(first.name)) return undefined;
  const kind = first.kind;
  if (kind !== 'client' && kind !== 'internal') return undefined;

  // 2. Self time proportional to the number of executions at once.
  const alone = executions.filter((execution) => execution.concurrency === 1);
  const together = executions.filter((execution) => execution.concurrency >= 2);
  if (alone.length >= MIN_ALONE && together.length >= MIN_TOGETHER && together.length >= MIN_TOGETHER_SHARE * executions.length) {
    const uncontendedNs = median(alone.map((execution) => execution.selfNs));
    const ratio = median(together.map((execution) => execution.selfNs / (execution.concurrency * uncontendedNs)));
    const excessNs = median(together.map((execution) => execution.selfNs - uncontendedNs));
    if (uncontendedNs >= MIN_UNCONTENDED_NS && ratio >= MIN_SERIAL_RATIO && excessNs >= Math.max(MIN_EXCESS_NS, 0.5 * uncontendedNs) && completionsSpaced(executions, uncontendedNs)) {
      const waitNs = new Map<Execution, number>();
      for (const execution of together) if (execution.selfNs > uncontendedNs) waitNs.set(execution, execution.selfNs - uncontendedNs);
      return {
        ...base,
        kind: 'concurrency',
        uncontendedNs,
        waitNs,
        maxQueueDepth: maxOf(together.map((execution) => execution.concurrency), 1) - 1,
        evidence: [
          `${ms(uncontendedNs)} when alone (${alone.length} executions), ${ms(uncontendedNs + excessNs)} median with others at once (${together.length})`,
          `time grows with the number at once: ${ratio.toFixed(2)} × concurrency × the alone time (serialised ≈ 1, parallel ≈ 1/concurrency)`,
        ],
      };
    }
  }

  // 3. A wait before the first child that grows with concurrency.
  const withGap = executions.filter((execution) => execution.gapNs !== undefined);
  const aloneGaps = withGap.filter((execution) => execution.concurrency === 1).map((execution) => execution.gapNs!);
  const togetherGaps = withGap.filter((execution) => execution.concurrency >= 2);
  if (aloneGaps.length >= MIN_ALONE && togetherGaps.length >= MIN_TOGETHER) {
    const aloneGapNs = median(aloneGaps);
    const gapNs = median(togetherGaps.map((execution) => execution.gapNs!));
    const share = median(togetherGaps.map((execution) => execution.gapNs! / Math.max(1, durationOf(execution))));
    if (gapNs >= MIN_GAP_NS && gapNs >= 3 * aloneGapNs + MIN_EXCESS_NS && share >= 0.3) {
      const waitNs = new Map<Execution, number>();
      for (const execution of togetherGaps) if (execution.gapNs! > aloneGapNs) waitNs.set(execution, execution.gapNs! - aloneGapNs);
      return {
        ...base,
        kind: 'gap',
        uncontendedNs: median(alone.map(durationOf)),
        waitNs,
        maxQueueDepth: maxOf(togetherGaps.map((execution) => execution.concurrency), 1) - 1,
        evidence: [`waits ${ms(gapNs)} before its first call when others run at once (${ms(aloneGapNs)} when alone): ${Math.round(share * 100)}% of its time`],
      };
    }
  }
  return undefined;
}

const cache = new WeakMap<readonly AnalysedTrace[], Map<string, OperationQueueing>>();

/** Operations that queue, by `operationKey` (computed once per analysed trace set). */
export function queueingByOperation(traces: readonly AnalysedTrace[]): Map<string, OperationQueueing> {
  const cached = cache.get(traces);
  if (cached !== undefined) return cached;
  let epochNs: bigint | undefined;
  for (const trace of traces) if (epochNs === undefined || trace.tree.originNs < epochNs) epochNs = trace.tree.originNs;
  const groups = new Map<string, Execution[]>();
  for (const trace of traces) {
    const offsetNs = Number(trace.tree.originNs - (epochNs ?? 0n));
    for (const node of trace.tree.byId.values()) {
      // Only wait events can make a server, producer or consumer span (or a wait span itself) queue: skip
      // the rest early, since this pass visits every span.
      const kind = node.span.kind;
      if (node.span.events === undefined && ((kind !== 'client' && kind !== 'internal') || WAIT_SPAN.test(node.span.name))) continue;
      const key = operationKey(node.span);
      const wait = waitEventOf(node.span.events);
      const { selfNs, gapNs } = selfAndGap(node);
      const execution: Execution = {
        traceId: trace.tree.traceId,
        node,
        concurrency: 1,
        absoluteStartNs: offsetNs + node.startNs,
        selfNs,
        gapNs,
        waited: wait.waited,
        queueDepth: wait.depth,
        acquiredAfterNs: wait.acquiredNs === undefined ? undefined : Math.max(0, Number(wait.acquiredNs - node.span.startNs)),
      };
      const group = groups.get(key);
      if (group) group.push(execution);
      else groups.set(key, [execution]);
    }
  }
  const result = new Map<string, OperationQueueing>();
  for (const [key, group] of groups) {
    const hasEvents = group.some((execution) => execution.waited);
    if (!hasEvents && group.length < MIN_EXECUTIONS) continue;
    const starts = Float64Array.from(group, (execution) => execution.absoluteStartNs).sort();
    const ends = Float64Array.from(group, (execution) => execution.absoluteStartNs + execution.node.endNs - execution.node.startNs).sort();
    // Running at an execution's start: started at or before it, not yet ended.
    for (const execution of group) execution.concurrency = Math.max(1, upperBound(starts, execution.absoluteStartNs) - upperBound(ends, execution.absoluteStartNs));
    const judged = judge(key, group);
    if (judged !== undefined) result.set(key, judged);
  }
  cache.set(traces, result);
  return result;
}
