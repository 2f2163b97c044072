/**
 * The demo's validation round without a lab: a simulated block runner (seeded lognormal latencies per request name)
 * drives the ABAB loop. Asserted: the population decides early when the fix acts on it, invalid blocks are dropped
 * with their reason, the cap and the time budget stop an undecidable round; the affected population by request name;
 * prediction checks; the closing table and the report section.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomVariates } from '../../src/compare/random-variates.js';
import type { TraceSample } from '../../src/core/run-file.js';
import { affectedPopulation } from '../../src/demo/affected-population.js';
import { measureInterleaved, type BlockOutcome } from '../../src/demo/interleaved-round.js';
import { checkPrediction, missDirection } from '../../src/demo/prediction-check.js';
import { renderDemoTable } from '../../src/demo/render-demo.js';
import { fixForFinding, predictedForFix, remainingProblems } from '../../src/demo/run-demo.js';
import type { FixName } from '../../src/lab-control/lab-problems.js';
import { renderDemoRoundsSection } from '../../src/report/html/demo-rounds-section.js';
import { renderHtmlReport } from '../../src/report/html-report.js';
import { syntheticRun } from '../compare/synthetic-run.js';
import type { TraceAnalysis } from '../../src/trace/trace-analysis.js';

type Finding = TraceAnalysis['findings'][number];

const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');

/** Simulated lab: views 60%, lists 20%, writes 20%; the fix scales the views' latency by `viewFactor` in B. */
function simulatedLab(seed: number, viewFactor: number, invalidBlocks: ReadonlySet<string> = new Set()) {
  const variates = randomVariates(seed);
  let traceNumber = 0;
  return async (arm: 'A' | 'B', pair: number): Promise<BlockOutcome> => {
    const samples: TraceSample[] = [];
    for (let index = 0; index < 50; index++) {
      const pick = index % 10;
      const name = pick < 6 ? 'view' : pick < 8 ? 'list' : 'write';
      const median = name === 'view' ? 20_000 : name === 'list' ? 80_000 : 40_000;
      const factor = arm === 'B' && name === 'view' ? viewFactor : 1;
      traceNumber++;
      samples.push({ traceId: hex(traceNumber, 32), spanId: hex(traceNumber, 16), name, intendedStartMs: index * 60, latencyUs: median * factor * Math.exp(0.3 * variates.standardNormal()), status: 200 });
    }
    const key = `${arm}${pair}`;
    return invalidBlocks.has(key) ? { samples, valid: false, reasons: ['the generator fell behind its own schedule'] } : { samples, valid: true, reasons: [] };
  };
}

const plan = { population: new Set(['view']), percentile: 50, alpha: 0.05, minEffect: 0.03, maxPairs: 4, targetPerArm: 120 };

test('a fix that halves the views is decided on the views after one pair; the mix is judged separately', async () => {
  const result = await measureInterleaved(plan, simulatedLab(1, 0.5));
  assert.equal(result.validPairs, 1);
  assert.equal(result.stoppedBecause, 'decided (improved) after 1 pair');
  assert.deepEqual(result.blocks.map((block) => `${block.arm}${block.pair}:${block.requests}`), ['A1:50', 'B1:50']);
  const population = result.comparison?.population;
  assert.equal(population?.result.decision, 'improved');
  assert.equal(population?.result.base.n, 30);
  assert.equal(population?.trafficShare, 0.6);
  assert.ok((population?.result.change ?? 0) < -0.35 && (population?.result.change ?? 0) > -0.65, `change ${population?.result.change}`);
  // The mix is judged on its own, on all 50 requests per arm.
  assert.equal(result.comparison?.mix.result.base.n, 50);
  assert.equal(result.comparison?.mix.pairs.length, 1);
});

test('no change: the loop measures to the cap and does not call it improved', async () => {
  const result = await measureInterleaved(plan, simulatedLab(2, 1));
  assert.equal(result.validPairs, 4);
  assert.match(result.stoppedBecause, /^cap of 4 pairs reached/);
  assert.notEqual(result.comparison?.population.result.decision, 'improved');
  assert.notEqual(result.comparison?.population.result.decision, 'regressed');
  assert.equal(result.comparison?.population.result.base.n, 120);
});

test('invalid blocks drop their pair and keep the reason; the time budget ends a round', async () => {
  const result = await measureInterleaved({ ...plan, maxPairs: 2 }, simulatedLab(3, 1, new Set(['B1'])));
  assert.deepEqual(result.blocks.map((block) => `${block.arm}${block.pair}${block.valid ? '' : '!'}`), ['A1', 'B1!', 'B2', 'A2', 'A3', 'B3']);
  assert.equal(result.validPairs, 2);
  assert.equal(result.comparison?.population.result.base.n, 60);
  assert.deepEqual(result.blocks[1]?.reasons, ['the generator fell behind its own schedule']);
  let pairs = 0;
  const budgeted = await measureInterleaved({ ...plan, mayContinue: () => ++pairs < 2 }, simulatedLab(4, 1));
  assert.equal(budgeted.validPairs, 2);
  assert.equal(budgeted.stoppedBecause, 'time budget: stopped after 2 pairs');
  const starved = await measureInterleaved({ ...plan, mayContinue: () => false }, simulatedLab(8, 1, new Set(['A1'])));
  assert.equal(starved.stoppedBecause, 'time budget: stopped after 0 pairs (1 invalid block: the generator fell behind its own schedule)');
  const allInvalid = await measureInterleaved({ ...plan, maxPairs: 1 }, simulatedLab(5, 0.5, new Set(['A1', 'A2', 'A3'])));
  assert.equal(allInvalid.comparison, undefined);
  assert.equal(allInvalid.validPairs, 0);
  assert.match(allInvalid.stoppedBecause, /^invalid blocks: the generator fell behind/);
});

test('late requests: twins the generator sent more than maxLagUs late are left out, counted per block', async () => {
  const lab = simulatedLab(6, 0.5);
  // Every fifth request of the A blocks went out 25 ms late: it and its B twin drop out of the comparison.
  const lateLab = async (arm: 'A' | 'B', pair: number): Promise<BlockOutcome> => {
    const outcome = await lab(arm, pair);
    return { ...outcome, samples: outcome.samples.map((sample, index) => ({ ...sample, lagUs: arm === 'A' && index % 5 === 0 ? 25_000 : 300 })) };
  };
  const result = await measureInterleaved({ ...plan, maxPairs: 1, paired: true, batchSize: 2, maxLagUs: 10_000 }, lateLab);
  assert.deepEqual(result.blocks.map((block) => `${block.arm}${block.pair}:${block.requests}/${block.late}`), ['A1:50/10', 'B1:50/0']);
  // 30 views per arm; every late request is a view (index % 10 is 0 or 5): 10 late in A, 20 twins, 10 batches.
  assert.equal(result.comparison?.population.matched, 20);
  assert.equal(result.comparison?.population.result.observations, 10);
  assert.equal(result.comparison?.population.result.fasterShare, 1);
  // The analysis still gets every request of a valid block.
  assert.equal(result.validBlocks[0]?.traceSamples.length, 50);
});

const finding = (overrides: Partial<Finding>): Finding => ({
  detector: 'n-plus-one',
  title: 't',
  where: { service: 'orders', operation: 'GET' },
  evidence: { counts: {}, exampleTraceIds: [], exampleSpanIds: [], details: {} },
  shareOfRequests: 0.5,
  predictedSavingUs: { p50: 1000, p99: 2000 },
  fix: 'f',
  tradeOff: 't',
  ...overrides,
});

test('affected population: request names where most traces showed the spans', () => {
  const samples: TraceSample[] = [];
  for (let index = 0; index < 100; index++) {
    const name = index < 60 ? 'view' : index < 80 ? 'list' : 'write';
    samples.push({ traceId: hex(index, 32), spanId: hex(index, 16), name, intendedStartMs: index, latencyUs: 1000, status: 200 });
  }
  // Spans in 54 of 60 views (90%) and 4 of 20 lists (20%).
  const affected = [...samples.slice(0, 54), ...samples.slice(60, 64)].map((sample) => sample.traceId);
  const population = affectedPopulation(finding({ affectedTraceIds: affected }), samples);
  assert.deepEqual(population.names, ['view']);
  assert.equal(population.trafficShare, 0.6);
  assert.equal(population.coveredShare, 0.9);
  assert.deepEqual(population.coverage.map((entry) => [entry.name, entry.affected, entry.total]), [
    ['view', 54, 60],
    ['list', 4, 20],
  ]);
  // Under half of every name: the name where it acts most.
  const sparse = affectedPopulation(finding({ affectedTraceIds: [samples[0]!.traceId, samples[61]!.traceId, samples[62]!.traceId] }), samples);
  assert.deepEqual(sparse.names, ['list']);
  // Old documents without the field fall back to the example trace ids.
  assert.deepEqual(affectedPopulation(finding({ evidence: { counts: {}, exampleTraceIds: [samples[90]!.traceId], exampleSpanIds: [], details: {} } }), samples).names, ['write']);
});

test('fixes for findings: pool-saturation is the lock only on lock.wait', () => {
  assert.equal(fixForFinding(finding({ detector: 'pool-saturation', where: { service: 'inventory', operation: 'lock.wait' } }), new Set()), 'lock');
  assert.equal(fixForFinding(finding({ detector: 'pool-saturation', where: { service: 'orders', operation: 'pg-pool.connect' } }), new Set()), undefined);
  assert.equal(fixForFinding(finding({ detector: 'large-payload' }), new Set()), 'payload');
  assert.equal(fixForFinding(finding({ detector: 'large-payload' }), new Set(['payload'])), undefined);
});

test('a switch\'s prediction sums its findings per detector; two detectors of one problem count once', () => {
  const findings = [
    finding({ detector: 'n-plus-one', where: { service: 'orders', operation: 'GET' }, predictedSavingUs: { p50: 3000, p99: 9000 } }),
    finding({ detector: 'n-plus-one', where: { service: 'inventory', operation: 'GET' }, predictedSavingUs: { p50: 2000, p99: 1000 } }),
    finding({ detector: 'connection-per-request', where: { service: 'orders', operation: 'pg.connect' }, predictedSavingUs: { p50: 500, p99: 700 } }),
    finding({ detector: 'pool-saturation', where: { service: 'inventory', operation: 'lock.wait' }, predictedSavingUs: { p50: 4000, p99: 8000 } }),
    finding({ detector: 'serialisation-point', where: { service: 'inventory', operation: 'stock' }, predictedSavingUs: { p50: 5000, p99: 6000 } }),
  ];
  assert.deepEqual(predictedForFix(findings, 'n+1', new Set()), { p50: 5000, p99: 10_000 });
  assert.deepEqual(predictedForFix(findings, 'pool', new Set()), { p50: 500, p99: 700 });
  assert.deepEqual(predictedForFix(findings, 'lock', new Set()), { p50: 5000, p99: 8000 });
  assert.equal(predictedForFix(findings, 'n+1', new Set(['n+1'])), undefined);
  assert.equal(predictedForFix(findings, 'cache', new Set()), undefined);
});

test('prediction check: within 25% or inside the interval', () => {
  assert.deepEqual(
    [checkPrediction(9_000, { savingUs: 10_000, savingLowUs: 2_000, savingHighUs: 30_000 }).within25Pct, checkPrediction(14_000, { savingUs: 10_000, savingLowUs: 2_000, savingHighUs: 30_000 }).within25Pct],
    [true, false],
  );
  const inside = checkPrediction(14_000, { savingUs: 10_000, savingLowUs: 2_000, savingHighUs: 30_000 });
  assert.deepEqual([inside.insideInterval, inside.agrees, inside.ratio], [true, true, 1.4]);
  // An interval still unbounded (too few samples) contains everything: no agreement from it.
  const unbounded = checkPrediction(40_000, { savingUs: 10_000, savingLowUs: Number.NEGATIVE_INFINITY, savingHighUs: Number.POSITIVE_INFINITY });
  assert.deepEqual([unbounded.insideInterval, unbounded.agrees], [false, false]);
  const miss = checkPrediction(40_000, { savingUs: 10_000, savingLowUs: 8_000, savingHighUs: 12_000 });
  assert.deepEqual([miss.within25Pct, miss.insideInterval, miss.agrees], [false, false, false]);
  // The note says which way a miss erred: 40 predicted of 10 measured, 3 of 8.1, and against a measured slowdown.
  assert.deepEqual(
    [miss, checkPrediction(3_000, { savingUs: 8_100, savingLowUs: 7_000, savingHighUs: 9_000 }), checkPrediction(2_000, { savingUs: -1_000, savingLowUs: -3_000, savingHighUs: 500 })].map(missDirection),
    ['overstated 4.0×', 'understated 2.7×', 'overstated'],
  );
});

test('report section: per-round population and mix verdicts, invalid blocks and what remains', async () => {
  const measured = await measureInterleaved(plan, simulatedLab(1, 0.5));
  const html = renderDemoRoundsSection({
    stoppedBecause: 'round limit (1) reached',
    rounds: [
      {
        round: 1,
        fix: 'n+1',
        finding: { detector: 'n-plus-one', where: { service: 'orders', operation: '<GET>' } },
        population: { names: ['view'], trafficShare: 0.6, coveredShare: 0.9 },
        percentile: { percentile: 50, reason: 'p99 needs ≥ 1000 requests per arm; about 120 expected: judging p50' },
        predictedUs: 9000,
        predictionSource: 'population',
        ...(measured.comparison ? { comparison: measured.comparison } : {}),
        blocks: measured.blocks,
        validPairs: measured.validPairs,
        stoppedBecause: measured.stoppedBecause,
        verdict: 'improved',
        mixVerdict: 'improved',
        prediction: { agrees: false, within25Pct: false, insideInterval: false },
        caveat: 'assumes one query as long as the longest',
        missed: 'overstated 4.0×',
      },
    ],
    remaining: [{ fix: 'index', title: 'Unindexed lookups', why: 'not reached: round limit (1) reached' }],
  });
  assert.match(html, /misses \(overstated 4\.0×\)<\/span><br><small class="meta">model: assumes one query as long as the longest/);
  assert.match(html, /data-round="1" data-verdict="improved" data-mix-verdict="improved"/);
  assert.match(html, /&lt;GET&gt;/);
  assert.match(html, /60% of traffic; 90% of it showed the spans/);
  assert.match(html, /p99 needs ≥ 1000 requests per arm/);
  assert.match(html, /<code>index<\/code> Unindexed lookups: not reached/);
  // Wired into the whole report: first section, linked from the table of contents.
  const page = renderHtmlReport({
    runs: [syntheticRun('base', [{ latenciesUs: { view: [1000, 2000] } }]), syntheticRun('final', [{ latenciesUs: { view: [500, 900] } }])],
    demo: { rounds: [], stoppedBecause: 'no finding left that the lab can fix' },
  });
  assert.match(page, /<a href="#demo">Demo rounds<\/a>/);
  assert.ok(page.indexOf('data-section="demo-rounds"') < page.indexOf('id="run-0"'));
  const refused = renderDemoRoundsSection({ rounds: [], stoppedBecause: 'invalid baseline', refused: 'the baseline run is invalid — lag' });
  assert.match(refused, /data-demo-refused="true">No conclusions drawn: the baseline run is invalid — lag/);
});

test('closing table: population and mix verdicts, prediction agreement, what remains', async () => {
  const measured = await measureInterleaved(plan, simulatedLab(1, 0.5));
  const comparison = measured.comparison;
  assert.ok(comparison);
  const text = renderDemoTable({
    ratePerSec: 16,
    baselineRunFile: '/tmp/b.json',
    baselineValid: true,
    rounds: [
      {
        round: 1,
        finding: finding({ detector: 'sequential-calls', where: { service: 'gateway', operation: 'GET' } }),
        fix: 'parallel',
        population: { names: ['view'], coverage: [], trafficShare: 0.6, coveredShare: 1 },
        percentile: { percentile: 50, reason: 'p99 needs ≥ 1000 requests per arm; about 120 expected: judging p50' },
        predictedUs: 30_000,
        predictionSource: 'population',
        comparison,
        blocks: measured.blocks,
        validPairs: 1,
        stoppedBecause: measured.stoppedBecause,
        verdict: 'improved',
        mixVerdict: comparison.mix.result.decision,
        prediction: checkPrediction(30_000, comparison.population.result),
        caveat: 'assumes the calls are independent',
        missed: 'understated 1.4×',
        durationMs: 8000,
      },
    ],
    remaining: [{ fix: 'index', title: 'Unindexed lookups', why: 'not found in the last measurement (slow-query did not fire)' }],
    remainingFindings: [],
    finalRunFile: '/tmp/f.json',
    reportFile: '/tmp/r.html',
    stoppedBecause: 'round limit (1) reached',
    elapsedMs: 61_000,
  });
  assert.match(text, /^round {2}fix \(finding\) +affected population/);
  assert.match(text, /parallel \(sequential-calls @ gateway\) +view \(60%\) +p50 +30\.0ms +\S+ \[\S+, \S+\] ✗ +-\d+% improved/);
  assert.match(text, /improved/);
  assert.match(text, /judged percentile: p99 needs ≥ 1000 requests per arm; about 120 expected: judging p50/);
  assert.match(text, /1 of 1 fixes improved their affected requests; predictions agree .* in 0 of 1/);
  assert.match(text, /round 1 prediction understated 1\.4×; the model assumes the calls are independent/);
  assert.match(text, /index: not found in the last measurement \(slow-query did not fire\)/);
  assert.match(text, /stopped: round limit \(1\) reached after 61 s/);
});

test('what remains: not found, not worth a round, or not reached', () => {
  const applied = new Set<FixName>(['n+1', 'pool', 'parallel', 'lock', 'async-notify', 'index']);
  const findings = [finding({ detector: 'repeated-reads', where: { service: 'customers', operation: 'pg.query:SELECT' } }), finding({ detector: 'repeated-reads', where: { service: 'orders', operation: 'pg.query:SELECT' } })];
  assert.deepEqual(
    remainingProblems(applied, findings, { minSavingShare: 0 }, 'time budget (160 s) used up').map((problem) => `${problem.fix}: ${problem.why}`),
    ['cache: found (repeated-reads at customers); not reached: time budget (160 s) used up', 'payload: not found in the last measurement (large-payload did not fire)'],
  );
  assert.match(remainingProblems(applied, findings, { minSavingShare: 0.02 }, 'no finding predicts saving ≥ 2.0% of p99')[0]?.why ?? '', /predicted p99 saving is below 2% of p99/);
  // A slow statement that is not one of the unindexed lookups is not the index problem.
  assert.equal(fixForFinding(finding({ detector: 'slow-query', evidence: { counts: {}, exampleTraceIds: [], exampleSpanIds: [], details: { statement: 'SELECT 1 FROM order_lines l WHERE l.id = $1' } } }), new Set()), undefined);
  assert.equal(fixForFinding(finding({ detector: 'slow-query', evidence: { counts: {}, exampleTraceIds: [], exampleSpanIds: [], details: { statement: 'SELECT id FROM order_lines WHERE order_id = $1 ORDER BY id' } } }), new Set()), 'index');
});

test('paired rounds: twins matched by name and intended start, judged two by two; the table says "p50 paired"', async () => {
  const result = await measureInterleaved({ ...plan, paired: true, batchSize: 2 }, simulatedLab(6, 0.6));
  const population = result.comparison?.population;
  assert.equal(population?.method, 'paired');
  assert.equal(result.comparison?.mix.method, 'paired');
  // 30 views per block, all with a twin; 15 observations of two per pair.
  assert.equal(population?.matched, 30 * result.validPairs);
  assert.equal(population?.result.decision, 'improved');
  assert.equal(result.stoppedBecause, `decided (improved) after ${result.validPairs} pair${result.validPairs === 1 ? '' : 's'}`);
  assert.ok(result.validPairs <= 2, `pairs ${result.validPairs}`);
  assert.ok((population?.result.change ?? 0) < -0.25 && (population?.result.change ?? 0) > -0.55, `change ${population?.result.change}`);
  // No change: never improved, measured to the cap.
  const same = await measureInterleaved({ ...plan, paired: true, batchSize: 2 }, simulatedLab(7, 1));
  assert.notEqual(same.comparison?.population.result.decision, 'improved');
  assert.equal(same.validPairs, 4);
});
