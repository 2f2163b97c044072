import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/core/clock.js';
import { aggregateIntervals, summarizeIntervals } from '../../src/core/run-aggregate.js';
import { normalizeScenario } from '../../src/load/scenario.js';
import { runLoad } from '../../src/load/run-load.js';
import { mergeRuns } from '../../src/load/merge-runs.js';
import { MAX_WAITING_REQUESTS } from '../../src/load/segment-runner.js';
import { driveUntilSettled, runSegmentIntervals, SimulatedTarget } from '../helpers/simulated-target.js';

const START_US = 1_000_000;

test('open model: every request is sent at its exact intended time and timed from it', async () => {
  const clock = new FakeClock(0);
  const target = new SimulatedTarget(clock, { serviceTimeUs: 5000 });
  const scenario = normalizeScenario({ requests: [{ url: 'http://127.0.0.1:1/' }], phases: [{ kind: 'constant', rate: 100, duration: '2s' }] });
  const result = await driveUntilSettled(clock, runSegmentIntervals({ scenario, segment: { index: 0, count: 1 }, clock, sender: target, startUs: START_US, runTraceId: 'ab'.repeat(8), traceSampleRate: 1 }));
  assert.equal(target.sentAtUs.length, 200);
  target.sentAtUs.forEach((sentUs, index) => assert.equal(sentUs, START_US + index * 10_000));
  const summary = summarizeIntervals(result.intervals);
  assert.equal(summary.total.count, 200);
  // 5 ms exactly, at the histogram's 3-significant-digit resolution.
  assert.ok(Math.abs(summary.total.latency.p50Us - 5000) <= 5);
  assert.ok(Math.abs(summary.total.latency.maxUs - 5000) <= 5);
  assert.equal(result.intervals.length, 2);
  assert.deepEqual(result.intervals.map((interval) => interval.scheduled), [100, 100]);
  // Every request carries a sampled traceparent whose ids are kept as trace samples.
  assert.match(target.headers[0]?.[1] ?? '', /^00-abababababababab0000000000000000-[0-9a-f]{16}-01$/);
  assert.equal(result.samples.length, 200);
  assert.equal(result.samples.find((sample) => sample.intendedStartMs === 30)?.latencyUs, 5000);
  // Each sample carries the generator's own lateness: on a fake clock every request goes out on time.
  assert.deepEqual([...new Set(result.samples.map((sample) => sample.lagUs))], [0]);
});

test('coordinated omission: a 1 s freeze shows in latency (from intended start), not only in service time', async () => {
  const clock = new FakeClock(0);
  // The target freezes from 1 s to 2 s into the run; requests arriving then complete at 2 s + 5 ms.
  const target = new SimulatedTarget(clock, { serviceTimeUs: 5000, freeze: [START_US + 1e6, START_US + 2e6] });
  const scenario = normalizeScenario({ requests: [{ url: 'http://127.0.0.1:1/' }], phases: [{ kind: 'constant', rate: 100, duration: '4s' }] });
  const result = await driveUntilSettled(clock, runSegmentIntervals({ scenario, segment: { index: 0, count: 1 }, clock, sender: target, startUs: START_US, runTraceId: 'cd'.repeat(8), traceSampleRate: 0 }));
  // The truth: 300 requests take 5 ms; the 100 sent at 1.00, 1.01, …, 1.99 s take 2.005 s − t.
  const truthMs = [...Array.from({ length: 300 }, () => 5), ...Array.from({ length: 100 }, (_, k) => 2005 - (1000 + 10 * k))].sort((a, b) => a - b);
  const exactPercentileMs = (p: number): number => truthMs[Math.ceil((p / 100) * truthMs.length) - 1] ?? NaN;
  const { total } = aggregateIntervals(result.intervals);
  assert.equal(total.count, 400);
  for (const p of [50, 90, 99, 99.9]) {
    const measuredMs = total.latency.percentileUs(p) / 1000;
    assert.ok(Math.abs(measuredMs - exactPercentileMs(p)) / exactPercentileMs(p) < 0.002, `p${p}: ${measuredMs} vs ${exactPercentileMs(p)}`);
  }
  // Sent on schedule even while the target was frozen (open loop): lag stays 0.
  assert.equal(target.sentAtUs.length, 400);
  assert.equal(target.sentAtUs[150], START_US + 1_500_000);
});

test('closed model: users wait for responses; throughput = users / (service + think)', async () => {
  const clock = new FakeClock(0);
  const target = new SimulatedTarget(clock, { serviceTimeUs: 10_000 });
  const scenario = normalizeScenario({ requests: [{ url: 'http://127.0.0.1:1/' }], phases: [{ kind: 'closed', users: 4, thinkTime: '10ms', duration: '1s' }] });
  const result = await driveUntilSettled(clock, runSegmentIntervals({ scenario, segment: { index: 0, count: 1 }, clock, sender: target, startUs: START_US, runTraceId: 'ef'.repeat(8), traceSampleRate: 0 }), 500);
  const { total } = aggregateIntervals(result.intervals);
  // Each user completes one request every 20 ms: 50 per user in 1 s.
  assert.equal(total.count, 200);
  assert.ok(Math.abs(total.latency.percentileUs(50) - 10_000) <= 10);
});

test('status and error kinds are counted; unexpected statuses are errors', async () => {
  const clock = new FakeClock(0);
  const target = new SimulatedTarget(clock, { serviceTimeUs: 1000, status: 503 });
  const scenario = normalizeScenario({ requests: [{ url: 'http://127.0.0.1:1/' }], phases: [{ kind: 'constant', rate: 10, duration: '1s' }] });
  const result = await driveUntilSettled(clock, runSegmentIntervals({ scenario, segment: { index: 0, count: 1 }, clock, sender: target, startUs: START_US, runTraceId: '01'.repeat(8), traceSampleRate: 0 }));
  const { total } = aggregateIntervals(result.intervals);
  assert.deepEqual(total.statuses, { '503': 10 });
  assert.deepEqual(total.errors, { unexpected_status: 10 });
  assert.equal(total.ok, 0);
});

test('n segments merged equal one run of the whole schedule (exact histogram add)', async () => {
  const scenario = normalizeScenario({
    requests: [{ name: 'a', url: 'http://127.0.0.1:1/a', weight: 2 }, { name: 'b', url: 'http://127.0.0.1:1/b' }],
    phases: [{ kind: 'poisson', rate: 300, duration: '2s', seed: 11 }],
  });
  // Service time depends on the send time only, so the same arrival gets the same latency in any segment.
  const drive = async (segment: { index: number; count: number }) => {
    const clock = new FakeClock(0);
    const target = new SimulatedTarget(clock, { serviceTimeUs: 2000, freeze: [START_US + 500_000, START_US + 700_000] });
    return driveUntilSettled(clock, runLoad(scenario, { segment, clock, sender: target }));
  };
  const whole = await drive({ index: 0, count: 1 });
  const parts = await Promise.all([0, 1, 2].map((index) => drive({ index, count: 3 })));
  const merged = mergeRuns(parts, ['s1', 's2', 's3']);
  assert.equal(merged.summary.total.count, whole.summary.total.count);
  assert.deepEqual(merged.summary.total.latency, whole.summary.total.latency);
  assert.deepEqual(merged.summary.byRequest, whole.summary.byRequest);
  const wholeTotals = aggregateIntervals(whole.intervals).total;
  const mergedTotals = aggregateIntervals(merged.intervals).total;
  assert.deepEqual(mergedTotals.latency.buckets(), wholeTotals.latency.buckets());
});

test('the last interval spans the drain, so throughput is counted over the time the requests took', async () => {
  const clock = new FakeClock(0);
  const target = new SimulatedTarget(clock, { serviceTimeUs: 500_000 });
  const scenario = normalizeScenario({ requests: [{ url: 'http://127.0.0.1:1/' }], phases: [{ kind: 'constant', rate: 10, duration: '1s' }] });
  const result = await driveUntilSettled(clock, runSegmentIntervals({ scenario, segment: { index: 0, count: 1 }, clock, sender: target, startUs: START_US, runTraceId: '02'.repeat(8), traceSampleRate: 0 }));
  // The last of 10 requests is intended at 0.9 s and ends at 1.4 s: one interval, 1.4 s long (to the fake clock's 1 ms step).
  assert.equal(result.intervals.length, 1);
  const durationMs = result.intervals[0]?.durationMs ?? 0;
  assert.ok(durationMs >= 1400 && durationMs <= 1401, `duration ${durationMs}`);
  const summary = summarizeIntervals(result.intervals);
  assert.equal(summary.total.count, 10);
  assert.ok(Math.abs(summary.total.throughputPerSec - 10 / 1.4) < 0.01, `rate ${summary.total.throughputPerSec}`);
});

test('a backlog the target never takes stops the schedule at the waiting limit, not at the end of memory', async () => {
  const clock = new FakeClock(0);
  // A target that takes nothing: every request waits for a connection (as with all connections stuck).
  let handedOver = 0;
  const stuck = {
    send: () => void handedOver++,
    waiting: () => handedOver,
    close: () => Promise.resolve(),
  };
  // 500,000/s for 10 s would queue 5,000,000 requests; the limit is reached after about half a second.
  const scenario = normalizeScenario({ requests: [{ url: 'http://127.0.0.1:1/', timeout: '1s' }], phases: [{ kind: 'constant', rate: 500_000, duration: '10s' }] });
  const result = await driveUntilSettled(clock, runSegmentIntervals({ scenario, segment: { index: 0, count: 1 }, clock, sender: stuck, startUs: START_US, runTraceId: 'ef'.repeat(8), traceSampleRate: 0, stopDrainMs: 10 }), 1000, 30e6);
  assert.equal(result.scheduleCut, 'backlog');
  assert.ok(handedOver > MAX_WAITING_REQUESTS && handedOver <= MAX_WAITING_REQUESTS + 128, `handed over ${handedOver}`);
  assert.equal(result.inFlightAtEnd, handedOver);
  assert.ok(clock.nowUs() < START_US + 2_000_000, `stopped at ${clock.nowUs()} µs`);
});
