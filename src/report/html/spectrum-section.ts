/**
 * The percentile spectrum chart (HdrHistogram style): latency by percentile on the "nines" axis,
 * 0 → 99.99%, for one run's latency and service time, or overlaid for several runs.
 */
import { formatUs } from '../../core/units.js';
import type { LatencyHistogram } from '../../histogram/latency-histogram.js';
import { MAX_NINES, NINES_TICKS, ninesOf, spectrumOf } from './latency-spectrum.js';
import { renderChart, type ChartSeries } from './svg-chart.js';
import { formatTick, timeUnitFor } from './time-unit.js';

export interface SpectrumEntry {
  label: string;
  className: string;
  histogram: LatencyHistogram;
  dashed?: boolean;
}

/** Percentiles marked with a dot and an exact tooltip. */
const MARKED_PERCENTILES = [50, 90, 99, 99.9, 99.99] as const;

export function renderSpectrumChart(id: string, title: string, entries: readonly SpectrumEntry[]): string {
  const withData = entries.filter((entry) => entry.histogram.count > 0);
  const maxUs = Math.max(1, ...withData.map((entry) => entry.histogram.percentileUs(99.99)));
  const unit = timeUnitFor(maxUs);
  const y = (us: number): number => us / unit.usPerUnit;
  const series: ChartSeries[] = [];
  for (const entry of withData) {
    const line: ChartSeries = {
      label: entry.label,
      className: entry.className,
      kind: 'line',
      points: spectrumOf(entry.histogram).map((point) => [point.ninesX, y(point.valueUs)] as const),
    };
    if (entry.dashed) line.dashed = true;
    series.push(line, {
      label: entry.label,
      className: entry.className,
      kind: 'points',
      inLegend: false,
      points: MARKED_PERCENTILES.map((p) => [ninesOf(p), y(entry.histogram.percentileUs(p))] as const),
      pointTitles: MARKED_PERCENTILES.map((p) => `${entry.label}: p${p} = ${formatUs(entry.histogram.percentileUs(p))}`),
    });
  }
  return renderChart({
    id,
    title,
    heightPx: 280,
    x: { label: 'percentile (each tick adds a nine)', scale: 'linear', min: 0, max: MAX_NINES, ticks: NINES_TICKS, format: (v) => `${v}` },
    y: { label: `latency (${unit.symbol})`, scale: 'linear', min: 0, max: y(maxUs) * 1.05, format: formatTick },
    series,
    note: 'Exact percentiles of the merged measured-interval histograms, up to p99.99. Dots mark p50, p90, p99, p99.9, p99.99.',
  });
}
