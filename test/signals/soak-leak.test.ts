import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readRunFile } from '../../src/core/run-file-io.js';
import { runCli } from '../helpers/cli.js';

const MIB = 1024 * 1024;

/**
 * A server that leaks 1 MiB per second of its life, whatever its load: it keeps touched buffers up to
 * elapsed seconds × 1 MiB, so a late timer on a busy machine does not change the rate.
 */
const LEAKY_SERVER = `
const http = require('node:http');
const kept = [];
let keptBytes = 0;
const born = performance.now();
setInterval(() => {
  const due = ((performance.now() - born) / 1000) * ${MIB};
  while (keptBytes + 262144 <= due) { kept.push(Buffer.allocUnsafe(262144).fill(7)); keptBytes += 262144; }
}, 50);
const server = http.createServer((request, response) => response.end('ok'));
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
setTimeout(() => process.exit(0), 60000).unref();`;

test('soak: a target leaking 1 MiB/s over a 10 s measured run with 1 s intervals is a leak suspect at ≈ 60 MiB/min, with its fit', async (t) => {
  // A small young generation and a 6 s warm-up: the server's own one-off growth under first load (~4 MiB,
  // some seconds in) stays out of the measured intervals, which then see the leak alone.
  const child = spawn(process.execPath, ['--max-semi-space-size=1', '-e', LEAKY_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.once('data', (data: Buffer) => resolve(Number(data.toString().trim())));
      child.once('exit', (code) => reject(new Error(`leaky server exited ${code}`)));
    });
    const dir = await mkdtemp(join(tmpdir(), 'perfloop-soak-'));
    const out = join(dir, 'run.json');
    const result = await runCli(['run', `http://127.0.0.1:${port}/`, '--rate', '20', '--warmup', '6s', '--duration', '10s', '--quiet', '--json', '--out', out, '--watch', `leaky=pid:${child.pid}`]);
    assert.equal(result.code, 0, result.stderr);
    const run = await readRunFile(out);
    assert.equal(run.intervalMs, 1000);
    const finding = run.signals?.findings?.find((item) => item.kind === 'heap-growth');
    assert.ok(finding, JSON.stringify(run.signals?.series.find((series) => series.metric === 'process_resident_memory_bytes')?.value));
    assert.equal(finding.resource, 'memory of leaky (process_resident_memory_bytes)');
    // 1 MiB/s is 60 MiB/min; RSS also moves with the server's own work, so within ±15%.
    const slope = finding.slopeBytesPerMin ?? 0;
    t.diagnostic(`slope ${(slope / MIB).toFixed(1)} MiB/min, r² ${finding.fitR2}`);
    assert.ok(Math.abs(slope - 60 * MIB) <= 0.15 * 60 * MIB, `slope ${(slope / MIB).toFixed(1)} MiB/min ${JSON.stringify(run.signals?.series.find((series) => series.metric === "process_resident_memory_bytes")?.value?.map((v) => v === null ? null : Math.round(v / 1024)))} ${JSON.stringify(run.intervals.map((i) => [i.startMs, i.warmup]))}`);
    assert.ok((finding.fitR2 ?? 0) >= 0.95, `r² ${finding.fitR2}`);
    assert.match(finding.evidence, /grows (5[1-9]|6\d)\.\d MiB\/min over (10|11) intervals \(linear fit r² 0\.9\d\): leak suspect/);
    // The JSON summary carries it in the one ranking too.
    const printed = JSON.parse(result.stdout) as { rankedFindings: { origin: string; kind: string }[] };
    assert.ok(printed.rankedFindings.some((item) => item.origin === 'signal' && item.kind === 'heap-growth'));
  } finally {
    child.kill();
  }
});
