/**
 * Everything the report derives from one run file, computed once: exact aggregates (merged interval
 * histograms), the downsampled timeline and the schedule-lag histogram.
 */
import { measuredMs, type RequestAggregate } from '../../core/run-aggregate.js';
import type { RunFile } from '../../core/run-file.js';
import type { LatencyHistogram } from '../../histogram/latency-histogram.js';
import { aggregateDecoded, decodeIntervals, scheduleLagDecoded } from '../../core/run-aggregate.js';
import { timelineOfDecoded, type TimelineBucket } from './run-timeline.js';

export interface RunView {
  run: RunFile;
  /** Short name shown in legends and headings. */
  label: string;
  /** Index among the report's runs: picks the overlay colour. */
  index: number;
  total: RequestAggregate;
  byRequest: Map<string, RequestAggregate>;
  measuredMs: number;
  timeline: TimelineBucket[];
  scheduleLag: LatencyHistogram;
}

export function runViewOf(run: RunFile, index: number, maxBuckets?: number): RunView {
  const decoded = decodeIntervals(run.intervals);
  const { total, byRequest } = aggregateDecoded(decoded);
  return {
    run,
    label: run.id,
    index,
    total,
    byRequest,
    measuredMs: measuredMs(run.intervals),
    timeline: timelineOfDecoded(decoded, maxBuckets),
    scheduleLag: scheduleLagDecoded(decoded),
  };
}
