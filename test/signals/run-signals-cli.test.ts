import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { readRunFile } from '../../src/core/run-file-io.js';
import { runCli } from '../helpers/cli.js';
import { deadUrl } from '../helpers/test-servers.js';

test('perfloop run --scrape --watch: per-interval server histogram and process CPU in the run file; a dead endpoint is counted', async () => {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const handling = new Histogram({ name: 'http_server_duration_seconds', help: 'handler time', labelNames: ['route'], buckets: [0.001, 0.005, 0.01, 0.05], registers: [registry] });
  handling.zero({ route: '/work' });
  const server = createServer((request, response) => {
    if (request.url === '/metrics') {
      void registry.metrics().then((text) => response.end(text));
      return;
    }
    // 2 ms of handling, observed as the server's own histogram.
    setTimeout(() => {
      handling.observe({ route: '/work' }, 0.002);
      response.end('ok');
    }, 2);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const dir = await mkdtemp(join(tmpdir(), 'perfloop-signals-'));
  const out = join(dir, 'run.json');
  const dead = await deadUrl();
  try {
    const result = await runCli(['run', `http://127.0.0.1:${port}/work`, '--rate', '100', '--duration', '3s', '--quiet', '--out', out, '--scrape', `app=http://127.0.0.1:${port}/metrics`, '--scrape', `gone=${dead}/metrics`, '--watch', `proc=port:${port}`]);
    assert.equal(result.code, 0, result.stderr);
  } finally {
    server.closeAllConnections();
    server.close();
  }
  const run = await readRunFile(out);
  const signals = run.signals;
  assert.ok(signals);
  assert.equal(signals.intervalMs, run.intervalMs);
  const app = signals.sources.find((source) => source.name === 'app');
  assert.deepEqual(Object.keys(app?.failures ?? {}).filter((key) => key !== 'slow'), []);
  const gone = signals.sources.find((source) => source.name === 'gone');
  assert.ok((gone?.failures.refused ?? 0) >= 3 && gone?.failures.refused === gone?.attempts, JSON.stringify(gone));
  assert.equal(signals.sources.find((source) => source.name === 'proc')?.target, `port:${port} (pid ${process.pid})`);
  const histogram = signals.series.find((series) => series.source === 'app' && series.metric === 'http_server_duration_seconds');
  assert.equal(histogram?.rate?.length, run.intervals.length);
  // Every request was observed once. The scrape windows straddling the run's start and end spread their
  // increase over time partly outside the grid, so the edges lose a little: within 3%.
  const observed = (histogram?.rate ?? []).reduce<number>((sum, rate, index) => sum + (rate ?? 0) * ((run.intervals[index]?.durationMs ?? 0) / 1000), 0);
  assert.ok(Math.abs(observed - run.summary.total.count) <= 0.03 * run.summary.total.count, `observed ${observed} vs ${run.summary.total.count}: ${JSON.stringify(histogram?.rate)} ${JSON.stringify(run.intervals.map((i) => [i.startMs, i.durationMs, i.requests["GET /work"]?.count ?? Object.values(i.requests)[0]?.count]))} ${run.startedAt}`);
  for (const p50 of histogram?.p50?.slice(0, 3) ?? []) assert.ok(p50 !== null && p50 > 0.001 && p50 <= 0.005, `p50 ${p50}`);
  const cpu = signals.series.find((series) => series.source === 'proc' && series.metric === 'process_cpu_user_seconds_total');
  assert.equal(cpu?.rate?.length, run.intervals.length);
});

test('signal flags: bad input names the flag and exits 2 before any load', async () => {
  const dead = await deadUrl();
  const cases: [string[], RegExp][] = [
    [['--scrape', 'noname'], /--scrape.*NAME=VALUE/],
    [['--scrape', 'a=ftp://127.0.0.1/metrics'], /--scrape.*http/],
    [['--scrape', 'a=http://127.0.0.1:9/m', '--watch', 'a=pid:1'], /--watch.*used twice/],
    [['--watch', 'p=pid:0'], /--watch.*positive integer/],
    [['--watch', `p=port:${new URL(dead).port}`], /--watch.*no process.*listens/],
    [['--watch', 'c=cgroup:perfloop-no-such-group'], /--watch.*no cgroup/],
    [['--profile', 'x=gopher://h:1'], /--profile.*expected/],
    [['--profile', 'x=inspector://127.0.0.1'], /--profile.*host and port/],
  ];
  for (const [flags, pattern] of cases) {
    const result = await runCli(['run', `${dead}/`, '--duration', '1s', '--quiet', ...flags]);
    assert.equal(result.code, 2, `${flags.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, pattern, flags.join(' '));
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  }
});
