/**
 * Runs a scenario and returns its run file. The schedule always runs in generator threads of its own
 * (one per `--workers`), each taking an interleaved segment of the schedule; this thread only assembles
 * their raw intervals, so a receiver, analysis or progress display here never delays a request.
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { summarizeIntervals } from '../core/run-aggregate.js';
import { RUN_FILE_FORMAT, RUN_FILE_VERSION, type Interval, type RunFile, type TraceSample } from '../core/run-file.js';
import type { Clock } from '../core/clock.js';
import { LatencyHistogram } from '../histogram/latency-histogram.js';
import { WHOLE, type Segment } from './arrival-schedule.js';
import { describeEnvironment } from './environment.js';
import type { GeneratorPriority } from './generator-priority.js';
import { assessHealth, DEFAULT_HEALTH_THRESHOLDS, type HealthThresholds } from './health.js';
import { IntervalGrid } from './interval-plan.js';
import { IntervalAssembler } from './raw-interval.js';
import type { RequestSender } from './request-sender.js';
import type { Scenario } from './scenario.js';
import { runSegment, type SegmentResult } from './segment-runner.js';
import { scenarioHash } from '../core/scenario-hash.js';
import { scheduleOriginMs, startRecord, wallClockMs } from './start-at.js';
import { newRunTraceId } from './trace-context.js';
import type { GeneratorStalls, MainMessage, TransportKind, WorkerMessage, WorkerTask } from './worker-protocol.js';

export interface RunLoadOptions {
  /** Generator threads (default 1). */
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
  /** Aborting (a second Ctrl-C) ends the run at once with what has arrived; in-flight requests are not awaited. */
  forceSignal?: AbortSignal;
  /** Called with each interval once every generator thread has sealed it (for live progress). */
  onInterval?: (interval: Interval) => void;
  /** HTTP client: the lean socket transport (default) or undici. */
  transport?: TransportKind;
  /** Precise dispatch: how long before each due time the generator stops sleeping and spins (µs, default 1500; 0: timers only). */
  spinWindowUs?: number;
  /** Scheduling priority the generator threads ask for (default raised; see generator-priority.ts). */
  priority?: GeneratorPriority;
  /** The self-check's thresholds, where a caller judges lateness itself (default DEFAULT_HEALTH_THRESHOLDS). */
  healthThresholds?: Partial<HealthThresholds>;
  /** Test seams: run in this thread on this clock and sender (one generator). */
  clock?: Clock;
  sender?: RequestSender;
}

export const DEFAULT_SPIN_WINDOW_US = 1500;

export const newRunId = (): string => `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}-${randomBytes(3).toString('hex')}`;

/** Sub-segment of worker w among W inside machine segment i/n: together the workers cover exactly i/n. */
const workerSegment = (segment: Segment, worker: number, workers: number): Segment => ({ index: segment.index + worker * segment.count, count: segment.count * workers });

interface GeneratorOutcome {
  results: SegmentResult[];
  stalls: GeneratorStalls[];
  /** The schedule's wall-clock origin (epoch ms). */
  originMs: number;
}

export async function runLoad(scenario: Scenario, options: RunLoadOptions = {}): Promise<RunFile> {
  const inThread = options.sender !== undefined || options.clock !== undefined;
  const workers = inThread ? 1 : Math.max(1, Math.floor(options.workers ?? 1));
  const segment = options.segment ?? WHOLE;
  const runTraceId = newRunTraceId();
  const traceSampleRate = options.traceSampleRate ?? 0;
  const samplesCap = options.samplesCap ?? 20_000;
  const assembler = new IntervalAssembler(new IntervalGrid(scenario.phases, scenario.intervalMs), workers, options.onInterval);

  let outcome: GeneratorOutcome;
  if (inThread) {
    const { clock, sender } = options;
    if (!clock || !sender) throw new TypeError('runLoad: the in-thread test seam needs both clock and sender');
    const originMs = scheduleOriginMs(options.startAtEpochMs, 1);
    const result = await runSegment({
      scenario,
      segment,
      clock,
      sender,
      // The schedule's origin on this clock: 1 ms from now, or the requested wall-clock start (--start-at).
      startUs: options.startAtEpochMs === undefined ? clock.nowUs() + 1000 : clock.nowUs() + (originMs - wallClockMs()) * 1000,
      runTraceId,
      traceSampleRate,
      samplesCap,
      ...(options.signal ? { signal: options.signal } : {}),
      onIntervalsSealed: (raws) => raws.forEach((raw) => assembler.add(raw)),
    });
    outcome = { results: [result], stalls: [], originMs };
  } else {
    const task = (worker: number): WorkerTask => ({
      scenario,
      segment: workerSegment(segment, worker, workers),
      runTraceId,
      traceSampleRate,
      samplesCap: Math.ceil(samplesCap / workers),
      transport: options.transport ?? 'socket',
      spinWindowUs: options.spinWindowUs ?? DEFAULT_SPIN_WINDOW_US,
      // Real-time threads that share a core take turns in 100 ms slices: only with a core each.
      priority: options.priority === 'realtime' && workers > availableParallelism() ? 'raised' : (options.priority ?? 'raised'),
    });
    outcome = await runInWorkers(Array.from({ length: workers }, (_, worker) => task(worker)), assembler, options);
  }

  const intervals = assembler.finish();
  const interrupted = (options.signal?.aborted ?? false) || (options.forceSignal?.aborted ?? false);
  const samples = capSamples(outcome.results.flatMap((result) => result.samples), samplesCap);
  const gcPauses = LatencyHistogram.empty();
  for (const stalls of outcome.stalls) gcPauses.addSparse(stalls.gcPauses);
  const health = assessHealth({
    intervals,
    generatorBusy: outcome.results.map((result) => result.eventLoopUtilization),
    inFlightAtEnd: outcome.results.reduce((sum, result) => sum + result.inFlightAtEnd, 0),
    interrupted,
    scheduleCut: outcome.results.find((result) => result.scheduleCut)?.scheduleCut,
    ...(inThread ? {} : { gcPauses, gcTotalMs: outcome.stalls.reduce((sum, stalls) => sum + stalls.gcTotalMs, 0), priorities: outcome.stalls.map((stalls) => stalls.priority) }),
  }, { ...DEFAULT_HEALTH_THRESHOLDS, ...options.healthThresholds });
  return {
    format: RUN_FILE_FORMAT,
    version: RUN_FILE_VERSION,
    id: newRunId(),
    // The schedule's real start (generator threads take a moment to boot): signals and traces align on it.
    startedAt: new Date(outcome.originMs).toISOString(),
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
    start: startRecord(options.startAtEpochMs, outcome.originMs),
  };
}

/** Keeps at most `cap` samples, spread evenly over the list (each worker's list is already uniform). */
function capSamples(samples: TraceSample[], cap: number): TraceSample[] {
  if (samples.length <= cap) return samples.sort((a, b) => a.intendedStartMs - b.intendedStartMs);
  const stride = samples.length / cap;
  return Array.from({ length: cap }, (_, index) => samples[Math.floor(index * stride)] as TraceSample).sort((a, b) => a.intendedStartMs - b.intendedStartMs);
}

/**
 * How far ahead of "now" the threads are told to start: the message must reach every thread, on a busy
 * machine too, before its first request is due (20 ms was measured too short beside a saturated lab).
 */
const START_LEAD_MS = 100;

/** Young-generation size of a generator thread: fewer scavenges, and so fewer pauses, at high rates. */
const GENERATOR_YOUNG_GENERATION_MB = 64;

async function runInWorkers(tasks: WorkerTask[], assembler: IntervalAssembler, options: RunLoadOptions): Promise<GeneratorOutcome> {
  const threads = tasks.map((task) => new Worker(new URL('./load-worker.js', import.meta.url), { workerData: task, resourceLimits: { maxYoungGenerationSizeMb: GENERATOR_YOUNG_GENERATION_MB } }));
  const stopAll = (): void => threads.forEach((thread) => thread.postMessage({ type: 'stop' } satisfies MainMessage));
  options.signal?.addEventListener('abort', stopAll, { once: true });
  // Stopped before the threads even started (a Ctrl-C during start-up): they start and end at once.
  if (options.signal?.aborted) stopAll();
  let ready = 0;
  let originMs = NaN;
  const startWhenAllReady = (): void => {
    if (++ready < threads.length) return;
    // Every thread has loaded and connected: start them together on the shared time axis, at the requested
    // start (--start-at; the threads wait for it themselves) or START_LEAD_MS from now.
    originMs = scheduleOriginMs(options.startAtEpochMs, START_LEAD_MS);
    threads.forEach((thread) => thread.postMessage({ type: 'start', startEpochMs: originMs } satisfies MainMessage));
  };
  const finished: { result: SegmentResult; stalls: GeneratorStalls }[] = [];
  const everyThread = Promise.all(
    threads.map(
      (thread) =>
        new Promise<void>((resolve, reject) => {
          thread.on('message', (message: WorkerMessage) => {
            if (message.type === 'ready') startWhenAllReady();
            else if (message.type === 'sealed') message.intervals.forEach((raw) => assembler.add(raw));
            else if (message.type === 'done') {
              finished.push({ result: message.result, stalls: message.stalls });
              resolve();
            } else reject(new Error(`load worker failed: ${message.message}`));
          });
          thread.on('error', reject);
          thread.on('exit', (code) => reject(new Error(`load worker exited with code ${code}`)));
        }),
    ),
  );
  // A second Ctrl-C: keep what has arrived and stop waiting for the threads.
  const forced = new Promise<void>((resolve) => {
    if (options.forceSignal?.aborted) resolve();
    options.forceSignal?.addEventListener('abort', () => resolve(), { once: true });
  });
  // Threads terminated after a forced end report their exit here; that is expected, not a failure.
  everyThread.catch(() => undefined);
  try {
    await Promise.race([everyThread, forced]);
    return { results: finished.map((entry) => entry.result), stalls: finished.map((entry) => entry.stalls), originMs };
  } finally {
    options.signal?.removeEventListener('abort', stopAll);
    await Promise.all(threads.map((thread) => thread.terminate()));
  }
}
