/**
 * Cost and accuracy of the USL fit: time per fit on the R usl package's specsdm91 data (7 points) and on a 64-point
 * synthetic sweep, and the fitted coefficients next to R usl's published ones (nlxb: σ 0.0277285, κ 0.0001044,
 * λ 89.9952330).
 *
 *   node dist/bench/usl-fit.js [iterations=200]
 */
import { fitUsl } from '../src/model/fit-usl.js';

const iterations = Number(process.argv[2] ?? 200);
const specsdm91 = [1, 18, 36, 72, 108, 144, 216].map((n, i) => ({ n, throughputPerSec: [64.9, 995.9, 1652.4, 1853.2, 1828.9, 1775.0, 1702.2][i] ?? 0 }));
const synthetic = Array.from({ length: 64 }, (_, i) => {
  const n = i + 1;
  return { n, throughputPerSec: ((100 * n) / (1 + 0.03 * (n - 1) + 0.0005 * n * (n - 1))) * (1 + 0.02 * Math.sin(n * 7.3)) };
});

function time(label: string, points: { n: number; throughputPerSec: number }[]): void {
  const started = performance.now();
  let fit = fitUsl(points);
  for (let i = 1; i < iterations; i++) fit = fitUsl(points);
  const perFitMs = (performance.now() - started) / iterations;
  const coefficients = fit.kind === 'converged' ? `σ ${fit.sigma.value.toPrecision(6)}  κ ${fit.kappa.value.toPrecision(6)}  λ ${fit.lambda.value.toPrecision(9)}  N* ${fit.nStar?.toFixed(2)}` : fit.reason;
  process.stdout.write(`${label.padEnd(22)} ${perFitMs.toFixed(3)} ms/fit   ${coefficients}\n`);
}

time('specsdm91 (7 points)', specsdm91);
process.stdout.write(`${'R usl 2.x (nlxb)'.padEnd(22)}                 σ 0.0277285  κ 0.0001044  λ 89.9952330  N* 97 (2 s.f.)\n`);
time('synthetic (64 points)', synthetic);
