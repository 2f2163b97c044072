/**
 * The per-request table: one row per request name plus the total, from exact merged histograms.
 */
import { errorCount, type RequestAggregate } from '../../core/run-aggregate.js';
import { formatRate, formatUs, msToSec } from '../../core/units.js';
import { escapeHtml } from './escape-html.js';
import type { RunView } from './run-view.js';

const COLUMNS = ['request', 'count', 'throughput', 'errors', 'error %', 'p50', 'p90', 'p99', 'p99.9', 'max', 'mean', 'service p99', 'statuses'] as const;
/** Columns dropped on narrow screens (class `opt`), so the latency percentiles stay visible without scrolling. */
const OPTIONAL_FROM = COLUMNS.indexOf('mean');
const cellClass = (column: number): string => (column >= OPTIONAL_FROM ? ' class="opt"' : '');

function row(name: string, aggregate: RequestAggregate, measuredMs: number, isTotal: boolean): string {
  const errors = errorCount(aggregate);
  const latency = aggregate.latency;
  const statuses = Object.entries(aggregate.statuses)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, count]) => `${status}×${count}`)
    .join(' ');
  const cells = [
    formatRate(measuredMs > 0 ? aggregate.count / msToSec(measuredMs) : 0),
    String(errors),
    aggregate.count === 0 ? '0.00' : ((errors / aggregate.count) * 100).toFixed(2),
    formatUs(latency.percentileUs(50)),
    formatUs(latency.percentileUs(90)),
    formatUs(latency.percentileUs(99)),
    formatUs(latency.percentileUs(99.9)),
    formatUs(latency.maxUs),
    formatUs(latency.meanUs),
    formatUs(aggregate.serviceTime.percentileUs(99)),
  ];
  const tag = isTotal ? 'th' : 'td';
  return (
    `<tr${isTotal ? ' class="total"' : ''} data-request="${escapeHtml(name)}"><${tag} class="name">${escapeHtml(name)}</${tag}>` +
    `<td>${aggregate.count.toLocaleString('en-US')}</td>` +
    // Cell i is column i + 2 (after name and count).
    cells.map((cell, i) => `<td${cellClass(i + 2)}>${escapeHtml(cell)}</td>`).join('') +
    `<td class="statuses opt">${escapeHtml(statuses)}</td></tr>`
  );
}

export function renderRequestTable(view: RunView): string {
  const names = [...view.byRequest.keys()].sort((a, b) => a.localeCompare(b));
  const body = names.map((name) => row(name, view.byRequest.get(name)!, view.measuredMs, false)).join('');
  return (
    `<section data-section="requests"><h3>Requests</h3><div class="table-wrap"><table class="requests" data-table="requests-${view.index}">` +
    `<thead><tr>${COLUMNS.map((column, i) => `<th${cellClass(i)}>${escapeHtml(column)}</th>`).join('')}</tr></thead>` +
    `<tbody>${body}</tbody><tfoot>${row('all requests', view.total, view.measuredMs, true)}</tfoot></table></div>` +
    `<p class="note">Latency from intended start; service time from actual send. Warm-up intervals excluded.</p></section>`
  );
}
