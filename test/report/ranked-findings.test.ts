import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SIGNALS_VERSION, type KvFinding, type RunFile } from '../../src/core/run-file.js';
import { renderHtmlReport } from '../../src/report/html-report.js';
import { rankedFindingsOf, renderRankedFindings } from '../../src/report/ranked-findings.js';
import { detectSignalFindings } from '../../src/signals/signal-findings.js';
import { syntheticRun } from './synthetic-run.js';

const LATENCY_MS = [10, 12, 20, 40, 80, 100];
/** Mean p99 over the intervals minus the best one: (262 / 6 − 10) ms. */
const RISE_US = (LATENCY_MS.reduce((a, b) => a + b, 0) / LATENCY_MS.length - 10) * 1000;

const traceFinding = (detector: string, p99SavingUs: number, confidence: 'high' | 'low' = 'high'): Record<string, unknown> => ({
  detector,
  title: `${detector} in orders`,
  where: { service: 'orders', operation: 'GET /orders' },
  evidence: { counts: { traces: 40 }, exampleTraceIds: [], exampleSpanIds: [], details: {} },
  shareOfRequests: 0.5,
  predictedSavingUs: { p50: 1000, p99: p99SavingUs },
  fix: 'batch the queries',
  tradeOff: 'one larger query',
  confidence: { level: confidence, because: [] },
});

function run(): RunFile {
  const analysis = {
    version: 1,
    traceCount: 100,
    spanCount: 400,
    duplicateSpans: 0,
    orphanSpans: 0,
    skewAdjustedSpans: 0,
    tracesWithClientLatency: 100,
    criticalPath: { byService: [], byOperation: [] },
    cohorts: [],
    findings: [traceFinding('n-plus-one', 40_000), traceFinding('slow-query', 5_000, 'low')],
  };
  const base = syntheticRun({ id: 'ranked', analysis, intervals: LATENCY_MS.map((ms) => ({ requests: { GET: { latenciesUs: Array.from({ length: 50 }, () => ms * 1000) } } })) });
  const cpu = [0.4, 0.6, 1.0, 1.4, 1.8, 1.9];
  const withSignals: RunFile = {
    ...base,
    environment: { ...base.environment, cpus: 2 },
    signals: {
      version: SIGNALS_VERSION,
      intervalMs: 1000,
      sources: [{ name: 'api', kind: 'process', target: 'pid:7', attempts: 7, failures: {}, badLines: 0, droppedSeries: 0, droppedMetrics: [] }],
      series: [
        { source: 'api', metric: 'process_cpu_user_seconds_total', labels: {}, kind: 'counter', rate: cpu },
        { source: 'api', metric: 'process_cpu_system_seconds_total', labels: {}, kind: 'counter', rate: cpu.map(() => 0) },
      ],
    },
  };
  return { ...withSignals, signals: { ...withSignals.signals!, findings: detectSignalFindings(withSignals) } };
}

test('trace and signal findings share one scale: p99 µs predicted saved or explained; ranked by it', () => {
  const subject = run();
  const [cpu] = subject.signals?.findings ?? [];
  assert.equal(cpu?.kind, 'cpu-saturation');
  // explainedP99Us = r² × the p99's mean rise above its best interval (histogram precision: 0.1%).
  assert.ok(Math.abs((cpu?.explainedP99Us ?? 0) - (cpu?.explainedShare ?? 0) * RISE_US) < RISE_US * 0.002, `${cpu?.explainedP99Us} vs ${(cpu?.explainedShare ?? 0) * RISE_US}`);
  assert.ok((cpu?.explainedP99Us ?? 0) > 25_000 && (cpu?.explainedP99Us ?? 0) < 33_700, String(cpu?.explainedP99Us));
  const ranked = rankedFindingsOf(subject);
  assert.deepEqual(ranked.map((finding) => [finding.rank, finding.origin, finding.kind]), [
    [1, 'trace', 'n-plus-one'],
    [2, 'signal', 'cpu-saturation'],
    [3, 'trace', 'slow-query'],
  ]);
  assert.equal(ranked[0]?.p99Us, 40_000);
  assert.equal(ranked[1]?.p99Us, cpu?.explainedP99Us);
  assert.match(ranked[1]?.where ?? '', /^CPU of api \(pid:7\)$/);
  assert.match(ranked[1]?.evidence ?? '', /95% of 2 cores.*explains \d+% of the client p99's variation/);

  // A file written before explainedP99Us existed ranks the same (the value is recomputed from its intervals).
  const old: RunFile = { ...subject, signals: { ...subject.signals!, findings: subject.signals!.findings!.map(({ explainedP99Us: _drop, ...rest }) => rest) } };
  assert.deepEqual(rankedFindingsOf(old).map((finding) => finding.p99Us), ranked.map((finding) => finding.p99Us));

  const text = renderRankedFindings(ranked);
  assert.match(text, / 1\. {2,}40\.0ms p99 {2}\[trace: n-plus-one\] orders GET \/orders/);
  assert.match(text, / 3\. .*\[trace: slow-query\].*\(low confidence\)/);

  const html = renderHtmlReport({ runs: [subject] });
  const order = [...html.matchAll(/data-ranked="([^"]+)"/g)].map((match) => match[1]);
  assert.deepEqual(order, ['trace:n-plus-one', 'signal:cpu-saturation', 'trace:slow-query']);
});

test('a kv-lab run: its kv findings come first, named by node, without a p99 value; text and HTML alike', () => {
  const subject = run();
  const kvFindings: KvFinding[] = [
    { culprit: 'cpu', node: 'leader kv0', member: 'kv0', evidence: 'it may run on 1 of 2 CPUs', labFix: 'cpu=0', fix: 'give kv0 its own cores', tradeOff: 'dedicated cores cost capacity', tier: 1, severity: 1.8 },
    { culprit: 'gc', node: 'leader kv0', member: 'kv0', evidence: '21.5 GC cycles/s', labFix: 'gc=0', fix: 'GOGC=100', tradeOff: 'a larger heap', tier: 2, severity: 2.5 },
  ];
  const withKv: RunFile = { ...subject, signals: { ...subject.signals!, kvFindings } };
  const ranked = rankedFindingsOf(withKv);
  assert.deepEqual(ranked.map((finding) => [finding.rank, finding.origin, finding.kind, finding.where]), [
    [1, 'kv', 'cpu', 'leader kv0'],
    [2, 'kv', 'gc', 'leader kv0'],
    [3, 'trace', 'n-plus-one', 'orders GET /orders'],
    [4, 'signal', 'cpu-saturation', 'CPU of api (pid:7)'],
    [5, 'trace', 'slow-query', 'orders GET /orders'],
  ]);
  assert.equal(ranked[0]?.p99Us, undefined);
  assert.equal(ranked[0]?.fix, 'give kv0 its own cores (kv lab: cpu=0)');
  assert.match(renderRankedFindings(ranked), / 1\. {9}— p99 {2}\[kv: cpu\] leader kv0\n/);

  // Only kv findings (a kv run has no traces, and the generic detectors may find nothing): the section is drawn.
  const kvOnly: RunFile = { ...withKv, traces: undefined, signals: { ...withKv.signals!, findings: [] } };
  const html = renderHtmlReport({ runs: [kvOnly] });
  assert.deepEqual([...html.matchAll(/data-ranked="([^"]+)"/g)].map((match) => match[1]), ['kv:cpu', 'kv:gc']);
  assert.match(html, /<td>leader kv0<br><small>it may run on 1 of 2 CPUs<\/small><\/td>/);
});
