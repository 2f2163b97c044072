/**
 * Runs a scenario and returns its run file. One worker runs in this thread; more run in worker
 * threads, each taking an interleaved segment of the schedule, merged exactly at the end.
 */
import { randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { systemClock, type Clock } from '../core/clock.js';
import { summarizeIntervals } from '../core/run-aggregate.js';
import { RUN_FILE_FORMAT, RUN_FILE_VERSION, type Interval, type RunFile, type TraceSample } from '../core/run-file.js';
import { WHOLE, type Segment } from './arrival-schedule.js';
import { describeEnvironment } from './environment.js';
import { assessHealth } from './health.js';
import { HttpTransport } from './http-transport.js';
import { mergeInterval, mergeIntervalLists } from './merge-intervals.js';
import type { Scenario } from './scenario.js';
import { runSegment, type RequestSender, type SegmentResult } from './segment-runner.js';
import { newRunTraceId } from './trace-context.js';
import { scenarioHash } from '../core/scenario-hash.js';
import { scheduleOriginMs, startRecord, wallClockMs } from './start-at.js';
import type { MainMessage, WorkerMessage, WorkerTask } from './worker-protocol.js';

export interface RunLoadOptions {
  /** Generator threads (default 1: this thread). */
  workers?: number;
  /** This machine's share of the schedule, for multi-machine runs merged with `perfloop merge`. */
  segment?: Segment;
  /** Wall-clock instant (epoch ms) at which the schedule begins (`--start-at`); default: at once. */
  startAtEpochMs?: number;
  /** Share of requests marked sampled in their traceparent and kept as trace samples (default 0). */
  traceSampleRate?: number;
  samplesCap?: number;
  /** Aborting stops the schedule; what was measured is kept and the run is marked interrupted. */
  signal?: AbortSignal;
  /** Called with each interval once every worker has sealed it (for live progress). */
  onInterval?: (interval: Interval) => void;
  /** Test seams (single worker only). */
  clock?: Clock;
  sender?: RequestSender;
}

export const newRunId = (): string => `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}-${randomBytes(3).toString('hex')}`;

/** Sub-segment of worker w among W inside machine segment i/n: together the workers cover exactly i/n. */
const workerSegment = (segment: Segment, worker: number, workers: number): Segment => ({ index: segment.index + worker * segment.count, count: segment.count * workers });

export async function runLoad(scenario: Scenario, options: RunLoadOptions = {}): Promise<RunFile> {
  const workers = Math.max(1, Math.floor(options.workers ?? 1));
  const segment = options.segment ?? WHOLE;
  const runTraceId = newRunTraceId();
  const traceSampleRate = options.traceSampleRate ?? 0;
  const samplesCap = options.samplesCap ?? 20_000;
  const startedAt = new Date();
  // Progress: an interval is reported once every worker has sealed it.
  const pendingProgress = new Map<number, { merged: Interval; seen: number }>();
  const onSealed = (intervals: Interval[]): void => {
    if (!options.onInterval) return;
    for (const interval of intervals) {
      const entry = pendingProgress.get(interval.startMs);
      const merged = entry ? { merged: mergeInterval(entry.merged, interval), seen: entry.seen + 1 } : { merged: interval, seen: 1 };
      if (merged.seen === workers) {
        pendingProgress.delete(interval.startMs);
        options.onInterval(merged.merged);
      } else pendingProgress.set(interval.startMs, merged);
    }
  };

  let results: SegmentResult[];
  let intervalLists: Interval[][];
  // --start-at: the wall-clock origin of the schedule (recorded in the run file's `start`).
  let originMs = scheduleOriginMs(options.startAtEpochMs, 1);
  if (workers === 1) {
    const clock = options.clock ?? systemClock;
    const transport = options.sender ? undefined : new HttpTransport(scenario.requests, { connections: scenario.connections, keepAlive: scenario.keepAlive }, clock);
    try {
      const result = await runSegment({
        scenario,
        segment,
        clock,
        sender: options.sender ?? (transport as HttpTransport),
        // The schedule's origin on this clock: 1 ms from now, or the requested wall-clock start (--start-at).
        startUs: options.startAtEpochMs === undefined ? clock.nowUs() + 1000 : clock.nowUs() + (originMs - wallClockMs()) * 1000,
        runTraceId,
        traceSampleRate,
        samplesCap,
        ...(options.signal ? { signal: options.signal } : {}),
        onIntervalsSealed: onSealed,
      });
      results = [result];
      intervalLists = [result.intervals];
    } finally {
      await transport?.close();
    }
  } else {
    ({ results, intervalLists, originMs } = await runInWorkers(scenario, segment, workers, { runTraceId, traceSampleRate, samplesCap, onSealed, ...(options.signal ? { signal: options.signal } : {}), ...(options.startAtEpochMs !== undefined ? { startAtEpochMs: options.startAtEpochMs } : {}) }));
  }

  const intervals = mergeIntervalLists(intervalLists);
  const interrupted = options.signal?.aborted ?? false;
  const samples = capSamples(results.flatMap((result) => result.samples), samplesCap);
  const health = assessHealth({
    intervals,
    generatorBusy: results.map((result) => result.eventLoopUtilization),
    inFlightAtEnd: results.reduce((sum, result) => sum + result.inFlightAtEnd, 0),
    interrupted,
  });
  return {
    format: RUN_FILE_FORMAT,
    version: RUN_FILE_VERSION,
    id: newRunId(),
    startedAt: startedAt.toISOString(),
    endedAt: new Date().toISOString(),
    interrupted,
    scenario: scenario as unknown as Record<string, unknown>,
    environment: describeEnvironment(workers, segment),
    intervalMs: scenario.intervalMs,
    intervals,
    health,
    summary: summarizeIntervals(intervals),
    ...(traceSampleRate > 0 ? { traces: { sampleRate: traceSampleRate, samples, samplesCap } } : {}),
    scenarioHash: scenarioHash(scenario),
    start: startRecord(options.startAtEpochMs, originMs),
  };
}

/** Keeps at most `cap` samples, spread evenly over the list (each worker's list is already uniform). */
function capSamples(samples: TraceSample[], cap: number): TraceSample[] {
  if (samples.length <= cap) return samples.sort((a, b) => a.intendedStartMs - b.intendedStartMs);
  const stride = samples.length / cap;
  return Array.from({ length: cap }, (_, index) => samples[Math.floor(index * stride)] as TraceSample).sort((a, b) => a.intendedStartMs - b.intendedStartMs);
}

interface WorkerRunOptions {
  runTraceId: string;
  traceSampleRate: number;
  samplesCap: number;
  signal?: AbortSignal;
  onSealed: (intervals: Interval[]) => void;
  startAtEpochMs?: number;
}

async function runInWorkers(scenario: Scenario, segment: Segment, workers: number, options: WorkerRunOptions): Promise<{ results: SegmentResult[]; intervalLists: Interval[][]; originMs: number }> {
  const threads = Array.from({ length: workers }, (_, worker) => {
    const task: WorkerTask = {
      scenario,
      segment: workerSegment(segment, worker, workers),
      runTraceId: options.runTraceId,
      traceSampleRate: options.traceSampleRate,
      samplesCap: Math.ceil(options.samplesCap / workers),
    };
    return new Worker(new URL('./load-worker.js', import.meta.url), { workerData: task });
  });
  const stopAll = (): void => threads.forEach((thread) => thread.postMessage({ type: 'stop' } satisfies MainMessage));
  options.signal?.addEventListener('abort', stopAll, { once: true });
  let ready = 0;
  let originMs = NaN;
  const startWhenAllReady = (): void => {
    if (++ready < workers) return;
    // Every thread has loaded: start them together, a little in the future, on the shared time axis.
    // The requested start (--start-at), or 20 ms from now when none was asked for or it has passed.
    originMs = scheduleOriginMs(options.startAtEpochMs, 20);
    const startEpochMs = originMs;
    threads.forEach((thread) => thread.postMessage({ type: 'start', startEpochMs } satisfies MainMessage));
  };
  try {
    const outcomes = await Promise.all(
      threads.map(
        (thread) =>
          new Promise<{ result: SegmentResult; intervals: Interval[] }>((resolve, reject) => {
            const intervals: Interval[] = [];
            thread.on('message', (message: WorkerMessage) => {
              if (message.type === 'ready') startWhenAllReady();
              else if (message.type === 'sealed') {
                intervals.push(...message.intervals);
                options.onSealed(message.intervals);
              } else if (message.type === 'done') resolve({ result: message.result, intervals });
              else reject(new Error(`load worker failed: ${message.message}`));
            });
            thread.on('error', reject);
            thread.on('exit', (code) => reject(new Error(`load worker exited with code ${code}`)));
          }),
      ),
    );
    return { results: outcomes.map((outcome) => outcome.result), intervalLists: outcomes.map((outcome) => outcome.intervals), originMs };
  } finally {
    options.signal?.removeEventListener('abort', stopAll);
    await Promise.all(threads.map((thread) => thread.terminate()));
  }
}
