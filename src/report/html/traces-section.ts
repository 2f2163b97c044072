/**
 * Trace analysis: where the time goes for typical (p50) and slow (p99) requests, the ranked findings,
 * and a waterfall of the exemplar slow trace with its critical path highlighted.
 */
import { formatUs } from '../../core/units.js';
import { escapeHtml } from './escape-html.js';
import type { CohortView, ExemplarView, FindingView, OperationTimeView, TraceAnalysisView, WaterfallSpanView } from './trace-analysis-view.js';

const WIDTH = 960;
const LABEL_WIDTH = 260;
const TIER_COLOURS = 8;
/** Spans drawn in the waterfall; the rest are counted in a note (a trace can have thousands). */
export const MAX_WATERFALL_SPANS = 150;

const r1 = (value: number): string => (Math.round(value * 10) / 10).toString();

function tierDecomposition(cohorts: readonly CohortView[]): string {
  if (cohorts.length === 0) return '';
  // Tiers with no time in any cohort are left out of the bars and the legend.
  const tiers = [...new Set(cohorts.flatMap((cohort) => cohort.tiers.filter((tier) => tier.us > 0).map((tier) => tier.tier)))];
  const tierClass = (tier: string): string => `t${tiers.indexOf(tier) % TIER_COLOURS}`;
  const widestUs = Math.max(1, ...cohorts.map((cohort) => cohort.tiers.reduce((sum, tier) => sum + tier.us, 0)));
  const rowHeight = 34;
  const height = cohorts.length * rowHeight + 10;
  const plotWidth = WIDTH - 120 - 20;
  const rows = cohorts.map((cohort, index) => {
    const y = 5 + index * rowHeight;
    let x = 120;
    const sumUs = cohort.tiers.reduce((sum, tier) => sum + tier.us, 0);
    const segments = cohort.tiers.filter((tier) => tier.us > 0).map((tier) => {
      const width = (tier.us / widestUs) * plotWidth;
      const share = sumUs > 0 ? (tier.us / sumUs) * 100 : 0;
      const title = `${cohort.cohort} · ${tier.tier}: ${formatUs(tier.us)} (${share.toFixed(0)}%)`;
      const label = width > 70 ? `<text x="${r1(x + width / 2)}" y="${y + 17}" dy="0.32em" text-anchor="middle">${escapeHtml(tier.tier)}</text>` : '';
      const rect = `<g class="tier ${tierClass(tier.tier)}"><rect x="${r1(x)}" y="${y + 4}" width="${r1(Math.max(0.5, width))}" height="26"><title>${escapeHtml(title)}</title></rect>${label}</g>`;
      x += width;
      return rect;
    });
    return (
      `<g data-cohort="${escapeHtml(cohort.cohort)}"><text class="tick" x="110" y="${y + 17}" dy="0.32em" text-anchor="end">${escapeHtml(cohort.cohort)} · ${escapeHtml(formatUs(cohort.latencyUs))}</text>` +
      `${segments.join('')}</g>`
    );
  });
  const legend = tiers.map((tier) => `<span class="legend-item"><i class="swatch box ${tierClass(tier)}"></i>${escapeHtml(tier)}</span>`).join('');
  return (
    `<figure class="chart" data-chart="tiers"><figcaption>Where the time goes: critical-path time per tier, p50 vs. p99 cohort</figcaption>` +
    `<div class="legend">${legend}</div><svg viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="tier decomposition">${rows.join('')}</svg>` +
    `<p class="note">Bar length is the cohort's mean critical-path time; hover a segment for its share.</p></figure>`
  );
}

/** Findings shown open; the rest sit in a collapsed list (detectors can fire on dozens of similar reads). */
export const OPEN_FINDINGS = 5;

function findingItem(finding: FindingView, rank: number): string {
  return (
    `<li class="finding" data-finding-rank="${rank}" data-detector="${escapeHtml(finding.detector)}"><h4>${rank}. ${escapeHtml(finding.title)}</h4>` +
    `<dl><dt>where</dt><dd>${escapeHtml(finding.where)}</dd>` +
    `<dt>predicted saving</dt><dd class="saving">p99 −${escapeHtml(formatUs(finding.savingP99Us))} · p50 −${escapeHtml(formatUs(finding.savingP50Us))} · ${(finding.share * 100).toFixed(1)}% of requests affected</dd>` +
    (finding.evidence ? `<dt>evidence</dt><dd>${escapeHtml(finding.evidence)}</dd>` : '') +
    (finding.confidence !== undefined && finding.confidence !== 'high'
      ? `<dt>confidence</dt><dd data-confidence="${escapeHtml(finding.confidence)}">${escapeHtml(finding.confidence)}${finding.confidenceBecause ? ` — ${escapeHtml(finding.confidenceBecause)}` : ''}</dd>`
      : '') +
    (finding.fix ? `<dt>fix</dt><dd>${escapeHtml(finding.fix)}</dd>` : '') +
    (finding.tradeOff ? `<dt>trade-off</dt><dd>${escapeHtml(finding.tradeOff)}</dd>` : '') +
    `</dl></li>`
  );
}

function findingsList(findings: readonly FindingView[]): string {
  if (findings.length === 0) return '<p class="note" data-findings="0">No findings: no detector fired.</p>';
  const open = findings.slice(0, OPEN_FINDINGS).map((finding, index) => findingItem(finding, index + 1));
  const more = findings.slice(OPEN_FINDINGS).map((finding, index) => findingItem(finding, OPEN_FINDINGS + index + 1));
  return (
    `<div data-findings="${findings.length}"><ol class="findings">${open.join('')}</ol>` +
    (more.length > 0 ? `<details><summary>${more.length} more finding${more.length === 1 ? '' : 's'}</summary><ol class="findings" start="${OPEN_FINDINGS + 1}">${more.join('')}</ol></details>` : '') +
    `</div>`
  );
}

/** Operations shown in the critical-path table; the rest are summed into one row. */
export const MAX_OPERATIONS = 10;

function operationsTable(operations: readonly OperationTimeView[]): string {
  if (operations.length === 0) return '';
  const shown = operations.slice(0, MAX_OPERATIONS);
  const rest = operations.slice(MAX_OPERATIONS);
  const rows = shown.map(
    (op) =>
      `<tr><td class="name">${escapeHtml(op.service)}</td><td class="name">${escapeHtml(op.operation)}</td><td>${escapeHtml(formatUs(op.timeUs))}</td><td>${(op.share * 100).toFixed(1)}%</td></tr>`,
  );
  if (rest.length > 0) {
    const restShare = rest.reduce((sum, op) => sum + op.share, 0);
    rows.push(`<tr><td class="name" colspan="2">${rest.length} more operations</td><td>${escapeHtml(formatUs(rest.reduce((sum, op) => sum + op.timeUs, 0)))}</td><td>${(restShare * 100).toFixed(1)}%</td></tr>`);
  }
  return (
    `<h4>Critical-path time by operation (all traces)</h4><div class="table-wrap"><table class="requests" data-table="critical-operations">` +
    `<thead><tr><th class="name">service</th><th class="name">operation</th><th>time</th><th>share</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`
  );
}

/** Depth-first, children by start time: the order a waterfall is read in. */
function waterfallOrder(spans: readonly WaterfallSpanView[]): { span: WaterfallSpanView; depth: number }[] {
  const ids = new Set(spans.map((span) => span.spanId));
  const children = new Map<string | undefined, WaterfallSpanView[]>();
  for (const span of spans) {
    const parent = span.parentSpanId !== undefined && ids.has(span.parentSpanId) ? span.parentSpanId : undefined;
    const list = children.get(parent) ?? [];
    list.push(span);
    children.set(parent, list);
  }
  const ordered: { span: WaterfallSpanView; depth: number }[] = [];
  const visit = (parent: string | undefined, depth: number): void => {
    const list = (children.get(parent) ?? []).sort((a, b) => a.startUs - b.startUs);
    for (const span of list) {
      ordered.push({ span, depth });
      visit(span.spanId, depth + 1);
    }
  };
  visit(undefined, 0);
  return ordered;
}

function waterfall(exemplar: ExemplarView): string {
  const all = waterfallOrder(exemplar.spans);
  const shown = all.slice(0, MAX_WATERFALL_SPANS);
  const startUs = Math.min(0, ...exemplar.spans.map((span) => span.startUs));
  // The axis covers the spans, not the client latency: when the client's latency (from intended start) is much
  // longer — time queued before the server saw the request — stretching to it would squash every bar.
  const spansEndUs = Math.max(1, ...exemplar.spans.map((span) => span.startUs + span.durationUs));
  const endUs = exemplar.latencyUs <= spansEndUs * 1.2 ? Math.max(exemplar.latencyUs, spansEndUs) : spansEndUs;
  const spanUs = Math.max(1, endUs - startUs);
  const plotWidth = WIDTH - LABEL_WIDTH - 20;
  const rowHeight = 18;
  const top = 22;
  const height = top + shown.length * rowHeight + 8;
  const toX = (us: number): number => LABEL_WIDTH + ((us - startUs) / spanUs) * plotWidth;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((fraction) => {
    const us = startUs + fraction * spanUs;
    return `<line class="grid" x1="${r1(toX(us))}" x2="${r1(toX(us))}" y1="${top - 4}" y2="${height}"/><text class="tick" x="${r1(toX(us))}" y="12" text-anchor="middle">${escapeHtml(formatUs(us))}</text>`;
  });
  const rowOf = new Map(shown.map(({ span }, index) => [span.spanId, index]));
  const rows = shown.map(({ span, depth }, index) => {
    const y = top + index * rowHeight;
    const x = toX(span.startUs);
    const width = Math.max(1, toX(span.startUs + span.durationUs) - x);
    const label = `${span.service ? `${span.service} · ` : ''}${span.name}`;
    const clipped = label.length > 34 - depth ? `${label.slice(0, Math.max(8, 33 - depth))}…` : label;
    return (
      `<g class="span${span.critical ? ' critical' : ''}${span.error ? ' error' : ''}" data-span-id="${escapeHtml(span.spanId)}"${span.critical ? ' data-critical="true"' : ''}>` +
      `<text class="span-label" x="${4 + depth * 10}" y="${y + 9}" dy="0.32em">${escapeHtml(clipped)}</text>` +
      `<rect x="${r1(x)}" y="${y + 2}" width="${r1(width)}" height="${rowHeight - 4}"><title>${escapeHtml(`${label}: ${formatUs(span.durationUs)} at +${formatUs(span.startUs - startUs)}${span.critical ? ' (critical path)' : ''}`)}</title></rect></g>`
    );
  });
  // The critical path proper: the sections of spans that determined the trace's end, drawn over the bars.
  const sections = exemplar.criticalPath.flatMap((section) => {
    const index = rowOf.get(section.spanId);
    if (index === undefined) return [];
    const x = toX(section.startUs);
    const y = top + index * rowHeight + rowHeight - 5;
    return [`<rect x="${r1(x)}" y="${y}" width="${r1(Math.max(1, toX(section.endUs) - x))}" height="3"/>`];
  });
  const hidden = all.length - shown.length + exemplar.truncatedSpans;
  return (
    `<figure class="chart" data-chart="waterfall"><figcaption>Exemplar slow trace <code>${escapeHtml(exemplar.traceId)}</code> · ${escapeHtml(formatUs(exemplar.latencyUs))}</figcaption>` +
    `<div class="legend"><span class="legend-item"><i class="swatch box c-crit"></i>span on the critical path</span><span class="legend-item"><i class="swatch box c-span"></i>off the critical path</span><span class="legend-item"><i class="swatch c-fg"></i>critical-path sections</span><span class="legend-item"><i class="swatch box c-err"></i>error</span></div>` +
    `<svg viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="trace waterfall">${ticks.join('')}${rows.join('')}<g class="critical-sections" data-critical-sections="${sections.length}">${sections.join('')}</g></svg>` +
    (endUs < exemplar.latencyUs
      ? `<p class="note" data-outside-spans-us="${Math.round(exemplar.latencyUs - spansEndUs)}">The spans cover ${escapeHtml(formatUs(spansEndUs - startUs))} of the request's ${escapeHtml(formatUs(exemplar.latencyUs))} latency; the rest was spent before or after the traced server work (queued in the client or on the network).</p>`
      : '') +
    (hidden > 0 ? `<p class="note">${hidden} more spans not shown.</p>` : '') +
    `</figure>`
  );
}

export function renderTracesSection(view: TraceAnalysisView): string {
  return (
    `<section data-section="traces"><h3>Trace analysis</h3><p class="meta">${view.traceCount.toLocaleString('en-US')} traces, ${view.spanCount.toLocaleString('en-US')} spans</p>` +
    tierDecomposition(view.cohorts) +
    `<h4>Findings, ranked by predicted p99 saving</h4>${findingsList(view.findings)}` +
    operationsTable(view.byOperation) +
    `${view.exemplar ? waterfall(view.exemplar) : ''}</section>`
  );
}

export function renderUnrecognisedTraces(reason: string): string {
  return `<section data-section="traces"><h3>Trace analysis</h3><p class="note">The run has a trace analysis this report cannot read (${escapeHtml(reason)}).</p></section>`;
}
