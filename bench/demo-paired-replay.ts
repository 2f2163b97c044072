/**
 * Re-judges the rounds of finished demo runs with each rule on the very same blocks: pooled arms (per-arm median
 * sequences at α/2), paired twins one by one, and paired twins two by two (the demo's rule). Prints, per round, the
 * population's change with its always-valid interval and decision under each rule — the data behind choosing the
 * paired rule, from the live lab rather than a simulation. Reads only run files; sends no load.
 * Run: node dist/bench/demo-paired-replay.js DIR… [--all] [--block-warmup-ms 500]  (DIR: a demo --out-dir, or a demo-repeat run-N dir;
 * --all also uses invalid blocks — labelled — for a machine too loaded to give valid ones).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { compareInterleaved, type InterleavedBlock } from '../src/compare/interleaved-comparison.js';
import type { SequentialComparison } from '../src/compare/sequential-quantile-test.js';
import { readRunFile } from '../src/core/run-file-io.js';
import type { DemoResult } from '../src/demo/run-demo.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { all: { type: 'boolean', default: false }, 'block-warmup-ms': { type: 'string', default: '500' } } });
const blockWarmupMs = Number(values['block-warmup-ms']);
if (positionals.length === 0) {
  process.stderr.write('usage: node dist/bench/demo-paired-replay.js DIR… [--all]\n');
  process.exit(2);
}

const percent = (value: number): string => (Number.isFinite(value) ? `${value > 0 ? '+' : ''}${(value * 100).toFixed(0)}%` : value > 0 ? '+∞' : '−∞');
const cell = (result: SequentialComparison): string => `${percent(result.change)} [${percent(result.ciLow)}, ${percent(result.ciHigh)}] ${result.decision}`;
const tally = { pooled: 0, paired: 0, pairedBatched: 0, rounds: 0 };

for (const dir of positionals) {
  const demo = JSON.parse(await readFile(join(dir, 'demo.json'), 'utf8')) as DemoResult;
  process.stdout.write(`${dir} (${demo.ratePerSec} req/s)\n`);
  for (const round of demo.rounds) {
    const blocks: InterleavedBlock[] = [];
    let invalidUsed = 0;
    for (const block of round.blocks) {
      if (block.runFile === undefined || (!block.valid && values.all !== true)) continue;
      if (!block.valid) invalidUsed++;
      const run = await readRunFile(block.runFile);
      // The demo's blocks warm up first; only the measured phase's requests are judged (as the demo does).
      const samples = (run.traces?.samples ?? []).filter((sample) => sample.intendedStartMs >= blockWarmupMs);
      blocks.push({ arm: block.arm, pair: block.pair, samples: samples.map((sample) => ({ name: sample.name, latencyUs: sample.latencyUs, key: sample.intendedStartMs })) });
    }
    const pairs = new Set(blocks.map((block) => block.pair)).size;
    if (blocks.length === 0) {
      process.stdout.write(`  round ${round.round} ${round.fix}: no ${values.all === true ? '' : 'valid '}blocks\n`);
      continue;
    }
    const population = new Set(round.population.names);
    const target = Math.max(20, Math.round(demo.ratePerSec * round.population.trafficShare * 3 * 2));
    const judge = (paired: boolean, batchSize?: number): SequentialComparison =>
      compareInterleaved(blocks, { population, percentile: 50, targetPerArm: target, paired, ...(batchSize !== undefined ? { batchSize } : {}) }).population.result;
    const pooled = judge(false);
    const paired = judge(true);
    const batched = judge(true, 2);
    tally.rounds++;
    if (pooled.decision === 'improved') tally.pooled++;
    if (paired.decision === 'improved') tally.paired++;
    if (batched.decision === 'improved') tally.pairedBatched++;
    process.stdout.write(
      `  round ${round.round} ${round.fix.padEnd(12)} ${[...population].join('+').padEnd(34)} ${pairs} pair${pairs === 1 ? '' : 's'}${invalidUsed > 0 ? ` (${invalidUsed} INVALID blocks)` : ''}, ${pooled.base.n}/${pooled.candidate.n} requests\n` +
        `      pooled ${cell(pooled)} · paired ${cell(paired)} · paired ×2 ${cell(batched)}\n`,
    );
  }
}
process.stdout.write(`\nimproved: pooled ${tally.pooled}, paired ${tally.paired}, paired two by two ${tally.pairedBatched} of ${tally.rounds} rounds\n`);
