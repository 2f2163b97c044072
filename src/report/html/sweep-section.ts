/**
 * A sweep: the fitted USL throughput curve over the measured points, N* and the scaling-regime bands,
 * plus p99 against the load level (with the SLO, for a knee search).
 */
import { formatRate, formatUs } from '../../core/units.js';
import type { SweepFile, UslFitConverged } from '../../model/sweep-file.js';
import { escapeHtml } from './escape-html.js';
import { renderChart, type ChartBand, type ChartMarker, type ChartSeries } from './svg-chart.js';
import { formatTick, timeUnitFor } from './time-unit.js';
import { aggregateIntervals } from '../../core/run-aggregate.js';
import { renderSpectrumChart } from './spectrum-section.js';
import { runColourClass } from './overlay-section.js';

/** Contention + coherence penalty below which scaling counts as linear (same threshold as the sweep's regimes). */
export const LINEAR_PENALTY = 0.1;
const CURVE_POINTS = 120;

/** X(N) = λN / (1 + σ(N−1) + κN(N−1)). */
export const uslThroughput = (fit: Pick<UslFitConverged, 'sigma' | 'kappa' | 'lambda'>, n: number): number =>
  (fit.lambda.value * n) / (1 + fit.sigma.value * (n - 1) + fit.kappa.value * n * (n - 1));

/** Smallest N ≥ 1 where σ(N−1) + κN(N−1) reaches `penalty`; null when it never does. */
export function penaltyReachedAt(sigma: number, kappa: number, penalty: number): number | null {
  if (kappa > 0) {
    // κN² + (σ − κ)N − (σ + penalty) = 0, positive root.
    const b = sigma - kappa;
    return (-b + Math.sqrt(b * b + 4 * kappa * (sigma + penalty))) / (2 * kappa);
  }
  return sigma > 0 ? 1 + penalty / sigma : null;
}

function regimeBands(fit: UslFitConverged, maxN: number): ChartBand[] {
  const linearEnd = Math.min(maxN, penaltyReachedAt(fit.sigma.value, fit.kappa.value, LINEAR_PENALTY) ?? maxN);
  const nStar = fit.nStar === null ? maxN : Math.min(maxN, fit.nStar);
  const bands: ChartBand[] = [{ from: 0, to: linearEnd, label: 'linear', className: 'b-linear' }];
  if (nStar > linearEnd) bands.push({ from: linearEnd, to: nStar, label: 'contention', className: 'b-contention' });
  if (maxN > nStar) bands.push({ from: Math.max(linearEnd, nStar), to: maxN, label: 'coherence (retrograde)', className: 'b-coherence' });
  return bands;
}

function throughputChart(sweep: SweepFile): string {
  const fit = sweep.fit?.kind === 'converged' ? sweep.fit : undefined;
  const measured = fit ? fit.points.map((point) => [point.n, point.throughputPerSec] as const) : sweep.steps.map((step) => [step.level, step.summary.throughputPerSec] as const);
  const maxMeasuredN = Math.max(1, ...measured.map(([n]) => n));
  // Room past the last point (so its dot is not clipped) and past N* (so the retrograde side shows).
  const maxN = Math.max(maxMeasuredN * 1.05, fit?.nStar ? fit.nStar * 1.25 : 0);
  const series: ChartSeries[] = [];
  let maxX = Math.max(1, ...measured.map(([, x]) => x));
  if (fit) {
    const curve = Array.from({ length: CURVE_POINTS + 1 }, (_, i) => {
      const n = 1 + ((maxN - 1) * i) / CURVE_POINTS;
      return [n, uslThroughput(fit, n)] as const;
    });
    maxX = Math.max(maxX, ...curve.map(([, x]) => x));
    series.push({ label: `USL fit (σ=${fit.sigma.value.toPrecision(3)}, κ=${fit.kappa.value.toPrecision(3)}, λ=${fit.lambda.value.toPrecision(4)}/s, R²=${fit.rSquared.toFixed(3)})`, className: 'c-p50', kind: 'line', points: curve });
  }
  series.push({
    label: 'measured',
    className: 'c-p99',
    kind: 'points',
    points: measured,
    pointTitles: measured.map(([n, x]) => `N=${formatTick(n)}: ${formatRate(x)}`),
  });
  const markers: ChartMarker[] = fit?.nStar ? [{ x: fit.nStar, label: `N* = ${fit.nStar.toFixed(1)}`, className: 'c-max' }] : [];
  return renderChart({
    id: 'usl',
    title: 'Throughput vs. concurrency: Universal Scalability Law',
    heightPx: 300,
    x: { label: sweep.model === 'closed' ? 'concurrency N (users)' : 'concurrency N = X·R (implied by Little\'s law)', scale: 'linear', min: 0, max: maxN, format: formatTick, exact: true },
    y: { label: 'throughput (requests/s)', scale: 'linear', min: 0, max: maxX * 1.08, format: formatTick },
    series,
    bands: fit ? regimeBands(fit, maxN) : [],
    markers,
    note: fit ? `Peak: ${fit.peak}${fit.xMaxPerSec !== null ? `, X max ≈ ${formatRate(fit.xMaxPerSec)}` : ''}.` : `No USL fit${sweep.fit?.kind === 'failed' ? `: ${sweep.fit.reason}` : ' (fewer than 3 levels)'}.`,
  });
}

function latencyChart(sweep: SweepFile, levelLabel: string): string {
  const maxUs = Math.max(1, ...sweep.steps.map((step) => step.summary.p99Us), sweep.knee?.slo.p99MaxUs ?? 0);
  const unit = timeUnitFor(maxUs);
  const y = (us: number): number => us / unit.usPerUnit;
  const maxLevel = Math.max(1, ...sweep.steps.map((step) => step.level));
  const series: ChartSeries[] = [
    { label: 'p99', className: 'c-p99', kind: 'line', points: sweep.steps.map((step) => [step.level, y(step.summary.p99Us)] as const) },
    { label: 'p50', className: 'c-p50', kind: 'line', points: sweep.steps.map((step) => [step.level, y(step.summary.p50Us)] as const) },
  ];
  if (sweep.knee) series.push({ label: `SLO ${sweep.knee.slo.text}`, className: 'c-max', kind: 'line', dashed: true, points: [[0, y(sweep.knee.slo.p99MaxUs)], [maxLevel * 1.05, y(sweep.knee.slo.p99MaxUs)]] });
  return renderChart({
    id: 'sweep-latency',
    title: 'Latency vs. load level',
    heightPx: 240,
    x: { label: levelLabel, scale: 'linear', min: 0, max: maxLevel * 1.05, format: formatTick, exact: true },
    y: { label: `latency (${unit.symbol})`, scale: 'linear', min: 0, max: y(maxUs) * 1.08, format: formatTick },
    series,
  });
}

/** Latency spectra of the steps whose run files are embedded: how the tail grows with load. */
function stepSpectra(sweep: SweepFile, levelLabel: string): string {
  const steps = sweep.steps.flatMap((step) => (step.run ? [{ level: step.level, run: step.run }] : []));
  if (steps.length === 0) return '';
  return renderSpectrumChart(
    'sweep-spectrum',
    'Latency percentile spectrum per load level',
    steps.map((step, index) => ({
      label: `${formatTick(step.level)} ${levelLabel}`,
      className: runColourClass(index),
      histogram: aggregateIntervals(step.run.intervals).total.latency,
    })),
  );
}

function stepsTable(sweep: SweepFile, levelLabel: string): string {
  const rows = sweep.steps.map(
    (step) =>
      `<tr><td>${escapeHtml(formatTick(step.level))}</td><td>${escapeHtml(formatRate(step.summary.throughputPerSec))}</td><td>${escapeHtml(formatUs(step.summary.p50Us))}</td>` +
      `<td>${escapeHtml(formatUs(step.summary.p99Us))}</td><td>${(step.summary.errorRate * 100).toFixed(2)}%</td><td>${step.little.impliedConcurrency.toFixed(1)}</td>` +
      `<td>${step.sloMet === undefined ? '' : step.sloMet ? '<span class="better">met</span>' : '<span class="worse">missed</span>'}</td></tr>`,
  );
  return (
    `<div class="table-wrap"><table class="requests" data-table="sweep-steps"><thead><tr><th>${escapeHtml(levelLabel)}</th><th>throughput</th><th>p50</th><th>p99</th><th>errors</th><th>N = X·R</th><th>SLO</th></tr></thead>` +
    `<tbody>${rows.join('')}</tbody></table></div>`
  );
}

export function renderSweepSection(sweep: SweepFile): string {
  const levelLabel = sweep.model === 'closed' ? 'users' : 'requests/s offered';
  const fit = sweep.fit?.kind === 'converged' ? sweep.fit : undefined;
  const knee = sweep.knee
    ? `<p class="verdict ${sweep.knee.kneeRatePerSec === null ? 'bad' : 'ok'}" data-knee="${sweep.knee.kneeRatePerSec ?? ''}">Knee for ${escapeHtml(sweep.knee.slo.text)}: ` +
      `${sweep.knee.kneeRatePerSec === null ? 'even the lowest rate missed the SLO' : escapeHtml(formatRate(sweep.knee.kneeRatePerSec))}` +
      `${sweep.knee.firstFailingRatePerSec === null ? '' : ` (first failing: ${escapeHtml(formatRate(sweep.knee.firstFailingRatePerSec))})`} — ${escapeHtml(sweep.knee.stopReason)}</p>`
    : '';
  const nStar = fit ? `<p class="meta" data-nstar="${fit.nStar ?? ''}">N* = ${fit.nStar === null ? '∞ (no retrograde term)' : fit.nStar.toFixed(1)}${fit.xMaxPerSec === null ? '' : ` · X max ≈ ${escapeHtml(formatRate(fit.xMaxPerSec))}`}</p>` : '';
  return (
    `<section id="sweep" data-section="sweep"><h2>Sweep <code>${escapeHtml(sweep.id)}</code></h2>` +
    `<p class="meta">${escapeHtml(sweep.model)} model · ${escapeHtml(sweep.target)} · ${sweep.steps.length} steps of ${(sweep.stepDurationMs / 1000).toFixed(0)} s</p>` +
    knee + nStar + throughputChart(sweep) + latencyChart(sweep, levelLabel) + stepSpectra(sweep, levelLabel) + stepsTable(sweep, levelLabel) +
    `</section>`
  );
}
