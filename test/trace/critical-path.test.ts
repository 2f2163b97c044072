import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildTraceTree, buildTraceTrees } from '../../src/trace/span-tree.js';
import { criticalPath, criticalPathDurationNs, criticalPathTimeByOperation } from '../../src/trace/critical-path.js';
import { retimeTree } from '../../src/trace/retime-trace.js';
import { BASE_NS, buildSpans, hexId, type SpanSpec } from './trace-builder.js';

// Compiled to dist/test/trace; the fixtures stay in the source tree.
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../../test/trace/fixtures/golden');

interface Golden {
  spans: SpanSpec[];
  expected: { durationMs: number; path: Array<[string, number, number]>; skewShiftMs?: Record<string, number>; orphans?: number };
}

const nsToMs = (ns: number, originNs: bigint): number => (Number(originNs - BASE_NS) + ns) / 1e6;

for (const file of readdirSync(FIXTURES).filter((name) => name.endsWith('.json'))) {
  test(`golden critical path: ${file}`, () => {
    const golden = JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as Golden;
    const tree = buildTraceTree(buildSpans(file, golden.spans));
    const path = criticalPath(tree);
    const byHex = new Map(golden.spans.map((spec) => [hexId(spec.id), spec.id]));
    const actual = path.sections.map((section) => [byHex.get(section.spanId), nsToMs(section.startNs, path.originNs), nsToMs(section.endNs, path.originNs)]);
    assert.deepEqual(actual, golden.expected.path);
    assert.equal(criticalPathDurationNs(path) / 1e6, golden.expected.durationMs);
    const shifts = Object.fromEntries(tree.skewAdjustments.map((adjustment) => [byHex.get(adjustment.spanId), adjustment.shiftNs / 1e6]));
    assert.deepEqual(shifts, golden.expected.skewShiftMs ?? {});
    assert.equal(tree.orphanSpans, golden.expected.orphans ?? 0);
  });
}

test('duplicate span ids: the first is kept and the rest counted', () => {
  const spans = buildSpans('dup', [
    { id: 'A', start: 0, end: 50 },
    { id: 'B', parent: 'A', start: 10, end: 20 },
    { id: 'B', parent: 'A', start: 30, end: 45 },
  ]);
  const tree = buildTraceTree(spans);
  assert.equal(tree.duplicateSpans, 1);
  assert.equal(tree.byId.size, 2);
  assert.equal(tree.byId.get(hexId('B'))!.startNs, 10e6);
});

test('a parent cycle is broken instead of losing the spans', () => {
  const spans = buildSpans('cycle', [
    { id: 'A', parent: 'B', start: 0, end: 50 },
    { id: 'B', parent: 'A', start: 10, end: 20 },
    { id: 'R', start: 0, end: 60 },
  ]);
  const tree = buildTraceTree(spans);
  assert.equal(tree.roots.length, 2);
  const path = criticalPath(tree);
  assert.equal(criticalPathDurationNs(path), 60e6);
});

test('traces are grouped by trace id, and exclusive time per operation sums to the path length', () => {
  const spans = [
    ...buildSpans('t1', [
      { id: 'A', name: 'GET /x', start: 0, end: 100 },
      { id: 'B', parent: 'A', name: 'SELECT', start: 20, end: 60 },
    ]),
    ...buildSpans('t2', [
      { id: 'A', name: 'GET /x', start: 0, end: 30 },
      { id: 'B', parent: 'A', name: 'SELECT', start: 5, end: 15 },
    ]),
  ];
  const trees = buildTraceTrees(spans);
  assert.equal(trees.length, 2);
  const times = criticalPathTimeByOperation(trees.map(criticalPath));
  assert.deepEqual(
    times.map((entry) => [entry.operation, entry.timeNs / 1e6]),
    [
      ['GET /x', 80],
      ['SELECT', 50],
    ],
  );
});

test('retime: an empty plan reproduces every node time exactly', () => {
  const golden = JSON.parse(readFileSync(join(FIXTURES, 'overlap.json'), 'utf8')) as Golden;
  const tree = buildTraceTree(buildSpans('rt', golden.spans));
  const retimed = retimeTree(tree, {});
  for (const [id, node] of tree.byId) {
    assert.equal(retimed.byId.get(id)!.startNs, node.startNs);
    assert.equal(retimed.byId.get(id)!.endNs, node.endNs);
  }
});

const sequential: SpanSpec[] = [
  { id: 'A', start: 0, end: 100 },
  { id: 'q1', parent: 'A', start: 10, end: 30 },
  { id: 'q2', parent: 'A', start: 30, end: 50 },
  { id: 'q3', parent: 'A', start: 55, end: 85 },
];

test('retime: removing a span shifts the work that waited for it, and the parent end', () => {
  const tree = buildTraceTree(buildSpans('rm', sequential));
  const retimed = retimeTree(tree, { remove: new Set([hexId('q2')]) });
  assert.equal(retimed.byId.has(hexId('q2')), false);
  assert.equal(retimed.byId.get(hexId('q3'))!.startNs, 35e6);
  assert.equal(retimed.byId.get(hexId('A'))!.endNs, 80e6);
  assert.equal(criticalPathDurationNs(criticalPath(retimed)), 80e6);
});

test('retime: running three sequential calls in parallel saves sum − max', () => {
  const tree = buildTraceTree(buildSpans('par', sequential));
  const retimed = retimeTree(tree, { parallel: [[hexId('q1'), hexId('q2'), hexId('q3')]] });
  // Durations 20 + 20 + 30 (+ 5 ms gap before q3, kept) → all start at 10; the parent waits for q3 (ends 40) + 15 ms tail.
  assert.equal(retimed.byId.get(hexId('q3'))!.startNs, 10e6);
  assert.equal(retimed.byId.get(hexId('A'))!.endNs, 55e6);
});

test('retime: a shorter duration moves later siblings earlier by the difference', () => {
  const tree = buildTraceTree(buildSpans('dur', sequential));
  const retimed = retimeTree(tree, { durationNs: new Map([[hexId('q1'), 5e6]]) });
  assert.equal(retimed.byId.get(hexId('q2'))!.startNs, 15e6);
  assert.equal(retimed.byId.get(hexId('A'))!.endNs, 85e6);
});

test('retime: trimming a tail shortens only the own time after the last child, and never more than there is', () => {
  const tree = buildTraceTree(buildSpans('tail', sequential));
  // A's tail after q3 (ends 85) is 15 ms: a share of 2/3 takes 10 ms; a share of 1.5 of q3 (a leaf) takes its whole 30.
  const retimed = retimeTree(tree, { trimTailShare: new Map([[hexId('A'), 2 / 3], [hexId('q3'), 1.5]]) });
  assert.equal(retimed.byId.get(hexId('q3'))!.endNs, 55e6);
  assert.equal(retimed.byId.get(hexId('A'))!.endNs, 60e6);
  assert.equal(retimed.byId.get(hexId('q2'))!.endNs, 50e6);
});

test('a 20,000-level deep trace is analysed without overflowing the stack', () => {
  // Span i runs from i µs to (40,000 − i) µs; the innermost span is the last on the way down.
  const depth = 20_000;
  const spans = Array.from({ length: depth }, (_, i) => ({
    traceId: '0'.repeat(31) + '1',
    spanId: (i + 1).toString(16).padStart(16, '0'),
    ...(i > 0 ? { parentSpanId: i.toString(16).padStart(16, '0') } : {}),
    name: `level ${i}`,
    kind: 'internal' as const,
    service: 'svc',
    startNs: BigInt(i) * 1000n,
    endNs: BigInt(2 * depth - i) * 1000n,
    status: 'ok' as const,
    attributes: {},
    links: [],
  }));
  const path = criticalPath(buildTraceTree(spans));
  assert.equal(criticalPathDurationNs(path), 40_000_000);
  // Every level contributes 1 µs on the way down and 1 µs on the way up, the innermost its 2 µs.
  assert.equal(path.sections.length, 2 * depth - 1);
});
