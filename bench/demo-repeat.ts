/**
 * Runs `perfloop demo` N times (each with its own lab) and reports per run: whether the baseline was valid, the
 * problems found, fixed and validated "improved" on their affected requests, predicted-vs-measured agreement, the
 * findings left on the all-fixed lab and the wall time; then the totals against issue 11's targets (8 of 8 in 9 of
 * 10 runs; predictions agree for ≥ 6 of 8 fixes; no invalid baseline; ≤ 3 min per run).
 * Heavy (≈ 2.5 min per run, the whole machine): a report, never a gate.
 * Run: node dist/bench/demo-repeat.js [--runs 2] [--rate 16] [--out-dir /tmp/perfloop-demo-repeat]
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import { LAB_PROBLEMS } from '../src/lab-control/lab-problems.js';
import { DEMO_DEFAULTS, runDemo, type DemoResult } from '../src/demo/run-demo.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '2' },
    rate: { type: 'string', default: '16' },
    'out-dir': { type: 'string', default: '/tmp/perfloop-demo-repeat' },
  },
});
const RUNS = Number(values.runs);
const RATE_PER_SEC = Number(values.rate);

interface RunFigures {
  run: number;
  baselineValid: boolean;
  rate: number;
  found: number;
  fixed: number;
  validated: number;
  agreeing: number;
  judged: number;
  remainingFindings: number;
  seconds: number;
  load: string;
  rounds: string[];
  notes: string[];
}

const pct = (value: number | null | undefined): string =>
  value === null || value === undefined || Number.isNaN(value) ? '?' : Number.isFinite(value) ? `${value > 0 ? '+' : ''}${(value * 100).toFixed(0)}%` : value > 0 ? '+∞' : '−∞';
const ms = (us: number | null | undefined): string => (us === null || us === undefined || !Number.isFinite(us) ? '∞' : (us / 1000).toFixed(1));

/** One line per round: what the issue's targets turn on — samples, effect, its spread and why the round stopped. */
function roundLine(round: DemoResult['rounds'][number]): string {
  const population = round.comparison?.population;
  const result = population?.result;
  const invalid = round.blocks.filter((block) => !block.valid).length;
  const late = round.blocks.reduce((sum, block) => sum + (block.late ?? 0), 0);
  const prediction = round.prediction;
  return [
    `r${round.round} ${round.fix.padEnd(12)}`,
    `share ${(round.population.trafficShare * 100).toFixed(0).padStart(3)}%`,
    `pairs ${round.validPairs}/${round.blocks.length / 2}${invalid > 0 ? ` (${invalid} invalid blocks)` : ''}${late > 0 ? ` late ${late}` : ''}`,
    `twins ${population?.matched ?? 0} obs ${result?.observations ?? 0} faster ${result?.fasterShare == null || Number.isNaN(result.fasterShare) ? '?' : `${(result.fasterShare * 100).toFixed(0)}%`}`,
    `p${round.percentile.percentile} ${pct(result?.change)} [${pct(result?.ciLow)}, ${pct(result?.ciHigh)}] ${round.verdict}`,
    prediction
      ? `predicted ${ms(round.predictedUs)} ms vs ${ms(prediction.measuredUs)} [${ms(prediction.measuredLowUs)}, ${ms(prediction.measuredHighUs)}] ${prediction.agrees ? 'agrees' : 'MISS'}`
      : `predicted ${ms(round.predictedUs)} ms, not measured`,
    `${(round.durationMs / 1000).toFixed(0)} s: ${round.stoppedBecause}`,
  ].join(' | ');
}

function figuresOf(run: number, result: DemoResult, load: string): RunFigures {
  const fixed = new Set(result.rounds.map((round) => round.fix));
  // Found: fixed by a round, or still reported at the end (the demo only fixes what it found).
  const stillFound = result.remaining.filter((problem) => problem.why.startsWith('found')).length;
  return {
    run,
    baselineValid: result.baselineValid,
    rate: result.ratePerSec,
    found: fixed.size + stillFound,
    fixed: fixed.size,
    validated: result.rounds.filter((round) => round.verdict === 'improved').length,
    agreeing: result.rounds.filter((round) => round.prediction?.agrees).length,
    judged: result.rounds.filter((round) => round.prediction !== undefined).length,
    remainingFindings: result.remainingFindings.length,
    seconds: Math.round(result.elapsedMs / 1000),
    load,
    rounds: result.rounds.map(roundLine),
    notes: [...result.remaining.map((problem) => `${problem.fix}: ${problem.why}`), ...(result.refused ? [`refused: ${result.refused}`] : [])],
  };
}

/** Issue 11's per-run targets. */
const allValidated = (figures: RunFigures): boolean => figures.found === 8 && figures.fixed === 8 && figures.validated === 8 && figures.remainingFindings === 0 && figures.baselineValid;
const predictionsHold = (figures: RunFigures): boolean => figures.agreeing >= 6;
const inTime = (figures: RunFigures): boolean => figures.seconds <= 180;
const mark = (met: boolean): string => (met ? 'met' : 'NOT met');

const all: RunFigures[] = [];
for (let run = 1; run <= RUNS; run++) {
  const before = loadavg()[0]?.toFixed(1) ?? '?';
  const result = await runDemo({
    ...DEMO_DEFAULTS,
    ratePerSec: RATE_PER_SEC,
    outDir: join(values['out-dir'] ?? '/tmp/perfloop-demo-repeat', `run-${run}`),
    log: () => undefined,
  });
  const figures = figuresOf(run, result, `${before}→${loadavg()[0]?.toFixed(1) ?? '?'}`);
  all.push(figures);
  process.stdout.write(
    `run ${run}: baseline ${figures.baselineValid ? 'valid' : 'INVALID'} at ${figures.rate} req/s; found ${figures.found}/8, fixed ${figures.fixed}/8, improved ${figures.validated}/8, ` +
      `findings left ${figures.remainingFindings} [${mark(allValidated(figures))}]; predictions agree ${figures.agreeing}/${figures.judged} [${mark(predictionsHold(figures))}]; ` +
      `${figures.seconds} s [${mark(inTime(figures))}]; load average ${figures.load}\n`,
  );
  for (const line of figures.rounds) process.stdout.write(`    ${line}\n`);
  for (const note of figures.notes) process.stdout.write(`    ${note}\n`);
}

const count = (test: (figures: RunFigures) => boolean): number => all.filter(test).length;
const byFix = new Map<string, { improved: number; rounds: number; agree: number }>();
for (const figures of all) {
  for (const line of figures.rounds) {
    const fix = line.split('|')[0]?.trim().split(/\s+/)[1] ?? '?';
    const entry = byFix.get(fix) ?? { improved: 0, rounds: 0, agree: 0 };
    entry.rounds++;
    if (/ improved \|/.test(line)) entry.improved++;
    if (/ agrees \|/.test(line)) entry.agree++;
    byFix.set(fix, entry);
  }
}
process.stdout.write(
  `\nissue 11 targets over ${all.length} runs (problems: ${LAB_PROBLEMS.length}; machine: ${process.env.PERFLOOP_MACHINE_NOTE ?? 'shared — see the load averages'}):\n` +
    `  8/8 found, fixed and improved on the affected requests, no finding left, baseline valid: ${count(allValidated)} of ${all.length} runs (target ≥ 90%: ${mark(count(allValidated) >= 0.9 * all.length)})\n` +
    `  predictions within 25% or inside the interval for ≥ 6 fixes: ${count(predictionsHold)} of ${all.length} runs (${all.map((figures) => figures.agreeing).join(', ')} of 8; target every run: ${mark(count(predictionsHold) === all.length)})\n` +
    `  invalid baselines: ${count((figures) => !figures.baselineValid)} (target 0: ${mark(count((figures) => !figures.baselineValid) === 0)})\n` +
    `  longest run ${Math.max(...all.map((figures) => figures.seconds))} s (target ≤ 180 s: ${mark(count(inTime) === all.length)})\n` +
    `  per fix (improved / agreeing of rounds): ${[...byFix.entries()].map(([fix, entry]) => `${fix} ${entry.improved}/${entry.agree}/${entry.rounds}`).join(', ')}\n`,
);
