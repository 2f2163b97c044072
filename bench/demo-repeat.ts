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
import { runDemo, type DemoResult } from '../src/demo/run-demo.js';

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
  notes: string[];
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
    notes: [
      ...result.rounds.filter((round) => round.verdict !== 'improved').map((round) => `${round.fix}: ${round.verdict} (${round.stoppedBecause})`),
      ...result.rounds
        .filter((round) => round.prediction && !round.prediction.agrees)
        .map((round) => `${round.fix}: predicted ${(round.predictedUs / 1000).toFixed(1)} ms, measured ${((round.prediction?.measuredUs ?? 0) / 1000).toFixed(1)} ms`),
      ...result.remaining.map((problem) => `${problem.fix}: ${problem.why}`),
      ...(result.refused ? [`refused: ${result.refused}`] : []),
    ],
  };
}

const all: RunFigures[] = [];
for (let run = 1; run <= RUNS; run++) {
  const before = loadavg()[0]?.toFixed(1) ?? '?';
  const result = await runDemo({
    maxRounds: 8,
    ratePerSec: RATE_PER_SEC,
    durationMs: 5000,
    warmupMs: 1000,
    minSavingShare: 0,
    blockMs: 3000,
    blockWarmupMs: 500,
    maxPairs: 6,
    timeBudgetMs: 160_000,
    alpha: 0.05,
    minEffect: 0.03,
    outDir: join(values['out-dir'] ?? '/tmp/perfloop-demo-repeat', `run-${run}`),
    log: () => undefined,
  });
  const figures = figuresOf(run, result, `${before}→${loadavg()[0]?.toFixed(1) ?? '?'}`);
  all.push(figures);
  process.stdout.write(
    `run ${run}: baseline ${figures.baselineValid ? 'valid' : 'INVALID'} at ${figures.rate} req/s; found ${figures.found}/8, fixed ${figures.fixed}/8, validated ${figures.validated}/8; ` +
      `predictions agree ${figures.agreeing}/${figures.judged}; findings left ${figures.remainingFindings}; ${figures.seconds} s; load average ${figures.load}\n`,
  );
  for (const note of figures.notes) process.stdout.write(`    ${note}\n`);
}

const perfect = all.filter((figures) => figures.found === 8 && figures.fixed === 8 && figures.validated === 8 && figures.remainingFindings === 0).length;
process.stdout.write(
  `\n${all.length} runs: 8/8 found+fixed+validated with no finding left in ${perfect}; predictions agree for ≥ 6 fixes in ${all.filter((figures) => figures.agreeing >= 6).length}; ` +
    `invalid baselines ${all.filter((figures) => !figures.baselineValid).length}; longest ${Math.max(...all.map((figures) => figures.seconds))} s (target ≤ 180 s). ` +
    `Problems: ${LAB_PROBLEMS.length}. Machine: ${process.env.PERFLOOP_MACHINE_NOTE ?? 'shared — see the load averages'}.\n`,
);
