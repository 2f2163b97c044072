/**
 * Runs one segment of a scenario in the current thread: open phases dispatch every arrival at its
 * intended time whatever the responses do; closed phases run users that wait for each response.
 * Latency is always measured from the intended start, so time a request spends queued — in the
 * generator, in the connection pool, or in the target — is counted.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { PreciseClock, type Clock } from '../core/clock.js';
import type { TraceSample } from '../core/run-file.js';
import { arrivals, phaseStartsMs, segmentUsers, type Arrival, type Segment } from './arrival-schedule.js';
import { IntervalGrid } from './interval-plan.js';
import { hashUniform, weightedPicker } from './random.js';
import type { RawInterval } from './raw-interval.js';
import { Recorder, type Outcome } from './recorder.js';
import { RequestSlots } from './request-slots.js';
import type { RequestSender, SendResult } from './request-sender.js';
import type { ClosedPhase, Scenario } from './scenario.js';
import { requestTraceIds, traceparentFor } from './trace-context.js';
import { compilePathTemplate, originPrefix } from './url-template.js';

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
  /** Stops scheduling (Ctrl-C); in-flight requests get at most `stopDrainMs` more to finish. */
  signal?: AbortSignal;
  /** How long to wait for in-flight requests after the schedule ends (default: longest timeout + 1 s). */
  drainMs?: number;
  /** After a stop, how long in-flight requests may still finish (default 1 s); the rest count as in flight at the end. */
  stopDrainMs?: number;
  onIntervalsSealed?: (intervals: RawInterval[]) => void;
}

export interface SegmentResult {
  samples: TraceSample[];
  inFlightAtEnd: number;
  /** Share of this thread's time spent working, 0..1 (precise-dispatch spinning excluded): its own busyness. */
  eventLoopUtilization: number;
  /**
   * Why the generator stopped the schedule early, if it did: it fell too far behind (`behind`), or too many
   * requests were waiting for a connection (`backlog`). Either way arrivals were dropped.
   */
  scheduleCut: ScheduleCut | undefined;
}

export type ScheduleCut = 'behind' | 'backlog';

/**
 * Requests waiting for a connection beyond which the schedule stops (≈ 40 MB of queued requests). Open-loop
 * queueing in the generator is measured as latency, but a rate the target and connections can never take
 * would otherwise queue without bound: a 60 s phase at 1,000,000/s is gigabytes.
 */
export const MAX_WAITING_REQUESTS = 250_000;

/** Requests per event-loop turn before yielding, so responses keep being read during a burst. */
const DISPATCH_BATCH = 128;

export async function runSegment(options: SegmentRunOptions): Promise<SegmentResult> {
  const { scenario, segment, clock, sender, startUs } = options;
  const recorder = new Recorder(new IntervalGrid(scenario.phases, scenario.intervalMs), options.samplesCap);
  const stopped = (): boolean => options.signal?.aborted ?? false;
  const sinceStartUs = (): number => clock.nowUs() - startUs;
  const eluStart = performance.eventLoopUtilization();
  const spunAtStartUs = clock instanceof PreciseClock ? clock.spunUs : 0;
  const slots = new RequestSlots();
  // A precise wait may block the thread only while no response could be kept waiting by it.
  if (clock instanceof PreciseClock) clock.mayBlock = () => slots.inFlight === 0;
  /** Closed-model users waiting for their response, by slot. */
  const waitingUsers = new Map<number, (endUs: number) => void>();
  let onIdle: (() => void) | undefined;
  let scheduleCut: ScheduleCut | undefined;

  const seal = (): void => {
    const fresh = recorder.sealUntil(sinceStartUs());
    if (fresh.length > 0) options.onIntervalsSealed?.(fresh);
  };
  const sealTimer = setInterval(seal, Math.min(250, scenario.intervalMs));

  const pathTemplates = scenario.requests.map((request) => (request.vars ? compilePathTemplate(request.url.slice(originPrefix(request.url).length), request.vars, scenario.seed) : undefined));
  // One outcome object, refilled for each response: the recorder reads it and keeps nothing.
  const outcome: Outcome = { name: '', intendedUs: 0, sentUs: 0, written: false, endUs: 0, status: 0, bytesReceived: 0, grpcStatus: undefined };

  const onDone = (slot: number, result: SendResult): void => {
    const requestIndex = slots.requestIndex(slot);
    const request = scenario.requests[requestIndex];
    const intendedUs = slots.intended(slot);
    const requestNumber = slots.requestNumber(slot);
    const sampled = slots.sampled(slot);
    const lagUs = slots.lag(slot);
    slots.release(slot);
    if (!request) return;
    const endUs = result.endUs - startUs;
    outcome.name = request.name;
    outcome.intendedUs = intendedUs;
    outcome.sentUs = result.sentUs - startUs;
    outcome.written = result.written;
    outcome.endUs = endUs;
    outcome.status = result.status;
    outcome.bytesReceived = result.bytesReceived;
    outcome.grpcStatus = result.grpcStatus;
    if (result.error) outcome.error = result.error;
    else delete outcome.error;
    recorder.record(outcome, request.expectStatus);
    const sampleSlot = sampled ? recorder.reserveSample() : -1;
    if (sampleSlot >= 0) {
      recorder.putSample(sampleSlot, {
        ...requestTraceIds(options.runTraceId, requestNumber),
        name: request.name,
        intendedStartMs: intendedUs / 1000,
        latencyUs: Math.max(0, endUs - intendedUs),
        lagUs,
        status: result.status,
        ...(result.error ? { error: result.error } : {}),
      });
    }
    const user = waitingUsers.get(slot);
    if (user) {
      waitingUsers.delete(slot);
      user(endUs);
    }
    if (slots.inFlight === 0) onIdle?.();
  };

  /** Sends one request intended at `intendedUs` (run-relative); a closed-model `user` is called with its end. */
  const fire = (requestNumber: number, requestIndex: number, intendedUs: number, user?: (endUs: number) => void): void => {
    const nowUs = sinceStartUs();
    recorder.scheduled(intendedUs);
    const lagUs = Math.max(0, nowUs - intendedUs);
    recorder.dispatched(nowUs, lagUs);
    const sampled = options.traceSampleRate > 0 && hashUniform(scenario.seed + 0x7ace, requestNumber) < options.traceSampleRate;
    const slot = slots.take(requestNumber, requestIndex, intendedUs, sampled, lagUs);
    if (user) waitingUsers.set(slot, user);
    sender.send(slot, requestIndex, traceparentFor(options.runTraceId, requestNumber, sampled), pathTemplates[requestIndex]?.(requestNumber), onDone, requestNumber);
  };

  // Behind the schedule by more than this past a phase's end, the generator stops the run rather than send
  // a backlog it can never catch up with (an impossible rate would otherwise run on long after its duration).
  const cutAfterUs = Math.max(1_000_000, scenario.intervalMs * 1000);

  const runOpenArrivals = async (pending: Iterator<Arrival>, first: Arrival | undefined, phaseIndex: number, phaseEndUs: number): Promise<Arrival | undefined> => {
    let next = first;
    while (next && next.phaseIndex === phaseIndex && !stopped()) {
      // Compared on the clock's own axis, as the sleep is: run-relative arithmetic can round the other way
      // and leave a due arrival forever "not yet due".
      const clockNowUs = clock.nowUs();
      if (startUs + next.intendedUs > clockNowUs) {
        await clock.sleepUntilUs(startUs + next.intendedUs);
        continue;
      }
      if (clockNowUs - startUs > phaseEndUs + cutAfterUs) {
        scheduleCut = 'behind';
        return undefined;
      }
      if ((sender.waiting?.() ?? 0) > MAX_WAITING_REQUESTS) {
        scheduleCut = 'backlog';
        return undefined;
      }
      for (let batch = 0; next && next.phaseIndex === phaseIndex && batch < DISPATCH_BATCH && startUs + next.intendedUs <= clockNowUs; batch++) {
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
  for (let phaseIndex = 0; phaseIndex < scenario.phases.length && !stopped() && !scheduleCut; phaseIndex++) {
    const phase = scenario.phases[phaseIndex];
    const phaseStartUs = (startsMs[phaseIndex] ?? 0) * 1000;
    if (!phase) break;
    const phaseEndUs = phaseStartUs + phase.durationMs * 1000;
    if (phase.kind === 'closed') await runClosedPhase(phase, phaseIndex, phaseStartUs);
    else next = await runOpenArrivals(pending, next, phaseIndex, phaseEndUs);
    // A phase ends at its planned time even when its last arrival came earlier.
    if (!stopped() && !scheduleCut && sinceStartUs() < phaseEndUs) await Promise.race([clock.sleepUntilUs(startUs + phaseEndUs), abortPromise(options.signal)]);
  }

  if (slots.inFlight > 0) {
    const drained = new Promise<void>((resolve) => (onIdle = resolve));
    // The longest timeout plus a second of slack: transports check timeouts on a coarse timer. After a stop
    // (Ctrl-C) the user wants the results now: what has not finished shortly counts as in flight at the end.
    const fullDrainMs = options.drainMs ?? Math.max(...scenario.requests.map((request) => request.timeoutMs)) + 1000;
    const drainMs = stopped() || scheduleCut ? Math.min(fullDrainMs, options.stopDrainMs ?? 1000) : fullDrainMs;
    const stopDuringDrain = stopped() ? new Promise<void>(() => undefined) : abortPromise(options.signal).then(() => clock.sleepUntilUs(clock.nowUs() + (options.stopDrainMs ?? 1000) * 1000));
    await Promise.race([drained, clock.sleepUntilUs(clock.nowUs() + drainMs * 1000), stopDuringDrain]);
  }
  clearInterval(sealTimer);
  const fresh = recorder.sealAll(sinceStartUs());
  if (fresh.length > 0) options.onIntervalsSealed?.(fresh);
  const elu = performance.eventLoopUtilization(eluStart);
  const spunMs = ((clock instanceof PreciseClock ? clock.spunUs : 0) - spunAtStartUs) / 1000;
  const elapsedMs = elu.active + elu.idle;
  return {
    samples: recorder.traceSamples(),
    inFlightAtEnd: slots.inFlight,
    eventLoopUtilization: elapsedMs > 0 ? Math.max(0, elu.active - spunMs) / elapsedMs : 0,
    scheduleCut,
  };
}

function abortPromise(signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return new Promise(() => undefined);
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
