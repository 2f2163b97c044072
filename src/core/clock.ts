/**
 * Injected time. Schedulers and recorders take a Clock so unit tests run on a fake one and never sleep.
 * Times are float microseconds since the clock's own origin (monotonic, not wall time).
 */
export interface Clock {
  nowUs(): number;
  /** Resolves once the clock reaches `atUs` (or at once when it has passed). */
  sleepUntilUs(atUs: number): Promise<void>;
}

export const systemClock: Clock = {
  nowUs: () => performance.now() * 1000,
  sleepUntilUs(atUs) {
    const waitMs = (atUs - performance.now() * 1000) / 1000;
    // Unref'd: a sleep abandoned by a race (drain, Ctrl-C) must not keep the process alive.
    return waitMs <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, waitMs).unref());
  },
};

/** A clock that only moves when told to: for exact, instant tests of time-driven code. */
export class FakeClock implements Clock {
  private timeUs: number;
  private readonly sleepers: { atUs: number; resolve: () => void }[] = [];

  constructor(startUs = 0) {
    this.timeUs = startUs;
  }

  nowUs(): number {
    return this.timeUs;
  }

  sleepUntilUs(atUs: number): Promise<void> {
    if (atUs <= this.timeUs) return Promise.resolve();
    return new Promise((resolve) => this.sleepers.push({ atUs, resolve }));
  }

  /** Moves time forward, waking sleepers whose time has come, in time order. */
  async advanceUs(deltaUs: number): Promise<void> {
    const targetUs = this.timeUs + deltaUs;
    for (;;) {
      this.sleepers.sort((a, b) => a.atUs - b.atUs);
      const next = this.sleepers[0];
      if (!next || next.atUs > targetUs) break;
      this.sleepers.shift();
      this.timeUs = next.atUs;
      next.resolve();
      // Let the woken task run (through a few event-loop turns) before the clock moves on.
      for (let turn = 0; turn < 4; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.timeUs = targetUs;
  }
}
