/**
 * The serialization culprit and its fix on the real kv lab (3 etcd members): the same writes through etcd's
 * JSON gateway (JSON + base64, `{key|base64}` templates) and through its gRPC API (protobuf, lab/kv/etcd-kv.proto),
 * with small (96 B) and large (512 KiB) values, open model. Prints p50/p99/throughput/errors side by side.
 *   node dist/bench/kv-serialization.js [seconds=8] [small rate=50] [large rate=20]
 * A report, not a gate: run it on a quiet machine.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { etcdInstalled, startKvLab } from '../src/lab-control/kv-lab.js';
import { kvScenarioText } from '../src/lab-control/kv-scenarios.js';
import { PERFLOOP_CLI } from './peers.js';

const seconds = Number(process.argv[2] ?? 8);
const smallRate = Number(process.argv[3] ?? 50);
const largeRate = Number(process.argv[4] ?? 20);

interface Row {
  file: string;
  p50Ms: number;
  p99Ms: number;
  throughputPerSec: number;
  errors: number;
}

async function main(): Promise<void> {
  if (!etcdInstalled()) {
    console.log('kv-serialization: etcd is not installed (apt-get install etcd-server etcd-client); nothing measured');
    return;
  }
  const lab = await startKvLab({ port: 0 });
  const dir = mkdtempSync(join(tmpdir(), 'perfloop-kv-bench-'));
  try {
    const target = new URL(lab.leaderUrl).host;
    const rows: Row[] = [];
    const cases: [string, number][] = [
      ['put-gateway.yaml', smallRate],
      ['put-grpc.yaml', smallRate],
      ['put-large-gateway.yaml', largeRate],
      ['put-large-grpc.yaml', largeRate],
    ];
    for (const [file, ratePerSec] of cases) {
      const scenario = join(dir, file);
      writeFileSync(scenario, kvScenarioText(file, { target, ratePerSec, duration: `${seconds}s`, warmup: '1s' }));
      const out = join(dir, `${file}.json`);
      const result = spawnSync(process.execPath, [PERFLOOP_CLI, 'run', scenario, '--quiet', '--out', out], { encoding: 'utf8' });
      if (result.status !== 0) throw new Error(`${file}: exit ${result.status}: ${result.stderr}`);
      const run = JSON.parse(readFileSync(out, 'utf8')) as { summary: { total: { throughputPerSec: number; count: number; ok: number; latency: { p50Us: number; p99Us: number } } } };
      const total = run.summary.total;
      rows.push({ file, p50Ms: total.latency.p50Us / 1000, p99Ms: total.latency.p99Us / 1000, throughputPerSec: total.throughputPerSec, errors: total.count - total.ok });
    }
    console.log(`kv serialization: JSON gateway vs gRPC on the 3-member lab leader, ${seconds}s each after 1s warm-up`);
    console.log(`  ${'scenario'.padEnd(24)} ${'rate'.padStart(5)} ${'p50'.padStart(10)} ${'p99'.padStart(10)} ${'req/s'.padStart(8)} ${'errors'.padStart(7)}`);
    rows.forEach((row, index) => {
      const rate = cases[index]?.[1] ?? 0;
      console.log(`  ${row.file.padEnd(24)} ${String(rate).padStart(5)} ${`${row.p50Ms.toFixed(2)}ms`.padStart(10)} ${`${row.p99Ms.toFixed(2)}ms`.padStart(10)} ${row.throughputPerSec.toFixed(1).padStart(8)} ${String(row.errors).padStart(7)}`);
    });
    const ratio = (a: Row | undefined, b: Row | undefined): string => (a && b && b.p50Ms > 0 ? `${(a.p50Ms / b.p50Ms).toFixed(2)}x` : '-');
    console.log(`  p50 gateway / gRPC: 96 B ${ratio(rows[0], rows[1])}, 512 KiB ${ratio(rows[2], rows[3])}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await lab.stop();
  }
}

await main();
