/**
 * Why perfloop parses the Prometheus text format itself: speed and correctness next to the one npm parser
 * (parse-prometheus-text-format). Input: a prom-client registry with the Node default collectors plus 40
 * labelled histograms (≈ the size of an etcd member's /metrics). Prints parse time per exposition and what each
 * parser keeps of a labelled histogram.
 *
 *   node dist/bench/prometheus-parse.js [iterations=300]
 */
import { createRequire } from 'node:module';
import { Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { snapshotOf } from '../src/signals/metric-snapshot.js';
import { parseExposition } from '../src/signals/prometheus-text.js';

const require = createRequire(import.meta.url);
const peerParse = require('parse-prometheus-text-format') as (text: string) => { name: string; metrics: unknown[] }[];

const iterations = Number(process.argv[2] ?? 300);
const registry = new Registry();
collectDefaultMetrics({ register: registry });
for (let h = 0; h < 40; h++) {
  const histogram = new Histogram({ name: `grpc_handling_${h}_seconds`, help: 'x', labelNames: ['method', 'code'], registers: [registry] });
  for (let m = 0; m < 3; m++) histogram.observe({ method: `M${m}`, code: 'OK' }, 0.001 * (m + 1));
}
const text = await registry.metrics();

function time(label: string, parse: () => unknown): void {
  for (let i = 0; i < 20; i++) parse();
  const started = performance.now();
  for (let i = 0; i < iterations; i++) parse();
  const perMs = (performance.now() - started) / iterations;
  console.log(`${label.padEnd(34)} ${perMs.toFixed(3)} ms per exposition`);
}

console.log(`exposition: ${text.length} bytes, ${text.split('\n').length} lines`);
time('perfloop parseExposition+snapshot', () => snapshotOf(parseExposition(text)));
time('perfloop parseExposition only', () => parseExposition(text));
time('parse-prometheus-text-format', () => peerParse(text));
const ours = snapshotOf(parseExposition(text)).get('grpc_handling_0_seconds{method="M1",code="OK"}');
const theirs = peerParse(text).find((family) => family.name === 'grpc_handling_0_seconds');
console.log('labelled histogram, perfloop:', JSON.stringify(ours?.labels), JSON.stringify(ours?.reading).slice(0, 120));
console.log('labelled histogram, peer:    ', JSON.stringify(theirs?.metrics).slice(0, 200));
