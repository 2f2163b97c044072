/**
 * Lab switch figures: for each of the eight problems, the latency of the endpoint it hurts with every problem
 * on (slow lab) and with only that one fixed, at a fixed concurrency. Prints a table; not a test.
 * Run: node dist/bench/lab-switches.js [--requests 60] [--concurrency 4]
 */
import { parseArgs } from 'node:util';
import { FIX_NAMES, type FixName } from '../src/lab-control/lab-problems.js';
import { setFixes, startLab, type Lab } from '../src/lab-control/lab.js';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '60' }, concurrency: { type: 'string', default: '4' } } });
const REQUESTS = Number(values.requests);
const CONCURRENCY = Number(values.concurrency);

type Probe = (lab: Lab, index: number) => Promise<Response>;

const getOrder: Probe = (lab, index) => fetch(`${lab.gatewayUrl}/orders/${1 + ((index * 37) % 20000)}`);
const listOrders: Probe = (lab, index) => fetch(`${lab.gatewayUrl}/orders?customer=${1 + ((index * 13) % 2000)}`);
const postOrder: Probe = (lab, index) =>
  fetch(`${lab.gatewayUrl}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ customerId: 1 + (index % 2000), items: [{ productId: 1 + (index % 1000), quantity: 1 }] }),
  });
// The cache only helps a hot set: order views over 20 orders.
const hotOrder: Probe = (lab, index) => fetch(`${lab.gatewayUrl}/orders/${1 + (index % 20)}`);

const PROBES: Record<FixName, Probe> = {
  'n+1': getOrder,
  pool: getOrder,
  parallel: getOrder,
  cache: hotOrder,
  'async-notify': postOrder,
  lock: getOrder,
  index: getOrder,
  payload: listOrders,
};

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}

async function measure(lab: Lab, probe: Probe): Promise<{ p50Ms: number; p90Ms: number; bytes: number }> {
  const latenciesMs: number[] = [];
  let bytes = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < REQUESTS) {
        const index = next++;
        const started = performance.now();
        const response = await probe(lab, index);
        const body = await response.arrayBuffer();
        if (!response.ok) throw new Error(`status ${response.status}: ${Buffer.from(body).toString('utf8').slice(0, 200)}`);
        latenciesMs.push(performance.now() - started);
        bytes = body.byteLength;
      }
    }),
  );
  latenciesMs.sort((a, b) => a - b);
  return { p50Ms: percentile(latenciesMs, 0.5), p90Ms: percentile(latenciesMs, 0.9), bytes };
}

const lab = await startLab({ fixes: new Set(), port: 0, databaseUrl: process.env.DATABASE_URL, redisUrl: process.env.REDIS_URL });
try {
  // Warm-up: JIT, connection setup, PGlite caches.
  await measure(lab, getOrder);
  console.log(`lab switches: ${REQUESTS} requests per cell, concurrency ${CONCURRENCY}, database ${process.env.DATABASE_URL ? 'postgres' : 'pglite'}`);
  console.log(`${'problem'.padEnd(14)} ${'slow p50'.padStart(9)} ${'slow p90'.padStart(9)} ${'fixed p50'.padStart(10)} ${'fixed p90'.padStart(10)} ${'bytes slow→fixed'.padStart(18)}`);
  for (const name of FIX_NAMES) {
    await setFixes(lab, new Set());
    const slow = await measure(lab, PROBES[name]);
    await setFixes(lab, new Set([name]));
    const fixed = await measure(lab, PROBES[name]);
    const f = (value: number) => `${value.toFixed(1)} ms`;
    console.log(
      `${name.padEnd(14)} ${f(slow.p50Ms).padStart(9)} ${f(slow.p90Ms).padStart(9)} ${f(fixed.p50Ms).padStart(10)} ${f(fixed.p90Ms).padStart(10)} ${`${slow.bytes}→${fixed.bytes}`.padStart(18)}`,
    );
  }
  await setFixes(lab, new Set());
  const allSlow = await measure(lab, getOrder);
  await setFixes(lab, 'all');
  const allFixed = await measure(lab, getOrder);
  console.log(`GET /orders/:id all problems on: p50 ${allSlow.p50Ms.toFixed(1)} ms; all fixed: p50 ${allFixed.p50Ms.toFixed(1)} ms`);
} finally {
  await lab.stop();
}
