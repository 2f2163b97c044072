/** The report's one ranking of trace and signal findings (ranked-findings.ts), drawn when a run has signal findings. */
import type { RunFile } from '../../core/run-file.js';
import { formatUs } from '../../core/units.js';
import { rankedFindingsOf } from '../ranked-findings.js';
import { escapeHtml } from './escape-html.js';

export function renderRankedFindingsSection(run: RunFile): string {
  // Without signal or kv findings the trace section's own ranking is the whole ranking.
  if (!run.signals?.findings?.length && !run.signals?.kvFindings?.length) return '';
  const rows = rankedFindingsOf(run)
    .map(
      (finding) =>
        `<tr data-ranked="${escapeHtml(finding.origin)}:${escapeHtml(finding.kind)}"><td class="num">${finding.rank}</td><td class="num">${finding.p99Us === undefined ? '—' : escapeHtml(formatUs(finding.p99Us))}</td>` +
        `<td>${escapeHtml(finding.origin)}: <strong>${escapeHtml(finding.kind)}</strong>${finding.confidence && finding.confidence !== 'high' ? ` <small>(${escapeHtml(finding.confidence)} confidence)</small>` : ''}</td>` +
        `<td>${escapeHtml(finding.where)}<br><small>${escapeHtml(finding.evidence)}</small></td>` +
        `<td><small>${escapeHtml(finding.basis)}</small></td><td><small>${escapeHtml(finding.fix)}. Trade-off: ${escapeHtml(finding.tradeOff)}.</small></td></tr>`,
    )
    .join('');
  return (
    `<section data-section="ranked-findings"><h3>Findings, ranked together</h3>` +
    `<p>Trace and signal findings on one scale: the client p99 each accounts for — a trace finding's predicted saving, ` +
    `a signal finding's share of the p99's variation over intervals times the p99's rise above its best interval. ` +
    `A kv-lab run's kv findings (culprit and node, from each member against its peers) come first, without a p99 value.</p>` +
    `<table><thead><tr><th>#</th><th>p99</th><th>finding</th><th>where and evidence</th><th>basis</th><th>fix</th></tr></thead><tbody>${rows}</tbody></table></section>`
  );
}
