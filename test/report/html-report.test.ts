/**
 * The HTML report as a pure function: exact figures from golden run files, escaping, downsampling,
 * trace analysis, sweep and overlays. The browser test (html-report-browser.test.ts) checks the drawing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { renderHtmlReport } from '../../src/report/html-report.js';
import { writeReport } from '../../src/report/html-report-writer.js';
import { timelineOf } from '../../src/report/html/run-timeline.js';
import { aggregateDecoded, decodeIntervals } from '../../src/core/run-aggregate.js';
import { aggregateIntervals } from '../../src/core/run-aggregate.js';
import { spectrumOf } from '../../src/report/html/latency-spectrum.js';
import { penaltyReachedAt, uslThroughput } from '../../src/report/html/sweep-section.js';
import { escapeHtml } from '../../src/report/html/escape-html.js';
import { LatencyHistogram } from '../../src/histogram/latency-histogram.js';
import { reportCommand } from '../../src/cli/commands/report.js';
import { isPerfloopError } from '../../src/core/errors.js';
import { goldenRun, HOSTILE_NAME, sampleAnalysis, syntheticRun } from './synthetic-run.js';
import { sampleSweep } from './sweep-fixture.js';

/** The text of the element carrying `data-metric="name"` (its <dd>). */
function metricText(html: string, name: string): string {
  const match = new RegExp(`data-metric="${name}"[^>]*><dt>[^<]*</dt><dd>([^<]*)</dd>`).exec(html);
  assert.ok(match, `metric ${name} present`);
  return match[1]!;
}

function rowCells(html: string, requestAttr: string): string[] {
  const start = html.indexOf(`data-request="${requestAttr}"`);
  assert.ok(start >= 0, `row ${requestAttr} present`);
  const row = html.slice(start, html.indexOf('</tr>', start));
  return [...row.matchAll(/<t[dh][^>]*>([^<]*)<\/t[dh]>/g)].map((m) => m[1]!);
}

test('headline shows exact merged percentiles, throughput and errors, warm-up excluded', () => {
  const html = renderHtmlReport({ runs: [goldenRun()] });
  // 1,500 measured requests: 500 × 5 ms (POST /b) and 1..100 ms ten times each (GET /a), over 10 s.
  assert.equal(metricText(html, 'throughput'), '150/s');
  // Rank 750: ≤4 ms → 40, 5 ms → 510 (cum. 550), then 10 per ms: 550 + 10·20 = 750 → 25 ms.
  assert.equal(metricText(html, 'p50'), '25.0ms');
  // Rank 1485 falls in 99 ms (ranks 1481..1490).
  assert.equal(metricText(html, 'p99'), '99.0ms');
  assert.equal(metricText(html, 'p999'), '100.0ms');
  // The 10 s warm-up latencies are excluded: max is 100 ms.
  assert.equal(metricText(html, 'max'), '100.0ms');
  assert.equal(metricText(html, 'errors'), '2 (0.13%)');
  assert.match(html, /data-verdict="valid"/);
});

test('per-request table: exact counts, errors and percentiles per name', () => {
  const html = renderHtmlReport({ runs: [goldenRun()] });
  const a = rowCells(html, 'GET /a');
  // request, count, throughput, errors, error %, p50, p90, p99, p99.9, max, mean, service p99, statuses
  assert.deepEqual(a.slice(0, 10), ['GET /a', '1,000', '100/s', '0', '0.00', '50.0ms', '90.0ms', '99.0ms', '100.0ms', '100.0ms']);
  assert.equal(a[12], '200×1000');
  const b = rowCells(html, escapeHtml(HOSTILE_NAME));
  assert.deepEqual(b.slice(1, 8), ['500', '50/s', '2', '0.40', '5.00ms', '5.00ms', '5.00ms']);
  assert.equal(b[12], '200×498 500×2');
  const total = rowCells(html, 'all requests');
  assert.equal(total[1], '1,500');
});

test('strings from run files are escaped: no markup injection', () => {
  const run = goldenRun();
  const html = renderHtmlReport({ runs: [{ ...run, traces: { sampleRate: 1, samples: [], samplesCap: 1, analysis: sampleAnalysis() } }] });
  assert.ok(!html.includes('<img src=x'), 'request name not injected');
  assert.ok(!html.includes('<script>alert'), 'finding title not injected');
  assert.ok(!html.includes('<b>lag warning'), 'health reason not injected');
  assert.ok(html.includes('&lt;img src=x onerror=alert(1)&gt;'));
  assert.ok(html.includes('&lt;b&gt;lag warning&lt;/b&gt; &amp; co'));
  // Exactly one script element: the ready marker, pinned by the CSP hash.
  assert.equal(html.match(/<script>/g)?.length, 1);
  assert.match(html, /script-src 'sha256-[A-Za-z0-9+/=]+'/);
});

test('timeline merges intervals exactly when downsampling and keeps warm-up edges', () => {
  // 600 one-second intervals; interval i holds one request of (i + 1) ms.
  const run = syntheticRun({
    id: 'long',
    intervals: Array.from({ length: 600 }, (_, i) => ({ warmup: i < 3, requests: { r: { latenciesUs: [(i + 1) * 1000] } } })),
  });
  const buckets = timelineOf(run, 200);
  // 3 intervals per bucket; the 3 warm-up intervals form their own bucket, then 597 / 3 = 199.
  assert.equal(buckets.length, 200);
  assert.deepEqual(buckets.slice(0, 2).map((b) => [b.warmup, b.startMs, b.durationMs, b.count]), [[true, 0, 3000, 3], [false, 3000, 3000, 3]]);
  const single = (us: number): number => {
    const h = LatencyHistogram.empty();
    h.record(us);
    return h.percentileUs(99);
  };
  // Bucket 1 holds 4, 5, 6 ms: its p99 is the 6 ms request's bucket value, its p50 the 5 ms one.
  assert.equal(buckets[1]!.latencyP99Us, single(6000));
  assert.equal(buckets[1]!.latencyP50Us, single(5000));
  assert.equal(buckets[199]!.latencyMaxUs, LatencyHistogram.decode(run.intervals[599]!.requests.r!.latency).maxUs);
  assert.equal(timelineOf(run).length, 600);
});

test('spectrum: 81 points from p0 to p99.99 on the nines axis, values from the histogram', () => {
  const histogram = LatencyHistogram.empty();
  for (let ms = 1; ms <= 10_000; ms++) histogram.record(ms * 1000);
  const points = spectrumOf(histogram);
  assert.equal(points.length, 81);
  assert.deepEqual([points[0]!.percentile, points[20]!.percentile, points[40]!.percentile, points[80]!.percentile], [0, 90, 99, 99.99]);
  assert.equal(points[40]!.valueUs, histogram.percentileUs(99));
  assert.ok(Math.abs(points[40]!.valueUs - 9_900_000) <= 9_900_000 * 0.001);
  for (let i = 1; i < points.length; i++) assert.ok(points[i]!.valueUs >= points[i - 1]!.valueUs);
});

test('trace analysis: tiers for both cohorts, findings ranked by saving, critical path marked', () => {
  const html = renderHtmlReport({ runs: [syntheticRun({ id: 't', intervals: [{ requests: { r: { latenciesUs: [1000] } } }], analysis: sampleAnalysis() })] });
  assert.match(html, /data-cohort="p50"/);
  assert.match(html, /data-cohort="p99"/);
  assert.match(html, /data-findings="2"/);
  const first = html.indexOf('data-finding-rank="1"');
  assert.ok(html.indexOf('N+1 queries', first) < html.indexOf('Cache miss storm', first), 'bigger saving ranked first');
  assert.equal(html.match(/data-critical="true"/g)?.length, 3);
  assert.equal(html.match(/data-span-id=/g)?.length, 4);
  assert.match(html, /data-critical-sections="5"/);
  assert.match(html, /p99 −60\.0ms · p50 −6\.00ms · 90\.0% of requests affected/);
  assert.match(html, /queries: 41 · e\.g\. trace 0af7651916cd43dd8448eb211c80319c/);
  // Critical-path operations, largest first: SELECT orders (60%) before orders.list (40%).
  assert.ok(html.indexOf('>SELECT orders</td>') < html.indexOf('>orders.list</td>'));
  // The 80 ms postgres tier of the p99 cohort is 84% of its 95 ms.
  assert.ok(html.includes('p99 · postgres: 80.0ms (84%)'));
});

test('an unreadable trace analysis degrades to a note', () => {
  const html = renderHtmlReport({ runs: [syntheticRun({ id: 't', intervals: [{ requests: { r: { latenciesUs: [1000] } } }], analysis: { version: 1, findings: 'nope' } })] });
  assert.match(html, /cannot read \(traceCount: Required\)/);
});

test('sweep: USL curve, N* and regime bands', () => {
  const sweep = sampleSweep();
  assert.ok(sweep.fit?.kind === 'converged');
  // X(10) = 100·10 / (1 + 0.05·9 + 0.001·10·9) = 1000 / 1.54
  assert.ok(Math.abs(uslThroughput(sweep.fit, 10) - 649.350649) < 1e-5);
  // σ(N−1) + κN(N−1) = 0.1 → 0.001N² + 0.049N − 0.15 = 0 → N = (−0.049 + √0.003001) / 0.002 ≈ 2.89069
  assert.ok(Math.abs(penaltyReachedAt(0.05, 0.001, 0.1)! - 2.89069) < 1e-5);
  assert.equal(penaltyReachedAt(0.02, 0, 0.1), 6);
  assert.equal(penaltyReachedAt(0, 0, 0.1), null);
  const html = renderHtmlReport({ runs: [], sweep });
  assert.match(html, /data-chart="usl"/);
  assert.match(html, /N\* = 30\.8/);
  for (const regime of ['linear', 'contention', 'coherence (retrograde)']) assert.ok(html.includes(`>${regime}</text>`), regime);
  assert.equal(html.match(/<circle /g)?.length, 5);
});

test('two runs: overlays and a summary row per run', () => {
  const html = renderHtmlReport({ runs: [goldenRun('before'), goldenRun('after')] });
  assert.match(html, /data-chart="overlay-spectrum"/);
  assert.match(html, /data-chart="overlay-p99"/);
  assert.equal(html.match(/<tr data-run="/g)?.length, 2);
  assert.equal(html.match(/<article class="run"/g)?.length, 2);
});

test('rendering is pure: same inputs, same bytes', () => {
  const run = goldenRun();
  assert.equal(renderHtmlReport({ runs: [run] }), renderHtmlReport({ runs: [run] }));
});

test('writeReport and `perfloop report` write one file from run and sweep files', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'perfloop-report-'));
  const runPath = join(dir, 'run.json');
  const sweepPath = join(dir, 'sweep.json');
  await writeFile(runPath, JSON.stringify(goldenRun()));
  await writeFile(sweepPath, JSON.stringify(sampleSweep()));
  const written = await writeReport([runPath, sweepPath], join(dir, 'out', 'r.html'));
  const html = await readFile(written, 'utf8');
  assert.match(html, /data-chart="usl"/);
  assert.equal(metricText(html, 'p99'), '99.0ms');
  const out = join(dir, 'cli.html');
  const write = process.stdout.write;
  let printed = '';
  process.stdout.write = ((chunk: string) => ((printed += chunk), true)) as typeof process.stdout.write;
  try {
    assert.equal(await reportCommand.run([runPath, '-o', out]), 0);
  } finally {
    process.stdout.write = write;
  }
  assert.equal(printed, `${out}\n`);
  assert.equal(metricText(await readFile(out, 'utf8'), 'throughput'), '150/s');
  await assert.rejects(reportCommand.run([]), (error) => isPerfloopError(error) && error.code === 'BAD_INPUT');
  await writeFile(join(dir, 'bad.json'), '{"format":"perfloop-run"}');
  await assert.rejects(writeReport([join(dir, 'bad.json')], out), (error) => isPerfloopError(error) && error.code === 'BAD_INPUT');
});

test('aggregates from decoded intervals equal the core aggregates', () => {
  const run = goldenRun();
  const mine = aggregateDecoded(decodeIntervals(run.intervals));
  const core = aggregateIntervals(run.intervals);
  for (const [name, expected] of [['total', core.total], ...core.byRequest] as const) {
    const actual = name === 'total' ? mine.total : mine.byRequest.get(name)!;
    assert.deepEqual(
      [actual.count, actual.ok, actual.statuses, actual.errors, actual.latency.summary(), actual.serviceTime.summary()],
      [expected.count, expected.ok, expected.statuses, expected.errors, expected.latency.summary(), expected.serviceTime.summary()],
      name,
    );
  }
  assert.equal(mine.total.count, 1500);
  assert.deepEqual(mine.total.statuses, { '200': 1498, '500': 2 });
});

test('comparison verdicts: a candidate twice as slow on GET /a is a p99 regression', async () => {
  const base = goldenRun('before');
  const slower = syntheticRun({
    id: 'after',
    intervals: Array.from({ length: 10 }, () => ({ requests: { 'GET /a': { latenciesUs: Array.from({ length: 100 }, (_, i) => (i + 1) * 2000) }, [HOSTILE_NAME]: { latenciesUs: Array.from({ length: 50 }, () => 5000) } } })),
  });
  const dir = await mkdtemp(join(tmpdir(), 'perfloop-report-'));
  await writeFile(join(dir, 'before.json'), JSON.stringify(base));
  await writeFile(join(dir, 'after.json'), JSON.stringify(slower));
  const html = await readFile(await writeReport([join(dir, 'before.json'), join(dir, 'after.json')], join(dir, 'c.html')), 'utf8');
  assert.match(html, /data-comparison-verdict="regressed"/);
  const table = html.slice(html.indexOf('data-request="GET /a" data-verdict='), html.indexOf('</table>', html.indexOf('data-request="GET /a" data-verdict=')));
  assert.match(table, /data-verdict="regressed"/);
  // p99: 99 ms → 198 ms, +100.0%.
  assert.match(table, /<tr data-metric="p99"><td class="name">p99<\/td><td>99\.0ms<\/td><td>198\.0ms<\/td><td>\+100\.0%<\/td>/);
  // The unchanged request: every latency metric unchanged, same 5 ms.
  const hostile = html.slice(html.indexOf(`data-request="${escapeHtml(HOSTILE_NAME)}" data-verdict=`));
  assert.match(hostile, /^data-request="[^"]*" data-verdict="no significant change"/);
  await assert.rejects(writeReport([join(dir, 'before.json'), join(dir, 'after.json')], join(dir, 'c.html'), { baseRuns: 2 }), (error) => isPerfloopError(error) && error.field === '--base-runs');
});

test('degenerate runs render without NaN: no intervals, only warm-up, only errors', () => {
  const empty = syntheticRun({ id: 'empty', intervals: [] });
  const warmOnly = syntheticRun({ id: 'warm', intervals: [{ warmup: true, requests: { r: { latenciesUs: [1000, 2000] } } }] });
  const allErrors = syntheticRun({ id: 'errors', intervals: [{ requests: { r: { latenciesUs: [1000, 1000, 1000, 1000], errors: 4 } } }], valid: false, reasons: ['generator lag p99 12 ms > 10 ms'] });
  for (const run of [empty, warmOnly, allErrors]) {
    const html = renderHtmlReport({ runs: [run] });
    assert.ok(!/NaN|Infinity|undefined/.test(html), `${run.id}: no NaN/Infinity/undefined in the output`);
    assert.match(html, /data-chart="latency-0"/);
  }
  assert.equal(metricText(renderHtmlReport({ runs: [empty] }), 'throughput'), '0/s');
  assert.equal(metricText(renderHtmlReport({ runs: [warmOnly] }), 'p99'), '0µs');
  const invalid = renderHtmlReport({ runs: [allErrors] });
  assert.match(invalid, /data-verdict="invalid"/);
  assert.equal(metricText(invalid, 'errors'), '4 (100.00%)');
});

test('the perfloop binary: report prints the path (exit 0); no run file or a bad one exits 2 naming it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'perfloop-report-'));
  const runPath = join(dir, 'base.json');
  await writeFile(runPath, JSON.stringify(goldenRun()));
  const main = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
  const ok = spawnSync(process.execPath, [main, 'report', runPath], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(ok.stdout, `${join(dir, 'base.html')}\n`);
  assert.equal(metricText(await readFile(join(dir, 'base.html'), 'utf8'), 'p99'), '99.0ms');
  const none = spawnSync(process.execPath, [main, 'report'], { encoding: 'utf8' });
  assert.equal(none.status, 2);
  assert.match(none.stderr, /RUN: give at least one run file/);
  const missing = spawnSync(process.execPath, [main, 'report', join(dir, 'nope.json')], { encoding: 'utf8' });
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /nope\.json: cannot read file \(ENOENT\)/);
});

test('knee search: the knee rate, the first failing rate and SLO met/missed per step', () => {
  const sweep = sampleSweep();
  const knee = {
    ...sweep,
    model: 'open' as const,
    mode: 'knee' as const,
    steps: sweep.steps.map((step) => ({ ...step, sloMet: step.summary.p99Us < 100_000 })),
    knee: { slo: { p99MaxUs: 100_000, maxErrorRate: 0.01, text: 'p99<100ms' }, kneeRatePerSec: 20, firstFailingRatePerSec: 40, stepOrder: [0, 1, 2, 3, 4], stopReason: 'bracketed within 10%' },
  };
  const html = renderHtmlReport({ runs: [], sweep: knee });
  assert.match(html, /data-knee="20"/);
  assert.ok(html.includes('Knee for p99&lt;100ms: 20/s (first failing: 40/s) — bracketed within 10%'));
  // p99 per step is 3 × mean latency: 30, 36.6, 46.2, 69.9 ms meet 100 ms; 135.3 ms (N = 40) misses.
  assert.equal(html.match(/class="better">met</g)?.length, 4);
  assert.equal(html.match(/class="worse">missed</g)?.length, 1);
  assert.ok(html.includes('SLO p99&lt;100ms'));
  assert.ok(html.includes("concurrency N = X·R (implied by Little's law)") || html.includes('concurrency N = X·R (implied by Little&#39;s law)'));
});

test('sweep with embedded step runs: one spectrum per load level', () => {
  const sweep = sampleSweep();
  const withRuns = { ...sweep, steps: sweep.steps.map((step, i) => (i < 2 ? { ...step, run: goldenRun(`step-${i}`) } : step)) };
  const html = renderHtmlReport({ runs: [], sweep: withRuns });
  assert.match(html, /data-chart="sweep-spectrum"/);
  const figure = html.slice(html.indexOf('data-chart="sweep-spectrum"'), html.indexOf('</figure>', html.indexOf('data-chart="sweep-spectrum"')));
  assert.ok(figure.includes('</i>1 users</span>') && figure.includes('</i>5 users</span>'));
  // Two steps → two lines, each with 5 marked percentiles; the golden run's p99 is 99.0 ms.
  assert.equal(figure.match(/<circle /g)?.length, 10);
  assert.ok(figure.includes('1 users: p99 = 99.0ms'));
});

test('waterfall: a client latency far beyond the spans is explained, not drawn as empty axis', () => {
  const analysis = sampleAnalysis() as { exemplar: { latencyUs: number } };
  analysis.exemplar.latencyUs = 1_000_000;
  const html = renderHtmlReport({ runs: [syntheticRun({ id: 't', intervals: [{ requests: { r: { latenciesUs: [1000] } } }], analysis: analysis as unknown as Record<string, unknown> })] });
  // Spans end at 95 ms; the request took 1 s: 905 ms outside the spans, and the axis ends at 95 ms.
  assert.match(html, /data-outside-spans-us="905000"/);
  assert.ok(html.includes("The spans cover 95.0ms of the request's 1.00s latency"));
  assert.ok(html.includes('>95.0ms</text>') && !html.includes('>1.00s</text>'));
});
