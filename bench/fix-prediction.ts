/**
 * One lab fix, predicted and measured side by side on one lab state: starts the lab with `--applied` fixes on,
 * warms it, measures AB/BA pairs of blocks (the fix off, then on; each pair's blocks replay one schedule, as the
 * demo's rounds do), predicts the fix's p50 saving on its affected population from the unfixed (A) blocks' traces —
 * each trace re-timed alone, and with the serial database's queue replayed (the demo's model) — and prints both
 * beside the measured median saving of the population's twins. Heavy (the whole machine for ~30 s): a report.
 * Run: node dist/bench/fix-prediction.js --fix index [--applied lock,n+1] [--pairs 2] [--block 6s] [--rate 16]
 */
import { parseArgs } from 'node:util';
import { parseDurationMs } from '../src/core/units.js';
import type { TraceSample } from '../src/core/run-file.js';
import { affectedPopulation } from '../src/demo/affected-population.js';
import { DEMO_MIX, demoScenario } from '../src/demo/demo-scenario.js';
import { DEMO_THRESHOLDS, fixForFinding, predictOnPopulation } from '../src/demo/run-demo.js';
import { LAB_PROBLEMS, type FixName } from '../src/lab-control/lab-problems.js';
import { setFixes, startLab } from '../src/lab-control/lab.js';
import { runLoad } from '../src/load/run-load.js';
import { analyzeTraces } from '../src/trace/analyze-traces.js';
import { waitForQuiet } from '../src/trace/attach-trace-analysis.js';
import { startReceiver } from '../src/trace/receiver.js';

const { values } = parseArgs({
  options: {
    fix: { type: 'string' },
    applied: { type: 'string', default: '' },
    pairs: { type: 'string', default: '2' },
    block: { type: 'string', default: '6s' },
    rate: { type: 'string', default: '16' },
  },
});
const names = new Set<string>(LAB_PROBLEMS.map((problem) => problem.name));
const asFix = (name: string): FixName => {
  if (!names.has(name)) {
    process.stderr.write(`unknown fix "${name}" (one of ${[...names].join(', ')})\n`);
    process.exit(2);
  }
  return name as FixName;
};
const fix = asFix(values.fix ?? '');
const applied = new Set((values.applied ?? '').split(',').filter(Boolean).map(asFix));
const pairs = Number(values.pairs);
const blockMs = parseDurationMs(values.block ?? '6s', '--block');
const ratePerSec = Number(values.rate);
const WARMUP_MS = 500;

const median = (list: readonly number[]): number => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)] ?? Number.NaN;
const ms = (us: number | undefined): string => (us === undefined ? '—' : (us / 1000).toFixed(1));

const receiver = await startReceiver({ port: 0 });
const lab = await startLab({ fixes: applied, port: 0, otlpEndpoint: receiver.url });
try {
  await runLoad(demoScenario(lab.gatewayUrl, { ratePerSec: ratePerSec / 2, durationMs: 2000, warmupMs: 2000, mix: DEMO_MIX, seed: 1 }));
  const blocks: Record<'A' | 'B', TraceSample[][]> = { A: [], B: [] };
  for (let pair = 1; pair <= pairs; pair++) {
    for (const arm of pair % 2 === 1 ? (['A', 'B'] as const) : (['B', 'A'] as const)) {
      await setFixes(lab, arm === 'A' ? applied : new Set([...applied, fix]));
      const run = await runLoad(demoScenario(lab.gatewayUrl, { ratePerSec, durationMs: blockMs, warmupMs: WARMUP_MS, mix: DEMO_MIX, seed: 100 + pair }), { traceSampleRate: 1 });
      blocks[arm].push((run.traces?.samples ?? []).filter((sample) => sample.intendedStartMs >= WARMUP_MS));
    }
  }
  await waitForQuiet(receiver, 500, 4000);
  const unfixed = blocks.A.flat();
  const ids = new Set(unfixed.map((sample) => sample.traceId));
  const spans = receiver.spans().filter((span) => ids.has(span.traceId));
  const analysis = analyzeTraces(spans, { samples: unfixed, thresholds: DEMO_THRESHOLDS, serialDatabase: true });
  const found = analysis.findings.filter((finding) => fixForFinding(finding, applied) === fix);
  const first = found[0];
  if (first === undefined) {
    process.stdout.write(`${fix} on [${[...applied].join(', ')}]: no finding the fix removes in ${unfixed.length} unfixed requests\n`);
  } else {
    const population = affectedPopulation({ ...first, affectedTraceIds: [...new Set(found.flatMap((finding) => finding.affectedTraceIds ?? []))] }, unfixed);
    const inPopulation = new Set(population.names);
    // The demo's own prediction (run-demo.ts), with and without the serial database's queue.
    const predict = (serialDatabase: boolean): string => {
      const predicted = predictOnPopulation(fix, applied, { spans, samples: unfixed, analysis }, population, { thresholds: DEMO_THRESHOLDS, serialDatabase });
      return `${ms(predicted.p50)}${predicted.source === 'mix' ? ' (from the whole mix)' : ''}`;
    };
    const savings: number[] = [];
    blocks.A.forEach((aBlock, index) => {
      const twins = new Map((blocks.B[index] ?? []).map((sample) => [`${sample.name}@${sample.intendedStartMs}`, sample]));
      for (const sample of aBlock) {
        const twin = twins.get(`${sample.name}@${sample.intendedStartMs}`);
        if (twin && inPopulation.has(sample.name)) savings.push(sample.latencyUs - twin.latencyUs);
      }
    });
    process.stdout.write(
      `${fix} on [${[...applied].join(', ')}]: population ${population.names.join(', ')} (${(population.trafficShare * 100).toFixed(0)}% of traffic)\n` +
        `  predicted p50 saving: ${predict(false)} ms with each trace re-timed alone, ${predict(true)} ms with the serial database's queue\n` +
        `  measured: median twin saving ${ms(median(savings))} ms over ${savings.length} twins (p50 ${ms(median(blocks.A.flat().filter((s) => inPopulation.has(s.name)).map((s) => s.latencyUs)))} → ${ms(median(blocks.B.flat().filter((s) => inPopulation.has(s.name)).map((s) => s.latencyUs)))} ms)\n`,
    );
  }
} finally {
  await lab.stop();
  await receiver.close();
}
