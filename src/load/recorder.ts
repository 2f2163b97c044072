/**
 * Records request outcomes into per-interval, per-request-name HdrHistograms and counters.
 * Intervals are sealed (histograms encoded, memory released) once time has moved past them, so memory
 * stays flat however long the run.
 */
import { LatencyHistogram } from '../histogram/latency-histogram.js';
import type { Interval, RequestStats, TraceSample } from '../core/run-file.js';
import { emptyAggregate, mergeAggregates, type RequestAggregate } from '../core/run-aggregate.js';
import type { SendResult } from './http-transport.js';
import { intervalIndexAt, type PlannedInterval } from './interval-plan.js';

/** What the transport reported, plus which request it was and when it was meant to start (run-relative µs). */
export interface Outcome extends SendResult {
  name: string;
  intendedUs: number;
}


interface IntervalAccumulator {
  scheduled: number;
  sent: number;
  requests: Map<string, RequestAggregate>;
  scheduleLag: LatencyHistogram;
}

export class Recorder {
  private readonly open = new Map<number, IntervalAccumulator>();
  private readonly sealed: Interval[] = [];
  private sealedUpTo = 0;
  private readonly samples: TraceSample[] = [];
  private samplesSeen = 0;

  constructor(
    private readonly plan: readonly PlannedInterval[],
    private readonly samplesCap = 20_000,
  ) {}

  private accumulator(atUs: number): IntervalAccumulator {
    // Late events for an interval already sealed go to the oldest open one rather than being lost;
    // events after the plan's end (requests drained after the schedule) belong to the last interval.
    return this.accumulatorAt(Math.min(this.plan.length - 1, Math.max(this.sealedUpTo, intervalIndexAt(this.plan, atUs / 1000))));
  }

  private accumulatorAt(index: number): IntervalAccumulator {
    let accumulator = this.open.get(index);
    if (!accumulator) {
      accumulator = { scheduled: 0, sent: 0, requests: new Map(), scheduleLag: LatencyHistogram.empty() };
      this.open.set(index, accumulator);
    }
    return accumulator;
  }

  /** A request's intended start came due. */
  scheduled(intendedUs: number): void {
    this.accumulator(intendedUs).scheduled++;
  }

  /** The generator dispatched a request `lagUs` after its intended start (its own timeliness). */
  dispatched(dispatchUs: number, lagUs: number): void {
    this.accumulator(dispatchUs).scheduleLag.record(lagUs);
  }

  record(outcome: Outcome, expectStatus: readonly number[]): void {
    // Written to a connection: differs from dispatch when all connections were busy and the request queued.
    if (outcome.written) this.accumulator(outcome.sentUs).sent++;
    const accumulator = this.accumulator(outcome.endUs);
    let stats = accumulator.requests.get(outcome.name);
    if (!stats) accumulator.requests.set(outcome.name, (stats = emptyAggregate()));
    stats.count++;
    stats.bytesReceived += outcome.bytesReceived;
    let error = outcome.error;
    if (outcome.status > 0) {
      stats.statuses[outcome.status] = (stats.statuses[outcome.status] ?? 0) + 1;
      if (!error && !expectStatus.includes(outcome.status)) error = 'unexpected_status';
    }
    if (error) stats.errors[error] = (stats.errors[error] ?? 0) + 1;
    else stats.ok++;
    stats.latency.record(outcome.endUs - outcome.intendedUs);
    stats.serviceTime.record(outcome.endUs - outcome.sentUs);
  }

  /**
   * Reservoir sampling of traced requests (Algorithm R): returns the slot a new sample should take, or
   * -1 to skip it. Deciding before the sample is built keeps long runs from churning garbage.
   */
  reserveSample(): number {
    this.samplesSeen++;
    if (this.samples.length < this.samplesCap) return this.samples.length;
    const slot = Math.floor(Math.random() * this.samplesSeen);
    return slot < this.samplesCap ? slot : -1;
  }

  putSample(slot: number, sample: TraceSample): void {
    this.samples[slot] = sample;
  }

  /**
   * Seals every interval that ends at or before `nowUs`, except the last one, which stays open for the
   * requests still draining after the schedule; returns the newly sealed intervals.
   */
  sealUntil(nowUs: number): Interval[] {
    const fresh: Interval[] = [];
    while (this.sealedUpTo < this.plan.length - 1) {
      const planned = this.plan[this.sealedUpTo];
      if (!planned || (planned.startMs + planned.durationMs) * 1000 > nowUs) break;
      fresh.push(this.sealOne(this.sealedUpTo++, planned));
    }
    return fresh;
  }

  /** Seals everything left (end of run, or interruption: intervals not reached are dropped). */
  sealAll(nowUs: number): Interval[] {
    const fresh = this.sealUntil(nowUs);
    const currentIndex = this.sealedUpTo;
    const current = this.plan[currentIndex];
    if (current) {
      // Anything recorded past the current interval (requests drained after a stop) folds into it.
      const into = this.open.get(currentIndex) ?? this.accumulatorAt(currentIndex);
      for (const [index, accumulator] of this.open) if (index > currentIndex) foldInto(into, accumulator);
      // Interrupted: the interval ends where time stopped. Last interval: it also spans the drain of the
      // requests still in flight when the schedule ended, so its rate is counted over the time they took.
      const elapsedMs = Math.max(1, nowUs / 1000 - current.startMs);
      const durationMs = currentIndex === this.plan.length - 1 ? Math.max(current.durationMs, elapsedMs) : Math.min(current.durationMs, elapsedMs);
      fresh.push(this.sealOne(currentIndex, { ...current, durationMs }));
    }
    this.open.clear();
    this.sealedUpTo = this.plan.length;
    return fresh;
  }

  private sealOne(index: number, planned: PlannedInterval): Interval {
    const accumulator = this.open.get(index);
    this.open.delete(index);
    const requests: Record<string, RequestStats> = {};
    for (const [name, stats] of accumulator?.requests ?? []) {
      requests[name] = {
        count: stats.count,
        ok: stats.ok,
        statuses: stats.statuses,
        errors: stats.errors,
        bytesReceived: stats.bytesReceived,
        latency: stats.latency.encode(),
        serviceTime: stats.serviceTime.encode(),
      };
    }
    const interval: Interval = {
      ...planned,
      scheduled: accumulator?.scheduled ?? 0,
      sent: accumulator?.sent ?? 0,
      requests,
      scheduleLag: accumulator?.scheduleLag.encode() ?? '',
    };
    this.sealed.push(interval);
    return interval;
  }

  intervals(): Interval[] {
    return this.sealed;
  }

  traceSamples(): TraceSample[] {
    return this.samples;
  }
}

function foldInto(into: IntervalAccumulator, from: IntervalAccumulator): void {
  into.scheduled += from.scheduled;
  into.sent += from.sent;
  into.scheduleLag.add(from.scheduleLag);
  for (const [name, stats] of from.requests) {
    let target = into.requests.get(name);
    if (!target) into.requests.set(name, (target = emptyAggregate()));
    mergeAggregates(target, stats);
  }
}
