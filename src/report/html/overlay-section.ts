/**
 * Before/after overlays for two runs or more: percentile spectra and p99 over time on shared axes.
 */
import { formatUs, msToSec } from '../../core/units.js';
import { escapeHtml } from './escape-html.js';
import type { RunView } from './run-view.js';
import { renderSpectrumChart } from './spectrum-section.js';
import { renderChart, type ChartSeries } from './svg-chart.js';
import { formatTick, timeUnitFor } from './time-unit.js';

/** Distinct overlay colours; runs beyond this reuse them (with the run label in every legend). */
export const OVERLAY_COLOURS = 6;

export const runColourClass = (index: number): string => `c-run${index % OVERLAY_COLOURS}`;

function p99TimelineOverlay(views: readonly RunView[]): string {
  // Warm-up buckets are left out: their cold-start p99 would set the scale and flatten the comparison.
  const measured = (bucket: RunView['timeline'][number]): boolean => bucket.count > 0 && !bucket.warmup;
  const maxUs = Math.max(1, ...views.flatMap((view) => view.timeline.filter(measured).map((bucket) => bucket.latencyP99Us)));
  const endSec = Math.max(1, ...views.map((view) => {
    const last = view.timeline[view.timeline.length - 1];
    return last ? msToSec(last.startMs + last.durationMs) : 0;
  }));
  const unit = timeUnitFor(maxUs);
  const series: ChartSeries[] = views.map((view) => {
    const last = view.timeline[view.timeline.length - 1];
    const line: ChartSeries = {
      label: `p99 · ${view.label}`,
      className: runColourClass(view.index),
      kind: 'step',
      points: view.timeline.map((bucket) => [msToSec(bucket.startMs), measured(bucket) ? bucket.latencyP99Us / unit.usPerUnit : Number.NaN] as const),
    };
    if (last) line.stepEndX = msToSec(last.startMs + last.durationMs);
    return line;
  });
  return renderChart({
    id: 'overlay-p99',
    title: 'p99 latency over time, all runs (warm-up left out)',
    heightPx: 260,
    x: { label: 'time since start (s)', scale: 'linear', min: 0, max: endSec, format: formatTick, exact: true },
    y: { label: `p99 latency (${unit.symbol})`, scale: 'linear', min: 0, max: (maxUs / unit.usPerUnit) * 1.05, format: formatTick },
    series,
  });
}

function summaryTable(views: readonly RunView[]): string {
  const rows = views.map((view) => {
    const latency = view.total.latency;
    const throughput = view.measuredMs > 0 ? view.total.count / msToSec(view.measuredMs) : 0;
    return (
      `<tr data-run="${view.index}"><td class="name"><i class="swatch ${runColourClass(view.index)}"></i> ${escapeHtml(view.label)}</td>` +
      `<td>${view.run.health.valid ? 'yes' : '<span class="worse">no</span>'}</td><td>${escapeHtml(throughput.toFixed(1))}</td>` +
      [50, 90, 99, 99.9].map((p) => `<td>${escapeHtml(formatUs(latency.percentileUs(p)))}</td>`).join('') +
      `<td>${escapeHtml(formatUs(latency.maxUs))}</td></tr>`
    );
  });
  return (
    `<div class="table-wrap"><table class="requests" data-table="runs"><thead><tr><th class="name">run</th><th>valid</th><th>req/s</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th></tr></thead>` +
    `<tbody>${rows.join('')}</tbody></table></div>`
  );
}

export function renderOverlaySection(views: readonly RunView[], verdictsHtml = ''): string {
  const spectrum = renderSpectrumChart(
    'overlay-spectrum',
    'Latency percentile spectrum, all runs',
    views.map((view) => ({ label: view.label, className: runColourClass(view.index), histogram: view.total.latency })),
  );
  return `<section id="comparison" data-section="comparison"><h2>Comparison</h2>${summaryTable(views)}${verdictsHtml}${spectrum}${p99TimelineOverlay(views)}</section>`;
}
