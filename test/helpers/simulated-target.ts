/**
 * A simulated target on a fake clock: each request takes `serviceTimeUs` once it starts; requests that
 * arrive during a freeze window start when it ends (as a stop-the-world pause would do to a real server).
 */
import type { FakeClock } from '../../src/core/clock.js';
import type { SendResult } from '../../src/load/http-transport.js';
import type { RequestSender } from '../../src/load/segment-runner.js';

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

  send(_requestIndex: number, extraHeaders: readonly string[], done: (result: SendResult) => void): void {
    const sentUs = this.clock.nowUs();
    this.sentAtUs.push(sentUs);
    this.headers.push([...extraHeaders]);
    const [freezeFrom, freezeTo] = this.options.freeze ?? [Infinity, Infinity];
    const startUs = sentUs >= freezeFrom && sentUs < freezeTo ? freezeTo : sentUs;
    const endUs = startUs + this.options.serviceTimeUs;
    void this.clock.sleepUntilUs(endUs).then(() => done({ sentUs, written: true, endUs, status: this.options.status ?? 200, bytesReceived: 5 }));
  }
}

/** Advances the fake clock in steps until `promise` settles. */
export async function driveUntilSettled<T>(clock: FakeClock, promise: Promise<T>, stepUs = 1000, limitUs = 600e6): Promise<T> {
  let settled = false;
  const watched = promise.finally(() => (settled = true));
  for (let elapsed = 0; !settled && elapsed < limitUs; elapsed += stepUs) await clock.advanceUs(stepUs);
  return watched;
}
