import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { runFileSchema } from '../../src/core/run-file.js';
import { prometheusSource } from '../../src/signals/prometheus-source.js';
import { signalCollector } from '../../src/signals/signal-collector.js';
import { syntheticRun } from '../report/synthetic-run.js';
import { deadUrl, misbehavingServer } from '../helpers/test-servers.js';

async function serve(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

test('scrapes a real prom-client endpoint: counter increases and histogram observations land in the intervals, exactly in total', async () => {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const counter = new Counter({ name: 'jobs_total', help: 'jobs', registers: [registry] });
  const histogram = new Histogram({ name: 'handle_seconds', help: 'handler', labelNames: ['route'], buckets: [0.1, 1], registers: [registry] });
  // Created up front, as services usually do, so every scrape covers it (a lazily born series is covered from
  // the reading before its birth: its first interval is partly covered; interval-series.test.ts tests that).
  histogram.zero({ route: '/a' });
  const target = await serve((_request, response) => {
    void registry.metrics().then((text) => response.end(text));
  });
  const collector = signalCollector([prometheusSource('svc', `${target.url}/metrics`, { timeoutMs: 500 })]);
  const intervalMs = 100;
  const startedAtMs = Date.now();
  try {
    await collector.start({ intervalMs, expectedDurationMs: 800 });
    await sleep(250);
    counter.inc(500);
    for (let i = 0; i < 100; i++) histogram.observe({ route: '/a' }, 0.05);
    for (let i = 0; i < 100; i++) histogram.observe({ route: '/a' }, 0.5);
    await sleep(300);
    await collector.stop();
  } finally {
    await target.close();
  }
  const endMs = Date.now();
  const count = Math.ceil((endMs - startedAtMs) / intervalMs);
  const base = syntheticRun({ id: 'signals', intervalMs, intervals: Array.from({ length: count }, () => ({ requests: { GET: { latenciesUs: [1000] } } })) });
  const run = runFileSchema.parse(collector.attach({ ...base, startedAt: new Date(startedAtMs).toISOString() }));
  const signals = run.signals;
  assert.ok(signals);
  // A tick that finds the previous scrape still pending is skipped (`slow`); nothing else may fail.
  assert.deepEqual(Object.keys(signals.sources[0]?.failures ?? {}).filter((key) => key !== 'slow'), []);
  assert.ok((signals.sources[0]?.attempts ?? 0) >= 5, `attempts ${signals.sources[0]?.attempts}`);
  const jobs = signals.series.find((series) => series.metric === 'jobs_total');
  const total = (jobs?.rate ?? []).reduce<number>((sum, rate) => sum + (rate ?? 0) * (intervalMs / 1000), 0);
  assert.ok(Math.abs(total - 500) < 0.5, `jobs counted ${total}`);
  const handle = signals.series.find((series) => series.metric === 'handle_seconds');
  assert.equal(handle?.kind, 'histogram');
  assert.deepEqual(handle?.labels, { route: '/a' });
  let observations = 0;
  let weighted = 0;
  (handle?.rate ?? []).forEach((rate, index) => {
    const n = (rate ?? 0) * (intervalMs / 1000);
    observations += n;
    weighted += n * (handle?.mean?.[index] ?? 0);
  });
  assert.ok(Math.abs(observations - 200) < 0.5, `observations ${observations}`);
  assert.ok(Math.abs(weighted / observations - 0.275) < 0.001, `mean ${weighted / observations}`);
  // Node runtime collectors come through: heap, event-loop lag, GC histogram.
  for (const metric of ['nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_p99_seconds', 'process_cpu_user_seconds_total']) {
    assert.ok(signals.series.some((series) => series.metric === metric), metric);
  }
});

test('down, slow, erroring and garbage endpoints are counted per scrape and never throw', async () => {
  const silent = await misbehavingServer('silent');
  const html = await serve((_request, response) => response.end('<html><body>hello</body></html>'));
  const failing = await serve((_request, response) => {
    response.statusCode = 500;
    response.end('no');
  });
  const dead = await deadUrl();
  const collector = signalCollector([
    prometheusSource('dead', dead, { timeoutMs: 2000 }),
    prometheusSource('silent', silent.url, { timeoutMs: 150 }),
    prometheusSource('html', html.url, { timeoutMs: 2000 }),
    prometheusSource('500', failing.url, { timeoutMs: 2000 }),
  ]);
  try {
    await collector.start({ intervalMs: 100, expectedDurationMs: 500 });
    await sleep(450);
    await collector.stop();
  } finally {
    await Promise.all([silent.close(), html.close(), failing.close()]);
  }
  const run = collector.attach(syntheticRun({ id: 'x', intervals: [{ requests: { GET: { latenciesUs: [1] } } }] }));
  const byName = new Map(run.signals?.sources.map((source) => [source.name, source]));
  const only = (name: string, reason: string): void => {
    const source = byName.get(name);
    assert.ok(source);
    assert.deepEqual(Object.keys(source.failures).filter((key) => key !== 'slow'), [reason], `${name}: ${JSON.stringify(source.failures)}`);
    assert.equal(source.failures[reason], source.attempts, name);
    assert.ok(source.attempts >= 3, `${name} attempts ${source.attempts}`);
  };
  only('dead', 'refused');
  only('silent', 'timeout');
  only('html', 'garbage');
  only('500', 'status');
  // The silent endpoint holds each scrape for its full timeout, so some ticks found it busy.
  assert.equal(run.signals?.series.length, 0);
});
