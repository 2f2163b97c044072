/**
 * The demo's evidence on the live lab: during a short baseline-like run every lab service is watched and
 * scraped, and the CPU-bound problem's services (orders, gateway) are profiled through their inspectors,
 * opened on demand; the report draws their signals and flame graphs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withDemoEvidence } from '../../src/demo/demo-evidence.js';
import { demoScenario } from '../../src/demo/demo-scenario.js';
import { startLab } from '../../src/lab-control/lab.js';
import { runLoad } from '../../src/load/run-load.js';
import { topFunctions } from '../../src/profile/profile-model.js';
import { renderHtmlReport } from '../../src/report/html-report.js';
import { deadUrl } from '../helpers/test-servers.js';

test('demo evidence: lab services watched and scraped, orders and gateway profiled (CPU and heap), shown in the report', { timeout: 120_000 }, async () => {
  // Spans go nowhere here: this test is about signals and profiles.
  const lab = await startLab({ fixes: new Set(), port: 0, otlpEndpoint: await deadUrl() });
  const log: string[] = [];
  try {
    const scenario = demoScenario(lab.gatewayUrl, { ratePerSec: 6, durationMs: 4000, warmupMs: 1000 });
    const run = await withDemoEvidence(lab, scenario, () => runLoad(scenario), (line) => log.push(line));
    assert.deepEqual(log, []);
    const services = Object.keys(lab.serviceUrls).sort();
    assert.equal(services.length, 5);
    const sources = run.signals?.sources ?? [];
    assert.deepEqual(sources.map((source) => source.name).sort(), [...services, ...services.map((name) => `${name}-process`)].sort());
    // No reading failed; a tick skipped while the previous reading was pending (`slow`) is the collector
    // keeping its pace on a loaded machine, not a failure, but readings must be there (5 s at 1 s: ≥ 3 of about 7).
    for (const source of sources) {
      const failed = Object.entries(source.failures).filter(([reason]) => reason !== 'slow');
      assert.deepEqual(failed, [], `${source.name}: ${source.firstError ?? ''}`);
      assert.ok(source.attempts >= 3, `${source.name}: ${JSON.stringify(source)}`);
    }
    const series = run.signals?.series ?? [];
    for (const name of services) {
      assert.ok(series.some((item) => item.source === `${name}-process` && item.metric === 'process_cpu_user_seconds_total'), `${name} CPU`);
      assert.ok(series.some((item) => item.source === name && item.metric === 'nodejs_eventloop_lag_p99_seconds'), `${name} event loop`);
    }
    assert.deepEqual(run.profiles?.profiles.map((profile) => [profile.name, profile.kind, profile.error]), [
      ['orders', 'cpu', undefined],
      ['orders', 'heap', undefined],
      ['gateway', 'cpu', undefined],
      ['gateway', 'heap', undefined],
    ]);
    const ordersCpu = run.profiles?.profiles[0];
    assert.ok(ordersCpu && topFunctions(ordersCpu).some((row) => row.self > 0 && /lab\//.test(row.file)), 'lab code in the orders CPU profile');
    const html = renderHtmlReport({ runs: [run] });
    assert.match(html, /<section data-section="signals">/);
    assert.match(html, /<h4 data-profile-kind="cpu">orders — CPU/);
    assert.match(html, /<h4 data-profile-kind="heap">gateway — heap: allocation sites/);
    assert.equal((html.match(/<svg class="flame"/g) ?? []).length, 4);
  } finally {
    await lab.stop();
  }
});
