/**
 * A simulated target on a fake clock: each request takes `serviceTimeUs` once it starts; requests that
 * arrive during a freeze window start when it ends (as a stop-the-world pause would do to a real server).
 */
import type { FakeClock } from '../../src/core/clock.js';
import type { Interval } from '../../src/core/run-file.js';
import { IntervalGrid } from '../../src/load/interval-plan.js';
import { IntervalAssembler } from '../../src/load/raw-interval.js';
import type { RequestSender, SendDone } from '../../src/load/request-sender.js';
import { runSegment, type SegmentResult, type SegmentRunOptions } from '../../src/load/segment-runner.js';

export interface SimulatedTargetOptions {
  serviceTimeUs: number;
  /** Absolute fake-clock times [fromUs, toUs) during which the target is frozen. */
  freeze?: [number, number];
  status?: number;
}

export class SimulatedTarget implements RequestSender {
  readonly sentAtUs: number[] = [];
  readonly headers: string[][] = [];

  constructor(
    private readonly clock: FakeClock,
    private readonly options: SimulatedTargetOptions,
  ) {}

  send(slot: number, _requestIndex: number, traceparent: string, _path: string | undefined, done: SendDone): void {
    const sentUs = this.clock.nowUs();
    this.sentAtUs.push(sentUs);
    this.headers.push(['traceparent', traceparent]);
    const [freezeFrom, freezeTo] = this.options.freeze ?? [Infinity, Infinity];
    const startUs = sentUs >= freezeFrom && sentUs < freezeTo ? freezeTo : sentUs;
    const endUs = startUs + this.options.serviceTimeUs;
    void this.clock.sleepUntilUs(endUs).then(() => done(slot, { sentUs, written: true, endUs, status: this.options.status ?? 200, bytesReceived: 5 }));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Runs one segment and assembles its intervals as the run does. */
export async function runSegmentIntervals(options: SegmentRunOptions): Promise<SegmentResult & { intervals: Interval[] }> {
  const assembler = new IntervalAssembler(new IntervalGrid(options.scenario.phases, options.scenario.intervalMs), 1);
  const result = await runSegment({ ...options, onIntervalsSealed: (raws) => raws.forEach((raw) => assembler.add(raw)) });
  return { ...result, intervals: assembler.finish() };
}

/** Advances the fake clock in steps until `promise` settles. */
export async function driveUntilSettled<T>(clock: FakeClock, promise: Promise<T>, stepUs = 1000, limitUs = 600e6): Promise<T> {
  let settled = false;
  const watched = promise.finally(() => (settled = true));
  for (let elapsed = 0; !settled && elapsed < limitUs; elapsed += stepUs) await clock.advanceUs(stepUs);
  return watched;
}
