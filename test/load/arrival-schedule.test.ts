import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arrivals, parseSegment, phaseOffsetsUs, segmentUsers } from '../../src/load/arrival-schedule.js';
import { normalizeScenario, type Scenario } from '../../src/load/scenario.js';
import { badInput } from '../../src/core/errors.js';

const scenario = (phases: unknown[], requests: unknown[] = [{ url: 'http://127.0.0.1:1/' }]): Scenario => normalizeScenario({ requests, phases });

test('constant rate: exact intended times, phase offsets add up', () => {
  const times = [...arrivals(scenario([{ kind: 'constant', rate: 4, duration: '1s' }, { kind: 'constant', rate: 2, duration: '1s' }]))].map((a) => a.intendedUs);
  assert.deepEqual(times, [0, 250_000, 500_000, 750_000, 1_000_000, 1_500_000]);
});

test('ramp: arrival count is the integral of the rate and gaps shrink as the rate rises', () => {
  const offsets = [...phaseOffsetsUs({ kind: 'ramp', name: 'r', durationMs: 10_000, warmup: false, fromRatePerSec: 10, toRatePerSec: 30 })];
  // ∫0..10 (10 + 2t) dt = 200 arrivals.
  assert.equal(offsets.length, 200);
  assert.equal(offsets[0], 0);
  // The 10th arrival: 10t + t² = 10 → t = (−10 + √140)/2 s.
  assert.ok(Math.abs((offsets[10] ?? 0) - ((-10 + Math.sqrt(140)) / 2) * 1e6) < 1e-6);
  const firstGap = (offsets[1] ?? 0) - (offsets[0] ?? 0);
  const lastGap = (offsets[199] ?? 0) - (offsets[198] ?? 0);
  assert.ok(firstGap > 2.5 * lastGap);
});

test('poisson: seeded and reproducible, mean rate within 3% over 20k arrivals', () => {
  const phase = { kind: 'poisson' as const, name: 'p', durationMs: 20_000, warmup: false, ratePerSec: 1000, seed: 7 };
  const first = [...phaseOffsetsUs(phase)];
  const again = [...phaseOffsetsUs(phase)];
  assert.deepEqual(first, again);
  assert.ok(Math.abs(first.length - 20_000) < 600, `count ${first.length}`);
  const other = [...phaseOffsetsUs({ ...phase, seed: 8 })];
  assert.notDeepEqual(other.slice(0, 10), first.slice(0, 10));
  // Exponential gaps: the coefficient of variation is 1.
  const gaps = first.slice(1).map((t, i) => t - (first[i] ?? 0));
  const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
  const sd = Math.sqrt(gaps.reduce((a, b) => a + (b - mean) ** 2, 0) / gaps.length);
  assert.ok(Math.abs(sd / mean - 1) < 0.05, `cv ${sd / mean}`);
});

test('burst: on/off windows at their rates', () => {
  const offsets = [...phaseOffsetsUs({ kind: 'burst', name: 'b', durationMs: 2000, warmup: false, ratePerSec: 10, baseRatePerSec: 2, onMs: 500, offMs: 500 })];
  // Per second: 5 arrivals in the 500 ms on-window at 10/s, 1 in the off-window at 2/s.
  assert.deepEqual(offsets, [0, 100_000, 200_000, 300_000, 400_000, 500_000, 1_000_000, 1_100_000, 1_200_000, 1_300_000, 1_400_000, 1_500_000]);
});

test('segments: interleaved shares that together are exactly the whole schedule', () => {
  const whole = scenario(
    [
      { kind: 'poisson', rate: 300, duration: '2s', seed: 3 },
      { kind: 'ramp', from: 0, to: 200, duration: '1s' },
    ],
    [
      { name: 'a', url: 'http://127.0.0.1:1/a', weight: 3 },
      { name: 'b', url: 'http://127.0.0.1:1/b', weight: 1 },
    ],
  );
  const all = [...arrivals(whole)];
  const parts = [0, 1, 2].map((index) => [...arrivals(whole, { index, count: 3 })]);
  const union = parts.flat().sort((x, y) => x.index - y.index);
  assert.deepEqual(union, all);
  for (const [index, part] of parts.entries()) assert.ok(part.every((arrival) => arrival.index % 3 === index));
  // Shares differ by at most one arrival: each segment sees the same shape of load.
  const sizes = parts.map((part) => part.length);
  assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1);
  // The weighted mix follows the weights (3:1) within 5 points.
  const shareA = all.filter((arrival) => arrival.requestIndex === 0).length / all.length;
  assert.ok(Math.abs(shareA - 0.75) < 0.05, `share ${shareA}`);
});

test('closed users split across segments and --segment parsing', () => {
  assert.deepEqual(segmentUsers(5, { index: 1, count: 2 }), [1, 3]);
  assert.deepEqual(parseSegment('2/3', '--segment', badInput), { index: 1, count: 3 });
  assert.throws(() => parseSegment('4/3', '--segment', badInput), /--segment/);
  assert.throws(() => parseSegment('0/3', '--segment', badInput), /--segment/);
});

test('URL templates: values picked per request number, the same in every segment; bad templates named', async () => {
  const { compilePathTemplate } = await import('../../src/load/url-template.js');
  const templated = normalizeScenario({
    requests: [{ name: 'order', url: 'http://127.0.0.1:1/orders/{id}?c={customer}', vars: { id: { from: 1, to: 20 }, customer: ['a b', 'z'] } }],
    phases: [{ kind: 'constant', rate: 10, duration: '1s' }],
  });
  const request = templated.requests[0]!;
  assert.equal(request.url, 'http://127.0.0.1:1/orders/{id}?c={customer}');
  assert.equal(request.vars?.id?.length, 20);
  const render = compilePathTemplate('/orders/{id}?c={customer}', request.vars ?? {}, templated.seed)!;
  const paths = Array.from({ length: 2000 }, (_, n) => render(n));
  assert.deepEqual(paths, Array.from({ length: 2000 }, (_, n) => render(n)));
  assert.ok(paths.every((path) => /^\/orders\/([1-9]|1\d|20)\?c=(a%20b|z)$/.test(path)));
  // All 20 ids and both customers are used, roughly evenly (100 each expected).
  const ids = new Map<string, number>();
  for (const path of paths) ids.set(path.split('?')[0]!, (ids.get(path.split('?')[0]!) ?? 0) + 1);
  assert.equal(ids.size, 20);
  assert.ok(Math.min(...ids.values()) > 60, `min ${Math.min(...ids.values())}`);
  const bad = (url: string, vars: Record<string, unknown>) => () => normalizeScenario({ requests: [{ url, vars }], phases: [{ kind: 'constant', rate: 1, duration: '1s' }] });
  assert.throws(bad('http://127.0.0.1:1/orders/{id}', {}), /requests\.0\.vars: no values for placeholder \{id\}/);
  assert.throws(bad('http://127.0.0.1:1/orders', { id: [1] }), /requests\.0\.vars\.id: not used/);
  assert.throws(bad('http://{host}/orders', { host: ['a'] }), /requests\.0\.url: placeholders may only appear/);
});
