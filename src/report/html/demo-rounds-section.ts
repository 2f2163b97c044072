/**
 * The demo's rounds in the report: per round the fix, its affected population and traffic share, the judged
 * percentile and why, predicted versus measured saving with the always-valid interval, the population's verdict and
 * the whole mix's, and the interleaved blocks pair by pair (invalid ones with their reason). Then what remains.
 * The shape is structural, so the report does not depend on the demo module.
 */
import type { ArmComparison, InterleavedComparison } from '../../compare/interleaved-comparison.js';
import { formatUs } from '../../core/units.js';
import { escapeHtml } from './escape-html.js';

export interface DemoRoundView {
  round: number;
  fix: string;
  finding: { detector: string; where: { service: string; operation: string } };
  population: { names: readonly string[]; trafficShare: number; coveredShare: number };
  percentile: { percentile: number; reason: string };
  predictedUs: number;
  predictionSource: string;
  comparison?: InterleavedComparison;
  blocks: readonly { arm: string; pair: number; valid: boolean; reasons: readonly string[]; requests: number }[];
  validPairs: number;
  stoppedBecause: string;
  verdict: string;
  mixVerdict: string;
  prediction?: { agrees: boolean; within25Pct: boolean; insideInterval: boolean };
  caveat?: string;
  missed?: string;
}

export interface DemoRoundsReport {
  rounds: readonly DemoRoundView[];
  stoppedBecause: string;
  refused?: string;
  remaining?: readonly { fix: string; title: string; why: string }[];
}

const VERDICT_CLASS: Record<string, string> = { improved: 'better', regressed: 'worse' };

const signedUs = (us: number): string => (!Number.isFinite(us) ? (us > 0 ? '+∞' : '−∞') : us < 0 ? `−${formatUs(-us)}` : formatUs(us));
const percent = (value: number): string => (!Number.isFinite(value) ? (value > 0 ? '+∞' : '−∞') : `${value > 0 ? '+' : value < 0 ? '−' : '±'}${Math.abs(value * 100).toFixed(1)}%`);

function verdictCell(verdict: string, arm: ArmComparison | undefined): string {
  if (!arm) return `<td class="same">${escapeHtml(verdict)}</td>`;
  const { result } = arm;
  return (
    `<td><span class="${VERDICT_CLASS[verdict] ?? 'same'}">${escapeHtml(verdict)}</span><br>` +
    `<small class="meta">p${result.percentile} ${escapeHtml(formatUs(result.base.estimate))} → ${escapeHtml(formatUs(result.candidate.estimate))} (${escapeHtml(percent(result.change))}` +
    `${arm.method === 'paired' ? ' median per-request change' : ''}; ` +
    `${Math.round((1 - result.alpha) * 100)}% always-valid ${escapeHtml(percent(result.ciLow))} … ${escapeHtml(percent(result.ciHigh))}); ` +
    `${arm.method === 'paired' ? `${arm.matched ?? result.base.n} twins measured in both arms` : `n ${result.base.n} / ${result.candidate.n}`}</small></td>`
  );
}

function pairsText(round: DemoRoundView): string {
  const pairs = round.comparison?.population.pairs ?? [];
  const valid = pairs.map((pair) => `${pair.pair}: ${percent(pair.change)}`).join(', ');
  const invalid = round.blocks.filter((block) => !block.valid).map((block) => `${block.arm}${block.pair} invalid (${block.reasons.join('; ')})`);
  return [valid ? `pairs ${valid}` : '', ...invalid].filter(Boolean).join(' · ');
}

function roundRow(round: DemoRoundView): string {
  const population = round.comparison?.population;
  const result = population?.result;
  const measured = result ? `${signedUs(result.savingUs)} <small class="meta">[${escapeHtml(signedUs(result.savingLowUs))} … ${escapeHtml(signedUs(result.savingHighUs))}]</small>` : '—';
  const agreement = round.prediction ? (round.prediction.agrees ? `<span class="better">agrees</span>` : `<span class="worse">misses${round.missed ? ` (${escapeHtml(round.missed)})` : ''}</span>`) : '';
  return (
    `<tr data-round="${round.round}" data-verdict="${escapeHtml(round.verdict)}" data-mix-verdict="${escapeHtml(round.mixVerdict)}">` +
    `<td>${round.round}</td>` +
    `<td class="name">${escapeHtml(round.finding.detector)} <small class="meta">${escapeHtml(`${round.finding.where.service} ${round.finding.where.operation}`)}</small><br>fix <code>${escapeHtml(round.fix)}</code></td>` +
    `<td>${escapeHtml(round.population.names.join(', '))}<br><small class="meta">${(round.population.trafficShare * 100).toFixed(0)}% of traffic; ${(round.population.coveredShare * 100).toFixed(0)}% of it showed the spans</small></td>` +
    `<td>p${round.percentile.percentile}<br><small class="meta">${escapeHtml(round.percentile.reason)}</small></td>` +
    `<td>${escapeHtml(signedUs(round.predictedUs))}<br><small class="meta">${escapeHtml(round.predictionSource === 'population' ? 'on the population' : "mix cohorts (fallback)")}</small></td>` +
    `<td>${measured} ${agreement}${round.caveat ? `<br><small class="meta">model: ${escapeHtml(round.caveat)}</small>` : ''}</td>` +
    verdictCell(round.verdict, population) +
    verdictCell(round.mixVerdict, round.comparison?.mix) +
    `<td><small class="meta">${round.validPairs} valid pair${round.validPairs === 1 ? '' : 's'}; ${escapeHtml(round.stoppedBecause)}<br>${escapeHtml(pairsText(round))}</small></td>` +
    `</tr>`
  );
}

export function renderDemoRoundsSection(report: DemoRoundsReport): string {
  const refused = report.refused ? `<p class="verdict bad" data-demo-refused="true">No conclusions drawn: ${escapeHtml(report.refused)}</p>` : '';
  const table =
    report.rounds.length === 0
      ? '<p class="note">No round was run.</p>'
      : `<div class="table-wrap"><table class="requests" data-table="demo-rounds"><thead><tr><th>round</th><th>finding / fix</th><th>affected population</th><th>judged</th><th>predicted saving</th><th>measured saving [interval]</th><th>population verdict</th><th>whole mix</th><th>blocks (ABAB)</th></tr></thead>` +
        `<tbody>${report.rounds.map(roundRow).join('')}</tbody></table></div>`;
  const remaining = (report.remaining ?? []).map((problem) => `<li><code>${escapeHtml(problem.fix)}</code> ${escapeHtml(problem.title)}: ${escapeHtml(problem.why)}</li>`);
  return (
    `<section id="demo" data-section="demo-rounds"><h2>Demo rounds</h2>` +
    refused +
    `<p class="meta">Each fix is validated on the requests whose traces contained the finding's spans (its affected population) and, separately, on the whole mix, ` +
    `in interleaved unfixed (A) / fixed (B) blocks on the live lab, measured until an always-valid confidence sequence decides or a cap. ` +
    `The prediction was made from the traces before the round measured anything. Stopped: ${escapeHtml(report.stoppedBecause)}.</p>` +
    table +
    (remaining.length > 0 ? `<h3>What remains</h3><ul data-list="demo-remaining">${remaining.join('')}</ul>` : '<p class="note" data-list="demo-remaining">Every lab problem was fixed.</p>') +
    `</section>`
  );
}
