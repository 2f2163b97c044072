/**
 * Throughput ceiling: GET against nginx on loopback, nginx on core 1, each generator pinned to core 0,
 * 64 connections, as fast as each goes (closed model). Prints requests/s and perfloop's ratio to peers, for
 * both of perfloop's transports (the lean socket client, which decides the default, and undici), and the
 * scaling of `--workers 2` (unpinned: both cores, nginx included — a bound, not a clean measurement).
 *   node dist/bench/throughput-ceiling.js [seconds]
 */
import { spawnSync } from 'node:child_process';
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
    const perfloop = (core: number | undefined, extra: string[]): number => {
      const args = [PERFLOOP_CLI, 'run', nginx.url, '--users', String(connections), '--connections', String(connections), '--duration', `${seconds}s`, '--warmup', '1s', '--quiet', '--out', out, ...extra];
      if (core === undefined) spawnSync(process.execPath, args);
      else pinned(core, process.execPath, args);
      const run = JSON.parse(readFileSync(out, 'utf8')) as { summary: { total: { throughputPerSec: number } } };
      return run.summary.total.throughputPerSec;
    };
    results.perfloop = perfloop(0, ['--transport', 'socket']);
    results['perfloop-undici'] = perfloop(0, ['--transport', 'undici']);
    const oneWorkerUnpinned = perfloop(undefined, ['--workers', '1']);
    const twoWorkersUnpinned = perfloop(undefined, ['--workers', '2']);

    console.log(`throughput ceiling, ${connections} connections, ${seconds}s, generator on core 0, nginx on core 1`);
    for (const [tool, rate] of Object.entries(results)) console.log(`  ${tool.padEnd(10)} ${Math.round(rate).toLocaleString('en-US').padStart(9)} req/s`);
    console.log(`  perfloop / wrk        ${ratio(results.perfloop ?? 0, results.wrk ?? 0)}   (target >= 0.5x)`);
    console.log(`  perfloop / autocannon ${ratio(results.perfloop ?? 0, results.autocannon ?? 0)}   (target >= 1.0x)`);
    console.log(`  socket / undici       ${ratio(results.perfloop ?? 0, results['perfloop-undici'] ?? 0)}   (the default transport is the faster one)`);
    console.log(`  unpinned, nginx sharing the cores: 1 worker ${Math.round(oneWorkerUnpinned).toLocaleString('en-US')}/s, 2 workers ${Math.round(twoWorkersUnpinned).toLocaleString('en-US')}/s = ${ratio(twoWorkersUnpinned, oneWorkerUnpinned)}`);
  } finally {
    nginx.stop();
  }
}

await main();
