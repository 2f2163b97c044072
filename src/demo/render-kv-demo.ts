/**
 * The kv demo's round table: per planted culprit, the top finding and the node it names, whether that is right,
 * the fix the finding led to, the judged percentile before → after with the verdict, and whether the finding was
 * gone in the fixed blocks; then the control, the all-fixed cluster and the notes.
 */
import type { KvDiagnosis } from '../signals/kv-findings.js';
import { table } from './render-demo.js';
import type { KvDemoResult } from './run-kv-demo.js';

const ms = (us: number): string => (Number.isFinite(us) ? `${(us / 1000).toFixed(1)} ms` : '∞');
const percent = (value: number): string => (Number.isFinite(value) ? `${value > 0 ? '+' : ''}${(value * 100).toFixed(0)}%` : '?');
const topOf = (diagnosis: KvDiagnosis): string => {
  const top = diagnosis.findings[0];
  return top ? `${top.culprit} @ ${top.node}` : 'none';
};

export function renderKvDemoTable(result: KvDemoResult): string {
  const rows = [['culprit on', 'top finding @ node', 'right?', 'fix applied', 'before → after', 'verdict', 'finding gone?', 'outcome']];
  rows.push(['none (baseline)', topOf(result.baseline), result.baseline.findings.length === 0 ? 'yes' : 'no', '—', '—', '—', '—', result.baseline.findings.length === 0 ? 'clean' : 'findings on a clean cluster']);
  const notes: string[] = [];
  for (const round of result.rounds) {
    const judged = round.comparison?.population.result;
    rows.push([
      round.culprit,
      round.expect === 'control' ? (round.diagnosis.findings.some((finding) => finding.culprit === 'network') ? 'network (should not be)' : `no network finding${round.top ? `; top ${topOf(round.diagnosis)}` : ''}`) : topOf(round.diagnosis),
      round.outcome === 'unavailable' ? '—' : round.correct ? 'yes' : 'no',
      round.fixedWith ?? '—',
      judged && round.percentile ? `p${round.percentile.percentile} ${ms(judged.base.estimate)} → ${ms(judged.candidate.estimate)} (${percent(judged.change)})` : '—',
      round.verdict === 'not judged' && round.fixedWith === undefined ? '—' : round.verdict,
      round.removed === undefined ? '—' : round.removed ? 'yes' : 'no',
      round.outcome,
    ]);
    if (round.why) notes.push(`${round.culprit}: ${round.why}`);
    else if (round.stoppedBecause && round.outcome !== 'fixed') notes.push(`${round.culprit}: ${round.stoppedBecause}`);
  }
  rows.push(['none (all fixed)', topOf(result.final), result.final.findings.length === 0 ? 'yes' : 'no', '—', '—', '—', '—', result.final.findings.length === 0 ? 'clean' : 'findings left']);
  for (const note of result.final.notes) notes.push(`all fixed: ${note}`);
  const unavailable = Object.entries(result.unavailable).map(([name, why]) => `unavailable here: ${name} — ${why}`);
  return [...table(rows), ...notes.map((note) => `note: ${note}`), ...unavailable, `took ${(result.elapsedMs / 1000).toFixed(0)} s`].join('\n');
}
