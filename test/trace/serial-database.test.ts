import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeTraces } from '../../src/trace/analyze-traces.js';
import { slowQueryDetector } from '../../src/trace/detectors/slow-query.js';
import { callKey, inferSerialDatabase, relievedDurations } from '../../src/trace/serial-database.js';
import { buildTraceTrees } from '../../src/trace/span-tree.js';
import { dbRequest, hexId, traceIdFor } from './trace-builder.js';

const key = (trace: string): string => callKey(traceIdFor(trace), hexId('q'));

// Three calls on one server: a (0–10 ms) serves 10 ms; b arrives at 2, waits for a, serves 5 (ends 15); c arrives
// at 4, waits for both, serves 3 (ends 18).
const threeCalls = () =>
  buildTraceTrees([...dbRequest('a', 0, 10, 'SELECT * FROM a'), ...dbRequest('b', 2, 15, 'SELECT * FROM b'), ...dbRequest('c', 4, 18, 'SELECT * FROM c')]);

test('the serial database: service times from the departures, in the order the server served them', () => {
  const database = inferSerialDatabase(threeCalls());
  assert.deepEqual(
    database.calls.map((call) => [call.key, call.arrivalNs, call.serviceNs]),
    [
      [key('a'), 0, 10e6],
      [key('b'), 2e6, 5e6],
      [key('c'), 4e6, 3e6],
    ],
  );
});

test('the serial database replayed without work: later calls lose the wait it caused, earlier ones keep theirs', () => {
  const database = inferSerialDatabase(threeCalls());
  // a gone: b serves at once (2–7 ms), c after it (7–10 ms).
  assert.deepEqual(relievedDurations(database, { removed: new Set([key('a')]), durationNs: new Map() }), new Map([[key('b'), 5e6], [key('c'), 6e6]]));
  // a indexed to 4 ms: a 0–4, b 4–9, c 9–12.
  assert.deepEqual(
    relievedDurations(database, { removed: new Set(), durationNs: new Map([[key('a'), 4e6]]) }),
    new Map([[key('a'), 4e6], [key('b'), 7e6], [key('c'), 8e6]]),
  );
  // b gone: a, served before it, is untouched (left out); c waits for a only (10–13 ms).
  assert.deepEqual(relievedDurations(database, { removed: new Set([key('b')]), durationNs: new Map() }), new Map([[key('c'), 9e6]]));
  // Nothing taken off: no duration changes.
  assert.deepEqual(relievedDurations(database, { removed: new Set(), durationNs: new Map() }), new Map());
});

test('a call that goes takes only its statement\'s typical service with it: a stall of the server during it stays', () => {
  // Three executions of one 2 ms statement, the third stalled to 20 ms (10–30); d arrived at 12 and waited for it.
  const trees = buildTraceTrees([
    ...dbRequest('s1', 0, 2),
    ...dbRequest('s2', 5, 7),
    ...dbRequest('s3', 10, 30),
    ...dbRequest('d', 12, 31, 'SELECT * FROM d'),
  ]);
  const database = inferSerialDatabase(trees);
  assert.deepEqual(
    database.calls.map((call) => [call.serviceNs, call.typicalServiceNs]),
    [
      [2e6, 2e6],
      [2e6, 2e6],
      [20e6, 2e6],
      [1e6, 1e6],
    ],
  );
  // s3 gone: 18 ms of the server's time stay (10–28), d runs 28–29 — 17 ms, not the 1 ms the whole 20 would give.
  assert.equal(relievedDurations(database, { removed: new Set([key('s3')]), durationNs: new Map() }).get(key('d')), 17e6);
});

test('a slow query on a serial database: its fix also frees the request queued behind it, in another trace', () => {
  // x's 60 ms scan (slow: over 50 ms); y's 5 ms lookup arrived at 10 ms and waited 50 ms behind it.
  const spans = [...dbRequest('x', 0, 60, 'SELECT * FROM orders WHERE email = 1'), ...dbRequest('y', 10, 65)];
  const alone = analyzeTraces(spans, { detectors: [slowQueryDetector] }).findings;
  const serial = analyzeTraces(spans, { detectors: [slowQueryDetector], serialDatabase: true }).findings;
  // Both cohorts hold both traces. Alone: x saves 59 ms, y nothing. Serial: x 0–1 ms, y served 10–15 ms, saving 50.
  assert.deepEqual(alone[0]?.predictedSavingUs, { p50: 29_500, p99: 29_500 });
  assert.deepEqual(serial[0]?.predictedSavingUs, { p50: 54_500, p99: 54_500 });
  // The finding still names only the trace that ran the slow statement.
  assert.deepEqual(serial[0]?.affectedTraceIds, [traceIdFor('x')]);
});

test('the queue may come from a wider window than the analysed traces: the other requests queue there too', () => {
  // z's scan arrives at 5 ms behind w's 20 ms statement (0–20) and runs 20–60. Indexed (1 ms), it still waits for w
  // when w is in the window (done at 20: saving 40 ms); analysed without w, the queue never saw it (saving 54 ms).
  const w = dbRequest('w', 0, 20, 'SELECT * FROM audit');
  const z = dbRequest('z', 5, 60, 'SELECT * FROM orders WHERE email = 1');
  const options = { detectors: [slowQueryDetector], serialDatabase: true, thresholds: { slowQueryMs: 30 } };
  assert.deepEqual(analyzeTraces(z, { ...options, windowSpans: [...w, ...z] }).findings[0]?.predictedSavingUs, { p50: 40_000, p99: 40_000 });
  assert.deepEqual(analyzeTraces(z, options).findings[0]?.predictedSavingUs, { p50: 54_000, p99: 54_000 });
});
