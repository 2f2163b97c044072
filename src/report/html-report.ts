/**
 * The self-contained HTML report: one file, rendered purely from run files (plus an optional sweep and
 * comparison). Charts are SVG drawn here, on the server side, so the file needs no chart library, opens
 * offline and from file://, and is drawn as soon as it is parsed. A strict Content-Security-Policy
 * backs up the escaping: even a missed escape could not run script.
 */
import { createHash } from 'node:crypto';
import type { RunFile } from '../core/run-file.js';
import { escapeHtml } from './html/escape-html.js';
import { renderHeadline } from './html/headline-section.js';
import { renderHealthSection } from './html/health-section.js';
import { REPORT_CSS } from './html/report-styles.js';
import { renderRequestTable } from './html/request-table-section.js';
import { runViewOf, type RunView } from './html/run-view.js';
import { renderSpectrumChart } from './html/spectrum-section.js';
import { renderTimelineSection } from './html/timeline-section.js';
import { readTraceAnalysis } from './html/trace-analysis-view.js';
import { renderTracesSection, renderUnrecognisedTraces } from './html/traces-section.js';
import { renderOverlaySection } from './html/overlay-section.js';
import { renderSweepSection } from './html/sweep-section.js';
import type { SweepFile } from '../model/sweep-file.js';
import type { RunComparison } from '../compare/compare-runs.js';
import { renderComparisonVerdicts } from './html/comparison-verdicts.js';
import { renderDemoRoundsSection, type DemoRoundsReport } from './html/demo-rounds-section.js';
import { renderSignalsSection } from './html/signals-section.js';
import { renderRankedFindingsSection } from './html/ranked-findings-section.js';
import { renderProfileDiffSection, renderProfilesSection } from './html/profiles-section.js';

export interface HtmlReportInputs {
  runs: readonly RunFile[];
  /** A sweep: USL curve, N*, regimes. */
  sweep?: SweepFile;
  /** Verdicts of candidate vs. base runs (compareRuns); shown with the overlays. */
  comparison?: RunComparison;
  /** Page title; defaults to the run ids. */
  title?: string;
  /** Timeline resolution cap (buckets per chart); long runs are merged down to it. */
  maxTimelineBuckets?: number;
  /** `perfloop demo`'s rounds: per-round verdicts on the affected population and the mix. */
  demo?: DemoRoundsReport;
}

/** Marks the document drawn: the report has no deferred drawing, so this is "parsed and laid out". */
const READY_SCRIPT = "requestAnimationFrame(function(){document.documentElement.setAttribute('data-ready',String(Math.round(performance.now())))});";

function renderRunSection(view: RunView, multiple: boolean): string {
  const traces = view.run.traces?.analysis;
  let tracesHtml = '';
  if (traces) {
    const reading = readTraceAnalysis(traces);
    tracesHtml = reading.kind === 'ok' ? renderTracesSection(reading.view) : renderUnrecognisedTraces(reading.reason);
  }
  const spectrum = renderSpectrumChart(`spectrum-${view.index}`, 'Latency percentile spectrum', [
    { label: 'latency (from intended start)', className: 'c-p99', histogram: view.total.latency },
    { label: 'service time (from actual send)', className: 'c-p50', histogram: view.total.serviceTime, dashed: true },
  ]);
  return (
    `<article class="run" id="run-${view.index}" data-run-id="${escapeHtml(view.run.id)}">` +
    (multiple ? `<h2>Run ${view.index + 1}: <code>${escapeHtml(view.label)}</code></h2>` : '') +
    renderHeadline(view) +
    renderTimelineSection(view) +
    `<section data-section="spectrum"><h3>Percentile spectrum</h3>${spectrum}</section>` +
    renderRequestTable(view) +
    renderHealthSection(view) +
    renderRankedFindingsSection(view.run) +
    tracesHtml +
    renderSignalsSection(view.run, view.index) +
    renderProfilesSection(view.run, view.index) +
    `</article>`
  );
}

/** Renders the whole report as one HTML string. Pure: same inputs, same bytes. */
export function renderHtmlReport(inputs: HtmlReportInputs): string {
  const views = inputs.runs.map((run, index) => runViewOf(run, index, inputs.maxTimelineBuckets));
  const names = [...views.map((view) => view.label), ...(inputs.sweep ? [inputs.sweep.id] : [])];
  const title = inputs.title ?? `perfloop report: ${names.join(' vs. ')}`;
  const multiple = views.length > 1;
  const links = [
    ...(inputs.demo ? [['demo', 'Demo rounds']] : []),
    ...(inputs.sweep ? [['sweep', 'Sweep']] : []),
    ...(multiple ? [['comparison', 'Comparison']] : []),
    ...(multiple ? views.map((view) => [`run-${view.index}`, `Run ${view.index + 1}: ${view.label}`]) : []),
  ];
  const body = [
    `<h1>${escapeHtml(title)}</h1>`,
    links.length > 1 ? `<nav class="toc">${links.map(([id, text]) => `<a href="#${escapeHtml(id ?? '')}">${escapeHtml(text ?? '')}</a>`).join('')}</nav>` : '',
    inputs.demo ? renderDemoRoundsSection(inputs.demo) : '',
    inputs.sweep ? renderSweepSection(inputs.sweep) : '',
    multiple ? renderOverlaySection(views, inputs.comparison ? renderComparisonVerdicts(inputs.comparison) : '') : '',
    multiple ? renderProfileDiffSection(inputs.runs) : '',
    ...views.map((view) => renderRunSection(view, multiple)),
  ].join('');
  const scriptHash = createHash('sha256').update(READY_SCRIPT).digest('base64');
  const csp = `default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-${scriptHash}'`;
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
    `<meta http-equiv="Content-Security-Policy" content="${csp}">` +
    `<meta name="viewport" content="width=device-width,initial-scale=1"><meta name="generator" content="perfloop"><link rel="icon" href="data:,">` +
    `<title>${escapeHtml(title)}</title><style>${REPORT_CSS}</style></head>` +
    `<body><main>${body}<p class="meta">Generated by perfloop from run files; every figure is computed from the recorded histograms.</p></main>` +
    `<script>${READY_SCRIPT}</script></body></html>\n`
  );
}
