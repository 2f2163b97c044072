/**
 * Generator self-check: if the generator could not keep its own schedule, the numbers measure the
 * generator, not the target, and the run is marked invalid with a plain reason.
 */
import type { Health, Interval } from '../core/run-file.js';
import { measuredIntervals, scheduleLagOf } from '../core/run-aggregate.js';
import { formatUs } from '../core/units.js';

export interface HealthThresholds {
  /** Schedule lag p99 above this invalidates the run. */
  maxLagP99Us: number;
  /** Event-loop busy share (0..1) of any generator thread above this invalidates the run. */
  maxGeneratorBusy: number;
}

export const DEFAULT_HEALTH_THRESHOLDS: HealthThresholds = { maxLagP99Us: 10_000, maxGeneratorBusy: 0.95 };

export interface HealthInputs {
  intervals: readonly Interval[];
  /** Event-loop utilisation of each generator thread, 0..1. */
  generatorBusy: readonly number[];
  inFlightAtEnd: number;
  interrupted: boolean;
}

export function assessHealth(inputs: HealthInputs, thresholds: HealthThresholds = DEFAULT_HEALTH_THRESHOLDS): Health {
  const lag = scheduleLagOf(inputs);
  const measured = measuredIntervals(inputs.intervals);
  const scheduled = measured.reduce((sum, interval) => sum + interval.scheduled, 0);
  const sent = measured.reduce((sum, interval) => sum + interval.sent, 0);
  const busiest = Math.max(0, ...inputs.generatorBusy);
  const reasons: string[] = [];
  let valid = true;
  const lagP99Us = lag.percentileUs(99);
  if (lagP99Us > thresholds.maxLagP99Us) {
    valid = false;
    reasons.push(
      `the generator fell behind its own schedule (p99 schedule lag ${formatUs(lagP99Us)} > ${formatUs(thresholds.maxLagP99Us)}): latencies include the generator's delay; lower the rate or add --workers`,
    );
  }
  if (busiest > thresholds.maxGeneratorBusy) {
    valid = false;
    reasons.push(`the generator was busy ${(busiest * 100).toFixed(0)}% of the time: it, not the target, may be the bottleneck; add --workers or segments`);
  }
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
  };
}
