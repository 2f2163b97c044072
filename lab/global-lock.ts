/**
 * A global mutex around a critical section, the `lock` problem. The wait for the lock is recorded as a manual
 * span named `lock.wait` so the serialisation detector can see time spent queueing rather than working.
 */
import { trace } from '@opentelemetry/api';

export class GlobalLock {
  private tail: Promise<void> = Promise.resolve();
  private readonly tracer = trace.getTracer('perfloop-lab');

  constructor(private readonly lockName: string) {}

  /** Runs `critical` once every earlier holder has finished. */
  async run<T>(critical: () => Promise<T>, onWaited?: () => void): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    const span = this.tracer.startSpan('lock.wait', { attributes: { 'lock.name': this.lockName } });
    await previous;
    span.end();
    onWaited?.();
    try {
      return await critical();
    } finally {
      release();
    }
  }
}
