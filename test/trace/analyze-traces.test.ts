import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeTraces } from '../../src/trace/analyze-traces.js';
import { renderFindings } from '../../src/trace/render-findings.js';
import { traceAnalysisSchema } from '../../src/trace/trace-analysis.js';
import { buildSpans, hexId, traceIdFor, type SpanSpec } from './trace-builder.js';

const tiered: SpanSpec[] = [
  { id: 'root', name: 'GET /checkout', service: 'gateway', kind: 'server', start: 0, end: 100 },
  { id: 'call', parent: 'root', name: 'GET', service: 'gateway', kind: 'client', start: 10, end: 60, attributes: { 'http.request.method': 'GET', 'url.full': 'http://orders/o/1' } },
  { id: 'orders', parent: 'call', name: 'GET /o/:id', service: 'orders', kind: 'server', start: 15, end: 55 },
  { id: 'db', parent: 'orders', name: 'SELECT', service: 'orders', kind: 'client', start: 20, end: 40, attributes: { 'db.system': 'postgresql', 'db.statement': 'SELECT 1' } },
  { id: 'cache', parent: 'orders', name: 'get', service: 'orders', kind: 'client', start: 45, end: 50, attributes: { 'db.system': 'redis' } },
  { id: 'pub', parent: 'root', name: 'orders publish', service: 'gateway', kind: 'producer', start: 70, end: 75, attributes: { 'messaging.system': 'kafka' } },
];

const tiersOf = (analysis: ReturnType<typeof analyzeTraces>, cohort: 'p50' | 'p99') =>
  Object.fromEntries(analysis.cohorts.find((entry) => entry.cohort === cohort)!.tiers.map((tier) => [tier.tier, tier.us]));

test('tier decomposition of one trace, with the client latency joined from the run file samples', () => {
  // The root's parent is the load generator's span, which is never exported: not counted as an orphan.
  const spans = buildSpans('tiers', [{ ...tiered[0]!, parent: 'client' }, ...tiered.slice(1)]);
  const sample = { traceId: traceIdFor('tiers'), spanId: hexId('client'), name: 'checkout', intendedStartMs: 0, latencyUs: 130_000, status: 200 };
  const analysis = analyzeTraces(spans, { samples: [sample] });
  assert.equal(analysis.tracesWithClientLatency, 1);
  assert.equal(analysis.orphanSpans, 0);
  assert.equal(analyzeTraces(spans).orphanSpans, 1);
  // gateway 0–10, 60–70, 75–100; http 10–15, 55–60; orders 15–20, 40–45, 50–55; db 20–40; cache 45–50; messaging 70–75.
  assert.deepEqual(tiersOf(analysis, 'p50'), { client: 30_000, gateway: 45_000, service: 15_000, http: 10_000, database: 20_000, cache: 5_000, messaging: 5_000 });
  assert.equal(analysis.cohorts[0]!.latencyUs, 130_000);
  assert.deepEqual(
    analysis.criticalPath.byService.map((entry) => [entry.service, entry.timeUs, entry.share]),
    [
      ['gateway', 60_000, 0.6],
      ['orders', 40_000, 0.4],
    ],
  );
  assert.equal(analysis.exemplar!.criticalPath.length, 11);
  assert.equal(analysis.exemplar!.spans.find((span) => span.spanId === hexId('db'))!.startUs, 20_000);
});

test('cohorts: p50 = ranks at the 45th–55th percentile, p99 = ranks at or above the 99th; exemplar from p99', () => {
  const spans = Array.from({ length: 20 }, (_, i) => buildSpans(`c${i}`, [{ id: 'root', name: 'GET /', service: 'api', kind: 'server', start: 0, end: (i + 1) * 10 }])).flat();
  const analysis = analyzeTraces(spans);
  const [p50, p99] = analysis.cohorts;
  // 20 traces: ranks 8..11 (90–120 ms) and ranks 18..19 (190, 200 ms).
  assert.deepEqual([p50!.cohort, p50!.traces, p50!.latencyUs], ['p50', 4, 90_000]);
  assert.deepEqual([p99!.cohort, p99!.traces, p99!.latencyUs], ['p99', 2, 190_000]);
  assert.deepEqual(tiersOf(analysis, 'p50').gateway, 105_000);
  assert.equal(analysis.exemplar!.traceId, traceIdFor('c18'));
  assert.equal(analysis.exemplar!.latencyUs, 190_000);
  assert.equal(analysis.findings.length, 0);
});

test('findings are ranked by p99 saving by default and by p50 on request; the document is JSON and schema-valid', () => {
  // Every trace: a 120 ms slow query; the slowest trace also makes a 300 ms synchronous notification call.
  const spans = Array.from({ length: 10 }, (_, i) =>
    buildSpans(`r${i}`, [
      { id: 'root', name: 'POST /orders', service: 'api', kind: 'server', start: 0, end: i === 9 ? 500 : 200 },
      { id: 'q', parent: 'root', name: 'SELECT', service: 'api', kind: 'client', start: 10, end: 130, attributes: { 'db.system': 'postgresql', 'db.statement': `SELECT * FROM t WHERE x = ${i}` } },
      ...(i === 9
        ? [
            { id: 'n', parent: 'root', name: 'POST', service: 'api', kind: 'client' as const, start: 150, end: 450, attributes: { 'http.request.method': 'POST', 'url.full': 'http://notifications/send' } },
          ]
        : []),
    ]),
  ).flat();
  const byP99 = analyzeTraces(spans);
  assert.deepEqual(
    byP99.findings.map((finding) => [finding.detector, finding.predictedSavingUs.p50, finding.predictedSavingUs.p99]),
    [
      // p99 cohort = the two slowest traces; only one makes the call: (0 + 300 ms) / 2.
      ['sync-side-effect', 0, 150_000],
      ['slow-query', 119_000, 119_000],
    ],
  );
  const byP50 = analyzeTraces(spans, { rankBy: 'p50' });
  assert.deepEqual(byP50.findings.map((finding) => finding.detector), ['slow-query', 'sync-side-effect']);
  const roundTripped = traceAnalysisSchema.parse(JSON.parse(JSON.stringify(byP99)));
  assert.deepEqual(roundTripped, byP99);
  const text = renderFindings(byP99);
  assert.match(text, /^Traces: 10 \(21 spans\)/);
  assert.match(text, /1\. \[sync-side-effect\] Synchronous side effect in the request path: POST → notifications\n {3}where: api POST \/orders · 10% of requests\n {3}predicted saving: p50 0µs, p99 150\.0ms\n/);
});

test('an empty span list gives an empty, valid analysis', () => {
  const analysis = analyzeTraces([]);
  assert.deepEqual([analysis.traceCount, analysis.cohorts.length, analysis.findings.length, analysis.exemplar], [0, 0, 0, undefined]);
  assert.doesNotThrow(() => traceAnalysisSchema.parse(analysis));
});
