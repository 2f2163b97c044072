/**
 * Signals in the report: the sources (what was read, how many readings failed and why, what the series cap
 * dropped) and step charts on the run's own time axis — CPU cores per watched process or cgroup, throttling,
 * and the percentiles of the busiest scraped histograms — so a resource can be seen moving with latency.
 */
import type { RunFile, SignalSeries } from '../../core/run-file.js';
import { escapeHtml } from './escape-html.js';
import { renderChart, type ChartSeries } from './svg-chart.js';

const COLOURS = ['c-p50', 'c-p99', 'c-p90', 'c-max', 'c-run2', 'c-run5'];
const MAX_HISTOGRAM_CHARTS = 4;

function tick(value: number): string {
  return Math.abs(value) >= 100 ? value.toFixed(0) : Number(value.toPrecision(3)).toString();
}

function stepSeries(run: RunFile, label: string, className: string, values: readonly (number | null)[], scale = 1): ChartSeries {
  const points = run.intervals.map((interval, index) => [interval.startMs / 1000, values[index] === null || values[index] === undefined ? Number.NaN : (values[index] ?? 0) * scale] as const);
  const last = run.intervals.at(-1);
  return { label, className, kind: 'step', points, stepEndX: last ? (last.startMs + last.durationMs) / 1000 : 0 };
}

function chart(run: RunFile, id: string, title: string, yLabel: string, series: ChartSeries[], note?: string): string {
  const values = series.flatMap((item) => item.points.map(([, y]) => y)).filter(Number.isFinite);
  const last = run.intervals.at(-1);
  return renderChart({
    id,
    title,
    heightPx: 200,
    x: { label: 'time since start (s)', scale: 'linear', min: 0, max: last ? (last.startMs + last.durationMs) / 1000 : 1, format: tick, exact: true },
    y: { label: yLabel, scale: 'linear', min: 0, max: Math.max(1e-9, ...values) * 1.08, format: tick },
    series,
    ...(note ? { note } : {}),
  });
}

const sumRates = (series: SignalSeries): number => (series.rate ?? []).reduce<number>((sum, rate) => sum + (rate ?? 0), 0);

function sourceCharts(run: RunFile, runIndex: number, sourceIndex: number, name: string, series: SignalSeries[]): string[] {
  const find = (metric: string): SignalSeries | undefined => series.find((item) => item.metric === metric);
  const charts: string[] = [];
  const id = (suffix: string): string => `signal-${runIndex}-${sourceIndex}-${suffix}`;
  const user = find('process_cpu_user_seconds_total');
  const system = find('process_cpu_system_seconds_total');
  if (user?.rate && system?.rate) {
    charts.push(chart(run, id('cpu'), `${name}: CPU (cores)`, 'cores', [stepSeries(run, 'user', 'c-p50', user.rate), stepSeries(run, 'system', 'c-p99', system.rate)]));
  }
  const usage = find('cgroup_cpu_usage_seconds_total');
  const throttled = find('cgroup_cpu_throttled_periods_total');
  const periods = find('cgroup_cpu_periods_total');
  if (usage?.rate) {
    const quota = find('cgroup_cpu_quota_cores');
    charts.push(chart(run, id('cgroup'), `${name}: cgroup CPU (cores)`, 'cores', [stepSeries(run, 'used', 'c-p50', usage.rate), ...(quota?.value ? [{ ...stepSeries(run, 'quota', 'c-max', quota.value), dashed: true }] : [])]));
  }
  if (throttled?.rate && periods?.rate) {
    const share = throttled.rate.map((value, index) => {
      const total = periods.rate?.[index];
      return value === null || !total ? null : value / total;
    });
    charts.push(chart(run, id('throttle'), `${name}: throttled CFS periods (%)`, '% of periods', [stepSeries(run, 'throttled', 'c-max', share, 100)]));
  }
  const histograms = series.filter((item) => item.kind === 'histogram' && item.p99).sort((a, b) => sumRates(b) - sumRates(a)).slice(0, MAX_HISTOGRAM_CHARTS);
  histograms.forEach((histogram, index) => {
    const labels = Object.entries(histogram.labels).map(([key, value]) => `${key}="${value}"`).join(', ');
    const seconds = histogram.metric.endsWith('_seconds');
    const scale = seconds ? 1000 : 1;
    charts.push(
      chart(run, id(`h${index}`), `${name}: ${histogram.metric}${labels ? `{${labels}}` : ''}`, seconds ? 'ms' : 'value', [
        stepSeries(run, 'p50', COLOURS[0] ?? '', histogram.p50 ?? [], scale),
        stepSeries(run, 'p99', COLOURS[1] ?? '', histogram.p99 ?? [], scale),
        stepSeries(run, 'mean', COLOURS[2] ?? '', histogram.mean ?? [], scale),
      ], 'Per-interval percentiles of the observations made in the interval (bucket increases, linear within a bucket).'),
    );
  });
  const lag = find('nodejs_eventloop_lag_p99_seconds');
  if (lag?.value) charts.push(chart(run, id('lag'), `${name}: event-loop delay p99 (ms)`, 'ms', [stepSeries(run, 'p99', 'c-lag', lag.value, 1000)]));
  return charts;
}

export function renderSignalsSection(run: RunFile, runIndex: number): string {
  const signals = run.signals;
  if (!signals) return '';
  const rows = signals.sources
    .map((source) => {
      const failed = Object.values(source.failures).reduce((sum, count) => sum + count, 0);
      const reasons = Object.entries(source.failures).map(([reason, count]) => `${reason} ${count}`).join(', ');
      return (
        `<tr><th>${escapeHtml(source.name)}</th><td>${escapeHtml(source.kind)}</td><td><code>${escapeHtml(source.target)}</code></td>` +
        `<td class="num">${source.attempts - Math.min(failed, source.attempts)} / ${source.attempts}</td><td>${escapeHtml(reasons || '–')}${source.firstError ? `<br><small>${escapeHtml(source.firstError)}</small>` : ''}</td>` +
        `<td class="num">${source.droppedSeries}${source.droppedMetrics.length ? ` <small>(${escapeHtml(source.droppedMetrics.slice(0, 5).join(', '))}${source.droppedMetrics.length > 5 ? ', …' : ''})</small>` : ''}</td></tr>`
      );
    })
    .join('');
  const findings = (signals.findings ?? [])
    .map(
      (finding) =>
        `<li data-finding="${escapeHtml(finding.kind)}"><strong>${escapeHtml(finding.kind)}</strong>: ${escapeHtml(finding.resource)} — ${escapeHtml(finding.evidence)}; ` +
        `explains ${(finding.explainedShare * 100).toFixed(0)}% of the client p99's variation over intervals (r ${finding.correlation ?? 'n/a'}).<br>` +
        `<small>Fix: ${escapeHtml(finding.fix)}. Trade-off: ${escapeHtml(finding.tradeOff)}.</small></li>`,
    )
    .join('');
  const charts = signals.sources.flatMap((source, index) => sourceCharts(run, runIndex, index, source.name, signals.series.filter((series) => series.source === source.name)));
  return (
    `<section data-section="signals"><h3>Signals</h3>` +
    `<table data-table="signal-sources-${runIndex}"><thead><tr><th>source</th><th>kind</th><th>target</th><th>readings ok</th><th>failures</th><th>series dropped</th></tr></thead><tbody>${rows}</tbody></table>` +
    (findings ? `<h4>Resource findings</h4><ol class="signal-findings">${findings}</ol>` : '') +
    charts.join('') +
    `</section>`
  );
}
