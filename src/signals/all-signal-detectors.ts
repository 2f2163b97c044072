/**
 * Every signal detector `detectSignalFindings` runs by default. A new detector (e.g. kv-specific ones reading
 * etcd metrics) lives in its own file and is added to this list; its findings are ranked with the rest.
 */
import { RESOURCE_DETECTORS } from './resource-detectors.js';
import type { SignalDetector } from './signal-detector.js';

export const ALL_SIGNAL_DETECTORS: readonly SignalDetector[] = [...RESOURCE_DETECTORS];
