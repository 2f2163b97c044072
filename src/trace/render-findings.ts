/** Terminal rendering of a trace analysis: tiers per cohort, top critical-path operations, ranked findings. */
import { terminalSafe, terminalSafeName as safe } from '../core/terminal-safe.js';
import { formatUs } from '../core/units.js';
import type { TraceAnalysis } from './trace-analysis.js';

const pct = (share: number): string => `${(share * 100).toFixed(share < 0.1 ? 1 : 0)}%`;

export function renderFindings(analysis: TraceAnalysis, options: { maxFindings?: number; maxOperations?: number } = {}): string {
  const lines: string[] = [];
  lines.push(
    `Traces: ${analysis.traceCount} (${analysis.spanCount} spans` +
      (analysis.duplicateSpans ? `, ${analysis.duplicateSpans} duplicate` : '') +
      (analysis.orphanSpans ? `, ${analysis.orphanSpans} orphan` : '') +
      (analysis.skewAdjustedSpans ? `, ${analysis.skewAdjustedSpans} moved for clock skew between hosts` : '') +
      (analysis.serverOutlivesClientSpans ? `, ${analysis.serverOutlivesClientSpans} server span${analysis.serverOutlivesClientSpans === 1 ? ' outlives its' : 's outlive their'} client span` : '') +
      (analysis.implausibleTimeSpans ? `, ${analysis.implausibleTimeSpans} with implausible times` : '') +
      ')',
  );
  for (const cohort of analysis.cohorts) {
    const parts = cohort.tiers.filter((tier) => tier.us > 0).map((tier) => `${tier.tier} ${formatUs(tier.us)}`);
    lines.push(`  ${cohort.cohort} cohort (${cohort.traces} traces, ≥ ${formatUs(cohort.latencyUs)}): ${parts.join(' · ') || 'no time recorded'}`);
  }
  const operations = analysis.criticalPath.byOperation.slice(0, options.maxOperations ?? 5);
  if (operations.length > 0) {
    lines.push('', 'Critical path time by operation:');
    for (const entry of operations) lines.push(`  ${pct(entry.share).padStart(6)}  ${safe(entry.service)} ${safe(entry.operation)}`);
  }
  lines.push('');
  if (analysis.findings.length === 0) {
    lines.push('Findings: none — no detector fired.');
    return terminalSafe(lines.join('\n'));
  }
  lines.push(`Findings (${analysis.findings.length}, ranked by predicted saving; low-confidence ones last):`);
  analysis.findings.slice(0, options.maxFindings ?? 10).forEach((finding, index) => {
    const uncertain = finding.confidence !== undefined && finding.confidence.level !== 'high';
    const confidence = uncertain ? ` (${finding.confidence!.level} confidence)` : '';
    lines.push(`${index + 1}. [${finding.detector}] ${safe(finding.title)}${confidence}`);
    lines.push(`   where: ${safe(finding.where.service)} ${safe(finding.where.operation)} · ${pct(finding.shareOfRequests)} of requests`);
    lines.push(`   predicted saving: p50 ${formatUs(finding.predictedSavingUs.p50)}, p99 ${formatUs(finding.predictedSavingUs.p99)}`);
    const counts = Object.entries(finding.evidence.counts).map(([key, value]) => `${safe(key)}=${value}`);
    lines.push(`   evidence: ${counts.join(' ')}${finding.evidence.exampleTraceIds[0] ? ` · e.g. trace ${finding.evidence.exampleTraceIds[0]}` : ''}`);
    if (uncertain && finding.confidence!.because.length > 0) lines.push(`   why: ${finding.confidence!.because.join('; ')}`);
    lines.push(`   fix: ${finding.fix}`);
    lines.push(`   trade-off: ${finding.tradeOff}`);
  });
  // Titles, fixes and evidence quote span data: the whole text is escaped once more for the terminal.
  return terminalSafe(lines.join('\n'));
}
