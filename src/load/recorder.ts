/**
 * Records request outcomes into per-interval, per-request-name HdrHistograms and counters, in place.
 * Intervals are sealed once time has moved past them: their buckets leave as raw, transferable counts
 * (raw-interval.ts) and their histograms are reset and reused, so memory stays flat however long the run
 * and sealing costs the generator's thread no encoding and no fresh garbage.
 */
import { mergeAggregates, type IntervalAggregate } from '../core/run-aggregate.js';
import type { TraceSample } from '../core/run-file.js';
import { HistogramPool } from '../histogram/histogram-pool.js';
import type { LatencyHistogram } from '../histogram/latency-histogram.js';
import type { IntervalGrid } from './interval-plan.js';
import type { RawInterval, RawRequestStats } from './raw-interval.js';
import type { SendResult } from './request-sender.js';

/** What the transport reported, plus which request it was and when it was meant to start (run-relative µs). */
export interface Outcome extends SendResult {
  name: string;
  intendedUs: number;
}

/** Status keys of gRPC codes (`grpc 14`), built once: the recorder runs on every response. */
const GRPC_STATUS_KEYS = Array.from({ length: 17 }, (_, code) => `grpc ${code}`);
const grpcStatusKey = (code: number): string => GRPC_STATUS_KEYS[code] ?? `grpc ${code}`;

export class Recorder {
  private readonly open = new Map<number, IntervalAggregate>();
  private sealedUpTo = 0;
  private readonly samples: TraceSample[] = [];
  private samplesSeen = 0;
  private readonly histograms = new HistogramPool();

  constructor(
    private readonly grid: IntervalGrid,
    private readonly samplesCap = 20_000,
  ) {}

  private accumulator(atUs: number): IntervalAggregate {
    // Late events for an interval already sealed go to the oldest open one rather than being lost;
    // events after the grid's end (requests drained after the schedule) belong to the last interval.
    return this.accumulatorAt(Math.min(this.grid.length - 1, Math.max(this.sealedUpTo, this.grid.indexAt(atUs / 1000))));
  }

  private accumulatorAt(index: number): IntervalAggregate {
    let accumulator = this.open.get(index);
    if (!accumulator) {
      accumulator = { scheduled: 0, sent: 0, requests: new Map(), scheduleLag: this.histograms.take() };
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
    if (!stats) {
      stats = { count: 0, ok: 0, statuses: {}, errors: {}, bytesReceived: 0, latency: this.histograms.take(), serviceTime: this.histograms.take() };
      accumulator.requests.set(outcome.name, stats);
    }
    stats.count++;
    stats.bytesReceived += outcome.bytesReceived;
    let error = outcome.error;
    if (outcome.grpcStatus !== undefined) {
      const key = grpcStatusKey(outcome.grpcStatus);
      stats.statuses[key] = (stats.statuses[key] ?? 0) + 1;
      if (!error && !expectStatus.includes(outcome.grpcStatus)) error = 'unexpected_status';
    } else if (outcome.status > 0) {
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
  sealUntil(nowUs: number): RawInterval[] {
    const fresh: RawInterval[] = [];
    while (this.sealedUpTo < this.grid.length - 1) {
      const planned = this.grid.at(this.sealedUpTo);
      if (!planned || (planned.startMs + planned.durationMs) * 1000 > nowUs) break;
      fresh.push(this.sealOne(this.sealedUpTo++, planned.durationMs));
    }
    return fresh;
  }

  /** Seals everything left (end of run, or interruption: intervals not reached are dropped). */
  sealAll(nowUs: number): RawInterval[] {
    const fresh = this.sealUntil(nowUs);
    const currentIndex = this.sealedUpTo;
    const current = this.grid.at(currentIndex);
    if (current) {
      // Anything recorded past the current interval (requests drained after a stop) folds into it.
      const into = this.accumulatorAt(currentIndex);
      for (const [index, accumulator] of this.open) if (index > currentIndex) this.foldInto(into, accumulator);
      // Interrupted: the interval ends where time stopped. Last interval: it also spans the drain of the
      // requests still in flight when the schedule ended, so its rate is counted over the time they took.
      const elapsedMs = Math.max(1, nowUs / 1000 - current.startMs);
      const durationMs = currentIndex === this.grid.length - 1 ? Math.max(current.durationMs, elapsedMs) : Math.min(current.durationMs, elapsedMs);
      fresh.push(this.sealOne(currentIndex, durationMs));
    }
    this.open.clear();
    this.sealedUpTo = this.grid.length;
    return fresh;
  }

  private sealOne(index: number, durationMs: number): RawInterval {
    const accumulator = this.open.get(index);
    this.open.delete(index);
    const requests: Record<string, RawRequestStats> = {};
    for (const [name, stats] of accumulator?.requests ?? []) {
      requests[name] = { count: stats.count, ok: stats.ok, statuses: stats.statuses, errors: stats.errors, bytesReceived: stats.bytesReceived, latency: this.drain(stats.latency), serviceTime: this.drain(stats.serviceTime) };
    }
    const scheduleLag = accumulator ? this.drain(accumulator.scheduleLag) : new Float64Array(0);
    return { index, durationMs, scheduled: accumulator?.scheduled ?? 0, sent: accumulator?.sent ?? 0, requests, scheduleLag };
  }

  /** The histogram's buckets; the histogram itself goes back to the spares. */
  private drain(histogram: LatencyHistogram): Float64Array {
    const sparse = histogram.toSparse();
    this.histograms.give(histogram);
    return sparse;
  }

  private foldInto(into: IntervalAggregate, from: IntervalAggregate): void {
    into.scheduled += from.scheduled;
    into.sent += from.sent;
    into.scheduleLag.add(from.scheduleLag);
    for (const [name, stats] of from.requests) {
      const target = into.requests.get(name);
      if (target) mergeAggregates(target, stats);
      else into.requests.set(name, stats);
    }
  }

  traceSamples(): TraceSample[] {
    return this.samples;
  }
}
