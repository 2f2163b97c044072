/**
 * Generator self-check: if the generator could not keep its own schedule, the numbers measure the
 * generator, not the target, and the run is marked invalid with a plain reason. Beside each latency
 * percentile it sets the schedule lag at the same percentile — what the generator itself could have added —
 * and marks a percentile untrustworthy when that is a large part of it, invalid when the generator's own
 * stalls reach the reported p99.9.
 */
import type { Health, Interval } from '../core/run-file.js';
import { aggregateIntervals, measuredIntervals } from '../core/run-aggregate.js';
import { LatencyHistogram } from '../histogram/latency-histogram.js';
import { formatUs } from '../core/units.js';
import { GENERATOR_PRIORITIES, type GeneratorPriority } from './generator-priority.js';
import { MAX_WAITING_REQUESTS, type ScheduleCut } from './segment-runner.js';
import { attributeWorstStall, describeStall, NOTABLE_LAG_US } from './stall-attribution.js';

export interface HealthThresholds {
  /** Schedule lag at `lagPercentile` (p99 unless set) above this invalidates the run. */
  maxLagUs: number;
  /**
   * The lag percentile held to `maxLagUs`, default 99. A caller that drops the late requests itself (the demo's
   * paired blocks: twins sent late are left out) only needs most requests on time: it asks for a lower one.
   */
  lagPercentile?: number;
  /** Event-loop busy share (0..1) of any generator thread above this invalidates the run. */
  maxGeneratorBusy: number;
  /** A percentile is untrustworthy when the lag at that percentile exceeds this share of it. */
  maxGeneratorShare: number;
}

export const DEFAULT_HEALTH_THRESHOLDS: HealthThresholds = { maxLagUs: 10_000, maxGeneratorBusy: 0.95, maxGeneratorShare: 0.25 };

/** The latency percentiles the summary shows, with their labels. */
export const REPORTED_PERCENTILES: readonly (readonly [string, number])[] = [
  ['p50', 50],
  ['p90', 90],
  ['p99', 99],
  ['p99.9', 99.9],
  ['p99.99', 99.99],
];

export interface HealthInputs {
  intervals: readonly Interval[];
  /** Busy share of each generator thread, 0..1. */
  generatorBusy: readonly number[];
  inFlightAtEnd: number;
  interrupted: boolean;
  /** Why the generator stopped the schedule early, if it did. */
  scheduleCut?: ScheduleCut | undefined;
  /** Garbage-collection pauses of the generator threads (µs). */
  gcPauses?: LatencyHistogram;
  gcTotalMs?: number;
  /** The scheduling priority each generator thread got. */
  priorities?: readonly GeneratorPriority[];
}

export function assessHealth(inputs: HealthInputs, thresholds: HealthThresholds = DEFAULT_HEALTH_THRESHOLDS): Health {
  const measured = measuredIntervals(inputs.intervals);
  // Decoded once: merged for the run's lag, and each interval's maximum for the worst-stall attribution.
  const lagByInterval = measured.map((interval) => LatencyHistogram.decode(interval.scheduleLag));
  const lag = LatencyHistogram.merge(lagByInterval);
  const scheduled = measured.reduce((sum, interval) => sum + interval.scheduled, 0);
  const sent = measured.reduce((sum, interval) => sum + interval.sent, 0);
  const busiest = Math.max(0, ...inputs.generatorBusy);
  const latency = aggregateIntervals(inputs.intervals).total.latency;
  const reasons: string[] = [];
  let valid = true;
  const lagP99Us = lag.percentileUs(99);
  const lagPercentile = thresholds.lagPercentile ?? 99;
  const judgedLagUs = lag.percentileUs(lagPercentile);
  if (judgedLagUs > thresholds.maxLagUs) {
    valid = false;
    reasons.push(
      `the generator fell behind its own schedule (p${lagPercentile} schedule lag ${formatUs(judgedLagUs)} > ${formatUs(thresholds.maxLagUs)}): latencies include the generator's delay; lower the rate or add --workers`,
    );
  }
  if (inputs.scheduleCut === 'behind') {
    valid = false;
    reasons.push('the generator fell more than a second behind at the end of a phase and stopped the schedule: the rate is beyond what it can send; lower the rate or add --workers');
  } else if (inputs.scheduleCut === 'backlog') {
    valid = false;
    reasons.push(`more than ${MAX_WAITING_REQUESTS.toLocaleString('en-US')} requests were waiting for a connection and the generator stopped the schedule: the target cannot take this rate over these connections; lower the rate or raise --connections`);
  }
  if (busiest > thresholds.maxGeneratorBusy) {
    valid = false;
    reasons.push(`the generator was busy ${(busiest * 100).toFixed(0)}% of the time: it, not the target, may be the bottleneck; add --workers or segments`);
  }

  const generatorShareUs: Record<string, number> = {};
  const untrustworthy: string[] = [];
  if (latency.count > 0) {
    for (const [label, percentile] of REPORTED_PERCENTILES) {
      const shareUs = lag.percentileUs(percentile);
      generatorShareUs[label] = shareUs;
      if (shareUs > thresholds.maxGeneratorShare * latency.percentileUs(percentile)) untrustworthy.push(label);
    }
    const p999Us = latency.percentileUs(99.9);
    const ownP999Us = generatorShareUs['p99.9'] ?? 0;
    if (valid && ownP999Us >= p999Us) {
      valid = false;
      reasons.push(`the generator's own stalls reach the reported p99.9 (schedule lag p99.9 ${formatUs(ownP999Us)} ≥ latency p99.9 ${formatUs(p999Us)}): the tail measures the generator`);
    } else if (untrustworthy.length > 0) {
      reasons.push(`${untrustworthy.join(', ')}: the generator's own schedule lag at that percentile is over ${(thresholds.maxGeneratorShare * 100).toFixed(0)}% of the value; read ${untrustworthy.length > 1 ? 'them' : 'it'} as an upper bound`);
    }
  }
  const gcPauseMaxUs = inputs.gcPauses?.maxUs;
  const worstStall = attributeWorstStall(measured.map((interval, index) => ({ interval, lagMaxUs: lagByInterval[index]?.maxUs ?? 0 })));
  if (worstStall && worstStall.lagMaxUs >= NOTABLE_LAG_US) reasons.push(describeStall(worstStall));

  if (scheduled > 0 && sent < scheduled * 0.99) {
    reasons.push(`${scheduled - sent} of ${scheduled} requests waited for a free connection (more --connections would send them on time; their wait counts in latency)`);
  }
  if (inputs.inFlightAtEnd > 0) reasons.push(`${inputs.inFlightAtEnd} requests were still in flight at the end and are not counted`);
  if (inputs.interrupted) reasons.push('the run was interrupted: results cover only the time measured');
  return {
    valid,
    reasons,
    lagP99Us,
    lagMaxUs: lag.maxUs,
    generatorCpuPct: busiest * 100,
    scheduled,
    sent,
    inFlightAtEnd: inputs.inFlightAtEnd,
    ...(latency.count > 0 ? { generatorShareUs, untrustworthy } : {}),
    ...(gcPauseMaxUs !== undefined ? { gcPauseMaxUs, gcTotalMs: inputs.gcTotalMs ?? 0 } : {}),
    ...(worstStall ? { worstStall } : {}),
    ...(inputs.priorities?.length ? { generatorPriority: lowestPriority(inputs.priorities) } : {}),
  };
}

/** The weakest priority any generator thread got: what the run's timing can be trusted to have had. */
function lowestPriority(priorities: readonly GeneratorPriority[]): GeneratorPriority {
  return priorities.reduce((lowest, priority) => (GENERATOR_PRIORITIES.indexOf(priority) > GENERATOR_PRIORITIES.indexOf(lowest) ? priority : lowest));
}
