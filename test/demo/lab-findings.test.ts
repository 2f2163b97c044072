/**
 * The lab and the detectors together (issue 5's acceptance): in the slow lab every one of the eight
 * problems is reported (recall 100%); in the all-fixed lab no finding passes its threshold; and each
 * fix improves the latency of the request its problem slows.
 * Runs on embedded PGlite, or on real Postgres/Redis when DATABASE_URL/REDIS_URL are set.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareRuns } from '../../src/compare/compare-runs.js';
import { FIX_NAMES, LAB_PROBLEMS, type FixName } from '../../src/lab-control/lab-problems.js';
import { setFixes, startLab, type Lab } from '../../src/lab-control/lab.js';
import { runLoad } from '../../src/load/run-load.js';
import { demoScenario } from '../../src/demo/demo-scenario.js';
import { DEMO_THRESHOLDS, fixForFinding } from '../../src/demo/run-demo.js';
import { attachTraceAnalysis } from '../../src/trace/attach-trace-analysis.js';
import { startReceiver, type TraceReceiver } from '../../src/trace/receiver.js';

/** The request each problem slows down (the demo scenario's names). */
const AFFECTED_REQUEST: Record<FixName, string> = {
  'n+1': 'GET /orders/:id',
  pool: 'GET /orders/:id',
  parallel: 'GET /orders/:id',
  cache: 'GET /orders/:id',
  lock: 'GET /orders/:id',
  index: 'GET /orders/:id',
  'async-notify': 'POST /orders',
  payload: 'GET /orders?customer',
};

/** A run for latencies only: no trace sampled, so nothing to wait for or analyse (16+ runs in the fixes' subtest). */
function latencyRun(lab: Lab, durationMs: number, ratePerSec: number) {
  return runLoad(demoScenario(lab.gatewayUrl, { ratePerSec, durationMs, warmupMs: 1000 }));
}

async function tracedRun(lab: Lab, receiver: TraceReceiver, durationMs: number, ratePerSec: number) {
  const measured = await runLoad(demoScenario(lab.gatewayUrl, { ratePerSec, durationMs, warmupMs: 1000 }), { traceSampleRate: 1 });
  return attachTraceAnalysis(measured, receiver, { quietMs: 600, maxWaitMs: 5000, analysis: { thresholds: DEMO_THRESHOLDS } });
}

test('lab × detectors: recall on the slow lab, no false positives on the fixed lab, every fix helps', { timeout: 600_000 }, async (t) => {
  const receiver = await startReceiver({ port: 0 });
  const lab = await startLab({ fixes: new Set(), port: 0, otlpEndpoint: receiver.url, databaseUrl: process.env.DATABASE_URL, redisUrl: process.env.REDIS_URL });
  try {
    await t.test('slow lab: each of the eight problems is a finding', async () => {
      const { analysis } = await tracedRun(lab, receiver, 6000, 6);
      const found = new Set(analysis.findings.map((finding) => fixForFinding(finding, new Set())).filter((fix): fix is FixName => fix !== undefined));
      const missing = LAB_PROBLEMS.filter((problem) => !found.has(problem.name)).map((problem) => `${problem.name} (${problem.detector})`);
      assert.deepEqual(missing, [], `not reported: ${missing.join(', ')}; findings: ${analysis.findings.map((finding) => `${finding.detector}@${finding.where.service}`).join(', ')}`);
    });

    await t.test('all-fixed lab: no finding', async () => {
      await setFixes(lab, 'all');
      const { analysis } = await tracedRun(lab, receiver, 6000, 6);
      assert.deepEqual(
        analysis.findings.map((finding) => `${finding.detector}@${finding.where.service} ${finding.where.operation}`),
        [],
      );
    });

    await t.test('each fix improves the latency its problem adds', async () => {
      // The gateway's cache hides everything behind it, so every other problem is measured with the cache
      // off on both sides: the only difference between the two runs is the one fix. A shared 2-core machine
      // moves whole runs by ±20%, so a fix gets up to three paired trials (95% confidence each) and passes
      // when one shows an improvement and none a regression.
      const notImproved: string[] = [];
      for (const name of FIX_NAMES) {
        const others = FIX_NAMES.filter((fix) => fix !== name && (name === 'cache' || fix !== 'cache'));
        const verdicts: string[] = [];
        for (let trial = 0; trial < 3 && !verdicts.includes('improved'); trial++) {
          await setFixes(lab, new Set(others));
          const slow = await latencyRun(lab, 5000, 15);
          await setFixes(lab, new Set([...others, name]));
          const fixed = await latencyRun(lab, 5000, 15);
          const affected = compareRuns([slow], [fixed], { confidenceLevel: 0.95 }).byRequest.find((request) => request.name === AFFECTED_REQUEST[name]);
          verdicts.push(affected?.verdict ?? 'missing');
        }
        if (!verdicts.includes('improved') || verdicts.includes('regressed')) notImproved.push(`${name}: ${AFFECTED_REQUEST[name]} ${verdicts.join(', ')}`);
      }
      assert.deepEqual(notImproved, []);
    });
  } finally {
    await lab.stop();
    await receiver.close();
  }
});
