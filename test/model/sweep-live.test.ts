/**
 * A real sweep against a local server whose capacity is known: at most c = 4 requests in service at once, each for
 * s = 20 ms, the rest queue (FIFO) — so X_max = c/s = 200/s, and a closed system saturates at N = 4 users.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runLoad } from '../../src/load/run-load.js';
import { scenarioFromUrl } from '../../src/load/scenario-from-flags.js';
import { kneeSearch, runSweep, type SweepSettings } from '../../src/model/sweep.js';
import { parseSlo } from '../../src/model/slo.js';
import type { UslFitConverged } from '../../src/model/sweep-file.js';

const SLOTS = 4;
const SERVICE_MS = 20;
const CAPACITY_PER_SEC = SLOTS / (SERVICE_MS / 1000);

async function startLimitedServer(): Promise<{ server: Server; url: string }> {
  let busy = 0;
  const queue: (() => void)[] = [];
  const release = (): void => {
    const next = queue.shift();
    if (next) next();
    else busy--;
  };
  const server = createServer((_request, response) => {
    const serve = (): void => {
      setTimeout(() => {
        response.end('ok');
        release();
      }, SERVICE_MS);
    };
    if (busy < SLOTS) {
      busy++;
      serve();
    } else queue.push(serve);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

test('closed sweep against a c=4, s=20ms server: Little holds and the USL fit finds X_max ≈ 200/s near N = 4', async () => {
  const { server, url } = await startLimitedServer();
  try {
    const settings: SweepSettings = { target: url, scenario: scenarioFromUrl(url, { ratePerSec: 1 }), model: 'closed', stepDurationMs: 1000, warmupMs: 300, thinkTimeMs: 0 };
    const sweep = await runSweep(settings, [1, 2, 4, 8, 16], (scenario) => runLoad(scenario, { workers: 1 }));
    const throughputs = sweep.steps.map((step) => step.summary.throughputPerSec);
    // Below saturation X = N/s (50/s per user; timer slack and the round trip cost up to ~25% on a busy machine);
    // from N = 8 on the server is saturated: X = c/s = 200/s.
    assert.ok(throughputs[0]! > 35 && throughputs[0]! <= 51, `X(1) = ${throughputs[0]}`);
    // Completions are counted by completion time in 1-s windows, so a window can hold a few requests of the one
    // before: up to ~5% over c/s.
    for (const x of throughputs.slice(3)) assert.ok(x > 0.8 * CAPACITY_PER_SEC && x <= 1.06 * CAPACITY_PER_SEC, `X = ${throughputs.join(', ')}`);
    for (const step of sweep.steps) assert.ok(step.little.consistent, `Little at N=${step.level}: ${step.little.impliedConcurrency}`);
    const fit = sweep.fit as UslFitConverged;
    assert.equal(fit.kind, 'converged', JSON.stringify(sweep.fit));
    assert.ok(fit.xMaxPerSec !== null && Math.abs(fit.xMaxPerSec - CAPACITY_PER_SEC) / CAPACITY_PER_SEC < 0.15, `X_max ${fit.xMaxPerSec}`);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

test('knee search against the same server finds the highest rate with p99 < 100ms within 15% of 200/s', async () => {
  const { server, url } = await startLimitedServer();
  try {
    const settings: SweepSettings = { target: url, scenario: scenarioFromUrl(url, { ratePerSec: 1 }), model: 'open', stepDurationMs: 1200, warmupMs: 200, thinkTimeMs: 0 };
    const sweep = await kneeSearch(settings, { slo: parseSlo('p99<100ms', 0.01), startRatePerSec: 50, maxRatePerSec: 1000, resolution: 0.08 }, (scenario) =>
      runLoad(scenario, { workers: 1 }),
    );
    const knee = sweep.knee!.kneeRatePerSec;
    assert.ok(knee !== null && knee >= 0.85 * CAPACITY_PER_SEC && knee <= 1.15 * CAPACITY_PER_SEC, `knee ${knee}; steps ${sweep.steps.map((s) => `${s.level}:${s.sloMet}:${(s.summary.p99Us / 1000).toFixed(0)}ms`).join(' ')}`);
    assert.ok(sweep.steps.length <= 10, `${sweep.steps.length} steps`);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});
