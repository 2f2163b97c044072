/**
 * The headline: verdict on the run's validity, throughput, p50/p99, errors, and the health reasons.
 */
import { errorCount } from '../../core/run-aggregate.js';
import { formatRate, formatUs, msToSec } from '../../core/units.js';
import { escapeHtml } from './escape-html.js';
import type { RunView } from './run-view.js';

export type RunVerdict = 'invalid' | 'interrupted' | 'errors' | 'valid';

/** Error rate above which the headline calls the run out, even when the measurement itself is valid. */
export const ERROR_RATE_WARNING = 0.01;

export function runVerdictOf(view: RunView): RunVerdict {
  if (!view.run.health.valid) return 'invalid';
  if (view.run.interrupted) return 'interrupted';
  const errors = errorCount(view.total);
  if (view.total.count > 0 && errors / view.total.count > ERROR_RATE_WARNING) return 'errors';
  return 'valid';
}

const VERDICT_TEXT: Record<RunVerdict, { text: string; tone: 'ok' | 'warn' | 'bad' }> = {
  invalid: { text: 'Invalid run — the generator could not keep the schedule; do not trust these numbers', tone: 'bad' },
  interrupted: { text: 'Interrupted run — measured until stopped', tone: 'warn' },
  errors: { text: 'Valid measurement, but requests failed', tone: 'warn' },
  valid: { text: 'Valid run', tone: 'ok' },
};

export function metric(name: string, label: string, shown: string, value: number, detail = ''): string {
  return (
    `<div class="kpi" data-metric="${escapeHtml(name)}" data-value="${value}"><dt>${escapeHtml(label)}</dt>` +
    `<dd>${escapeHtml(shown)}</dd>${detail ? `<small>${escapeHtml(detail)}</small>` : ''}</div>`
  );
}

export function renderHeadline(view: RunView): string {
  const verdict = runVerdictOf(view);
  const { text, tone } = VERDICT_TEXT[verdict];
  const { run, total } = view;
  const errors = errorCount(total);
  const errorRate = total.count === 0 ? 0 : errors / total.count;
  const throughputPerSec = view.measuredMs > 0 ? total.count / msToSec(view.measuredMs) : 0;
  const latency = total.latency;
  const kpis = [
    metric('throughput', 'Throughput', formatRate(throughputPerSec), throughputPerSec, `${total.count.toLocaleString('en-US')} requests in ${msToSec(view.measuredMs).toFixed(1)} s`),
    metric('p50', 'p50 latency', formatUs(latency.percentileUs(50)), latency.percentileUs(50)),
    metric('p99', 'p99 latency', formatUs(latency.percentileUs(99)), latency.percentileUs(99)),
    metric('p999', 'p99.9 latency', formatUs(latency.percentileUs(99.9)), latency.percentileUs(99.9)),
    metric('max', 'max latency', formatUs(latency.maxUs), latency.maxUs),
    metric('errors', 'Errors', `${errors.toLocaleString('en-US')} (${(errorRate * 100).toFixed(2)}%)`, errors),
  ].join('');
  const reasons = run.health.reasons.map((reason) => `<li>${escapeHtml(reason)}</li>`).join('');
  return (
    `<section class="headline" data-section="headline">` +
    `<p class="verdict ${tone}" data-verdict="${verdict}">${escapeHtml(text)}</p>` +
    `<dl class="kpis">${kpis}</dl>` +
    (reasons ? `<ul class="reasons" data-health-reasons>${reasons}</ul>` : '') +
    `<p class="meta">Run <code>${escapeHtml(run.id)}</code> · ${escapeHtml(run.startedAt)} → ${escapeHtml(run.endedAt)} · ` +
    `${run.environment.workers} worker(s) on ${escapeHtml(run.environment.hostname)} (${escapeHtml(run.environment.cpuModel)}, ${run.environment.cpus} CPUs), node ${escapeHtml(run.environment.node)}` +
    `${run.mergedFrom ? ` · merged from ${run.mergedFrom.length} run files` : ''}</p>` +
    `</section>`
  );
}
