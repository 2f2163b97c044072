/**
 * Little's law check for one load step: in a closed system N = X·(R + Z) — users = throughput × (mean latency +
 * think time). When the measured implied concurrency disagrees with the configured N by more than the tolerance,
 * the step's numbers are suspect: the generator could not keep N users busy (client-side saturation), requests
 * were lost or timed out uncounted, or the measurement window cut many requests in flight.
 */
import type { LittleCheck } from './sweep-file.js';

/** Default tolerance: 10%. Requests in flight at the window's edges and the loop's own overhead bias X·(R+Z) by a few %. */
export const LITTLE_TOLERANCE = 0.1;

export interface LittleInput {
  throughputPerSec: number;
  meanLatencyUs: number;
  thinkTimeMs: number;
  /** Configured users (closed model); omit for the open model, where concurrency is an outcome. */
  expectedConcurrency?: number;
  tolerance?: number;
}

export function littleCheck(input: LittleInput): LittleCheck {
  const impliedConcurrency = input.throughputPerSec * (input.meanLatencyUs / 1_000_000 + input.thinkTimeMs / 1000);
  if (input.expectedConcurrency === undefined) return { impliedConcurrency, expectedConcurrency: null, relativeError: null, consistent: true };
  const relativeError = (impliedConcurrency - input.expectedConcurrency) / input.expectedConcurrency;
  return { impliedConcurrency, expectedConcurrency: input.expectedConcurrency, relativeError, consistent: Math.abs(relativeError) <= (input.tolerance ?? LITTLE_TOLERANCE) };
}
