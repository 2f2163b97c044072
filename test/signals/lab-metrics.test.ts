import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readRunFile } from '../../src/core/run-file-io.js';
import { startLab } from '../../src/lab-control/lab.js';
import { runCli } from '../helpers/cli.js';

test('lab services expose /metrics (prom-client + Node runtime); perfloop run scrapes the gateway and watches its pid', { timeout: 120_000 }, async () => {
  const lab = await startLab({ fixes: 'all', port: 0 });
  const dir = await mkdtemp(join(tmpdir(), 'perfloop-lab-metrics-'));
  const out = join(dir, 'run.json');
  try {
    const text = await (await fetch(`${lab.gatewayUrl}/metrics`)).text();
    assert.match(text, /^# TYPE lab_request_handling_seconds histogram$/m);
    assert.match(text, /^nodejs_eventloop_lag_p99_seconds\{service="gateway"\} /m);
    assert.match(text, /^# TYPE nodejs_gc_duration_seconds histogram$/m);
    const result = await runCli(['run', `${lab.gatewayUrl}/health`, '--rate', '50', '--duration', '2s', '--quiet', '--out', out, '--scrape', `gateway=${lab.gatewayUrl}/metrics`, '--watch', `gateway-proc=pid:${lab.pids.gateway}`]);
    assert.equal(result.code, 0, result.stderr);
  } finally {
    await lab.stop();
  }
  const run = await readRunFile(out);
  const series = run.signals?.series ?? [];
  const handling = series.find((item) => item.source === 'gateway' && item.metric === 'lab_request_handling_seconds');
  const observed = (handling?.rate ?? []).reduce<number>((sum, rate, index) => sum + (rate ?? 0) * ((run.intervals[index]?.durationMs ?? 0) / 1000), 0);
  assert.ok(Math.abs(observed - run.summary.total.count) <= 0.05 * run.summary.total.count, `handled ${observed} vs sent ${run.summary.total.count}`);
  for (const metric of ['nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_gc_duration_seconds']) {
    assert.ok(series.some((item) => item.source === 'gateway' && item.metric === metric), metric);
  }
  assert.ok(series.some((item) => item.source === 'gateway-proc' && item.metric === 'process_cpu_user_seconds_total' && (item.rate ?? []).some((rate) => (rate ?? 0) > 0)));
});
