/**
 * Generator-thread entry: runs one segment of the schedule and streams sealed intervals, as raw buffers, to
 * the main thread. This thread does nothing else — no receiver, no analysis, no encoding, no file I/O —
 * and watches its own garbage-collection pauses, which the self-check sets beside the percentiles.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { PreciseClock, systemClock, type Clock } from '../core/clock.js';
import { LatencyHistogram } from '../histogram/latency-histogram.js';
import { prioritizeGeneratorThread } from './generator-priority.js';
import { transferablesOf, type RawInterval } from './raw-interval.js';
import type { RequestSender } from './request-sender.js';
import { runSegment } from './segment-runner.js';
import { rehearseResponseParsing } from './socket-transport.js';
import { senderForScenario } from './routed-sender.js';
import { ThreadStallMeter } from './thread-stall-meter.js';
import { traceparentFor } from './trace-context.js';
import type { MainMessage, WorkerMessage, WorkerTask } from './worker-protocol.js';

const task = workerData as WorkerTask;

// Asked for before anything else, so the thread's set-up runs at the priority its schedule will.
const priority = prioritizeGeneratorThread(task.priority);
const port = parentPort;
if (!port) throw new Error('load-worker must run in a worker thread');
const post = (message: WorkerMessage, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);
const stop = new AbortController();
const clock: Clock = task.spinWindowUs > 0 ? new PreciseClock(systemClock, task.spinWindowUs) : systemClock;
const transportOptions = { connections: task.scenario.connections, keepAlive: task.scenario.keepAlive };
// undici and gRPC load only when needed: their imports are a large share of a generator thread's start-up.
const transport: RequestSender = await senderForScenario(task.scenario, task.transport, transportOptions, clock);

const gcPauses = LatencyHistogram.empty();
let gcTotalMs = 0;
/** Longest pause since the last intervals were handed over. */
let gcMaxSinceSealUs = 0;
const recordGc = (durationMs: number): void => {
  gcPauses.record(durationMs * 1000);
  gcTotalMs += durationMs;
  gcMaxSinceSealUs = Math.max(gcMaxSinceSealUs, durationMs * 1000);
};
const gcObserver = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) recordGc(entry.duration);
});
const stallMeter = new ThreadStallMeter();

/** Sets what stalled this thread since the last hand-over on the newest interval handed over now. */
function markStalls(intervals: RawInterval[]): void {
  const newest = intervals[intervals.length - 1];
  const waits = stallMeter.take();
  if (!newest || !waits) return;
  newest.stalls = { gcMaxUs: Math.round(gcMaxSinceSealUs), runQueueWaitUs: Math.round(waits.runQueueWaitUs), stealUs: waits.stealUs };
  gcMaxSinceSealUs = 0;
}

function run(startEpochMs: number): void {
  // Each thread has its own performance.timeOrigin; this maps the shared start onto this thread's clock.
  const startUs = (startEpochMs - performance.timeOrigin) * 1000;
  gcObserver.observe({ entryTypes: ['gc'] });
  stallMeter.take(); // the set-up's waits are not the schedule's
  runSegment({
    scenario: task.scenario,
    segment: task.segment,
    clock,
    sender: transport,
    startUs,
    runTraceId: task.runTraceId,
    traceSampleRate: task.traceSampleRate,
    samplesCap: task.samplesCap,
    signal: stop.signal,
    onIntervalsSealed: (intervals) => {
      markStalls(intervals);
      post({ type: 'sealed', intervals }, transferablesOf(intervals));
    },
  })
    .then(async (result) => {
      await transport.close();
      // Entries still buffered in the observer belong to the run.
      for (const entry of gcObserver.takeRecords()) recordGc(entry.duration);
      gcObserver.disconnect();
      const stalls = { gcPauses: gcPauses.toSparse(), gcTotalMs, priority };
      post({ type: 'done', result, stalls }, [stalls.gcPauses.buffer as ArrayBuffer]);
    })
    .catch((error: unknown) => post({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }));
}

port.on('message', (message: MainMessage) => {
  if (message.type === 'start') run(message.startEpochMs);
  else stop.abort();
});
// Connections are opened before the start, so the first requests are not charged their set-up.
/**
 * Runs the hot path's code on canned data before the start: the first executions compile it and the first
 * collections of a fresh heap are long (12.8 ms measured in the first second of a run), and both would
 * otherwise land on the first requests of the schedule.
 */
function warmHotPath(): void {
  const histogram = LatencyHistogram.empty();
  for (let n = 0; n < 50_000; n++) {
    histogram.record(100 + (n % 5000));
    traceparentFor('0123456789abcdef', n, (n & 1) === 0);
  }
  histogram.toSparse();
  rehearseResponseParsing(20_000);
}

warmHotPath();
// A target that does not answer the connect is not waited for beyond a moment.
const WARM_LIMIT_MS = 2000;
void Promise.race([transport.warm?.(), new Promise((resolve) => setTimeout(resolve, WARM_LIMIT_MS).unref())]).then(() => post({ type: 'ready' }));
