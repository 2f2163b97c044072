/**
 * HTML report size and open-and-draw time for long runs: a synthetic 10-minute run (600 × 1 s intervals,
 * 4 request names, ~200 req/s, a trace analysis) and a 1-hour one (timeline downsampled), rendered, written,
 * and opened in Debian's headless Chromium from file://.
 *
 *   node dist/bench/report-size.js
 *
 * Figures: render time (node), file size, navigation start → load event end, → data-ready (first frame), FCP.
 */
import { seededRandom } from '../src/load/random.js';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { renderHtmlReport } from '../src/report/html-report.js';
import type { RunFile } from '../src/core/run-file.js';
import { chromiumAvailable, launchChromium } from '../test/report/headless-chromium.js';
import { sampleAnalysis, syntheticRun, type SyntheticInterval } from '../test/report/synthetic-run.js';

/** Deterministic PRNG: the same run every time. */
const prng = seededRandom;

function longRun(minutes: number): RunFile {
  const random = prng(42);
  // Log-normal-ish service with a rare slow tail, plus a slow patch in the middle of the run.
  const latencyUs = (medianUs: number, slow: boolean): number => {
    const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    const tail = random() < 0.002 ? 20 : 1;
    return medianUs * Math.exp(0.4 * normal) * tail * (slow ? 3 : 1);
  };
  const names: [string, number, number][] = [['GET /products', 90, 4000], ['GET /products/:id', 60, 2500], ['POST /orders', 30, 12_000], ['GET /health', 20, 300]];
  const intervals: SyntheticInterval[] = Array.from({ length: minutes * 60 }, (_, second) => {
    const slow = second > minutes * 25 && second < minutes * 30;
    const requests: SyntheticInterval['requests'] = {};
    for (const [name, perSec, medianUs] of names) {
      requests[name] = { latenciesUs: Array.from({ length: perSec }, () => latencyUs(medianUs, slow)), errors: slow && name === 'POST /orders' ? 3 : 0 };
    }
    return { warmup: second < 10, requests, lagUs: Array.from({ length: 200 }, () => 20 + random() * 200) };
  });
  return syntheticRun({ id: `bench-${minutes}min`, intervals, analysis: sampleAnalysis() });
}

interface Figures {
  name: string;
  renderMs: number;
  bytes: number;
  loadEventMs?: number;
  readyMs?: number;
  fcpMs?: number;
}

async function main(): Promise<void> {
  const outDir = resolve('bench', 'results');
  await mkdir(outDir, { recursive: true });
  const figures: Figures[] = [];
  const browser = chromiumAvailable() ? await launchChromium() : undefined;
  if (!browser) process.stdout.write('note: /usr/bin/chromium absent — open-and-draw times skipped\n');
  for (const minutes of [10, 60]) {
    const run = longRun(minutes);
    const started = performance.now();
    const html = renderHtmlReport({ runs: [run] });
    const renderMs = performance.now() - started;
    const path = join(outDir, `report-${minutes}min.html`);
    await writeFile(path, html);
    const entry: Figures = { name: `${minutes}-minute run (${run.intervals.length} intervals)`, renderMs, bytes: Buffer.byteLength(html) };
    if (browser) {
      const times: { load: number; ready: number; fcp: number }[] = [];
      // First open warms the browser's process and caches; the median of the next five is reported.
      for (let i = 0; i < 6; i++) {
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        await page.goto(pathToFileURL(path).href, { waitUntil: 'load' });
        await page.waitForSelector('html[data-ready]', { state: 'attached' });
        const measured = (await page.evaluate(
          `(() => { const nav = performance.getEntriesByType('navigation')[0]; const fcp = performance.getEntriesByName('first-contentful-paint')[0];
            return { load: nav.loadEventEnd, ready: Number(document.documentElement.getAttribute('data-ready')), fcp: fcp ? fcp.startTime : NaN }; })()`,
        )) as { load: number; ready: number; fcp: number };
        if (i > 0) times.push(measured);
        await page.close();
      }
      const median = (values: number[]): number => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
      entry.loadEventMs = median(times.map((t) => t.load));
      entry.readyMs = median(times.map((t) => t.ready));
      entry.fcpMs = median(times.map((t) => t.fcp));
    }
    figures.push(entry);
  }
  await browser?.close();
  const fmt = (value: number | undefined): string => (value === undefined || Number.isNaN(value) ? '-' : `${value.toFixed(0)} ms`);
  process.stdout.write('HTML report: size and Chromium open-and-draw time (median of 5 opens, file://, 1280×900)\n');
  process.stdout.write(`${'run'.padEnd(36)} ${'render'.padStart(8)} ${'size'.padStart(10)} ${'load evt'.padStart(9)} ${'ready'.padStart(8)} ${'FCP'.padStart(8)}\n`);
  for (const f of figures) {
    process.stdout.write(
      `${f.name.padEnd(36)} ${fmt(f.renderMs).padStart(8)} ${`${(f.bytes / 1024).toFixed(0)} KiB`.padStart(10)} ${fmt(f.loadEventMs).padStart(9)} ${fmt(f.readyMs).padStart(8)} ${fmt(f.fcpMs).padStart(8)}\n`,
    );
  }
}

await main();
