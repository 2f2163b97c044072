/**
 * End to end on a real run: the load engine (runLoad) drives a loopback server with a known delay, the run file
 * is written, `writeReport` renders it, and Debian Chromium opens it: no errors, and the figures shown are the
 * run file's histogram figures.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { runLoad } from '../../src/load/run-load.js';
import { normalizeScenario } from '../../src/load/scenario.js';
import { writeRunFile } from '../../src/core/run-file-io.js';
import { aggregateIntervals, errorCount } from '../../src/core/run-aggregate.js';
import { formatUs } from '../../src/core/units.js';
import { writeReport } from '../../src/report/html-report-writer.js';
import { chromiumAvailable, CHROMIUM_PATH, launchChromium } from './headless-chromium.js';

const ARTIFACTS = resolve('test-artifacts', 'report');
const SLOW_DELAY_MS = 20;
let server: Server;
let baseUrl = '';
let received = 0;
let browser: Browser | undefined;

before(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  server = createServer((request, response) => {
    received++;
    if (request.url === '/slow') {
      void sleep(SLOW_DELAY_MS).then(() => response.end('slow'));
    } else if (request.url === '/broken') {
      response.statusCode = 500;
      response.end('no');
    } else {
      response.end('fast');
    }
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  if (chromiumAvailable()) browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await new Promise((done) => server.close(done));
});

test('a real loopback run renders with its own figures and opens cleanly in Chromium', async (t) => {
  const scenario = normalizeScenario({
    requests: [
      { name: 'fast', url: `${baseUrl}/fast`, weight: 6 },
      { name: 'slow', url: `${baseUrl}/slow`, weight: 3 },
      { name: 'broken', url: `${baseUrl}/broken`, weight: 1 },
    ],
    phases: [
      { kind: 'constant', rate: 200, duration: '1s', warmup: true },
      { kind: 'constant', rate: 200, duration: '3s' },
    ],
  });
  const run = await runLoad(scenario);
  const runPath = join(ARTIFACTS, 'real-run.json');
  await writeRunFile(runPath, run);
  const reportPath = await writeReport([runPath], join(ARTIFACTS, 'real-run.html'));

  // The engine's own accounting: 200/s for 1 s warm-up + 3 s = 800 scheduled (600 measured), every one received
  // and completed.
  const allCount = run.intervals.reduce((sum, interval) => sum + Object.values(interval.requests).reduce((s, r) => s + r.count, 0), 0);
  assert.equal(run.intervals.reduce((sum, interval) => sum + interval.scheduled, 0), 800);
  assert.equal(run.health.scheduled, 600);
  assert.equal(received, 800);
  assert.equal(allCount, 800);
  const { total, byRequest } = aggregateIntervals(run.intervals);
  // Every /broken request is an unexpected 500, and nothing else fails.
  assert.equal(errorCount(total), byRequest.get('broken')!.count);
  assert.ok(byRequest.get('slow')!.latency.percentileUs(50) >= SLOW_DELAY_MS * 1000, 'slow p50 includes the 20 ms delay');

  if (!browser) {
    t.skip(`${CHROMIUM_PATH} is absent (apt-get install -y chromium); browser checks skipped`);
    return;
  }
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(pathToFileURL(reportPath).href, { waitUntil: 'load' });
  await page.waitForSelector('html[data-ready]', { state: 'attached' });
  assert.deepEqual(problems, []);
  assert.equal(await page.locator('[data-metric="p99"] dd').innerText(), formatUs(total.latency.percentileUs(99)));
  assert.equal(await page.locator('[data-metric="p50"] dd').innerText(), formatUs(total.latency.percentileUs(50)));
  assert.equal(Number(await page.locator('[data-metric="errors"]').getAttribute('data-value')), errorCount(total));
  const slowRow = await page.locator('tr[data-request="slow"] td').allInnerTexts();
  assert.equal(slowRow[0], 'slow');
  assert.equal(slowRow[1], byRequest.get('slow')!.count.toLocaleString('en-US'));
  assert.equal(slowRow[7], formatUs(byRequest.get('slow')!.latency.percentileUs(99)));
  assert.equal(await page.locator('table[data-table="requests-0"] tbody tr').count(), 3);
  // 4 one-second intervals (1 warm-up + 3) → 4 hover cells on the latency chart.
  assert.equal(await page.locator('[data-chart="latency-0"] .hover rect').count(), run.intervals.length);
  await page.screenshot({ path: join(ARTIFACTS, 'real-run-1280-light.png'), fullPage: true });
  await page.close();
});
