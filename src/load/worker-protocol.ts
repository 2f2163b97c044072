/** Messages between the run's main thread and its load worker threads. */
import type { Interval } from '../core/run-file.js';
import type { Segment } from './arrival-schedule.js';
import type { Scenario } from './scenario.js';
import type { SegmentResult } from './segment-runner.js';

export interface WorkerTask {
  scenario: Scenario;
  segment: Segment;
  runTraceId: string;
  traceSampleRate: number;
  samplesCap: number;
}

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'sealed'; intervals: Interval[] } | { type: 'done'; result: SegmentResult } | { type: 'failed'; message: string };

/** `start` carries the run start on the shared time axis (performance.timeOrigin + performance.now(), ms). */
export type MainMessage = { type: 'start'; startEpochMs: number } | { type: 'stop' };
