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

/** How a precise wait passes time without a timer. */
export interface WaitHooks {
  /** Calls back on the next turn of the event loop (I/O is polled in between). */
  turn: (callback: () => void) => void;
  /** Blocks the thread for about `us` microseconds. */
  block: (us: number) => void;
}

const blocker = new Int32Array(new SharedArrayBuffer(4));
const systemWaitHooks: WaitHooks = {
  turn: (callback) => setImmediate(callback),
  // A futex wait: precise to tens of microseconds, no CPU, no garbage — but nothing else runs meanwhile.
  block: (us) => Atomics.wait(blocker, 0, 0, us / 1000),
};

/** The kernel wakes a blocked thread up to ~50 µs late (timer slack): the last stretch is spun instead. */
const BLOCK_SLACK_US = 80;
/**
 * With requests in flight the wait spins in slices this long between turns of the event loop: a response is
 * read at most this late, and the turns (each allocates an Immediate) stay few — one turn per microsecond
 * or two made a generator collect garbage 70 times a second at 1,000 requests/s.
 */
const SPIN_SLICE_US = 25;
/**
 * Reading the clock allocates (Node's performance.now() builds an hrtime pair), so a spin reads it only
 * every this many cheap atomic loads (a few microseconds): spinning at full speed on the clock made more
 * garbage than the requests did.
 */
const LOADS_PER_CLOCK_READ = 2000;

/** Spins until `base` reaches `untilUs`, reading it every few microseconds; returns the time read last. */
function spinUntil(base: Clock, untilUs: number): number {
  let nowUs = base.nowUs();
  while (nowUs < untilUs) {
    for (let load = 0; load < LOADS_PER_CLOCK_READ; load++) Atomics.load(blocker, 0);
    nowUs = base.nowUs();
  }
  return nowUs;
}

/**
 * A clock that wakes on time to the microsecond rather than the millisecond: it sleeps on `base` until
 * `spinWindowUs` before the due time, then finishes the wait precisely. Timers fire on a millisecond grid, up
 * to ~1 ms late (and, in Node, sometimes a fraction early), which would charge every request that error (wrk2
 * has the same flaw). The last stretch blocks the thread while `mayBlock()` says nothing could arrive
 * meanwhile (no request in flight), and otherwise spins turn by turn of the event loop so responses are
 * still read on time. Both count in `spunUs`, so the self-check does not take them for work.
 */
export class PreciseClock implements Clock {
  /** Total time spent finishing waits (spinning or blocked), µs. */
  spunUs = 0;
  /** Whether the thread may block instead of spinning; the generator says yes when nothing is in flight. */
  mayBlock: () => boolean = () => false;

  constructor(
    private readonly base: Clock,
    private readonly spinWindowUs = 1500,
    private readonly hooks: WaitHooks = systemWaitHooks,
  ) {}

  nowUs(): number {
    return this.base.nowUs();
  }

  async sleepUntilUs(atUs: number): Promise<void> {
    if (atUs - this.base.nowUs() > this.spinWindowUs) await this.base.sleepUntilUs(atUs - this.spinWindowUs);
    const fromUs = this.base.nowUs();
    if (fromUs >= atUs) return;
    await new Promise<void>((resolve) => {
      // One callback re-armed each turn: no promise or closure per turn.
      const finish = (): void => {
        let nowUs = this.base.nowUs();
        const blocking = this.mayBlock();
        if (blocking && atUs - nowUs > BLOCK_SLACK_US) {
          this.hooks.block(atUs - nowUs - BLOCK_SLACK_US);
          nowUs = this.base.nowUs();
        }
        nowUs = spinUntil(this.base, blocking ? atUs : Math.min(atUs, nowUs + SPIN_SLICE_US));
        if (nowUs >= atUs) {
          this.spunUs += nowUs - fromUs;
          resolve();
        } else this.hooks.turn(finish);
      };
      finish();
    });
  }
}
