/** The demo's closing table: what each round fixed, what the traces predicted, what was measured. */
import { formatUs } from '../core/units.js';
import type { DemoResult } from './run-demo.js';

const signed = (us: number): string => (us < 0 ? `-${formatUs(-us)}` : formatUs(us));

export function renderDemoTable(result: DemoResult): string {
  const rows = [['round', 'finding fixed', 'fix', 'predicted p50 / p99 saving', 'measured p50 / p99 saving', 'verdict']];
  for (const round of result.rounds) {
    rows.push([
      String(round.round),
      `${round.finding.detector} (${round.finding.where.service})`,
      round.fix,
      `${signed(round.predictedSavingUs.p50)} / ${signed(round.predictedSavingUs.p99)}`,
      `${signed(round.measuredSavingUs.p50)} / ${signed(round.measuredSavingUs.p99)}`,
      round.comparison.verdict,
    ]);
  }
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  const lines = rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd());
  lines.splice(1, 0, widths.map((width) => '-'.repeat(width)).join('  '));
  return [
    ...lines,
    '',
    `stopped: ${result.stoppedBecause}`,
    `baseline run: ${result.baselineRunFile}`,
    `report: ${result.reportFile}`,
  ].join('\n');
}
