/**
 * The comparison verdicts (from src/compare/compare-runs.ts): the overall verdict, then per request name and in
 * total each metric's base → candidate, change with its confidence interval, p-value and verdict.
 */
import type { MetricComparison, RequestComparison, RunComparison } from '../../compare/compare-runs.js';
import type { Verdict } from '../../compare/verdict.js';
import { formatRate, formatUs } from '../../core/units.js';
import { escapeHtml } from './escape-html.js';

const VERDICT_CLASS: Record<Verdict, string> = { improved: 'better', regressed: 'worse', 'no significant change': 'same' };
const VERDICT_TONE: Record<Verdict, string> = { improved: 'ok', regressed: 'bad', 'no significant change': 'ok' };

const signed = (value: number, digits: number): string => `${value > 0 ? '+' : value < 0 ? '−' : '±'}${Math.abs(value).toFixed(digits)}`;

function valueText(metric: MetricComparison, value: number): string {
  if (metric.metric === 'throughput') return formatRate(value);
  if (metric.metric === 'errorRate') return `${(value * 100).toFixed(2)}%`;
  return formatUs(value);
}

/** Relative changes as percent, absolute (error-rate) changes as percentage points. */
function changeText(metric: MetricComparison, value: number): string {
  return metric.changeKind === 'relative' ? `${signed(value * 100, 1)}%` : `${signed(value * 100, 2)} pp`;
}

const METRIC_LABEL: Record<string, string> = { shift: 'median shift (Hodges–Lehmann)', throughput: 'throughput', errorRate: 'error rate' };

function requestTable(comparison: RequestComparison, confidenceLevel: number): string {
  const rows = comparison.metrics.map(
    (metric) =>
      `<tr data-metric="${escapeHtml(metric.metric)}"><td class="name">${escapeHtml(METRIC_LABEL[metric.metric] ?? metric.metric)}</td>` +
      `<td>${escapeHtml(valueText(metric, metric.base))}</td><td>${escapeHtml(valueText(metric, metric.candidate))}</td>` +
      `<td>${escapeHtml(changeText(metric, metric.change))}</td>` +
      `<td>${metric.ciLow === metric.ciHigh ? '' : escapeHtml(`${changeText(metric, metric.ciLow)} … ${changeText(metric, metric.ciHigh)}`)}</td>` +
      `<td>${metric.pValue === undefined ? '' : escapeHtml(metric.pValue < 0.0001 ? '<0.0001' : metric.pValue.toFixed(4))}</td>` +
      `<td class="${VERDICT_CLASS[metric.verdict]}">${escapeHtml(metric.verdict)}</td></tr>`,
  );
  return (
    `<h4>${escapeHtml(comparison.name === 'total' ? 'All requests' : comparison.name)} · <span class="${VERDICT_CLASS[comparison.verdict]}">${escapeHtml(comparison.verdict)}</span> ` +
    `<small class="meta">(${comparison.baseCount.toLocaleString('en-US')} → ${comparison.candidateCount.toLocaleString('en-US')} requests)</small></h4>` +
    `<div class="table-wrap"><table class="requests verdicts" data-table="verdicts" data-request="${escapeHtml(comparison.name)}" data-verdict="${escapeHtml(comparison.verdict)}">` +
    `<thead><tr><th>metric</th><th>base</th><th>candidate</th><th>change</th><th>${Math.round(confidenceLevel * 100)}% CI</th><th>p</th><th>verdict</th></tr></thead>` +
    `<tbody>${rows.join('')}</tbody></table></div>`
  );
}

export function renderComparisonVerdicts(comparison: RunComparison): string {
  const { options } = comparison;
  return (
    `<div class="verdicts-block" data-comparison-verdict="${escapeHtml(comparison.verdict)}">` +
    `<p class="verdict ${VERDICT_TONE[comparison.verdict]}">Candidate vs. base: ${escapeHtml(comparison.verdict)}</p>` +
    `<p class="meta">Base: ${comparison.baseRuns.map((id) => `<code>${escapeHtml(id)}</code>`).join(', ')} · candidate: ${comparison.candidateRuns.map((id) => `<code>${escapeHtml(id)}</code>`).join(', ')} · ` +
    `a change counts when its ${Math.round(options.confidenceLevel * 100)}% interval excludes 0 and it moves by ≥ ${(options.minEffect * 100).toFixed(0)}%.</p>` +
    requestTable(comparison.total, options.confidenceLevel) +
    comparison.byRequest.map((request) => requestTable(request, options.confidenceLevel)).join('') +
    `</div>`
  );
}
