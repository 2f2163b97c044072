/**
 * Arrival schedules of the open model: the intended start time of every request, decided before the
 * run and independent of responses (that independence is what makes latency honest under overload).
 *
 * Arrivals are numbered globally across phases. A segment i/n takes the arrivals whose number k has
 * k mod n = i: segments are interleaved shares, so each sees the same shape of load and together they
 * are exactly the whole schedule.
 */
import { hashUniform, seededRandom, weightedPicker } from './random.js';
import type { OpenPhase, Phase, Scenario } from './scenario.js';

export interface Segment {
  index: number;
  count: number;
}

export const WHOLE: Segment = { index: 0, count: 1 };

export interface Arrival {
  /** Global arrival number within the run (all segments). */
  index: number;
  /** Intended start, µs since the run's start. */
  intendedUs: number;
  /** Index into scenario.requests. */
  requestIndex: number;
  phaseIndex: number;
}

/** Start offsets of each phase, ms since the run's start. */
export function phaseStartsMs(phases: readonly Phase[]): number[] {
  const starts: number[] = [];
  let atMs = 0;
  for (const phase of phases) {
    starts.push(atMs);
    atMs += phase.durationMs;
  }
  return starts;
}

/** Intended offsets (µs from the phase start) of one open phase's arrivals, in order. */
export function* phaseOffsetsUs(phase: OpenPhase): Generator<number> {
  const durationUs = phase.durationMs * 1000;
  switch (phase.kind) {
    case 'constant': {
      const gapUs = 1e6 / phase.ratePerSec;
      for (let k = 0; k * gapUs < durationUs; k++) yield k * gapUs;
      return;
    }
    case 'poisson': {
      const random = seededRandom(phase.seed);
      // Exponential inter-arrival gaps: a Poisson process of the given rate.
      for (let t = -Math.log(1 - random()) * (1e6 / phase.ratePerSec); t < durationUs; t += -Math.log(1 - random()) * (1e6 / phase.ratePerSec)) yield t;
      return;
    }
    case 'ramp': {
      // Rate r(t) = a + (b − a)·t/D. The k-th arrival is where the cumulative count Λ(t) = a·t + (b − a)·t²/(2D) reaches k.
      const a = phase.fromRatePerSec;
      const slope = (phase.toRatePerSec - a) / (durationUs / 1e6);
      const durationSec = durationUs / 1e6;
      const expected = a * durationSec + (slope * durationSec * durationSec) / 2;
      for (let k = 0; k < expected; k++) {
        const tSec = slope === 0 ? k / a : (-a + Math.sqrt(a * a + 2 * slope * k)) / slope;
        if (tSec * 1e6 >= durationUs) return;
        yield tSec * 1e6;
      }
      return;
    }
    case 'burst': {
      const cycleUs = (phase.onMs + phase.offMs) * 1000;
      for (let cycleStartUs = 0; cycleStartUs < durationUs; cycleStartUs += cycleUs) {
        const windows: [number, number, number][] = [
          [cycleStartUs, cycleStartUs + phase.onMs * 1000, phase.ratePerSec],
          [cycleStartUs + phase.onMs * 1000, cycleStartUs + cycleUs, phase.baseRatePerSec],
        ];
        for (const [fromUs, toUs, ratePerSec] of windows) {
          if (ratePerSec <= 0) continue;
          const gapUs = 1e6 / ratePerSec;
          for (let t = fromUs; t < Math.min(toUs, durationUs); t += gapUs) yield t;
        }
      }
      return;
    }
  }
}

/** The open-model arrivals of `segment`, in intended-time order. Closed phases contribute none. */
export function* arrivals(scenario: Pick<Scenario, 'phases' | 'requests' | 'seed'>, segment: Segment = WHOLE): Generator<Arrival> {
  const pick = weightedPicker(scenario.requests.map((request) => request.weight));
  const startsMs = phaseStartsMs(scenario.phases);
  let index = 0;
  for (let phaseIndex = 0; phaseIndex < scenario.phases.length; phaseIndex++) {
    const phase = scenario.phases[phaseIndex];
    if (!phase || phase.kind === 'closed') continue;
    const phaseStartUs = (startsMs[phaseIndex] ?? 0) * 1000;
    for (const offsetUs of phaseOffsetsUs(phase)) {
      if (index % segment.count === segment.index) {
        yield { index, intendedUs: phaseStartUs + offsetUs, requestIndex: pick(hashUniform(scenario.seed, index)), phaseIndex };
      }
      index++;
    }
  }
}

/** Users of a closed phase that belong to `segment` (user u belongs to segment u mod n). */
export function segmentUsers(users: number, segment: Segment): number[] {
  const mine: number[] = [];
  for (let user = segment.index; user < users; user += segment.count) mine.push(user);
  return mine;
}

/** Parses `i/n` (1-based on the command line, like k6's execution segments are human-numbered). */
export function parseSegment(text: string, field: string, fail: (field: string, message: string) => Error): Segment {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index < 1 || index > count) throw fail(field, `must be i/n with 1 <= i <= n, got "${text}"`);
  return { index: index - 1, count };
}
