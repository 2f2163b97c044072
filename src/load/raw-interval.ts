/**
 * Intervals as they leave a generator thread: counters and histogram buckets in transferable buffers, no
 * encoding. The main thread assembles them — across worker threads — into the run file's encoded
 * intervals (`IntervalAssembler`), so the thread that keeps the schedule never encodes or merges.
 */
import type { Interval, IntervalStalls, RequestStats } from '../core/run-file.js';
import { addCounters, addStalls, encodeAggregate, type IntervalAggregate, type RequestCounters } from '../core/run-aggregate.js';
import { HistogramPool } from '../histogram/histogram-pool.js';
import type { IntervalGrid } from './interval-plan.js';

export interface RawRequestStats extends RequestCounters {
  /** `LatencyHistogram.toSparse()` form. */
  latency: Float64Array;
  serviceTime: Float64Array;
}

export interface RawInterval {
  /** Index in the run's interval grid. */
  index: number;
  durationMs: number;
  scheduled: number;
  sent: number;
  scheduleLag: Float64Array;
  requests: Record<string, RawRequestStats>;
  /** Set by the generator thread when it can measure them (thread-stall-meter.ts). */
  stalls?: IntervalStalls;
}

/** The buffers to transfer (not copy) when posting raw intervals to another thread. */
export function transferablesOf(raws: readonly RawInterval[]): ArrayBuffer[] {
  const buffers: ArrayBuffer[] = [];
  for (const raw of raws) {
    buffers.push(raw.scheduleLag.buffer as ArrayBuffer);
    for (const stats of Object.values(raw.requests)) buffers.push(stats.latency.buffer as ArrayBuffer, stats.serviceTime.buffer as ArrayBuffer);
  }
  return buffers;
}

interface Pending extends IntervalAggregate {
  durationMs: number;
  /** How many generator threads have delivered this interval. */
  sources: number;
  stalls?: IntervalStalls;
}

/**
 * Adds the raw intervals of `sources` generator threads; an interval is complete (encoded and reported) once
 * every source has delivered it — each source seals its intervals in order.
 */
export class IntervalAssembler {
  private readonly pending = new Map<number, Pending>();
  private readonly done: Interval[] = [];
  /** Histograms are reused from interval to interval: allocating and growing fresh ones was most of the cost. */
  private readonly histograms = new HistogramPool();

  constructor(
    private readonly grid: IntervalGrid,
    private readonly sources: number,
    private readonly onInterval?: (interval: Interval) => void,
  ) {}

  add(raw: RawInterval): void {
    let pending = this.pending.get(raw.index);
    if (!pending) {
      pending = { durationMs: 0, scheduled: 0, sent: 0, scheduleLag: this.histograms.take(), requests: new Map(), sources: 0 };
      this.pending.set(raw.index, pending);
    }
    // The last interval stretches over each thread's drain: the longest stands for all.
    pending.durationMs = Math.max(pending.durationMs, raw.durationMs);
    pending.scheduled += raw.scheduled;
    pending.sent += raw.sent;
    pending.scheduleLag.addSparse(raw.scheduleLag);
    if (raw.stalls) pending.stalls = addStalls(pending.stalls, raw.stalls);
    for (const [name, stats] of Object.entries(raw.requests)) {
      let aggregate = pending.requests.get(name);
      if (!aggregate) pending.requests.set(name, (aggregate = { count: 0, ok: 0, statuses: {}, errors: {}, bytesReceived: 0, latency: this.histograms.take(), serviceTime: this.histograms.take() }));
      addCounters(aggregate, stats);
      aggregate.latency.addSparse(stats.latency);
      aggregate.serviceTime.addSparse(stats.serviceTime);
    }
    if (++pending.sources === this.sources) this.complete(raw.index, pending);
  }

  private complete(index: number, pending: Pending): void {
    this.pending.delete(index);
    const planned = this.grid.at(index);
    if (!planned) return;
    const requests: Record<string, RequestStats> = {};
    for (const [name, aggregate] of pending.requests) {
      requests[name] = encodeAggregate(aggregate);
      this.histograms.give(aggregate.latency);
      this.histograms.give(aggregate.serviceTime);
    }
    const interval: Interval = {
      ...planned,
      durationMs: pending.durationMs,
      scheduled: pending.scheduled,
      sent: pending.sent,
      requests,
      scheduleLag: pending.scheduleLag.encode(),
      ...(pending.stalls ? { generatorStalls: pending.stalls } : {}),
    };
    this.histograms.give(pending.scheduleLag);
    this.done.push(interval);
    this.onInterval?.(interval);
  }

  /** Completes what some source did not deliver (an interrupted run) and returns every interval in time order. */
  finish(): Interval[] {
    for (const [index, pending] of [...this.pending].sort((a, b) => a[0] - b[0])) this.complete(index, pending);
    return this.done.sort((a, b) => a.startMs - b.startMs);
  }
}
