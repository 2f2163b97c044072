/** Terminal rendering of a run comparison: one table per request name (total first). Pure. */
import { terminalSafe, terminalSafeName } from '../core/terminal-safe.js';
import { formatRate, formatUs } from '../core/units.js';
import type { MetricComparison, RequestComparison, RunComparison } from './compare-runs.js';

const percent = (fraction: number): string => (Number.isFinite(fraction) ? `${fraction >= 0 ? '+' : ''}${(fraction * 100).toFixed(1)}%` : '-');
const points = (fraction: number): string => `${fraction >= 0 ? '+' : ''}${(fraction * 100).toFixed(2)}pp`;

function formatValue(metric: MetricComparison, value: number): string {
  if (metric.metric === 'throughput') return formatRate(value);
  if (metric.metric === 'errorRate') return `${(value * 100).toFixed(2)}%`;
  return formatUs(value);
}

function row(metric: MetricComparison): string[] {
  const change = metric.changeKind === 'absolute' ? points(metric.change) : percent(metric.change);
  const interval =
    metric.metric === 'shift'
      ? `p=${(metric.pValue ?? 1).toPrecision(2)}`
      : metric.changeKind === 'absolute'
        ? `[${points(metric.ciLow)}, ${points(metric.ciHigh)}]`
        : `[${percent(metric.ciLow)}, ${percent(metric.ciHigh)}]`;
  return [metric.metric, formatValue(metric, metric.base), formatValue(metric, metric.candidate), change, interval, metric.verdict];
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((cells) => (cells[column] ?? '').length))) ?? [];
  return rows.map((cells) => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd()).join('\n');
}

function renderRequest(request: RequestComparison, confidencePct: string): string {
  const header = ['metric', 'base', 'candidate', 'change', `${confidencePct} CI`, 'verdict'];
  return [`${terminalSafeName(request.name)}  (${request.baseCount} vs ${request.candidateCount} requests) → ${request.verdict}`, table([header, ...request.metrics.map(row)])].join('\n');
}

export function renderComparison(comparison: RunComparison): string {
  const confidencePct = `${Math.round(comparison.options.confidenceLevel * 1000) / 10}%`;
  const requests = comparison.byRequest.length > 1 ? [comparison.total, ...comparison.byRequest] : [comparison.total];
  return terminalSafe([
    `base: ${comparison.baseRuns.join(', ')}`,
    `candidate: ${comparison.candidateRuns.join(', ')}`,
    '',
    ...requests.map((request) => renderRequest(request, confidencePct) + '\n'),
    `verdict: ${comparison.verdict}  (a change counts when its ${confidencePct} interval excludes 0 and it exceeds ${(comparison.options.minEffect * 100).toFixed(1)}%; shift = Hodges–Lehmann, tested by Mann–Whitney)`,
  ].join('\n'));
}
