/**
 * A loopback target whose latency is fixed by the schedule, not by the machine: request k (read from its
 * traceparent, whose trace id ends in the request's global number) is answered at T0 + intended(k) + D on
 * the wall clock. Every run that starts its schedule at T0 then sees latency D for every request, whatever
 * its own dispatch delay — a segment whose origin is off by x ms sees D − x, so misalignment shows.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { wallClockMs } from '../../src/load/start-at.js';

export interface ScheduleLockedTarget {
  url: string;
  /** Requests answered, and how late the answers left versus their due time (the target's own jitter), ms. */
  answered(): number;
  latenessMs(): number[];
  close(): Promise<void>;
}

export async function scheduleLockedTarget(options: { startAtMs: number; intendedUsByNumber: ReadonlyMap<number, number>; delayMs: number }): Promise<ScheduleLockedTarget> {
  const lateness: number[] = [];
  const server = createServer((request, response) => {
    const traceparent = String(request.headers.traceparent ?? '');
    const number = Number.parseInt(traceparent.slice(3 + 16, 3 + 32), 16);
    const intendedUs = options.intendedUsByNumber.get(number);
    if (intendedUs === undefined) {
      response.statusCode = 400;
      response.end(`unknown request number in traceparent "${traceparent}"`);
      return;
    }
    const dueMs = options.startAtMs + intendedUs / 1000 + options.delayMs;
    const answer = (): void => {
      // The last millisecond is spun through: timers fire up to a millisecond late, too coarse here.
      if (wallClockMs() < dueMs) {
        setImmediate(answer);
        return;
      }
      lateness.push(wallClockMs() - dueMs);
      response.end('ok');
    };
    setTimeout(answer, Math.max(0, dueMs - wallClockMs() - 2));
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    answered: () => lateness.length,
    latenessMs: () => [...lateness],
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
