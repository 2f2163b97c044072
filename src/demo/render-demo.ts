/**
 * The demo's closing table: per round the fix, its affected population (share of traffic), the judged percentile,
 * predicted vs measured saving with the always-valid interval, the population's verdict and the whole mix's; then
 * what remains unfixed and why.
 */
import { formatUs } from '../core/units.js';
import type { DemoResult } from './run-demo.js';

const signedUs = (us: number): string => (!Number.isFinite(us) ? (us > 0 ? '+∞' : '−∞') : us < 0 ? `-${formatUs(-us)}` : formatUs(us));
const percent = (value: number): string => (!Number.isFinite(value) ? (value > 0 ? '+∞' : '-∞') : `${value > 0 ? '+' : ''}${(value * 100).toFixed(0)}%`);

export function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  const lines = rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd());
  lines.splice(1, 0, widths.map((width) => '-'.repeat(width)).join('  '));
  return lines;
}

export function renderDemoTable(result: DemoResult): string {
  const rows = [['round', 'fix (finding)', 'affected population', 'judged', 'predicted', 'measured [interval]', 'verdict', 'whole mix', 'pairs agreeing']];
  const notes: string[] = [];
  for (const round of result.rounds) {
    const population = round.comparison?.population;
    const measured = population ? `${signedUs(population.result.savingUs)} [${signedUs(population.result.savingLowUs)}, ${signedUs(population.result.savingHighUs)}]` : '—';
    const agreement = round.prediction ? (round.prediction.agrees ? ' ✓' : ' ✗') : '';
    const mix = round.comparison ? `${percent(round.comparison.mix.result.change)} ${round.mixVerdict}` : round.mixVerdict;
    rows.push([
      String(round.round),
      `${round.fix} (${round.finding.detector} @ ${round.finding.where.service})`,
      `${round.population.names.join(' + ')} (${(round.population.trafficShare * 100).toFixed(0)}%)`,
      `p${round.percentile.percentile}${population?.method === 'paired' ? ' paired' : ''}`,
      signedUs(round.predictedUs),
      `${measured}${agreement}`,
      population ? `${percent(population.result.change)} ${round.verdict}` : round.verdict,
      mix,
      // Pairs whose own change points the way the pooled one does: drift would show as disagreeing pairs.
      `${population ? `${population.pairsAgreeing}/` : ''}${round.validPairs}${round.blocks.some((block) => !block.valid) ? ' (+invalid)' : ''}`,
    ]);
    if (round.carriedFrom !== undefined) notes.push(`round ${round.round}: the finding was last seen ${round.carriedFrom === 0 ? 'in the baseline' : `after round ${round.carriedFrom}`} (the latest blocks had too few traces to show it)`);
    if (round.caveat) notes.push(`round ${round.round} prediction ${round.missed ?? 'missed'}; the model ${round.caveat}`);
    if (round.verdict === 'not judged' || round.blocks.some((block) => !block.valid)) notes.push(`round ${round.round}: ${round.stoppedBecause}`);
  }
  const judged = result.rounds[0]?.percentile.reason;
  const agreeing = result.rounds.filter((round) => round.prediction?.agrees).length;
  const lines = [
    ...(result.refused ? [`NO CONCLUSIONS: ${result.refused}`, ''] : []),
    ...(result.rounds.length > 0 ? table(rows) : ['no round was run']),
    '',
    ...(judged ? [`judged percentile: ${judged} (per round, before measuring)`] : []),
    `verdicts: ${result.rounds.filter((round) => round.verdict === 'improved').length} of ${result.rounds.length} fixes improved their affected requests; predictions agree (within 25% or inside the interval) in ${agreeing} of ${result.rounds.length}`,
    ...notes,
    `stopped: ${result.stoppedBecause} after ${(result.elapsedMs / 1000).toFixed(0)} s`,
  ];
  if (result.remaining.length > 0) {
    lines.push('', 'what remains:');
    for (const problem of result.remaining) lines.push(`  ${problem.fix}: ${problem.why}`);
  } else if (!result.refused) lines.push('what remains: none of the eight lab problems');
  const unmapped = result.remainingFindings.length;
  lines.push(`findings in the last measurement: ${unmapped}${unmapped > 0 ? ` (${result.remainingFindings.map((finding) => `${finding.detector} @ ${finding.where.service} ${finding.where.operation}`).join(', ')})` : ''}`);
  lines.push(`baseline run: ${result.baselineRunFile}${result.baselineValid ? '' : ' (INVALID)'}`, `report: ${result.reportFile}`);
  return lines.join('\n');
}
