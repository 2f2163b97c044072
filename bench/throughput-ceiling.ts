/**
 * Throughput ceiling: GET against nginx on loopback, nginx on core 1, each generator pinned to core 0,
 * 64 connections, as fast as each goes (closed model). Prints requests/s and perfloop's ratio to peers.
 *   node dist/bench/throughput-ceiling.js [seconds]
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureAutocannon, ensureDebian, PERFLOOP_CLI, pinned, ratio, startNginx } from './peers.js';

const seconds = Number(process.argv[2] ?? 10);
const connections = 64;

async function main(): Promise<void> {
  ensureDebian('wrk', 'wrk');
  const autocannon = ensureAutocannon();
  const nginx = await startNginx(18181, 1);
  try {
    const results: Record<string, number> = {};
    // Warm nginx once so no tool pays its first-touch costs.
    pinned(0, 'wrk', ['-t1', '-c16', '-d1s', nginx.url]);

    const wrkOut = pinned(0, 'wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, nginx.url]);
    results.wrk = Number(/Requests\/sec:\s+([\d.]+)/.exec(wrkOut)?.[1] ?? 0);

    const acOut = pinned(0, process.execPath, [autocannon, '-c', String(connections), '-d', String(seconds), '--json', nginx.url]);
    results.autocannon = (JSON.parse(acOut) as { requests: { average: number } }).requests.average;

    const out = join(tmpdir(), `perfloop-ceiling-${process.pid}.json`);
    pinned(0, process.execPath, [PERFLOOP_CLI, 'run', nginx.url, '--users', String(connections), '--connections', String(connections), '--duration', `${seconds}s`, '--warmup', '1s', '--quiet', '--out', out]);
    const run = JSON.parse(readFileSync(out, 'utf8')) as { summary: { total: { throughputPerSec: number } } };
    results.perfloop = run.summary.total.throughputPerSec;

    console.log(`throughput ceiling, ${connections} connections, ${seconds}s, generator on core 0, nginx on core 1`);
    for (const [tool, rate] of Object.entries(results)) console.log(`  ${tool.padEnd(10)} ${Math.round(rate).toLocaleString('en-US').padStart(9)} req/s`);
    console.log(`  perfloop / wrk        ${ratio(results.perfloop ?? 0, results.wrk ?? 0)}   (target >= 0.8x)`);
    console.log(`  perfloop / autocannon ${ratio(results.perfloop ?? 0, results.autocannon ?? 0)}   (target >= 2x)`);
  } finally {
    nginx.stop();
  }
}

await main();
