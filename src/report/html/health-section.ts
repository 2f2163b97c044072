/**
 * Generator health: was the measurement trustworthy? Schedule adherence, lag, CPU, in-flight at the end.
 */
import { formatUs } from '../../core/units.js';
import { escapeHtml } from './escape-html.js';
import type { RunView } from './run-view.js';
import { renderLagChart } from './timeline-section.js';

export function renderHealthSection(view: RunView): string {
  const health = view.run.health;
  const sentShare = health.scheduled === 0 ? 1 : health.sent / health.scheduled;
  const rows: [string, string][] = [
    ['valid', health.valid ? 'yes' : 'no'],
    ['scheduled → sent', `${health.scheduled.toLocaleString('en-US')} → ${health.sent.toLocaleString('en-US')} (${(sentShare * 100).toFixed(1)}%)`],
    ['schedule lag p99', formatUs(health.lagP99Us)],
    ['schedule lag max', formatUs(health.lagMaxUs)],
    ['schedule lag p99 (measured intervals, from histograms)', formatUs(view.scheduleLag.percentileUs(99))],
    ['generator CPU', `${health.generatorCpuPct.toFixed(0)}% of a core per worker`],
    ['in flight at end', health.inFlightAtEnd.toLocaleString('en-US')],
  ];
  const table = rows.map(([key, value]) => `<tr><th>${escapeHtml(key)}</th><td>${escapeHtml(value)}</td></tr>`).join('');
  return (
    `<section data-section="health"><h3>Generator health</h3>` +
    `<table class="health" data-table="health-${view.index}">${table}</table>${renderLagChart(view)}</section>`
  );
}
