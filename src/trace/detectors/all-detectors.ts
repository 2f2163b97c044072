/** The detectors `analyzeTraces` runs by default, in report order. */
import type { Detector } from './detector.js';
import { concurrencyWavesDetector } from './concurrency-waves.js';
import { connectionPerRequestDetector } from './connection-per-request.js';
import { largePayloadDetector } from './large-payload.js';
import { nPlusOneDetector } from './n-plus-one.js';
import { poolSaturationDetector } from './pool-saturation.js';
import { queueingDetector } from './queueing.js';
import { repeatedReadsDetector } from './repeated-reads.js';
import { retriesDetector } from './retries.js';
import { sequentialCallsDetector } from './sequential-calls.js';
import { serialisationPointDetector } from './serialisation-point.js';
import { slowQueryDetector } from './slow-query.js';
import { syncSideEffectDetector } from './sync-side-effect.js';

export const ALL_DETECTORS: readonly Detector[] = [
  nPlusOneDetector,
  sequentialCallsDetector,
  repeatedReadsDetector,
  slowQueryDetector,
  connectionPerRequestDetector,
  poolSaturationDetector,
  queueingDetector,
  concurrencyWavesDetector,
  serialisationPointDetector,
  retriesDetector,
  syncSideEffectDetector,
  largePayloadDetector,
];
