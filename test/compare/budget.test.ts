/** Budgets: parsing (errors name the line), absolute, windowed and relative limits with exact expected values. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBudgetText, parseBudgetLine } from '../../src/compare/budget-file.js';
import { checkBudget } from '../../src/compare/budget.js';
import { logNormalLatencies, syntheticRun } from './synthetic-run.js';

/** 10 one-second intervals; /a answers in 1..100 ms (uniform ranks), /b in 50 ms; interval 7 is slow (500 ms). */
function run(id: string, errorsInA = 0, slowScale = 1) {
  return syntheticRun(
    id,
    Array.from({ length: 10 }, (_, i) => ({
      latenciesUs: {
        'GET /a': Array.from({ length: 100 }, (_, k) => (i === 7 ? 500_000 * slowScale : (k + 1) * 1000)),
        'GET /b': Array(100).fill(50_000),
      },
      errors: { 'GET /a': i === 0 ? errorsInA : 0 },
    })),
  );
}

test('budget lines parse into limits with units; bad lines name their field', () => {
  assert.deepEqual(parseBudgetLine('p99 < 200ms', 'f'), { kind: 'absolute', metric: 'p99', comparator: '<', value: 200_000 });
  assert.deepEqual(parseBudgetLine('errors < 0.1%', 'f'), { kind: 'absolute', metric: 'errors', comparator: '<', value: 0.001 });
  assert.deepEqual(parseBudgetLine('throughput >= 1000/s', 'f'), { kind: 'absolute', metric: 'throughput', comparator: '>=', value: 1000 });
  assert.deepEqual(parseBudgetLine('p99.9 <= 1s over every 10s window', 'f'), { kind: 'absolute', metric: 'p99.9', comparator: '<=', value: 1_000_000, windowMs: 10_000 });
  assert.deepEqual(parseBudgetLine('p99 regression < 5% at 95% confidence', 'f'), { kind: 'relative', metric: 'p99', maxRegression: 0.05, confidenceLevel: 0.95 });
  assert.throws(() => parseBudgetText('limits:\n  - p99 < 200ms\n  - p42 < 1s\n', 'b.yaml'), (error: Error) => /b\.yaml: limits\.1/.test(error.message));
  assert.throws(() => parseBudgetText('limits:\n  - errors < 5\n', 'b.yaml'), /b\.yaml: limits\.0: expected a percentage/);
  assert.throws(() => parseBudgetText('limit:\n  - p99 < 1s\n', 'b.yaml'), /unknown field "limit"/);
  assert.throws(() => parseBudgetText('{}', 'b.yaml'), /no limits/);
});

test('absolute and per-request limits: exact values, pass and fail', () => {
  const budget = parseBudgetText(
    ['limits:', '  - p50 < 51ms', '  - errors < 1%', '  - throughput >= 200/s', 'requests:', '  GET /b:', '    - max <= 50.1ms', '  GET /c:', '    - p99 < 1s'].join('\n'),
    'b.yaml',
  );
  const result = checkBudget(run('r', 5), budget);
  // 2000 requests: 900 of /a at 1..100 ms, 100 of /a at 500 ms, 1000 of /b at 50 ms → p50 (rank 1000) is 50 ms.
  assert.deepEqual(
    result.lines.map((line) => [line.passed, line.actual]),
    [
      [true, 'p50 = 50.0ms'],
      [true, 'errors = 0.250%'],
      [true, 'throughput = 200/s'],
      [true, 'max = 50.0ms'],
      [false, 'no request named "GET /c" in the run'],
    ],
  );
  assert.equal(result.passed, false);
  const failing = checkBudget(run('r', 30), parseBudgetText('limits:\n  - errors < 1%\n', 'b.yaml'));
  assert.equal(failing.passed, false);
  assert.equal(failing.lines[0]!.actual, 'errors = 1.500%');
});

test('windowed limit: GET /a meets p90 < 300ms over the whole run but not in every 1-s window', () => {
  const budget = parseBudgetText(['requests:', '  GET /a:', '    - p90 < 300ms', '    - p90 < 300ms over every 1s window', '    - p90 < 300ms over every 5s window'].join('\n'), 'b.yaml');
  const result = checkBudget(run('r'), budget);
  // Whole run: 900 requests at 1..100 ms and 100 at 500 ms → rank 900 = 100 ms. Second 7: all 100 at 500 ms
  // (500.2 ms: the top of its HdrHistogram bucket, 3 significant digits).
  // 5-s windows: 5–10 s holds 400 fast + 100 slow (20%) → rank 450 is a slow one; 0–5 s is all fast.
  assert.deepEqual(
    result.lines.map((line) => [line.passed, line.actual]),
    [
      [true, 'p90 = 100.0ms'],
      [false, 'worst 1s window (at 7s): p90 = 500.2ms; 1 of 10 windows over'],
      [false, 'worst 5s window (at 5s): p90 = 500.2ms; 1 of 2 windows over'],
    ],
  );
});

test('relative limit: needs a baseline; fails a demonstrable regression, passes noise', () => {
  const budget = parseBudgetText('limits:\n  - p50 regression < 5% at 95% confidence\n', 'b.yaml');
  assert.throws(() => checkBudget(run('r'), budget), /needs a baseline/);
  const lognormal = (id: string, seed: number, scale: number) =>
    syntheticRun(id, Array.from({ length: 10 }, (_, i) => ({ latenciesUs: { 'GET /': logNormalLatencies(300, seed * 100 + i, 10_000, 0.5, scale) } })));
  const base = lognormal('base', 1, 1);
  const same = checkBudget(lognormal('same', 2, 1), budget, base);
  assert.equal(same.passed, true, same.lines[0]!.actual);
  const slower = checkBudget(lognormal('slow', 3, 1.2), budget, base);
  assert.equal(slower.passed, false, slower.lines[0]!.actual);
  assert.match(slower.lines[0]!.actual, /^p50 \+\d+\.\d% vs baseline, 95% CI/);
});
