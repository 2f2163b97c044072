/**
 * The report on a real trace analysis (src/trace's analyzeTraces over built spans), not a hand-written document:
 * the findings, cohorts and exemplar shown are the analysis's own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeTraces } from '../../src/trace/analyze-traces.js';
import { renderHtmlReport } from '../../src/report/html-report.js';
import { escapeHtml } from '../../src/report/html/escape-html.js';
import { formatUs } from '../../src/core/units.js';
import { buildSpans, type SpanSpec } from '../trace/trace-builder.js';
import { goldenRun } from './synthetic-run.js';

const db = (statement: string): SpanSpec['attributes'] => ({ 'db.system': 'postgresql', 'db.statement': statement });

/** GET /orders with `repeats` sequential 10 ms SELECTs on one table: an N+1. */
function orders(repeats: number): SpanSpec[] {
  return [
    { id: 'root', name: 'GET /orders', service: 'api', kind: 'server', start: 0, end: 20 + 10 * repeats },
    ...Array.from({ length: repeats }, (_, i) => ({
      id: `q${i}`,
      parent: 'root',
      name: 'pg.query:SELECT',
      service: 'api',
      kind: 'client' as const,
      start: 10 + 10 * i,
      end: 20 + 10 * i,
      attributes: db(`SELECT * FROM items WHERE order_id = ${i + 1}`),
    })),
  ];
}

test('a real analysis: findings, cohorts and the exemplar waterfall are the analysis\'s own', () => {
  // 100 traces: 1 … 12 repeats, so the p99 cohort is the slowest (12 queries, 140 ms).
  const spans = Array.from({ length: 100 }, (_, i) => buildSpans(`t${i}`, orders(1 + (i % 12)))).flat();
  const analysis = analyzeTraces(spans);
  assert.ok(analysis.findings.length >= 1);
  const run = { ...goldenRun(), traces: { sampleRate: 1, samples: [], samplesCap: 100, analysis: analysis as unknown as Record<string, unknown> } };
  const html = renderHtmlReport({ runs: [run] });
  assert.match(html, new RegExp(`data-findings="${analysis.findings.length}"`));
  assert.ok(html.includes(`<h4>1. ${escapeHtml(analysis.findings[0]!.title)}</h4>`));
  assert.ok(html.includes(`p99 −${formatUs(analysis.findings[0]!.predictedSavingUs.p99)}`));
  for (const cohort of analysis.cohorts) assert.ok(html.includes(`data-cohort="${cohort.cohort}"`));
  const exemplar = analysis.exemplar!;
  assert.equal(exemplar.latencyUs, 140_000);
  assert.equal(html.match(/data-span-id=/g)?.length, exemplar.spans.length);
  assert.equal(html.match(/data-critical="true"/g)?.length, exemplar.spans.filter((span) => span.critical).length);
  assert.match(html, new RegExp(`data-critical-sections="${exemplar.criticalPath.length}"`));
  assert.ok(html.includes(`${analysis.traceCount} traces`));
});
