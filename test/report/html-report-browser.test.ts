/**
 * The report in a real browser (Debian Chromium, headless): opens from file:// with no console or page
 * errors, every chart and table is drawn with the expected figures, no horizontal overflow at laptop
 * widths, and light/dark screenshots land in test-artifacts/report/.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { renderHtmlReport } from '../../src/report/html-report.js';
import { compareRuns } from '../../src/compare/compare-runs.js';
import { aggregateIntervals } from '../../src/core/run-aggregate.js';
import { formatUs } from '../../src/core/units.js';
import { chromiumAvailable, CHROMIUM_PATH, launchChromium } from './headless-chromium.js';
import { goldenRun, sampleAnalysis } from './synthetic-run.js';
import { sampleSweep } from './sweep-fixture.js';

const ARTIFACTS = resolve('test-artifacts', 'report');
const skip = chromiumAvailable() ? false : `${CHROMIUM_PATH} is absent (apt-get install -y chromium); browser checks skipped`;
let browser: Browser | undefined;

before(async () => {
  if (skip) return;
  await mkdir(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

interface Opened {
  page: Page;
  problems: string[];
}

async function open(name: string, html: string, widthPx: number, colorScheme: 'light' | 'dark' = 'light'): Promise<Opened> {
  const path = join(ARTIFACTS, `${name}.html`);
  await writeFile(path, html);
  const page = await browser!.newPage({ viewport: { width: widthPx, height: 900 }, colorScheme });
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
  await page.goto(pathToFileURL(path).href, { waitUntil: 'load' });
  await page.waitForSelector('html[data-ready]', { state: 'attached', timeout: 10_000 });
  return { page, problems };
}

/** Fails on a horizontal scrollbar: the page must fit the viewport (wide tables scroll inside their box). */
async function assertNoOverflow(page: Page, widthPx: number): Promise<void> {
  const scrollWidth = Number(await page.evaluate('document.documentElement.scrollWidth'));
  assert.ok(scrollWidth <= widthPx, `page scrollWidth ${scrollWidth} > viewport ${widthPx}`);
}

function singleRunReport(): { html: string; p99: string; p50: string } {
  const run = goldenRun('browser-golden');
  const withTraces = { ...run, traces: { sampleRate: 1, samples: [], samplesCap: 100, analysis: sampleAnalysis() } };
  const { total } = aggregateIntervals(run.intervals);
  return { html: renderHtmlReport({ runs: [withTraces] }), p99: formatUs(total.latency.percentileUs(99)), p50: formatUs(total.latency.percentileUs(50)) };
}

test('single-run report draws every chart and table with the histogram figures, light and dark', { skip }, async () => {
  const { html, p99, p50 } = singleRunReport();
  for (const [widthPx, scheme] of [[1280, 'light'], [1280, 'dark'], [800, 'light'], [800, 'dark']] as const) {
    const { page, problems } = await open('single-run', html, widthPx, scheme);
    assert.deepEqual(problems, []);
    assert.equal(await page.locator('[data-metric="p99"] dd').innerText(), p99);
    assert.equal(await page.locator('[data-metric="p50"] dd').innerText(), p50);
    assert.equal(p99, '99.0ms');
    const charts = await page.locator('figure.chart').evaluateAll((figures) =>
      figures.map((figure) => {
        const svg = figure.querySelector('svg')!.getBoundingClientRect();
        return { id: figure.getAttribute('data-chart'), widthPx: svg.width, heightPx: svg.height, marks: figure.querySelectorAll('path.series[d^="M"], rect, circle').length };
      }),
    );
    assert.deepEqual(
      charts.map((chart) => chart.id),
      ['latency-0', 'throughput-0', 'errors-0', 'spectrum-0', 'lag-0', 'tiers', 'waterfall'],
    );
    for (const chart of charts) {
      assert.ok(chart.widthPx > widthPx * 0.6 && chart.heightPx > 40, `${chart.id} drawn at ${chart.widthPx}×${chart.heightPx}`);
      assert.ok(chart.marks > 0, `${chart.id} has marks`);
    }
    // 2 request rows + the total row; 11 timeline hover cells (1 warm-up + 10 measured intervals).
    assert.equal(await page.locator('table[data-table="requests-0"] tbody tr').count(), 2);
    assert.equal(await page.locator('table[data-table="requests-0"] tfoot tr').count(), 1);
    assert.equal(await page.locator('[data-chart="latency-0"] .hover rect').count(), 11);
    assert.equal(await page.locator('[data-chart="waterfall"] [data-critical="true"]').count(), 3);
    assert.equal(await page.locator('[data-chart="waterfall"] .critical-sections rect').count(), 5);
    assert.equal(await page.locator('table[data-table="critical-operations"] tbody tr').count(), 2);
    assert.equal(await page.locator('.finding h4').first().innerText(), '1. N+1 queries <script>alert(1)</script>');
    const background = await page.evaluate('getComputedStyle(document.body).backgroundColor');
    assert.equal(background, scheme === 'dark' ? 'rgb(20, 24, 30)' : 'rgb(255, 255, 255)');
    await assertNoOverflow(page, widthPx);
    await page.screenshot({ path: join(ARTIFACTS, `single-run-${widthPx}-${scheme}.png`), fullPage: true });
    await page.close();
  }
});

test('comparison and sweep reports open cleanly with overlays and the USL chart', { skip }, async () => {
  const before = goldenRun('before');
  const after = goldenRun('after');
  const html = renderHtmlReport({ runs: [before, after], sweep: sampleSweep(), comparison: compareRuns([before], [after]) });
  for (const scheme of ['light', 'dark'] as const) {
    const { page, problems } = await open('comparison-sweep', html, 1280, scheme);
    assert.deepEqual(problems, []);
    for (const id of ['usl', 'sweep-latency', 'overlay-spectrum', 'overlay-p99', 'latency-1']) {
      assert.equal(await page.locator(`[data-chart="${id}"] svg`).count(), 1, id);
    }
    assert.equal(await page.locator('[data-chart="usl"] circle').count(), 5);
    assert.equal(await page.locator('tr[data-run]').count(), 2);
    // The table of contents: sweep, comparison, two runs, each pointing at an element that exists.
    const targets = await page.locator('nav.toc a').evaluateAll((links) => links.map((link) => link.getAttribute('href')));
    assert.deepEqual(targets, ['#sweep', '#comparison', '#run-0', '#run-1']);
    for (const target of targets) assert.equal(await page.locator(target!).count(), 1, target!);
    // Identical runs: no metric may change.
    assert.equal(await page.locator('[data-comparison-verdict]').getAttribute('data-comparison-verdict'), 'no significant change');
    assert.equal(await page.locator('table[data-table="verdicts"]').count(), 3);
    await assertNoOverflow(page, 1280);
    await page.screenshot({ path: join(ARTIFACTS, `comparison-sweep-1280-${scheme}.png`), fullPage: true });
    await page.close();
  }
});
