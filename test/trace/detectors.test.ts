import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeTraces } from '../../src/trace/analyze-traces.js';
import type { Detector, DetectorThresholds, Finding } from '../../src/trace/detectors/detector.js';
import { ALL_DETECTORS } from '../../src/trace/detectors/all-detectors.js';
import { nPlusOneDetector } from '../../src/trace/detectors/n-plus-one.js';
import { sequentialCallsDetector } from '../../src/trace/detectors/sequential-calls.js';
import { repeatedReadsDetector } from '../../src/trace/detectors/repeated-reads.js';
import { slowQueryDetector } from '../../src/trace/detectors/slow-query.js';
import { connectionPerRequestDetector } from '../../src/trace/detectors/connection-per-request.js';
import { poolSaturationDetector } from '../../src/trace/detectors/pool-saturation.js';
import { serialisationPointDetector } from '../../src/trace/detectors/serialisation-point.js';
import { retriesDetector } from '../../src/trace/detectors/retries.js';
import { syncSideEffectDetector } from '../../src/trace/detectors/sync-side-effect.js';
import { largePayloadDetector } from '../../src/trace/detectors/large-payload.js';
import { concurrencyWavesDetector } from '../../src/trace/detectors/concurrency-waves.js';
import { normaliseStatement } from '../../src/trace/normalise-statement.js';
import type { Span } from '../../src/trace/span.js';
import { BASE_NS, buildSpans, hexId, msToNs, traceIdFor, type SpanSpec } from './trace-builder.js';

function findings(detector: Detector, spans: Span[], thresholds?: Partial<DetectorThresholds>): Finding[] {
  return analyzeTraces(spans, { detectors: [detector], ...(thresholds ? { thresholds } : {}) }).findings;
}

/** `count` copies of a trace shape, trace ids t0..t{count-1}, each offset by `spacingMs`. */
function many(count: number, shape: (index: number) => SpanSpec[], spacingMs = 0): Span[] {
  return Array.from({ length: count }, (_, index) => buildSpans(`t${index}`, shape(index), BASE_NS + msToNs(index * spacingMs))).flat();
}

const db = (statement: string): SpanSpec['attributes'] => ({ 'db.system': 'postgresql', 'db.statement': statement });

test('statement normalisation replaces literals and collapses IN lists', () => {
  assert.equal(normaliseStatement("SELECT *  FROM items WHERE order_id = 42 AND sku = 'a''b' AND id IN (1, 2, 3)"), 'SELECT * FROM items WHERE order_id = ? AND sku = ? AND id IN (?)');
  assert.equal(normaliseStatement('SELECT * FROM t2 WHERE id = $1'), 'SELECT * FROM t2 WHERE id = $1');
});

// --- N+1 ---------------------------------------------------------------------------------------------
const nPlusOne = (repeats: number, sameTable = true): SpanSpec[] => [
  { id: 'root', name: 'GET /orders', service: 'api', kind: 'server', start: 0, end: 100 },
  ...Array.from({ length: repeats }, (_, i) => ({
    id: `q${i}`,
    parent: 'root',
    name: 'pg.query:SELECT',
    service: 'api',
    kind: 'client' as const,
    start: 10 + 10 * i,
    end: 20 + 10 * i,
    attributes: db(`SELECT * FROM ${sameTable ? 'items' : `items${i}`} WHERE order_id = ${i + 1}`),
  })),
];

test('n-plus-one fires on 6 repeats and predicts the saving of one query instead of six', () => {
  const [finding, ...rest] = findings(nPlusOneDetector, buildSpans('n1', nPlusOne(6)));
  assert.equal(rest.length, 0);
  assert.equal(finding!.detector, 'n-plus-one');
  assert.deepEqual(finding!.where, { service: 'api', operation: 'GET /orders' });
  assert.equal(finding!.evidence.details.statement, 'SELECT * FROM items WHERE order_id = ?');
  assert.deepEqual(finding!.evidence.counts, { maxRepeats: 6, queries: 6, traces: 1 });
  assert.deepEqual(finding!.evidence.exampleSpanIds, [hexId('q0')]);
  assert.equal(finding!.shareOfRequests, 1);
  // Five 10 ms queries leave the path: 100 ms → 50 ms.
  assert.deepEqual(finding!.predictedSavingUs, { p50: 50_000, p99: 50_000 });
});

test('n-plus-one keeps a typical repeat, not the one that waited longest: 10,10,40,10,10,10 ms become one 10 ms query', () => {
  const durations = [10, 10, 40, 10, 10, 10];
  let start = 10;
  const spans: SpanSpec[] = [{ id: 'root', name: 'GET /orders', service: 'api', kind: 'server', start: 0, end: 100 }];
  durations.forEach((duration, i) => {
    spans.push({ id: `q${i}`, parent: 'root', name: 'pg.query:SELECT', service: 'api', kind: 'client', start, end: start + duration, attributes: db(`SELECT * FROM items WHERE order_id = ${i + 1}`) });
    start += duration;
  });
  const [finding] = findings(nPlusOneDetector, buildSpans('n1m', spans));
  assert.deepEqual(finding!.predictedSavingUs, { p50: 80_000, p99: 80_000 });
});

test('n-plus-one near misses: 4 repeats, or 6 different statements, do not fire', () => {
  assert.equal(findings(nPlusOneDetector, buildSpans('n1', nPlusOne(4))).length, 0);
  assert.equal(findings(nPlusOneDetector, buildSpans('n1', nPlusOne(6, false))).length, 0);
});

// --- sequential calls -----------------------------------------------------------------------------------
const call = (id: string, target: string, start: number, end: number, path = '/x'): SpanSpec[] => [
  { id, parent: 'root', name: `GET ${target}`, service: 'api', kind: 'client', start, end, attributes: { 'http.method': 'GET', 'http.url': `http://${target}${path}` } },
  { id: `${id}-server`, parent: id, name: 'GET /x', service: target, kind: 'server', start: start + 1, end: end - 1 },
];

test('sequential-calls: three different services in a row are a possibly dependent pipeline (low confidence); the first call stays first, the rest overlap', () => {
  const spans = buildSpans('seq', [
    { id: 'root', name: 'GET /page', service: 'api', kind: 'server', start: 0, end: 100 },
    ...call('c1', 'inventory', 10, 30),
    ...call('c2', 'pricing', 30, 50),
    ...call('c3', 'shipping', 50, 80),
  ]);
  const [finding, ...rest] = findings(sequentialCallsDetector, spans);
  assert.equal(rest.length, 0);
  assert.equal(finding!.evidence.details.targets, 'inventory → pricing → shipping');
  assert.equal(finding!.evidence.details.dependency, 'possibly dependent');
  assert.match(finding!.title, /possibly a data-dependent pipeline/);
  assert.equal(finding!.confidence?.level, 'low');
  assert.deepEqual(finding!.evidence.counts, { maxSequentialCalls: 3, calls: 3, traces: 1 });
  // 20 + 20 + 30 ms in sequence → 20 ms, then max(20, 30) ms together: saves 20 ms.
  assert.deepEqual(finding!.predictedSavingUs, { p50: 20_000, p99: 20_000 });
});

test('sequential-calls fires on ten 10 ms cache lookups (saves 90 ms)', () => {
  const spans = buildSpans('cache', [
    { id: 'root', name: 'GET /feed', service: 'api', kind: 'server', start: 0, end: 120 },
    ...Array.from({ length: 10 }, (_, i) => ({
      id: `r${i}`,
      parent: 'root',
      name: 'get',
      service: 'api',
      kind: 'client' as const,
      start: 10 + 10 * i,
      end: 20 + 10 * i,
      attributes: { 'db.system': 'redis', 'db.statement': `get user:${i}` },
    })),
  ]);
  const [finding] = findings(sequentialCallsDetector, spans);
  assert.equal(finding!.evidence.counts.maxSequentialCalls, 10);
  assert.equal(finding!.confidence?.level, 'high');
  assert.equal(finding!.evidence.details.dependency, 'same operation, different keys');
  assert.deepEqual(finding!.predictedSavingUs, { p50: 90_000, p99: 90_000 });
});

test('sequential-calls near misses: overlapping calls, or only two in a row, do not fire', () => {
  const overlapping = buildSpans('seq', [
    { id: 'root', name: 'GET /page', service: 'api', kind: 'server', start: 0, end: 100 },
    ...call('c1', 'inventory', 10, 30),
    ...call('c2', 'pricing', 25, 50),
    ...call('c3', 'shipping', 50, 80),
  ]);
  assert.equal(findings(sequentialCallsDetector, overlapping).length, 0);
  const two = buildSpans('seq', [{ id: 'root', name: 'GET /page', service: 'api', kind: 'server', start: 0, end: 100 }, ...call('c1', 'inventory', 10, 30), ...call('c2', 'pricing', 30, 50)]);
  assert.equal(findings(sequentialCallsDetector, two).length, 0);
});

// --- repeated reads -------------------------------------------------------------------------------------
const readTrace = (statement: string): SpanSpec[] => [
  { id: 'root', name: 'GET /home', service: 'api', kind: 'server', start: 0, end: 50 },
  { id: 'read', parent: 'root', name: 'pg.query:SELECT', service: 'api', kind: 'client', start: 10, end: 30, attributes: db(statement) },
];

test('repeated-reads fires when 10 requests run the identical SELECT (cache hit saves the 20 ms read)', () => {
  const [finding, ...rest] = findings(repeatedReadsDetector, many(10, () => readTrace("SELECT value FROM settings WHERE key = 'theme'")));
  assert.equal(rest.length, 0);
  assert.equal(finding!.evidence.details.scope, 'across requests');
  assert.deepEqual(finding!.evidence.counts, { maxPerRequest: 1, reads: 10, traces: 10 });
  assert.equal(finding!.shareOfRequests, 1);
  assert.deepEqual(finding!.predictedSavingUs, { p50: 20_000, p99: 20_000 });
});

test('repeated-reads: a cache serves every key of a hot read, and the first read of each key misses', () => {
  // 20 requests, request i lasting 50 + i ms (so the p50 cohort is t8..t11) and starting 100 ms after the last.
  // "theme" is hot (10 requests); k8 (t8, t9, t10, t13) alone would not fire; u14..u19 are read once each.
  const keyOf = (i: number): string => (i <= 7 || i === 11 || i === 12 ? 'theme' : [8, 9, 10, 13].includes(i) ? 'k8' : `u${i}`);
  const spans = many(
    20,
    (i) => [
      { id: 'root', name: 'GET /home', service: 'api', kind: 'server', start: 0, end: 50 + i },
      { id: 'read', parent: 'root', name: 'pg.query:SELECT', service: 'api', kind: 'client', start: 10, end: 30, attributes: db(`SELECT value FROM settings WHERE key = '${keyOf(i)}'`) },
    ],
    100,
  );
  const [finding, ...rest] = findings(repeatedReadsDetector, spans);
  assert.equal(rest.length, 0);
  assert.deepEqual(finding!.evidence.counts, { maxPerRequest: 1, reads: 20, distinctKeys: 8, traces: 20 });
  // t8 is k8's first read (a miss); t9, t10 (k8) and t11 (theme) hit and save their 20 ms read.
  assert.equal(finding!.predictedSavingUs.p50, 15_000);
});

test('repeated-reads near misses: different literals per request, or placeholders without values, do not fire', () => {
  assert.equal(findings(repeatedReadsDetector, many(10, (i) => readTrace(`SELECT value FROM settings WHERE key = 'theme${i}'`))).length, 0);
  assert.equal(findings(repeatedReadsDetector, many(10, () => readTrace('SELECT value FROM settings WHERE key = $1'))).length, 0);
  // Nine requests are below the default minimum of ten.
  assert.equal(findings(repeatedReadsDetector, many(9, () => readTrace("SELECT value FROM settings WHERE key = 'theme'"))).length, 0);
});

test('n-plus-one re-times the same statement where the parent repeats it fewer times than the threshold: the batching serves both', () => {
  // t0 repeats the query 6 times (the finding), t1 3 times; both cohorts hold both traces.
  const [finding] = findings(nPlusOneDetector, many(2, (i) => nPlusOne(i === 0 ? 6 : 3)));
  assert.deepEqual(finding!.evidence.counts, { maxRepeats: 6, queries: 6, traces: 1 });
  // Saving: five 10 ms repeats in t0, two in t1 — (50 + 20) / 2.
  assert.deepEqual(finding!.predictedSavingUs, { p50: 35_000, p99: 35_000 });
});

// --- slow query -----------------------------------------------------------------------------------------
const slowTrace = (queryMs: number): SpanSpec[] => [
  { id: 'root', name: 'GET /search', service: 'api', kind: 'server', start: 0, end: 200 },
  { id: 'q', parent: 'root', name: 'pg.query:SELECT', service: 'api', kind: 'client', start: 20, end: 20 + queryMs, attributes: db("SELECT * FROM orders WHERE email = 'a@b.c'") },
];

test('slow-query fires on a 120 ms SELECT and predicts the 1 ms indexed time', () => {
  const [finding, ...rest] = findings(slowQueryDetector, buildSpans('slow', slowTrace(120)));
  assert.equal(rest.length, 0);
  assert.equal(finding!.evidence.details.statement, 'SELECT * FROM orders WHERE email = ?');
  assert.deepEqual(finding!.evidence.counts, { slowQueries: 1, maxDurationMs: 120, traces: 1 });
  assert.deepEqual(finding!.predictedSavingUs, { p50: 119_000, p99: 119_000 });
});

test('slow-query re-times every execution of a slow statement, not only those over the threshold: the index serves them all', () => {
  // 40 and 45 ms executions stay under the 50 ms threshold; two of four over it make the statement slow.
  const [finding] = findings(slowQueryDetector, many(4, (i) => slowTrace([40, 45, 60, 70][i] ?? 0)));
  assert.deepEqual(finding!.evidence.counts, { slowQueries: 2, maxDurationMs: 70, traces: 2 });
  assert.deepEqual(finding!.affectedTraceIds, [traceIdFor('t2'), traceIdFor('t3')]);
  // Cohorts of four equal-latency traces: p50 = t1, t2 (saving 44 and 59 ms); p99 = t2, t3 (59 and 69 ms).
  assert.deepEqual(finding!.predictedSavingUs, { p50: 51_500, p99: 64_000 });
});

test('slow-query near misses: a 40 ms query in a 200 ms request, or one slow execution in ten, do not fire', () => {
  assert.equal(findings(slowQueryDetector, buildSpans('slow', slowTrace(40))).length, 0);
  assert.equal(findings(slowQueryDetector, many(10, (i) => slowTrace(i === 0 ? 120 : 5))).length, 0);
});

// --- connection per request -----------------------------------------------------------------------------
const connectTrace = (connect: boolean): SpanSpec[] => [
  { id: 'root', name: 'GET /orders', service: 'api', kind: 'server', start: 0, end: 30 },
  ...(connect ? [{ id: 'conn', parent: 'root', name: 'pg.connect', service: 'api', kind: 'client' as const, start: 1, end: 11, attributes: { 'db.system': 'postgresql' } }] : []),
  { id: 'q', parent: 'root', name: 'pg.query:SELECT', service: 'api', kind: 'client', start: 11, end: 21, attributes: db('SELECT 1') },
];

test('connection-per-request fires when every request opens a connection (saves the 10 ms connect)', () => {
  const [finding, ...rest] = findings(connectionPerRequestDetector, many(4, () => connectTrace(true)));
  assert.equal(rest.length, 0);
  assert.deepEqual(finding!.where, { service: 'api', operation: 'pg.connect' });
  assert.deepEqual(finding!.evidence.counts, { connects: 4, connectTimeUs: 40_000, traces: 4 });
  assert.deepEqual(finding!.predictedSavingUs, { p50: 10_000, p99: 10_000 });
});

test('connection-per-request: the SET run on each new connection goes with the connect (saves 10 + 2 ms)', () => {
  const withSetup = (): SpanSpec[] => [
    { id: 'root', name: 'GET /orders', service: 'api', kind: 'server', start: 0, end: 30 },
    { id: 'conn', parent: 'root', name: 'pg.connect', service: 'api', kind: 'client', start: 1, end: 11, attributes: { 'db.system': 'postgresql' } },
    { id: 'set', parent: 'root', name: 'pg.query:SET', service: 'api', kind: 'client', start: 11, end: 13, attributes: db("SET statement_timeout = '5s'") },
    { id: 'q', parent: 'root', name: 'pg.query:SELECT', service: 'api', kind: 'client', start: 13, end: 23, attributes: db('SELECT 1') },
  ];
  const [finding] = findings(connectionPerRequestDetector, many(4, withSetup));
  assert.deepEqual(finding!.evidence.counts, { connects: 4, connectTimeUs: 40_000, setupStatements: 4, traces: 4 });
  assert.deepEqual(finding!.predictedSavingUs, { p50: 12_000, p99: 12_000 });
});

test('connection-per-request near miss: one connect in ten requests (pool warm-up) does not fire', () => {
  assert.equal(findings(connectionPerRequestDetector, many(10, (i) => connectTrace(i === 0))).length, 0);
});

// --- pool saturation ------------------------------------------------------------------------------------
const lockTrace = (waitMs: number): SpanSpec[] => [
  { id: 'root', name: 'POST /orders', service: 'api', kind: 'server', start: 0, end: 15 + waitMs },
  { id: 'wait', parent: 'root', name: 'lock.wait', service: 'api', start: 5, end: 5 + waitMs },
  { id: 'work', parent: 'root', name: 'reserve', service: 'api', start: 5 + waitMs, end: 10 + waitMs },
];

test('pool-saturation fires on a 20 ms lock wait on the path of every request', () => {
  const [finding, ...rest] = findings(poolSaturationDetector, many(5, () => lockTrace(20)));
  assert.equal(rest.length, 0);
  assert.deepEqual(finding!.where, { service: 'api', operation: 'lock.wait' });
  assert.deepEqual(finding!.evidence.counts, { waits: 5, p75WaitUs: 20_000, meanWaitUs: 20_000, traces: 5 });
  assert.deepEqual(finding!.predictedSavingUs, { p50: 20_000, p99: 20_000 });
});

test('pool-saturation near misses: an uncontended 50 µs wait, or a 20 ms stall in 3 of 10 requests, do not fire', () => {
  assert.equal(findings(poolSaturationDetector, many(5, () => lockTrace(0.05))).length, 0);
  assert.equal(findings(poolSaturationDetector, many(10, (i) => lockTrace(i < 3 ? 20 : 0.05))).length, 0);
});

// --- concurrency waves ----------------------------------------------------------------------------------
/** Eight 10 ms queries issued together through a pool of `slots` (waves back to back), or with `gapMs` between waves. */
const waves = (slots: number, gapMs = 0): SpanSpec[] => [
  { id: 'root', name: 'GET /batch', service: 'api', kind: 'server', start: 0, end: 100 },
  ...Array.from({ length: 8 }, (_, i) => {
    const start = 5 + Math.floor(i / slots) * (10 + gapMs);
    return { id: `q${i}`, parent: 'root', name: 'pg.query:SELECT', service: 'api', kind: 'client' as const, start, end: start + 10, attributes: db(`SELECT * FROM t WHERE id = ${i}`) };
  }),
];

test('concurrency-waves fires when eight calls run two at a time, back to back (saves 30 ms)', () => {
  const [finding, ...rest] = findings(concurrencyWavesDetector, buildSpans('waves', waves(2)));
  assert.equal(rest.length, 0);
  assert.equal(finding!.evidence.details.call, 'SELECT * FROM t WHERE id = ?');
  assert.deepEqual(finding!.evidence.counts, { maxCalls: 8, maxConcurrent: 2, traces: 1 });
  // Four 10 ms waves (5–45 ms) become one (5–15 ms): the parent ends 30 ms earlier.
  assert.deepEqual(finding!.predictedSavingUs, { p50: 30_000, p99: 30_000 });
});

test('concurrency-waves near misses: all eight at once, or waves separated by 5 ms of work, do not fire', () => {
  assert.equal(findings(concurrencyWavesDetector, buildSpans('waves', waves(8))).length, 0);
  assert.equal(findings(concurrencyWavesDetector, buildSpans('waves', waves(2, 5))).length, 0);
});

// --- serialisation point --------------------------------------------------------------------------------
/** Twelve requests arrive together; the orders service runs them one at a time, 10 ms each, `gapMs` apart. */
const queued = (gapMs: number) =>
  many(12, (i) => [
    { id: 'root', name: 'POST /checkout', service: 'api', kind: 'server', start: 0, end: (10 + gapMs) * i + 12 },
    { id: 'call', parent: 'root', name: 'POST', service: 'api', kind: 'client', start: 1, end: (10 + gapMs) * i + 11 },
    { id: 'srv', parent: 'call', name: 'POST /orders', service: 'orders', kind: 'server', start: (10 + gapMs) * i + 1, end: (10 + gapMs) * i + 11 },
  ]);

test('serialisation-point fires when one operation never overlaps and runs back to back', () => {
  const [finding, ...rest] = findings(serialisationPointDetector, queued(0));
  assert.equal(rest.length, 0);
  assert.deepEqual(finding!.where, { service: 'orders', operation: 'POST /orders' });
  assert.deepEqual(finding!.evidence.counts, { spans: 12, overlapping: 0, backToBack: 11, traces: 12 });
  // Request i queued 10·i ms. p50 cohort = ranks 4..7 (40..70 ms), p99 cohort = ranks 10..11 (100, 110 ms).
  assert.deepEqual(finding!.predictedSavingUs, { p50: 55_000, p99: 105_000 });
});

test('serialisation-point near miss: non-overlapping but spaced requests (no queue) do not fire', () => {
  assert.equal(findings(serialisationPointDetector, queued(10)).length, 0);
});

// --- retries --------------------------------------------------------------------------------------------
const attempt = (id: string, url: string, start: number, end: number, status: number): SpanSpec => ({
  id,
  parent: 'root',
  name: 'POST',
  service: 'api',
  kind: 'client',
  start,
  end,
  status: status >= 500 ? 'error' : 'ok',
  attributes: { 'http.request.method': 'POST', 'url.full': url, 'http.response.status_code': status },
});

test('retries fires on two failed attempts before a success and predicts their removal', () => {
  const spans = buildSpans('retry', [
    { id: 'root', name: 'POST /pay', service: 'api', kind: 'server', start: 0, end: 100 },
    attempt('a1', 'http://pay/charge', 10, 30, 503),
    attempt('a2', 'http://pay/charge', 40, 60, 503),
    attempt('a3', 'http://pay/charge', 70, 80, 200),
  ]);
  const [finding, ...rest] = findings(retriesDetector, spans);
  assert.equal(rest.length, 0);
  assert.deepEqual(finding!.evidence.counts, { failedAttempts: 2, wastedUs: 60_000, recovered: 1, traces: 1 });
  // Two 20 ms attempts leave the path; the 10 ms backoff gaps stay: 100 → 60 ms.
  assert.deepEqual(finding!.predictedSavingUs, { p50: 40_000, p99: 40_000 });
});

test('retries near misses: a failure then a different target, or two successful calls, do not fire', () => {
  const different = buildSpans('retry', [
    { id: 'root', name: 'POST /pay', service: 'api', kind: 'server', start: 0, end: 100 },
    attempt('a1', 'http://pay/charge', 10, 30, 503),
    attempt('a2', 'http://fallback/charge', 40, 60, 200),
  ]);
  assert.equal(findings(retriesDetector, different).length, 0);
  const twice = buildSpans('retry', [
    { id: 'root', name: 'POST /pay', service: 'api', kind: 'server', start: 0, end: 100 },
    attempt('a1', 'http://pay/charge', 10, 30, 200),
    attempt('a2', 'http://pay/charge', 40, 60, 200),
  ]);
  assert.equal(findings(retriesDetector, twice).length, 0);
});

// --- synchronous side effect ----------------------------------------------------------------------------
const checkout = (last: { service: string; path: string; start: number; end: number }): SpanSpec[] => [
  { id: 'root', name: 'POST /orders', service: 'api', kind: 'server', start: 0, end: 100 },
  { id: 'pay', parent: 'root', name: 'POST', service: 'api', kind: 'client', start: 10, end: 40, attributes: { 'http.method': 'POST', 'http.url': 'http://payments/charge' } },
  { id: 'pay-s', parent: 'pay', name: 'POST /charge', service: 'payments', kind: 'server', start: 11, end: 39 },
  { id: 'side', parent: 'root', name: 'POST', service: 'api', kind: 'client', start: last.start, end: last.end, attributes: { 'http.method': 'POST', 'http.url': `http://${last.service}${last.path}` } },
  { id: 'side-s', parent: 'side', name: `POST ${last.path}`, service: last.service, kind: 'server', start: last.start + 1, end: last.end - 1 },
];

test('sync-side-effect fires on a POST to the notifications service as the last call (saves 40 ms)', () => {
  const [finding, ...rest] = findings(syncSideEffectDetector, buildSpans('side', checkout({ service: 'notifications', path: '/send', start: 50, end: 90 })));
  assert.equal(rest.length, 0);
  assert.equal(finding!.evidence.details.target, 'notifications');
  assert.deepEqual(finding!.evidence.counts, { calls: 1, callTimeUs: 40_000, traces: 1 });
  assert.deepEqual(finding!.evidence.exampleSpanIds, [hexId('side')]);
  assert.deepEqual(finding!.predictedSavingUs, { p50: 40_000, p99: 40_000 });
});

test('sync-side-effect near misses: a POST to payments last, or a notification fired after the response, do not fire', () => {
  assert.equal(findings(syncSideEffectDetector, buildSpans('side', checkout({ service: 'payments', path: '/capture', start: 50, end: 90 }))).length, 0);
  assert.equal(findings(syncSideEffectDetector, buildSpans('side', checkout({ service: 'notifications', path: '/send', start: 95, end: 130 }))).length, 0);
});

// --- large payload --------------------------------------------------------------------------------------
const report = (bytes: number): SpanSpec[] => [
  { id: 'root', name: 'GET /report', service: 'api', kind: 'server', start: 0, end: 100, attributes: { 'http.response.body.size': bytes } },
  { id: 'q', parent: 'root', name: 'pg.query:SELECT', service: 'api', kind: 'client', start: 10, end: 50, attributes: db('SELECT * FROM sales') },
];

test('large-payload fires on a 1 MiB response; its 50 ms after the query shrink as the bytes do (to 16 KiB: 1/64 of the time is left)', () => {
  const [finding, ...rest] = findings(largePayloadDetector, buildSpans('big', report(1024 * 1024)));
  assert.equal(rest.length, 0);
  assert.deepEqual(finding!.evidence.counts, { payloads: 1, maxBytes: 1_048_576, traces: 1 });
  // 50 ms × (1 − 16/1024); the 40 ms query and the 10 ms before it are not the payload's work.
  assert.deepEqual(finding!.predictedSavingUs, { p50: 49_219, p99: 49_219 });
});

test('large-payload through a gateway: each hop saves its own tail, and the service also the transfer to its caller', () => {
  const chain: SpanSpec[] = [
    { id: 'root', name: 'GET /list', service: 'gateway', kind: 'server', start: 0, end: 100, attributes: { 'http.response.body.size': 512 * 1024 } },
    { id: 'call', parent: 'root', name: 'GET', service: 'gateway', kind: 'client', start: 10, end: 70 },
    { id: 'list', parent: 'call', name: 'GET /list', service: 'orders', kind: 'server', start: 12, end: 60, attributes: { 'http.response.body.size': 512 * 1024 } },
    { id: 'q', parent: 'list', name: 'pg.query:SELECT', service: 'orders', kind: 'client', start: 14, end: 30, attributes: db('SELECT * FROM orders') },
  ];
  const byService = new Map(findings(largePayloadDetector, buildSpans('chain', chain)).map((finding) => [finding.where.service, finding]));
  assert.deepEqual([...byService.keys()].sort(), ['gateway', 'orders']);
  // Share trimmed 1 − 16/512 = 0.96875. gateway: its 30 ms of parsing and re-serialising after the call.
  assert.deepEqual(byService.get('gateway')!.predictedSavingUs, { p50: 29_063, p99: 29_063 });
  // orders: its 30 ms of serialising after the query, and the 10 ms the gateway's client spent receiving the body.
  assert.deepEqual(byService.get('orders')!.predictedSavingUs, { p50: 38_750, p99: 38_750 });
});

test('large-payload near miss: a 200 KiB response does not fire', () => {
  assert.equal(findings(largePayloadDetector, buildSpans('big', report(200 * 1024))).length, 0);
});

// --- a healthy system -----------------------------------------------------------------------------------
test('a fixed system (pool, parallel calls, cache, queued notification, small responses) yields zero findings', () => {
  const spans = many(
    40,
    (i) => [
      { id: 'root', name: 'GET /orders/:id', service: 'api', kind: 'server', start: 0, end: 20, attributes: { 'http.response.body.size': 10_240 } },
      { id: 'acq', parent: 'root', name: 'pg-pool.connect', service: 'api', kind: 'internal', start: 1, end: 1.01 },
      { id: 'q', parent: 'root', name: 'pg.query:SELECT', service: 'api', kind: 'client', start: 1.1, end: 3, attributes: db('SELECT * FROM orders WHERE id = $1') },
      { id: 'c', parent: 'root', name: 'get', service: 'api', kind: 'client', start: 3.1, end: 3.5, attributes: { 'db.system': 'redis', 'db.statement': `get product:${i}` } },
      ...call('inv', 'inventory', 4, 10, `/stock/${i}`),
      ...call('pri', 'pricing', 4, 12, `/prices/${i}`),
      { id: 'pub', parent: 'root', name: 'notifications publish', service: 'api', kind: 'producer', start: 12, end: 12.5, attributes: { 'messaging.system': 'kafka' } },
      { id: 'con', parent: 'pub', name: 'notifications process', service: 'notifications', kind: 'consumer', start: 13, end: 30 },
    ],
    5,
  );
  const analysis = analyzeTraces(spans, { detectors: ALL_DETECTORS });
  assert.deepEqual(analysis.findings, []);
  assert.equal(analysis.traceCount, 40);
});
