/**
 * Latency over time (p50/p90/p99/max per interval) with throughput and errors on the same time axis,
 * and the generator's schedule lag over time (its own health).
 */
import { formatRate, formatUs, msToSec } from '../../core/units.js';
import type { ChartBand, ChartHoverCell, ChartSeries } from './svg-chart.js';
import { renderChart } from './svg-chart.js';
import type { TimelineBucket } from './run-timeline.js';
import type { RunView } from './run-view.js';
import { formatTick, timeUnitFor } from './time-unit.js';

/** Above this max/p50 ratio the latency axis turns logarithmic, so a few huge outliers do not flatten the rest. */
const LOG_AXIS_RATIO = 30;

const perSec = (n: number, bucket: TimelineBucket): number => (bucket.durationMs > 0 ? n / msToSec(bucket.durationMs) : 0);
const startSec = (bucket: TimelineBucket): number => msToSec(bucket.startMs);
const endSec = (timeline: readonly TimelineBucket[]): number => {
  const last = timeline[timeline.length - 1];
  return last ? msToSec(last.startMs + last.durationMs) : 1;
};

function warmupBands(timeline: readonly TimelineBucket[]): ChartBand[] {
  const warm = timeline.filter((bucket) => bucket.warmup);
  if (warm.length === 0) return [];
  const first = warm[0]!;
  const last = warm[warm.length - 1]!;
  return [{ from: startSec(first), to: msToSec(last.startMs + last.durationMs), label: 'warm-up (excluded)', className: 'b-warmup' }];
}

function hoverCells(timeline: readonly TimelineBucket[]): ChartHoverCell[] {
  return timeline.map((bucket) => ({
    x0: startSec(bucket),
    x1: msToSec(bucket.startMs + bucket.durationMs),
    text:
      `${startSec(bucket).toFixed(1)}–${msToSec(bucket.startMs + bucket.durationMs).toFixed(1)} s${bucket.warmup ? ' (warm-up)' : ''} · ${bucket.phase}\n` +
      `p50 ${formatUs(bucket.latencyP50Us)} · p90 ${formatUs(bucket.latencyP90Us)} · p99 ${formatUs(bucket.latencyP99Us)} · max ${formatUs(bucket.latencyMaxUs)}\n` +
      `${formatRate(perSec(bucket.count, bucket))} completed · ${bucket.errors} errors · lag p99 ${formatUs(bucket.lagP99Us)}`,
  }));
}

function latencyChart(view: RunView): string {
  const timeline = view.timeline.filter((bucket) => bucket.count > 0);
  const maxUs = Math.max(1, ...timeline.map((bucket) => bucket.latencyMaxUs));
  const minUs = Math.max(1, Math.min(...timeline.map((bucket) => bucket.latencyP50Us)));
  const unit = timeUnitFor(maxUs);
  const log = maxUs / minUs > LOG_AXIS_RATIO;
  const y = (us: number): number => us / unit.usPerUnit;
  // An empty bucket breaks the lines rather than drawing a false zero.
  const series = (label: string, className: string, pick: (bucket: TimelineBucket) => number): ChartSeries => ({
    label,
    className,
    kind: 'step',
    points: view.timeline.map((bucket) => [startSec(bucket), bucket.count > 0 ? y(pick(bucket)) : Number.NaN] as const),
    stepEndX: endSec(view.timeline),
  });
  const band = (label: string, className: string, low: (bucket: TimelineBucket) => number, high: (bucket: TimelineBucket) => number): ChartSeries => ({
    ...series(label, className, high),
    kind: 'band',
    inLegend: false,
    lowerPoints: view.timeline.map((bucket) => [startSec(bucket), bucket.count > 0 ? y(low(bucket)) : Number.NaN] as const),
  });
  return renderChart({
    id: `latency-${view.index}`,
    title: `Latency over time (from intended start), per ${view.run.intervalMs} ms interval`,
    heightPx: 300,
    x: { label: 'time since start (s)', scale: 'linear', min: 0, max: endSec(view.timeline), format: formatTick, exact: true },
    y: {
      label: `latency (${unit.symbol})${log ? ', log scale' : ''}`,
      scale: log ? 'log' : 'linear',
      min: log ? y(minUs) * 0.8 : 0,
      max: y(maxUs) * (log ? 1.2 : 1.05),
      format: formatTick,
    },
    series: [
      band('p99…max', 'c-max', (bucket) => bucket.latencyP99Us, (bucket) => bucket.latencyMaxUs),
      band('p90…p99', 'c-p99', (bucket) => bucket.latencyP90Us, (bucket) => bucket.latencyP99Us),
      band('p50…p90', 'c-p90', (bucket) => bucket.latencyP50Us, (bucket) => bucket.latencyP90Us),
      series('max', 'c-max', (bucket) => bucket.latencyMaxUs),
      series('p99', 'c-p99', (bucket) => bucket.latencyP99Us),
      series('p90', 'c-p90', (bucket) => bucket.latencyP90Us),
      series('p50', 'c-p50', (bucket) => bucket.latencyP50Us),
    ],
    bands: warmupBands(view.timeline),
    hover: hoverCells(view.timeline),
    note: 'Percentiles are exact per interval (interval histograms merged when downsampled). Hover for the interval\'s latency, throughput, errors and lag.',
  });
}

function throughputChart(view: RunView): string {
  const timeline = view.timeline;
  const maxRate = Math.max(1, ...timeline.map((bucket) => Math.max(perSec(bucket.count, bucket), perSec(bucket.scheduled, bucket))));
  return renderChart({
    id: `throughput-${view.index}`,
    title: 'Throughput: completed vs. scheduled requests',
    heightPx: 200,
    x: { label: 'time since start (s)', scale: 'linear', min: 0, max: endSec(timeline), format: formatTick, exact: true },
    y: { label: 'requests/s', scale: 'linear', min: 0, max: maxRate * 1.05, format: formatTick },
    series: [
      { label: 'scheduled/s (intended)', className: 'c-sched', kind: 'step', dashed: true, points: timeline.map((b) => [startSec(b), perSec(b.scheduled, b)] as const), stepEndX: endSec(timeline) },
      { label: 'completed/s', className: 'c-tput', kind: 'step', points: timeline.map((b) => [startSec(b), perSec(b.count, b)] as const), stepEndX: endSec(timeline) },
    ],
    bands: warmupBands(timeline),
  });
}

function errorsChart(view: RunView): string {
  const timeline = view.timeline;
  const maxErrors = Math.max(...timeline.map((bucket) => perSec(bucket.errors, bucket)));
  const barWidthSec = timeline.length > 0 ? msToSec(timeline[0]!.durationMs) : 1;
  return renderChart({
    id: `errors-${view.index}`,
    title: `Errors over time${maxErrors === 0 ? ' (none)' : ''}`,
    heightPx: 150,
    x: { label: 'time since start (s)', scale: 'linear', min: 0, max: endSec(timeline), format: formatTick, exact: true },
    y: { label: 'errors/s', scale: 'linear', min: 0, max: Math.max(1, maxErrors * 1.05), format: formatTick },
    series: [{ label: 'errors/s', className: 'c-err', kind: 'bars', barWidthX: barWidthSec, points: timeline.map((b) => [startSec(b), perSec(b.errors, b)] as const) }],
    bands: warmupBands(timeline),
  });
}

export function renderTimelineSection(view: RunView): string {
  return `<section data-section="timeline"><h3>Over time</h3>${latencyChart(view)}${throughputChart(view)}${errorsChart(view)}</section>`;
}

/** Schedule lag (actual send − intended start) over time: when it grows, the generator is the bottleneck. */
export function renderLagChart(view: RunView): string {
  const timeline = view.timeline;
  const maxUs = Math.max(1, ...timeline.map((bucket) => bucket.lagMaxUs));
  const unit = timeUnitFor(maxUs);
  const y = (us: number): number => us / unit.usPerUnit;
  return renderChart({
    id: `lag-${view.index}`,
    title: 'Generator health: schedule lag (actual send − intended start)',
    heightPx: 180,
    x: { label: 'time since start (s)', scale: 'linear', min: 0, max: endSec(timeline), format: formatTick, exact: true },
    y: { label: `schedule lag (${unit.symbol})`, scale: 'linear', min: 0, max: y(maxUs) * 1.05, format: formatTick },
    series: [
      { label: 'max lag', className: 'c-max', kind: 'step', points: timeline.map((b) => [startSec(b), y(b.lagMaxUs)] as const), stepEndX: endSec(timeline) },
      { label: 'p99 lag', className: 'c-lag', kind: 'step', points: timeline.map((b) => [startSec(b), y(b.lagP99Us)] as const), stepEndX: endSec(timeline) },
    ],
    bands: warmupBands(timeline),
    note: 'Lag is measured inside the generator; a growing lag means requests left late and latency includes that queueing.',
  });
}
