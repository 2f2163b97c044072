import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PROFILES_VERSION, runFileSchema, SIGNALS_VERSION, type RunFile } from '../../src/core/run-file.js';
import { profileFromStacks } from '../../src/profile/profile-model.js';
import { renderHtmlReport } from '../../src/report/html-report.js';
import { syntheticRun } from '../report/synthetic-run.js';

const f = (name: string) => ({ name, file: 'app.js', line: 1 });

function runWith(id: string, hashNs: number, parseNs: number): RunFile {
  const base = syntheticRun({ id, intervals: [0, 1, 2].map(() => ({ requests: { GET: { latenciesUs: [1000, 2000] } } })) });
  const profile = profileFromStacks({ name: 'api', source: 'inspector://127.0.0.1:9229', startMs: 0, durationMs: 3000 }, [
    { frames: [f('main'), f('handle'), f('hash')], value: hashNs },
    { frames: [f('main'), f('handle'), f('parse<"x">')], value: parseNs },
  ]);
  return runFileSchema.parse({
    ...base,
    signals: {
      version: SIGNALS_VERSION,
      intervalMs: 1000,
      sources: [{ name: 'api', kind: 'process', target: 'pid:1', attempts: 4, failures: { timeout: 1 }, firstError: 'timed out', badLines: 0, droppedSeries: 0, droppedMetrics: [] }],
      series: [
        { source: 'api', metric: 'process_cpu_user_seconds_total', labels: {}, kind: 'counter', rate: [0.5, 0.9, null] },
        { source: 'api', metric: 'process_cpu_system_seconds_total', labels: {}, kind: 'counter', rate: [0.1, 0.1, null] },
      ],
    },
    profiles: { version: PROFILES_VERSION, profiles: [profile] },
  });
}

function rectOf(html: string, chartId: string, name: string): { width: number; fill: string } | undefined {
  const start = html.indexOf(`data-chart="${chartId}"`);
  const svg = html.slice(start, html.indexOf('</svg>', start));
  const match = new RegExp(`<rect x="[\\d.]+" y="\\d+" width="([\\d.]+)" height="\\d+" rx="1.5" fill="([^"]+)"/><text[^>]*>${name.replace(/[<>"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c)}</text>`).exec(svg);
  return match ? { width: Number(match[1]), fill: match[2] ?? '' } : undefined;
}

test('report: flame graph widths are CPU shares, top-functions table, signals charts and sources, escaped names', () => {
  const html = renderHtmlReport({ runs: [runWith('one', 750e6, 250e6)] });
  // 1000 units wide, a 0.3 gap per rect: hash 75% → 749.7, parse 25% → 249.7, handle 100%.
  assert.equal(rectOf(html, 'flame-0-0', 'hash')?.width, 749.7);
  assert.equal(rectOf(html, 'flame-0-0', 'parse<"x">')?.width, 249.7);
  assert.equal(rectOf(html, 'flame-0-0', 'handle')?.width, 999.7);
  assert.match(html, /data-table="top-functions-0-0"><thead>.*?<tbody><tr><td><code>hash<\/code>.*?750\.0 ms<\/td><td class="num">75\.0%/);
  assert.ok(!html.includes('parse<"x">'), 'frame names are escaped');
  assert.match(html, /data-chart="signal-0-0-cpu"/);
  assert.match(html, /timeout 1<br><small>timed out<\/small>/);
});

test('report: the differential flame graph colours a frame whose CPU share grew red and one that shrank blue', () => {
  const html = renderHtmlReport({ runs: [runWith('base', 250e6, 750e6), runWith('candidate', 750e6, 250e6)] });
  assert.match(html, /data-section="profile-diff"/);
  const hash = rectOf(html, 'flame-diff-1-0', 'hash');
  const parse = rectOf(html, 'flame-diff-1-0', 'parse<"x">');
  assert.equal(hash?.fill, 'rgb(240,85,85)');
  assert.equal(parse?.fill, 'rgb(85,85,240)');
  assert.equal(rectOf(html, 'flame-diff-1-0', 'handle')?.fill, 'rgb(225,225,225)');
});
