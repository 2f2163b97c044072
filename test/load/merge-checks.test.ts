import { createHash } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/core/clock.js';
import { isPerfloopError } from '../../src/core/errors.js';
import type { RunFile } from '../../src/core/run-file.js';
import { scenarioHash } from '../../src/core/scenario-hash.js';
import { checkAlignment, firstDifference, mergeRuns } from '../../src/load/merge-runs.js';
import { runLoad } from '../../src/load/run-load.js';
import { normalizeScenario, type ScenarioInput } from '../../src/load/scenario.js';
import { segmentFromEnvironment } from '../../src/load/segment-auto.js';
import { checkStartAt, parseStartAt, scheduleOriginMs, startRecord } from '../../src/load/start-at.js';
import { driveUntilSettled, SimulatedTarget } from '../helpers/simulated-target.js';

const input: ScenarioInput = {
  requests: [{ name: 'a', url: 'http://127.0.0.1:1/a', weight: 2 }, { name: 'b', url: 'http://127.0.0.1:1/b' }],
  phases: [{ kind: 'poisson', rate: 200, duration: '2s', seed: 6 }],
};

async function segmentRun(segment: { index: number; count: number }, scenarioInput: ScenarioInput = input): Promise<RunFile> {
  const clock = new FakeClock(0);
  const target = new SimulatedTarget(clock, { serviceTimeUs: 3000 });
  return driveUntilSettled(clock, runLoad(normalizeScenario(scenarioInput), { segment, clock, sender: target }));
}

/** The run as `--start-at` would have recorded it. */
const startedAt = (run: RunFile, requestedMs: number, originMs = requestedMs): RunFile => ({ ...run, start: startRecord(requestedMs, originMs) });

function refusal(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    assert.ok(isPerfloopError(error), String(error));
    assert.equal(error.code, 'BAD_INPUT');
    return error.message;
  }
  assert.fail('expected a refusal');
}

test('segments of one schedule merge; the record says what was merged', async () => {
  const parts = await Promise.all([2, 0, 1].map((index) => segmentRun({ index, count: 3 })));
  const T = Date.UTC(2026, 11, 1, 14);
  const merged = mergeRuns(parts.map((run) => startedAt(run, T)), ['c.json', 'a.json', 'b.json']);
  assert.equal(merged.merge?.kind, 'segments');
  assert.deepEqual(merged.merge?.parts.map((part) => [part.source, part.segment.index]), [['a.json', 0], ['b.json', 1], ['c.json', 2]]);
  assert.deepEqual(merged.merge?.warnings, []);
  assert.equal(merged.scenarioHash, parts[0]?.scenarioHash);
  assert.deepEqual(merged.start, { requestedAt: '2026-12-01T14:00:00.000Z', actualAt: '2026-12-01T14:00:00.000Z', lateMs: 0 });
  assert.deepEqual(merged.environment.segment, { index: 0, count: 1 });
  assert.equal(merged.summary.total.count, parts.reduce((sum, run) => sum + run.summary.total.count, 0));
});

test('refused: different scenarios (other target, other rate), same file twice, a copy, missing and duplicate segments', async () => {
  const [s0, s1] = await Promise.all([segmentRun({ index: 0, count: 2 }), segmentRun({ index: 1, count: 2 })]);
  assert.ok(s0 && s1);
  const otherTarget = await segmentRun({ index: 1, count: 2 }, { ...input, requests: [{ name: 'a', url: 'http://127.0.0.2:1/a', weight: 2 }, { name: 'b', url: 'http://127.0.0.1:1/b' }] });
  assert.match(refusal(() => mergeRuns([s0, otherTarget], ['a.json', 'b.json'])), /^b\.json: runs a different scenario than a\.json \(requests\.0\.url: "http:\/\/127\.0\.0\.1:1\/a" vs "http:\/\/127\.0\.0\.2:1\/a"\)/);
  const otherRate = await segmentRun({ index: 1, count: 2 }, { ...input, phases: [{ kind: 'poisson', rate: 300, duration: '2s', seed: 6 }] });
  assert.match(refusal(() => mergeRuns([s0, otherRate], ['a.json', 'b.json'])), /phases\.0\.ratePerSec: 200 vs 300/);
  assert.match(refusal(() => mergeRuns([s0, s0], ['a.json', 'a.json'])), /^a\.json: given twice/);
  assert.match(refusal(() => mergeRuns([s0, { ...s0 }], ['a.json', 'copy.json'])), /^copy\.json: is the same run as a\.json/);
  const s0again = await segmentRun({ index: 0, count: 2 });
  assert.match(refusal(() => mergeRuns([s0, s0again], ['a.json', 'b.json'])), /^b\.json: segment 1\/2 appears twice \(a\.json and b\.json\)/);
  const third = await segmentRun({ index: 2, count: 3 });
  const first = await segmentRun({ index: 0, count: 3 });
  assert.match(refusal(() => mergeRuns([first, third], ['a.json', 'c.json'])), /^runs: segment 2\/3 missing: the merge needs all 3 segments of the schedule \(got 1\/3, 3\/3\)/);
  assert.match(refusal(() => mergeRuns([s0, third], ['a.json', 'c.json'])), /segment counts differ: a\.json is 1\/2, c\.json is 3\/3/);
  // A file whose scenario was edited after the run no longer matches its recorded hash.
  const edited = { ...s1, scenario: { ...s1.scenario, seed: 2 } };
  assert.match(refusal(() => mergeRuns([s0, edited], ['a.json', 'b.json'])), /^b\.json: its scenario does not match its recorded scenarioHash/);
  // And the two right ones merge.
  assert.equal(mergeRuns([s0, s1], ['a.json', 'b.json']).merge?.kind, 'segments');
});

test('whole runs are repeats: refused as segments, added with --repeats and said so', async () => {
  const [r1, r2] = await Promise.all([segmentRun({ index: 0, count: 1 }), segmentRun({ index: 0, count: 1 })]);
  assert.ok(r1 && r2);
  assert.match(refusal(() => mergeRuns([r1, r2], ['r1.json', 'r2.json'])), /these are 2 whole runs of one schedule, not segments i\/n: pass --repeats/);
  const merged = mergeRuns([r1, r2], ['r1.json', 'r2.json'], { repeats: true });
  assert.equal(merged.merge?.kind, 'repeats');
  assert.deepEqual(merged.merge?.warnings, ['2 repeats of one schedule added up: counts and rates are 2× one run\'s']);
  assert.equal(merged.summary.total.count, 2 * r1.summary.total.count);
  const [s0, s1] = await Promise.all([segmentRun({ index: 0, count: 2 }), segmentRun({ index: 1, count: 2 })]);
  assert.ok(s0 && s1);
  assert.match(refusal(() => mergeRuns([s0, s1], ['a.json', 'b.json'], { repeats: true })), /^--repeats: the inputs are segments \(1\/2, 2\/2\)/);
});

test('alignment: a different --start-at, a late segment or clocks an interval apart are refused; --allow-misaligned merges and says so', async () => {
  const [s0, s1] = await Promise.all([segmentRun({ index: 0, count: 2 }), segmentRun({ index: 1, count: 2 })]);
  assert.ok(s0 && s1);
  const T = Date.UTC(2026, 11, 1, 14);
  // Within an interval (1 s): fine.
  assert.deepEqual(checkAlignment([startedAt(s0, T), startedAt(s1, T, T + 900)], ['a', 'b']).problems, []);
  assert.match(refusal(() => mergeRuns([startedAt(s0, T), startedAt(s1, T + 60_000)], ['a.json', 'b.json'])), /segments not aligned: segments were given different --start-at times: 2026-12-01T14:00:00\.000Z, 2026-12-01T14:01:00\.000Z/);
  assert.match(refusal(() => mergeRuns([startedAt(s0, T), startedAt(s1, T, T + 2500)], ['a.json', 'b.json'])), /segment 2\/2 \(b\.json\) started 2\.500 s after its --start-at, more than one interval \(1 s\)/);
  assert.match(refusal(() => mergeRuns([startedAt(s0, T), s1], ['a.json', 'b.json'])), /only some segments were started with --start-at \(segment 2\/2 \(b\.json\) without\)/);
  const forced = mergeRuns([startedAt(s0, T), startedAt(s1, T, T + 2500)], ['a.json', 'b.json'], { allowMisaligned: true });
  assert.match(forced.merge?.warnings[0] ?? '', /^misaligned: segment 2\/2 \(b\.json\) started 2\.500 s after/);
  assert.ok(forced.health.reasons.some((reason) => reason.startsWith('misaligned:')));
  // No --start-at at all (segments started by hand): merged, with a warning when they began far apart.
  const apart = { ...s1, start: { actualAt: new Date(Date.parse(s0.start?.actualAt ?? '') + 5000).toISOString(), lateMs: 0 } };
  assert.match(mergeRuns([s0, apart], ['a.json', 'b.json']).merge?.warnings[0] ?? '', /^segments were not started together \(no --start-at\): their schedules began 5 s apart/);
});

test('scenario hash: canonical (key order does not matter), any change of the schedule changes it', () => {
  const scenario = normalizeScenario(input);
  const hash = scenarioHash(scenario);
  assert.match(hash, /^sha256:[0-9a-f]{64}$/);
  const reordered = Object.fromEntries(Object.entries(JSON.parse(JSON.stringify(scenario)) as Record<string, unknown>).reverse());
  assert.equal(scenarioHash(reordered), hash);
  assert.notEqual(scenarioHash({ ...scenario, seed: 2 }), hash);
  assert.notEqual(scenarioHash({ ...scenario, intervalMs: 500 }), hash);
  // RFC 8785 + SHA-256 of a known document, so other tools can recompute it.
  assert.equal(scenarioHash({ b: 1, a: [true, null, 'x'], c: { z: 0.5, y: 1e21 } }), `sha256:${createHash('sha256').update('{"a":[true,null,"x"],"b":1,"c":{"y":1e+21,"z":0.5}}').digest('hex')}`);
  assert.equal(firstDifference({ a: [1, 2] }, { a: [1, 3] }), 'a.1: 2 vs 3');
});

test('--segment auto: the 0-based index of an Indexed Job and the count from the manifest; every fault named, exit-2 kind', () => {
  assert.deepEqual(segmentFromEnvironment({ JOB_COMPLETION_INDEX: '0', PERFLOOP_SEGMENT_COUNT: '4' }), { index: 0, count: 4 });
  assert.deepEqual(segmentFromEnvironment({ JOB_COMPLETION_INDEX: '3', PERFLOOP_SEGMENT_COUNT: '4' }), { index: 3, count: 4 });
  const cases: [NodeJS.ProcessEnv, RegExp][] = [
    [{ PERFLOOP_SEGMENT_COUNT: '4' }, /^--segment auto: JOB_COMPLETION_INDEX: is not set \(Kubernetes sets it in the pods of an Indexed Job/],
    [{ JOB_COMPLETION_INDEX: '1' }, /^--segment auto: PERFLOOP_SEGMENT_COUNT: is not set/],
    [{ JOB_COMPLETION_INDEX: 'one', PERFLOOP_SEGMENT_COUNT: '4' }, /JOB_COMPLETION_INDEX: must be a non-negative integer, got "one"/],
    [{ JOB_COMPLETION_INDEX: '-1', PERFLOOP_SEGMENT_COUNT: '4' }, /JOB_COMPLETION_INDEX: must be a non-negative integer, got "-1"/],
    [{ JOB_COMPLETION_INDEX: '1', PERFLOOP_SEGMENT_COUNT: '2.5' }, /PERFLOOP_SEGMENT_COUNT: must be a non-negative integer, got "2.5"/],
    [{ JOB_COMPLETION_INDEX: '0', PERFLOOP_SEGMENT_COUNT: '0' }, /PERFLOOP_SEGMENT_COUNT: must be between 1 and 10000, got 0/],
    [{ JOB_COMPLETION_INDEX: '4', PERFLOOP_SEGMENT_COUNT: '4' }, /JOB_COMPLETION_INDEX: 4 is out of range for PERFLOOP_SEGMENT_COUNT=4 \(0\.\.3\)/],
  ];
  for (const [env, pattern] of cases) assert.match(refusal(() => segmentFromEnvironment(env)), pattern, JSON.stringify(env));
});

test('--start-at: ISO 8601 with a zone or epoch ms; past by more than an interval or a day ahead is refused', () => {
  const T = Date.UTC(2026, 11, 1, 14);
  assert.equal(parseStartAt('2026-12-01T14:00:00Z'), T);
  assert.equal(parseStartAt('2026-12-01T15:00:00.000+01:00'), T);
  assert.equal(parseStartAt(String(T)), T);
  assert.match(refusal(() => parseStartAt('2026-12-01T14:00:00')), /^--start-at: must be ISO 8601 with a time zone/);
  assert.match(refusal(() => parseStartAt('tomorrow')), /^--start-at: must be ISO 8601/);
  assert.match(refusal(() => parseStartAt(String(T / 1000))), /is not epoch milliseconds after 2000 \(seconds\? multiply by 1000\)/);
  assert.match(refusal(() => parseStartAt('2026-13-01T14:00:00Z')), /not a valid date/);
  assert.match(refusal(() => parseStartAt('2150-01-01T00:00:00Z')), /after 2100/);
  checkStartAt(T, T + 999, 1000);
  assert.match(refusal(() => checkStartAt(T, T + 1500, 1000)), /^--start-at: 2026-12-01T14:00:00\.000Z is 1\.500 s in the past, more than one interval \(1 s\)/);
  assert.match(refusal(() => checkStartAt(T + 25 * 3600_000, T, 1000)), /more than 24 h ahead/);
  // The origin: the requested instant, or the earliest possible one when it has passed.
  assert.equal(scheduleOriginMs(T, 20, T - 5000), T);
  assert.equal(scheduleOriginMs(T, 20, T + 300), T + 320);
  assert.deepEqual(startRecord(T, T + 320), { requestedAt: '2026-12-01T14:00:00.000Z', actualAt: '2026-12-01T14:00:00.320Z', lateMs: 320 });
});
