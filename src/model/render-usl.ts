/** Terminal rendering of USL fits and sweeps. Pure. */
import { formatRate, formatUs } from '../core/units.js';
import type { ParameterEstimate, SweepFile, UslFit } from './sweep-file.js';

const significant = (value: number): string => (value === 0 ? '0' : Math.abs(value) >= 1e-3 && Math.abs(value) < 1e6 ? value.toPrecision(4) : value.toExponential(3));

function parameterLine(name: string, estimate: ParameterEstimate, level: number): string {
  const bound = estimate.atBound ? `  (at ${estimate.atBound} bound)` : '';
  return `  ${name.padEnd(7)} ${significant(estimate.value).padStart(10)}  ± ${significant(estimate.standardError).padEnd(10)} ${Math.round(level * 100)}% CI [${significant(estimate.ciLow)}, ${significant(estimate.ciHigh)}]${bound}`;
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((cells) => (cells[column] ?? '').length))) ?? [];
  return rows.map((cells) => cells.map((cell, column) => cell.padStart(widths[column] ?? 0)).join('  ')).join('\n');
}

export function renderUslFit(fit: UslFit): string {
  if (fit.kind === 'failed') return `USL fit failed: ${fit.reason}`;
  const peak =
    fit.peak === 'finite'
      ? `peak: N* = ${fit.nStar?.toFixed(1)}, X_max = ${formatRate(fit.xMaxPerSec ?? 0)}`
      : fit.peak === 'asymptote'
        ? `no peak (κ = 0): throughput approaches λ/σ = ${formatRate(fit.xMaxPerSec ?? 0)}`
        : 'no limit within the model (κ = 0, σ ≤ 0)';
  const rows = [['N', 'X measured', 'X fitted', 'residual', 'regime'], ...fit.points.map((point) => [
    String(Number(point.n.toPrecision(4))),
    point.throughputPerSec.toFixed(1),
    point.predictedPerSec.toFixed(1),
    point.residualPerSec.toFixed(1),
    point.regime,
  ])];
  return [
    `USL fit (bounded least squares${fit.unboundedSigma ? ', σ unbounded below' : ''}; ${fit.degreesOfFreedom} degrees of freedom)`,
    parameterLine('σ', fit.sigma, fit.confidenceLevel),
    parameterLine('κ', fit.kappa, fit.confidenceLevel),
    parameterLine('λ', fit.lambda, fit.confidenceLevel),
    ...(fit.activeBounds.length > 0 ? [`  active bounds: ${fit.activeBounds.join(', ')}`] : []),
    `  R² = ${fit.rSquared.toFixed(4)}, residual SE = ${fit.residualStandardErrorPerSec.toFixed(2)}/s`,
    `  ${peak}`,
    '',
    table(rows),
    '',
    'regimes: linear = within ~9% of λN; contention = sub-linear but still rising (N ≤ N*); coherence = past the peak (N > N*)',
  ].join('\n');
}

export function renderSweep(sweep: SweepFile, path?: string): string {
  const levelName = sweep.model === 'closed' ? 'users' : 'rate/s';
  const rows = [
    [levelName, 'throughput', 'p50', 'p99', 'errors', 'N=X(R+Z)', ...(sweep.model === 'closed' ? ['Little'] : []), ...(sweep.knee ? ['SLO'] : [])],
    ...sweep.steps.map((step) => [
      String(step.level),
      formatRate(step.summary.throughputPerSec),
      formatUs(step.summary.p50Us),
      formatUs(step.summary.p99Us),
      `${(step.summary.errorRate * 100).toFixed(2)}%`,
      step.little.impliedConcurrency.toFixed(1),
      ...(sweep.model === 'closed' ? [step.little.consistent ? 'ok' : `off ${((step.little.relativeError ?? 0) * 100).toFixed(0)}%`] : []),
      ...(sweep.knee ? [step.sloMet ? 'met' : 'missed'] : []),
    ]),
  ];
  const knee = sweep.knee
    ? [
        '',
        sweep.knee.kneeRatePerSec === null
          ? `knee: none — ${sweep.knee.stopReason} (SLO ${sweep.knee.slo.text}, errors ≤ ${(sweep.knee.slo.maxErrorRate * 100).toFixed(2)}%)`
          : `knee: ${formatRate(sweep.knee.kneeRatePerSec)} is the highest rate meeting ${sweep.knee.slo.text} with errors ≤ ${(sweep.knee.slo.maxErrorRate * 100).toFixed(2)}% (${sweep.knee.stopReason})`,
        `steps in search order: ${sweep.knee.stepOrder.map((index) => sweep.steps[index]?.level).join(' → ')}`,
      ]
    : [];
  return [
    `sweep ${sweep.id} (${sweep.model} model, ${sweep.steps.length} steps of ${sweep.stepDurationMs / 1000}s + ${sweep.warmupMs / 1000}s warm-up)`,
    '',
    table(rows),
    ...knee,
    '',
    sweep.fit ? renderUslFit(sweep.fit) : 'USL fit: not attempted',
    ...(path ? ['', `sweep file: ${path}`] : []),
  ].join('\n');
}
