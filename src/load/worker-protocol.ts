/** Messages between the run's main thread and its generator threads. */
import type { Segment } from './arrival-schedule.js';
import type { GeneratorPriority } from './generator-priority.js';
import type { RawInterval } from './raw-interval.js';
import type { Scenario } from './scenario.js';
import type { SegmentResult } from './segment-runner.js';

export type TransportKind = 'socket' | 'undici';

export interface WorkerTask {
  scenario: Scenario;
  segment: Segment;
  runTraceId: string;
  traceSampleRate: number;
  samplesCap: number;
  transport: TransportKind;
  /** Precise dispatch: spin this long before each due time (0: timers only). */
  spinWindowUs: number;
  /** The scheduling priority to ask for (generator-priority.ts). */
  priority: GeneratorPriority;
}

/** What the generator thread knows about its own stalls. */
export interface GeneratorStalls {
  /** Garbage-collection pauses of the generator thread (`LatencyHistogram.toSparse()` form, µs). */
  gcPauses: Float64Array;
  gcTotalMs: number;
  /** The scheduling priority the thread got. */
  priority: GeneratorPriority;
}

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'sealed'; intervals: RawInterval[] }
  | { type: 'done'; result: SegmentResult; stalls: GeneratorStalls }
  | { type: 'failed'; message: string };

/** `start` carries the run start on the shared time axis (performance.timeOrigin + performance.now(), ms). */
export type MainMessage = { type: 'start'; startEpochMs: number } | { type: 'stop' };
