/**
 * Queueing versus slowness without wait events: self time proportional to concurrency (a serialised
 * resource) versus work that merely slows a little when it runs alongside others; a wait before the
 * first child that grows with concurrency (a worker pool).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeTraces } from '../../src/trace/analyze-traces.js';
import type { Span } from '../../src/trace/span.js';

const BASE_NS = 1_764_000_000_000_000_000n;
const at = (ms: number): bigint => BASE_NS + BigInt(Math.round(ms * 1e6)) + 123n;

/** Arrivals every `gapMs` in bursts: a request alone, then `burst` at once, repeated. */
function arrivals(rounds: number, burst: number): number[] {
  const times: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const base = round * 2000;
    times.push(base);
    for (let index = 0; index < burst; index++) times.push(base + 1000 + index * 0.5);
  }
  return times;
}

/** One request: a root server span and one query client span from `queryStart` to `queryEnd` (ms). */
function request(index: number, startMs: number, queryStartMs: number, queryEndMs: number, child?: { startMs: number; endMs: number }): Span[] {
  const traceId = (index + 1).toString(16).padStart(32, 'c');
  const base = { traceId, status: 'ok' as const, links: [] };
  const spans: Span[] = [
    { ...base, spanId: `${(index + 1).toString(16).padStart(8, '0')}00000001`, name: 'GET /report', kind: 'server', service: 'api', startNs: at(startMs), endNs: at(Math.max(queryEndMs, child?.endMs ?? 0) + 1), attributes: {} },
    { ...base, spanId: `${(index + 1).toString(16).padStart(8, '0')}00000002`, parentSpanId: `${(index + 1).toString(16).padStart(8, '0')}00000001`, name: 'SELECT report', kind: 'client', service: 'api', startNs: at(queryStartMs), endNs: at(queryEndMs), attributes: { 'db.system': 'postgresql', 'db.statement': 'SELECT * FROM report WHERE day = $1' } },
  ];
  if (child) spans.push({ ...base, spanId: `${(index + 1).toString(16).padStart(8, '0')}00000003`, parentSpanId: spans[1]!.spanId, name: 'render', kind: 'internal', service: 'api', startNs: at(child.startMs), endNs: at(child.endMs), attributes: {} });
  return spans;
}

test('a statement serialised behind a hidden lock: slow-query claims only the uncontended 60 ms and points at the serialisation point first', () => {
  let freeAtMs = 0;
  const spans = arrivals(8, 3).flatMap((startMs, index) => {
    const queryStartMs = startMs + 1;
    const runMs = Math.max(queryStartMs, freeAtMs);
    freeAtMs = runMs + 60;
    return request(index, startMs, queryStartMs, freeAtMs);
  });
  const analysis = analyzeTraces(spans);
  // Growth with concurrency alone is no finding of its own (a starved machine shows it too)…
  assert.equal(analysis.findings.filter((finding) => finding.detector === 'queueing').length, 0);
  // …it re-attributes the slow query's time.
  const slow = analysis.findings.find((finding) => finding.detector === 'slow-query');
  assert.ok(slow);
  assert.equal(slow.evidence.details.uncontendedMs, 60);
  assert.equal(slow.evidence.counts.maxDurationMs, 60);
  assert.match(slow.title, /60 ms uncontended/);
  assert.equal(slow.confidence?.level, 'medium');
  assert.match(slow.fix, /serialisation point .* first/);
  // The saving it claims never exceeds the statement's own time (60 ms − the 1 ms target).
  assert.ok(slow.predictedSavingUs.p99 <= 59_000 && slow.predictedSavingUs.p50 <= 59_000, JSON.stringify(slow.predictedSavingUs));
});

test('parallel work that slows 30% beside others is not queueing; the slow query is the finding', () => {
  const spans = arrivals(8, 3).flatMap((startMs, index) => {
    const together = index % 4 !== 0;
    return request(index, startMs, startMs + 1, startMs + 1 + (together ? 78 : 60));
  });
  const analysis = analyzeTraces(spans);
  assert.equal(analysis.findings.filter((finding) => finding.detector === 'queueing').length, 0);
  const slow = analysis.findings.find((finding) => finding.detector === 'slow-query');
  assert.ok(slow);
  assert.equal(slow.evidence.details.uncontendedMs, undefined);
  assert.match(slow.fix, /index/);
});

test('a wait before the first child that grows with concurrency (one worker) is queueing', () => {
  let workerFreeMs = 0;
  const spans = arrivals(8, 3).flatMap((startMs, index) => {
    const queryStartMs = startMs + 1;
    const workStartMs = Math.max(queryStartMs + 0.2, workerFreeMs);
    workerFreeMs = workStartMs + 20;
    return request(index, startMs, queryStartMs, workerFreeMs + 0.3, { startMs: workStartMs, endMs: workerFreeMs });
  });
  const queue = analyzeTraces(spans).findings.find((finding) => finding.detector === 'queueing');
  assert.ok(queue);
  assert.equal(queue.evidence.details.evidence, 'gap');
  assert.match(queue.title, /waits for a worker/);
});
