/** One contract suite for both history stores (SQLite file and in-memory), plus entries from run files. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { historyEntryOf, type HistoryEntry } from '../../src/compare/history-entry.js';
import { InMemoryHistoryStore, SqliteHistoryStore, type HistoryStore } from '../../src/compare/history-store.js';
import { analyzeHistory } from '../../src/compare/history-analysis.js';
import { syntheticRun } from './synthetic-run.js';

const entry = (runId: string, startedAt: string, p99Us: number, series = 'GET /'): HistoryEntry => ({
  runId,
  startedAt,
  series,
  count: 1000,
  throughputPerSec: 100,
  errorRate: 0.001,
  meanUs: 900,
  p50Us: 800,
  p90Us: 950,
  p99Us,
  p999Us: p99Us * 2,
  valid: runId !== 'bad',
  source: `${runId}.json`,
});

function contract(name: string, open: () => { store: HistoryStore; reopen?: () => HistoryStore; cleanup: () => void }): void {
  test(`${name}: add, replace by run id, list in start order, filter by series`, () => {
    const { store, reopen, cleanup } = open();
    try {
      assert.equal(store.add([entry('b', '2026-01-02T00:00:00Z', 2000), entry('a', '2026-01-01T00:00:00Z', 1000), entry('bad', '2026-01-03T00:00:00Z', 3000, 'POST /x')]), 3);
      store.add([entry('b', '2026-01-02T00:00:00Z', 2500)]);
      assert.deepEqual(store.list().map((row) => [row.runId, row.p99Us]), [['a', 1000], ['b', 2500], ['bad', 3000]]);
      assert.deepEqual(store.list('POST /x').map((row) => row.runId), ['bad']);
      assert.deepEqual(store.list()[0], entry('a', '2026-01-01T00:00:00Z', 1000));
      assert.equal(store.list()[2]!.valid, false);
      if (reopen) {
        store.close();
        const again = reopen();
        assert.deepEqual(again.list().map((row) => row.runId), ['a', 'b', 'bad']);
        again.close();
      } else store.close();
    } finally {
      cleanup();
    }
  });
}

contract('in-memory store', () => ({ store: new InMemoryHistoryStore(), cleanup: () => {} }));
contract('SQLite store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'perfloop-history-'));
  const path = join(dir, 'nested', 'history.db');
  return { store: new SqliteHistoryStore(path), reopen: () => new SqliteHistoryStore(path), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
});

test('history entry from a run file: exact counts, rates and percentiles; warm-up excluded', () => {
  const run = syntheticRun('r1', [
    { latenciesUs: { 'GET /a': [99_999] }, warmup: true },
    // Values below 2048 µs are kept exactly by the histogram (3 significant digits).
    { latenciesUs: { 'GET /a': [100, 200, 300, 400], 'GET /b': [500] }, errors: { 'GET /b': 1 } },
  ]);
  const row = historyEntryOf(run, 'r1.json');
  assert.equal(row.series, 'GET /a, GET /b');
  assert.equal(row.count, 5);
  assert.equal(row.throughputPerSec, 5);
  assert.equal(row.errorRate, 0.2);
  assert.equal(row.p50Us, 300);
  assert.equal(row.p99Us, 500);
  assert.equal(row.meanUs, 300);
});

test('history analysis flags the run where p99 stepped up 30%', () => {
  const store = new InMemoryHistoryStore();
  const values = [10, 10.2, 9.9, 10.1, 10, 9.8, 10.1, 10, 13, 13.1, 12.9, 13.2, 13, 12.8, 13.1, 13];
  store.add(values.map((ms, i) => entry(`run${String(i).padStart(2, '0')}`, `2026-01-${String(i + 1).padStart(2, '0')}T00:00:00Z`, ms * 1000)));
  const [analysis] = analyzeHistory(store.list(), 'p99Us');
  assert.equal(analysis!.changePoints.length, 1);
  assert.equal(analysis!.changePoints[0]!.runId, 'run08');
  assert.ok(Math.abs(analysis!.changePoints[0]!.relativeChange - 0.3) < 0.02);
});
