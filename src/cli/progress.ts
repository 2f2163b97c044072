/**
 * Live progress while a run is under way: one refreshing line on a terminal, plain periodic lines
 * otherwise (CI logs, pipes).
 */
import { aggregateIntervals, errorCount, scheduleLagOf } from '../core/run-aggregate.js';
import type { Interval } from '../core/run-file.js';
import { formatRate, formatUs } from '../core/units.js';

export interface ProgressDisplay {
  onInterval(interval: Interval): void;
  finish(): void;
}

export function describeInterval(interval: Interval): string {
  const { total } = aggregateIntervals([{ ...interval, warmup: false }]);
  const lag = scheduleLagOf({ intervals: [{ ...interval, warmup: false }] });
  const seconds = ((interval.startMs + interval.durationMs) / 1000).toFixed(0).padStart(4);
  return `${seconds}s ${interval.phase}${interval.warmup ? ' (warm-up)' : ''}  ${formatRate(total.count / (interval.durationMs / 1000))}  p50 ${formatUs(total.latency.percentileUs(50))}  p99 ${formatUs(total.latency.percentileUs(99))}  errors ${errorCount(total)}  lag p99 ${formatUs(lag.percentileUs(99))}`;
}

export function progressDisplay(stream: NodeJS.WriteStream = process.stderr): ProgressDisplay {
  const live = stream.isTTY === true;
  let wrote = false;
  return {
    onInterval(interval) {
      const line = describeInterval(interval);
      if (live) {
        stream.write(`\r\x1b[2K${line}`);
        wrote = true;
      } else stream.write(`${line}\n`);
    },
    finish() {
      if (live && wrote) stream.write('\n');
    },
  };
}
