/**
 * The terminal summary of a run: throughput, latency percentiles, errors and — stated plainly — whether
 * the generator kept its schedule (if not, the numbers describe the generator, not the target).
 */
import { aggregateIntervals } from '../core/run-aggregate.js';
import type { RequestSummary, RunFile } from '../core/run-file.js';
import { terminalSafe, terminalSafeName } from '../core/terminal-safe.js';
import { formatRate, formatUs } from '../core/units.js';

const pct = (ratio: number): string => `${(ratio * 100).toFixed(ratio > 0 && ratio < 0.001 ? 3 : 2)}%`;

function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows.map((row) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  '));
}

const latencyCells = (summary: RequestSummary): string[] => [
  formatUs(summary.latency.p50Us),
  formatUs(summary.latency.p90Us),
  formatUs(summary.latency.p99Us),
  formatUs(summary.latency.p999Us),
  formatUs(summary.latency.maxUs),
];

export function renderRunSummary(run: RunFile, runPath?: string): string {
  const { summary, health } = run;
  const lines: string[] = [];
  const warmupMs = run.intervals.filter((interval) => interval.warmup).reduce((sum, interval) => sum + interval.durationMs, 0);
  lines.push(
    `perfloop run ${run.id}${run.interrupted ? ' (interrupted)' : ''} — ${(summary.measuredMs / 1000).toFixed(1)}s measured${warmupMs > 0 ? `, ${(warmupMs / 1000).toFixed(1)}s warm-up excluded` : ''}, ${run.environment.workers} worker(s)${run.environment.segment.count > 1 ? `, segment ${run.environment.segment.index + 1}/${run.environment.segment.count}` : ''}`,
  );
  const total = summary.total;
  lines.push(`  requests    ${total.count.toLocaleString('en-US')}   throughput ${formatRate(total.throughputPerSec)}   errors ${total.errors.toLocaleString('en-US')} (${pct(total.errorRate)})`);
  const rows = [['', 'p50', 'p90', 'p99', 'p99.9', 'max'], ['latency', ...latencyCells(total)]];
  rows.push([
    'service time',
    formatUs(total.serviceTime.p50Us),
    formatUs(total.serviceTime.p90Us),
    formatUs(total.serviceTime.p99Us),
    formatUs(total.serviceTime.p999Us),
    formatUs(total.serviceTime.maxUs),
  ]);
  const share = health.generatorShareUs;
  if (share) {
    const mark = (label: string, valueUs: number): string => `${formatUs(valueUs)}${health.untrustworthy?.includes(label) ? '!' : ''}`;
    rows.push(['generator lag', mark('p50', share['p50'] ?? 0), mark('p90', share['p90'] ?? 0), mark('p99', share['p99'] ?? 0), mark('p99.9', share['p99.9'] ?? 0), formatUs(health.lagMaxUs)]);
  }
  lines.push(...table(rows).map((line) => `  ${line}`));
  lines.push('  (latency is measured from each request\'s intended start; service time from when it was sent;');
  lines.push(`   generator lag: the generator's own delay at the same percentile${share ? ', ! where it is over a quarter of the latency' : ''})`);

  const names = Object.keys(summary.byRequest);
  if (names.length > 1) {
    lines.push('', '  per request:');
    const requestRows = [['name', 'count', 'rate', 'p50', 'p90', 'p99', 'p99.9', 'max', 'errors']];
    for (const name of names) {
      const request = summary.byRequest[name];
      if (request) requestRows.push([terminalSafeName(name), String(request.count), formatRate(request.throughputPerSec), ...latencyCells(request), pct(request.errorRate)]);
    }
    lines.push(...table(requestRows).map((line) => `    ${line}`));
  }

  const { total: aggregate } = aggregateIntervals(run.intervals);
  const statuses = Object.entries(aggregate.statuses).map(([status, count]) => `${status}×${count}`);
  const errors = Object.entries(aggregate.errors).map(([kind, count]) => `${kind}×${count}`);
  if (statuses.length > 0 || errors.length > 0) lines.push(`  statuses: ${statuses.join(' ') || '-'}   errors: ${errors.join(' ') || 'none'}`);

  const gc = health.gcPauseMaxUs !== undefined ? `, GC pauses max ${formatUs(health.gcPauseMaxUs)} (${(health.gcTotalMs ?? 0).toFixed(0)} ms in all)` : '';
  const priority = health.generatorPriority ? `, priority ${health.generatorPriority}` : '';
  lines.push(
    `  generator: schedule lag p99 ${formatUs(health.lagP99Us)}, max ${formatUs(health.lagMaxUs)}${gc}${priority}, busy ${health.generatorCpuPct.toFixed(0)}% — ${health.valid ? 'VALID: the generator kept its schedule' : 'INVALID'}`,
  );
  for (const reason of health.reasons) lines.push(`  ${health.valid ? 'note' : '!!'}: ${reason}`);
  if (!health.valid) lines.push('  !! These numbers measure the load generator, not the target. Do not use them as results.');
  if (runPath) lines.push(`  run file: ${runPath}`);
  return terminalSafe(lines.join('\n'));
}
