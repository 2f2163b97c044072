/**
 * Lab × trace analysis: drives the slow lab (every problem on) and then the fixed lab at a modest open-loop rate,
 * captures the services' spans with an in-process OTLP receiver, and prints which detectors fire and the
 * client-side latency. Shows that each problem is visible in traces and that the fixes remove it.
 * Run: node dist/bench/lab-findings.js [--rate 25] [--seconds 8]
 */
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { setFixes, startLab, type Lab } from '../src/lab-control/lab.js';
import { LAB_PROBLEMS } from '../src/lab-control/lab-problems.js';
import { analyzeTraces } from '../src/trace/analyze-traces.js';
import { decodeOtlpProtobuf } from '../src/trace/decode-otlp-protobuf.js';
import type { Span } from '../src/trace/span.js';

const { values } = parseArgs({ options: { rate: { type: 'string', default: '25' }, seconds: { type: 'string', default: '8' }, hot: { type: 'string', default: '100' } } });
const RATE_PER_SEC = Number(values.rate);
const HOT_ORDERS = Number(values.hot);
const DURATION_MS = Number(values.seconds) * 1000;

const spans: Span[] = [];
const receiver = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    spans.push(...decodeOtlpProtobuf(Buffer.concat(chunks)));
    response.end();
  });
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const address = receiver.address();
const endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

/** Request i of the mix: 80% order views over a hot set (--hot, default 100 orders), 10% customer lists, 10% new orders. */
function request(lab: Lab, index: number): Promise<Response> {
  const kind = index % 10;
  if (kind === 8) return fetch(`${lab.gatewayUrl}/orders?customer=${1 + ((index * 13) % 2000)}`);
  if (kind === 9) {
    return fetch(`${lab.gatewayUrl}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ customerId: 1 + (index % 2000), items: [{ productId: 1 + (index % 1000), quantity: 1 }] }),
    });
  }
  return fetch(`${lab.gatewayUrl}/orders/${1 + ((index * 37) % HOT_ORDERS)}`);
}

async function drive(lab: Lab): Promise<{ p50Ms: number; p99Ms: number; errors: number; count: number }> {
  const latenciesMs: number[] = [];
  let errors = 0;
  const inFlight: Promise<void>[] = [];
  const started = performance.now();
  const total = Math.round((RATE_PER_SEC * DURATION_MS) / 1000);
  for (let i = 0; i < total; i++) {
    const intendedMs = (i * 1000) / RATE_PER_SEC;
    const waitMs = started + intendedMs - performance.now();
    if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
    inFlight.push(
      request(lab, i)
        .then(async (response) => {
          await response.arrayBuffer();
          if (!response.ok) errors++;
        })
        .catch(() => {
          errors++;
        })
        // Open loop: latency counts from the intended start.
        .finally(() => latenciesMs.push(performance.now() - started - intendedMs)),
    );
  }
  await Promise.all(inFlight);
  latenciesMs.sort((a, b) => a - b);
  const at = (p: number) => latenciesMs[Math.min(latenciesMs.length - 1, Math.floor(p * latenciesMs.length))] ?? Number.NaN;
  return { p50Ms: at(0.5), p99Ms: at(0.99), errors, count: latenciesMs.length };
}

async function phase(lab: Lab, label: string): Promise<void> {
  spans.length = 0;
  const result = await drive(lab);
  await new Promise((resolve) => setTimeout(resolve, 1500)); // batch export delay
  const analysis = analyzeTraces(spans);
  console.log(
    `\n${label}: ${result.count} requests at ${RATE_PER_SEC}/s, p50 ${result.p50Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms, ${result.errors} errors; ${spans.length} spans`,
  );
  const detectors = new Set(analysis.findings.map((finding) => finding.detector));
  for (const finding of analysis.findings) {
    console.log(
      `  ${finding.detector.padEnd(24)} ${`${finding.where.service} ${finding.where.operation} ${String(finding.evidence.details.read ?? '')}`.slice(0, 90).padEnd(90)} share ${(finding.shareOfRequests * 100).toFixed(0).padStart(3)}%  saving p50 ${(finding.predictedSavingUs.p50 / 1000).toFixed(1)} ms`,
    );
  }
  const expected = LAB_PROBLEMS.map((problem) => `${problem.name}→${problem.detector}:${detectors.has(problem.detector) ? 'yes' : 'no'}`);
  console.log(`  expected detectors fired: ${expected.join('  ')}`);
}

const lab = await startLab({ fixes: new Set(), port: 0, otlpEndpoint: endpoint, databaseUrl: process.env.DATABASE_URL, redisUrl: process.env.REDIS_URL });
try {
  await drive({ ...lab }); // warm-up
  await phase(lab, 'slow lab (every problem on)');
  await setFixes(lab, 'all');
  await drive(lab); // warm the caches and pools of the fixed lab
  await phase(lab, 'fixed lab (all eight fixes)');
} finally {
  await lab.stop();
  receiver.close();
}
