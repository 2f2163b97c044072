/**
 * Runs one segment of a scenario in the current thread: open phases dispatch every arrival at its
 * intended time whatever the responses do; closed phases run users that wait for each response.
 * Latency is always measured from the intended start, so time a request spends queued — in the
 * generator, in the connection pool, or in the target — is counted.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import type { Clock } from '../core/clock.js';
import type { Interval, TraceSample } from '../core/run-file.js';
import { arrivals, phaseStartsMs, segmentUsers, type Arrival, type Segment } from './arrival-schedule.js';
import type { SendResult } from './http-transport.js';
import { planIntervals } from './interval-plan.js';
import { hashUniform, weightedPicker } from './random.js';
import { Recorder } from './recorder.js';
import type { ClosedPhase, Scenario } from './scenario.js';
import { requestTraceIds, traceparentFor } from './trace-context.js';
import { compilePathTemplate, originPrefix } from './url-template.js';

/** What the runner needs from a transport: send request i, call back once. */
export interface RequestSender {
  send(requestIndex: number, extraHeaders: readonly string[], done: (result: SendResult) => void, path?: string): void;
}

export interface SegmentRunOptions {
  scenario: Scenario;
  segment: Segment;
  clock: Clock;
  sender: RequestSender;
  /** Clock time (µs) at which the run starts; all intended times are relative to it. */
  startUs: number;
  runTraceId: string;
  /** Share of requests marked sampled in their traceparent and kept as trace samples. */
  traceSampleRate: number;
  samplesCap?: number;
  /** Stops scheduling (Ctrl-C); in-flight requests still get `drainMs` to finish. */
  signal?: AbortSignal;
  /** How long to wait for in-flight requests after the schedule ends (default: longest timeout + 1 s). */
  drainMs?: number;
  onIntervalsSealed?: (intervals: Interval[]) => void;
}

export interface SegmentResult {
  intervals: Interval[];
  samples: TraceSample[];
  inFlightAtEnd: number;
  /** Event-loop utilisation of this thread over the run, 0..1: the generator's own busyness. */
  eventLoopUtilization: number;
}

/** Requests per event-loop turn before yielding, so responses keep being read during a burst. */
const DISPATCH_BATCH = 128;

export async function runSegment(options: SegmentRunOptions): Promise<SegmentResult> {
  const { scenario, segment, clock, sender, startUs } = options;
  const recorder = new Recorder(planIntervals(scenario.phases, scenario.intervalMs), options.samplesCap);
  const stopped = (): boolean => options.signal?.aborted ?? false;
  const sinceStartUs = (): number => clock.nowUs() - startUs;
  const eluStart = performance.eventLoopUtilization();
  let inFlight = 0;
  let onIdle: (() => void) | undefined;

  const seal = (): void => {
    const fresh = recorder.sealUntil(sinceStartUs());
    if (fresh.length > 0) options.onIntervalsSealed?.(fresh);
  };
  const sealTimer = setInterval(seal, Math.min(250, scenario.intervalMs));

  /** Sends one request intended at `intendedUs` (run-relative); calls `after` with its run-relative end. */
  const pathTemplates = scenario.requests.map((request) => (request.vars ? compilePathTemplate(request.url.slice(originPrefix(request.url).length), request.vars, scenario.seed) : undefined));

  const fire = (requestNumber: number, requestIndex: number, intendedUs: number, after?: (endUs: number) => void): void => {
    const request = scenario.requests[requestIndex];
    if (!request) return;
    const nowUs = sinceStartUs();
    recorder.scheduled(intendedUs);
    recorder.dispatched(nowUs, Math.max(0, nowUs - intendedUs));
    const sampled = options.traceSampleRate > 0 && hashUniform(scenario.seed + 0x7ace, requestNumber) < options.traceSampleRate;
    inFlight++;
    sender.send(requestIndex, ['traceparent', traceparentFor(options.runTraceId, requestNumber, sampled)], (result) => {
      inFlight--;
      const endUs = result.endUs - startUs;
      const outcome = { name: request.name, intendedUs, sentUs: result.sentUs - startUs, written: result.written, endUs, status: result.status, bytesReceived: result.bytesReceived };
      recorder.record(result.error ? { ...outcome, error: result.error } : outcome, request.expectStatus);
      const slot = sampled ? recorder.reserveSample() : -1;
      if (slot >= 0) {
        recorder.putSample(slot, {
          ...requestTraceIds(options.runTraceId, requestNumber),
          name: request.name,
          intendedStartMs: intendedUs / 1000,
          latencyUs: Math.max(0, endUs - intendedUs),
          status: result.status,
          ...(result.error ? { error: result.error } : {}),
        });
      }
      after?.(endUs);
      if (inFlight === 0) onIdle?.();
    }, pathTemplates[requestIndex]?.(requestNumber));
  };

  const runOpenArrivals = async (pending: Iterator<Arrival>, first: Arrival | undefined, phaseIndex: number): Promise<Arrival | undefined> => {
    let next = first;
    while (next && next.phaseIndex === phaseIndex && !stopped()) {
      if (next.intendedUs > sinceStartUs()) {
        await clock.sleepUntilUs(startUs + next.intendedUs);
        continue;
      }
      for (let batch = 0; next && next.phaseIndex === phaseIndex && batch < DISPATCH_BATCH && next.intendedUs <= sinceStartUs(); batch++) {
        fire(next.index, next.requestIndex, next.intendedUs);
        next = pending.next().value as Arrival | undefined;
      }
      await yieldToEventLoop();
    }
    return next;
  };

  const runClosedPhase = async (phase: ClosedPhase, phaseIndex: number, phaseStartUs: number): Promise<void> => {
    const phaseEndUs = phaseStartUs + phase.durationMs * 1000;
    const pick = weightedPicker(scenario.requests.map((request) => request.weight));
    const user = async (userNumber: number): Promise<void> => {
      let intendedUs = Math.max(phaseStartUs, sinceStartUs());
      for (let iteration = 0; !stopped() && intendedUs < phaseEndUs; iteration++) {
        if (intendedUs > sinceStartUs()) await clock.sleepUntilUs(startUs + intendedUs);
        if (stopped()) break;
        // Numbers for closed-model requests live above 2^40 so they never collide with open arrivals.
        const requestNumber = 2 ** 40 + phaseIndex * 2 ** 32 + userNumber * 2 ** 20 + iteration;
        const requestIndex = pick(hashUniform(scenario.seed ^ userNumber, iteration));
        const endUs = await new Promise<number>((resolve) => fire(requestNumber, requestIndex, intendedUs, resolve));
        intendedUs = endUs + phase.thinkTimeMs * 1000;
      }
    };
    await Promise.all(segmentUsers(phase.users, segment).map(user));
  };

  const startsMs = phaseStartsMs(scenario.phases);
  const pending = arrivals(scenario, segment);
  let next = pending.next().value as Arrival | undefined;
  for (let phaseIndex = 0; phaseIndex < scenario.phases.length && !stopped(); phaseIndex++) {
    const phase = scenario.phases[phaseIndex];
    const phaseStartUs = (startsMs[phaseIndex] ?? 0) * 1000;
    if (!phase) break;
    if (phase.kind === 'closed') await runClosedPhase(phase, phaseIndex, phaseStartUs);
    else next = await runOpenArrivals(pending, next, phaseIndex);
    // A phase ends at its planned time even when its last arrival came earlier.
    const phaseEndUs = phaseStartUs + phase.durationMs * 1000;
    if (!stopped() && sinceStartUs() < phaseEndUs) await Promise.race([clock.sleepUntilUs(startUs + phaseEndUs), abortPromise(options.signal)]);
  }

  if (inFlight > 0) {
    const drained = new Promise<void>((resolve) => (onIdle = resolve));
    // The longest timeout plus a second of slack: undici checks its timeouts on a coarse timer.
    const drainMs = options.drainMs ?? Math.max(...scenario.requests.map((request) => request.timeoutMs)) + 1000;
    await Promise.race([drained, clock.sleepUntilUs(clock.nowUs() + drainMs * 1000)]);
  }
  clearInterval(sealTimer);
  const fresh = recorder.sealAll(sinceStartUs());
  if (fresh.length > 0) options.onIntervalsSealed?.(fresh);
  return {
    intervals: recorder.intervals(),
    samples: recorder.traceSamples(),
    inFlightAtEnd: inFlight,
    eventLoopUtilization: performance.eventLoopUtilization(eluStart).utilization,
  };
}

function abortPromise(signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return new Promise(() => undefined);
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
