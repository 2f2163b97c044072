/**
 * A target shaped like the well-known ride-dispatch tracing demo, generated here as synthetic spans with
 * realistic timing (Poisson 2 req/s for 30 s, seeded): a customer lookup on a database behind a global
 * mutex, traced as *events* inside the query span ("Waiting for lock behind N transactions"); a driver
 * search that reads ten drivers from Redis one after another, some reads failing and retried per key; route
 * calls through a worker pool of three; the dependent customer → driver → route chain; a live traffic read
 * whose result changes every time; and server spans that end just after their client span on one host.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '../../src/load/random.js';
import { analyzeTraces } from '../../src/trace/analyze-traces.js';
import { renderFindings } from '../../src/trace/render-findings.js';
import { traceAnalysisSchema } from '../../src/trace/trace-analysis.js';
import type { Attributes, Span, SpanEvent, SpanKind } from '../../src/trace/span.js';

const BASE_NS = 1_764_000_000_000_000_000n;
const HOST = 'dispatch-box';


interface Built {
  spans: Span[];
  lockHoldMs: number;
}

function dispatchDemo(): Built {
  const rand = seededRandom(7);
  const between = (low: number, high: number): number => low + (high - low) * rand();
  const spans: Span[] = [];
  let spanCounter = 0;
  const ms = (value: number): bigint => BASE_NS + BigInt(Math.round(value * 1e6));
  const add = (traceId: string, parent: string | undefined, service: string, name: string, kind: SpanKind, startMs: number, endMs: number, extra: { attributes?: Attributes; events?: SpanEvent[]; error?: boolean } = {}): string => {
    const spanId = (++spanCounter).toString(16).padStart(16, '0');
    const span: Span = { traceId, spanId, name, kind, service, startNs: ms(startMs), endNs: ms(endMs), status: extra.error ? 'error' : 'ok', attributes: extra.attributes ?? {}, links: [], host: HOST };
    if (parent !== undefined) span.parentSpanId = parent;
    if (extra.events !== undefined) span.events = extra.events;
    spans.push(span);
    return spanId;
  };

  // Arrivals: Poisson, 2 per second, over 30 s.
  const arrivals: number[] = [];
  for (let time = 0; ; ) {
    time += -Math.log(1 - rand()) * 500;
    if (time > 30_000) break;
    arrivals.push(time);
  }
  // The customer database: one global mutex, held for the whole ~300 ms query.
  const lockHoldMs = 300;
  const releases: number[] = [];
  let lockFreeAtMs = 0;
  const customers = ['123', '392', '731', '567'];
  arrivals.forEach((arrivalMs, index) => {
    const traceId = (index + 1).toString(16).padStart(32, 'a');
    let cursorMs = arrivalMs;
    const root = add(traceId, undefined, 'frontend', 'HTTP GET /dispatch', 'server', arrivalMs, arrivalMs); // end set below

    // Live traffic read: the same URL every request, a different answer every time.
    const trafficEndMs = cursorMs + 0.3 + between(3, 5);
    add(traceId, root, 'frontend', 'HTTP GET', 'client', cursorMs + 0.3, trafficEndMs, { attributes: { 'http.request.method': 'GET', 'url.full': 'http://traffic:8090/traffic?zone=downtown', 'http.response.body.size': Math.round(between(800, 1200)) } });
    cursorMs = trafficEndMs;

    // customer: the query waits for the mutex; the wait is recorded as events inside the query span.
    const customer = customers[index % customers.length]!;
    const customerClientStartMs = cursorMs + 0.2;
    const queryStartMs = customerClientStartMs + 1.1;
    const ahead = releases.filter((releaseMs) => releaseMs > queryStartMs).length;
    const acquiredMs = Math.max(queryStartMs, lockFreeAtMs) + 0.01;
    const releaseMs = acquiredMs + between(lockHoldMs - 20, lockHoldMs + 20);
    lockFreeAtMs = releaseMs;
    releases.push(releaseMs);
    const events: SpanEvent[] = [];
    if (ahead > 0) events.push({ name: `Waiting for lock behind ${ahead} transactions`, timeNs: ms(queryStartMs + 0.005) });
    events.push({ name: `Acquired lock with 0 transactions waiting behind`, timeNs: ms(acquiredMs) });
    const customerClient = add(traceId, root, 'frontend', 'HTTP GET', 'client', customerClientStartMs, releaseMs + 1.5, {
      attributes: { 'http.request.method': 'GET', 'url.full': `http://customer:8081/customer?customer=${customer}`, 'http.response.body.size': 120 },
    });
    const customerServer = add(traceId, customerClient, 'customer', 'HTTP GET /customer', 'server', customerClientStartMs + 0.5, releaseMs + 1.1, { attributes: { 'http.route': '/customer' } });
    add(traceId, customerServer, 'mysql', 'SQL SELECT', 'client', queryStartMs, releaseMs, {
      attributes: { 'db.system': 'mysql', 'db.statement': `SELECT * FROM customer WHERE customer_id = ${customer}` },
      events,
    });
    cursorMs = releaseMs + 1.5;

    // driver: find nearby driver ids, then read ten drivers one by one; some reads time out and are retried.
    const driverClientStartMs = cursorMs + 0.3;
    const driverServerStartMs = driverClientStartMs + 0.4;
    const driverClient = add(traceId, root, 'frontend', 'driver.DriverService/FindNearest', 'client', driverClientStartMs, driverClientStartMs, { attributes: { 'rpc.system': 'grpc' } });
    const driverServer = add(traceId, driverClient, 'driver', '/driver.DriverService/FindNearest', 'server', driverServerStartMs, driverServerStartMs);
    let driverMs = driverServerStartMs + 0.2;
    const idsEndMs = driverMs + between(15, 25);
    add(traceId, driverServer, 'redis', 'FindDriverIDs', 'client', driverMs, idsEndMs, { attributes: { 'db.system': 'redis', 'db.statement': 'FindDriverIDs downtown' } });
    driverMs = idsEndMs + 0.05;
    const drivers = Array.from({ length: 10 }, (_, driver) => `T7${(index * 10 + driver) % 997}C`);
    for (const driver of drivers) {
      if (rand() < 0.08) {
        const failedEndMs = driverMs + between(20, 30);
        add(traceId, driverServer, 'redis', 'GetDriver', 'client', driverMs, failedEndMs, { attributes: { 'db.system': 'redis', 'db.statement': `GetDriver ${driver}` }, error: true });
        driverMs = failedEndMs + 0.05;
      }
      const endMs = driverMs + between(8, 12);
      add(traceId, driverServer, 'redis', 'GetDriver', 'client', driverMs, endMs, { attributes: { 'db.system': 'redis', 'db.statement': `GetDriver ${driver}` } });
      driverMs = endMs + 0.05;
    }
    // The server span ends 0.2 ms after its client span: it ends after sending the response (one host, no skew).
    spans.find((span) => span.spanId === driverServer)!.endNs = ms(driverMs + 0.3);
    spans.find((span) => span.spanId === driverClient)!.endNs = ms(driverMs + 0.1);
    cursorMs = driverMs + 0.1;

    // route: ten calls through a worker pool of three (a call starts when a worker frees up).
    const workers = [cursorMs + 0.2, cursorMs + 0.25, cursorMs + 0.3];
    for (let call = 0; call < drivers.length; call++) {
      workers.sort((a, b) => a - b);
      const startMs = workers[0]! + 0.02;
      const endMs = startMs + between(40, 60);
      const routeClient = add(traceId, root, 'frontend', 'HTTP GET /route', 'client', startMs, endMs, { attributes: { 'http.request.method': 'GET', 'url.full': `http://route:8083/route?pickup=${drivers[call]!}&dropoff=${customer}` } });
      add(traceId, routeClient, 'route', 'HTTP GET /route', 'server', startMs + 0.3, endMs - 0.3, { attributes: { 'http.route': '/route' } });
      workers[0] = endMs;
    }
    const endMs = Math.max(...workers) + 0.5;
    spans.find((span) => span.spanId === root)!.endNs = ms(endMs);
  });
  return { spans, lockHoldMs };
}

export { dispatchDemo };
test('dispatch demo: the lock, the sequential reads and the worker-pool waves lead; no index for the waiting query; the pipeline is marked possibly dependent; retries are one finding', () => {
  const { spans } = dispatchDemo();
  const analysis = analyzeTraces(spans);
  traceAnalysisSchema.parse(JSON.parse(JSON.stringify(analysis)));
  const summary = analysis.findings.map((finding, rank) => `${rank + 1}. ${finding.detector} ${finding.where.service} ${finding.where.operation}: ${finding.title}`).join('\n');
  const top5 = analysis.findings.slice(0, 5);

  // The lock: a queueing finding on the query span, from its events, with the lock's fix.
  const lock = top5.find((finding) => finding.detector === 'queueing' && finding.where.service === 'mysql');
  assert.ok(lock, `lock not in the top 5:\n${summary}`);
  assert.equal(lock.evidence.details.evidence, 'events');
  assert.equal(lock.confidence?.level, 'high');
  assert.match(lock.title, /queue for a lock/);
  assert.match(lock.fix, /An index will not help/);
  // Its own time is the ~300 ms query; the wait is what the lock adds.
  assert.ok(Math.abs(lock.evidence.counts.uncontendedUs! - 300_000) < 15_000, `uncontended ${lock.evidence.counts.uncontendedUs} µs`);
  assert.ok(lock.evidence.counts.maxQueueDepth! >= 2);

  // No index advised for the waiting query, in any finding.
  assert.equal(analysis.findings.filter((finding) => finding.detector === 'slow-query').length, 0, summary);
  assert.ok(analysis.findings.every((finding) => !/add the missing index/.test(finding.fix)), summary);

  // Ten sequential Redis reads of one operation: the confident batch case.
  const reads = top5.find((finding) => finding.detector === 'sequential-calls' && finding.evidence.details.dependency === 'same operation, different keys');
  assert.ok(reads, `sequential reads not in the top 5:\n${summary}`);
  assert.equal(reads.where.service, 'driver');
  assert.match(String(reads.evidence.details.call), /GetDriver/);
  assert.equal(reads.confidence?.level, 'high');

  // The worker pool of three.
  const waves = top5.find((finding) => finding.detector === 'concurrency-waves');
  assert.ok(waves, `worker-pool waves not in the top 5:\n${summary}`);
  assert.equal(waves.evidence.counts.maxConcurrent, 3);
  assert.equal(waves.evidence.counts.maxCalls, 10);

  // The dependent customer → driver → route chain: marked possibly dependent, low confidence, ranked below the three.
  const pipeline = analysis.findings.find((finding) => finding.detector === 'sequential-calls' && finding.evidence.details.dependency === 'possibly dependent');
  if (pipeline !== undefined) {
    assert.equal(pipeline.confidence?.level, 'low');
    assert.match(pipeline.title, /possibly a data-dependent pipeline/);
    assert.ok(analysis.findings.indexOf(pipeline) > Math.max(...[lock, reads, waves].map((finding) => analysis.findings.indexOf(finding))));
  }

  // Retries: one finding for GetDriver however many drivers failed.
  const retries = analysis.findings.filter((finding) => finding.detector === 'retries');
  assert.equal(retries.length, 1, summary);
  assert.match(retries[0]!.title, /GetDriver/);
  assert.ok(retries[0]!.evidence.counts.distinctTargets! > 5);

  // The live traffic read is not a cacheable repeat; the 4 hot customers are one finding, not four.
  assert.ok(analysis.findings.every((finding) => !String(finding.evidence.details.read ?? '').includes('traffic')), summary);
  assert.ok(analysis.findings.filter((finding) => finding.detector === 'repeated-reads').length <= 1, summary);

  // Server spans ending just after their client span on one host are named as such, never as clock skew.
  assert.equal(analysis.skewAdjustedSpans, 0);
  assert.equal(analysis.serverOutlivesClientSpans, analysis.traceCount);
  const text = renderFindings(analysis);
  assert.match(text, new RegExp(`${analysis.traceCount} server spans outlive their client span`));
  assert.doesNotMatch(text, /skew/);
  // One line per problem keeps the list short.
  assert.ok(analysis.findings.length <= 10, summary);
});

test('dispatch demo with the mutex gone: no queueing finding, and the slow query is judged on its own 300 ms', () => {
  const { spans } = dispatchDemo();
  // Drop the lock events and let every query run its 300 ms alone (as if each had its own connection).
  const unlocked = spans.map((span) => (span.service === 'mysql' ? { ...span, events: undefined, endNs: span.endNs - (span.endNs - span.startNs) + 300_000_000n } : span)).map(({ events, ...rest }) => (events === undefined ? rest : { ...rest, events }));
  const analysis = analyzeTraces(unlocked);
  assert.equal(analysis.findings.filter((finding) => finding.detector === 'queueing').length, 0);
  const slow = analysis.findings.find((finding) => finding.detector === 'slow-query');
  assert.ok(slow);
  assert.equal(slow.evidence.counts.maxDurationMs, 300);
});
