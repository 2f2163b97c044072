/**
 * Where the generator's worst lag came from: the /proc readings a generator thread takes (fixtures), the
 * attribution of the worst interval, and — live — a generator whose core is taken by a busier process is told
 * it waited for a CPU, not that it stalled itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Interval, RunFile } from '../../src/core/run-file.js';
import { LatencyHistogram } from '../../src/histogram/latency-histogram.js';
import { parseCpuStealTicks, parseSchedstatWaitNs } from '../../src/signals/proc-parsers.js';
import { attributeWorstStall } from '../../src/load/stall-attribution.js';
import { ThreadStallMeter } from '../../src/load/thread-stall-meter.js';
import { mergeIntervals } from '../../src/core/run-aggregate.js';

const PROC_STAT = `cpu  28973 0 6268 39801 909 0 258 389 0 0
cpu0 17673 0 2594 17642 149 0 51 168 0 0
cpu1 11300 0 3673 22158 760 0 207 221 0 0
intr 123 0
`;

test('proc readings: run-queue wait and per-CPU steal', () => {
  assert.equal(parseSchedstatWaitNs('1523736 28026120 2\n'), 28026120);
  assert.equal(parseSchedstatWaitNs(''), undefined);
  assert.equal(parseCpuStealTicks(PROC_STAT, [0]), 168);
  assert.equal(parseCpuStealTicks(PROC_STAT, [0, 1]), 389);
  assert.equal(parseCpuStealTicks(PROC_STAT, [5]), 0);
});

test('the meter reports what changed since its last reading, for the CPUs the thread may use', () => {
  const files = new Map<string, string>([
    ['/proc/thread-self/status', 'Name:\tnode\nCpus_allowed_list:\t1\n'],
    ['/proc/thread-self/schedstat', '100 5000000 3\n'],
    ['/proc/stat', PROC_STAT],
  ]);
  const meter = new ThreadStallMeter((path) => files.get(path));
  files.set('/proc/thread-self/schedstat', '900 7500000 9\n');
  files.set('/proc/stat', PROC_STAT.replace('cpu1 11300 0 3673 22158 760 0 207 221', 'cpu1 11300 0 3673 22158 760 0 207 224').replace('cpu0 17673 0 2594 17642 149 0 51 168', 'cpu0 17673 0 2594 17642 149 0 51 190'));
  // 2.5 ms more waiting; cpu1's steal rose 3 ticks (cpu0's 22 ticks are not this thread's).
  assert.deepEqual(meter.take(), { runQueueWaitUs: 2500, stealUs: 30_000 });
  assert.deepEqual(meter.take(), { runQueueWaitUs: 0, stealUs: 0 });
  assert.equal(new ThreadStallMeter(() => undefined).take(), undefined);
});

function interval(startMs: number, lagUs: number[], stalls?: Interval['generatorStalls']): Interval {
  const lag = LatencyHistogram.empty();
  lagUs.forEach((value) => lag.record(value));
  return { startMs, durationMs: 1000, phase: 'p', warmup: false, scheduled: lagUs.length, sent: lagUs.length, requests: {}, scheduleLag: lag.encode(), ...(stalls ? { generatorStalls: stalls } : {}) };
}

/** As health.ts hands them over: each interval with its decoded schedule lag's maximum. */
const withLagMax = (...intervals: Interval[]): { interval: Interval; lagMaxUs: number }[] =>
  intervals.map((each) => ({ interval: each, lagMaxUs: LatencyHistogram.decode(each.scheduleLag).maxUs }));

test('the worst interval is set beside what was measured there; the largest explanation covering half the lag is named', () => {
  const quiet = { gcMaxUs: 300, runQueueWaitUs: 100, stealUs: 0 };
  const gc = attributeWorstStall(withLagMax(interval(0, [20, 40], quiet), interval(1000, [20, 6000], { gcMaxUs: 5200, runQueueWaitUs: 900, stealUs: 0 }), interval(2000, [20, 900], quiet)));
  assert.equal(gc?.atMs, 1000);
  assert.ok(Math.abs((gc?.lagMaxUs ?? 0) - 6000) <= 6000 * 0.001, String(gc?.lagMaxUs));
  assert.equal(gc?.cause, 'garbage collection');
  assert.equal(attributeWorstStall(withLagMax(interval(0, [8000], { gcMaxUs: 500, runQueueWaitUs: 9000, stealUs: 0 })))?.cause, 'CPU contention');
  assert.equal(attributeWorstStall(withLagMax(interval(0, [8000], { gcMaxUs: 500, runQueueWaitUs: 200, stealUs: 10_000 })))?.cause, 'host steal');
  // Nothing measured covers half of an 8 ms lag: the generator's own work, or a stall it cannot see.
  assert.equal(attributeWorstStall(withLagMax(interval(0, [8000], { gcMaxUs: 1500, runQueueWaitUs: 3000, stealUs: 0 })))?.cause, 'unexplained');
  assert.equal(attributeWorstStall(withLagMax(interval(0, [8000]))), undefined);
  // Intervals of several segments merge: the longest GC pause, waits summed, steal of shared CPUs the largest.
  const merged = mergeIntervals([interval(0, [10], { gcMaxUs: 100, runQueueWaitUs: 50, stealUs: 10_000 }), interval(0, [10], { gcMaxUs: 700, runQueueWaitUs: 25, stealUs: 0 })]);
  assert.deepEqual(merged?.generatorStalls, { gcMaxUs: 700, runQueueWaitUs: 75, stealUs: 10_000 });
});

const linuxWithTaskset = process.platform === 'linux' && spawnSync('taskset', ['-c', '0', 'true']).status === 0;

test('live: a generator sharing its core with a busy process is told it waited for a CPU', { skip: !linuxWithTaskset && 'needs Linux and taskset' }, async () => {
  const server = createServer((_request, response) => response.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const dir = await mkdtemp(join(tmpdir(), 'perfloop-stall-'));
  const out = join(dir, 'run.json');
  // A busy loop on CPU 0 beside a generator of the same priority on CPU 0: each gets about half the core.
  const hog = spawn('taskset', ['-c', '0', process.execPath, '-e', 'const end = Date.now() + 8000; while (Date.now() < end);'], { stdio: 'ignore' });
  try {
    const cli = join(import.meta.dirname, '../../src/cli/main.js');
    // Asynchronously: the target answers from this process's event loop.
    await promisify(execFile)('taskset', ['-c', '0', process.execPath, cli, 'run', url, '--rate', '200', '--duration', '2s', '--warmup', '500ms', '--priority', 'normal', '--quiet', '--out', out], { timeout: 30_000 });
    const file = JSON.parse(readFileSync(out, 'utf8')) as RunFile;
    assert.equal(file.summary.total.errors, 0);
    const measured = file.intervals.filter((each) => !each.warmup);
    assert.ok(measured.length >= 2 && measured.every((each) => each.generatorStalls !== undefined), 'every measured interval carries its stalls');
    const waitedUs = measured.reduce((sum, each) => sum + (each.generatorStalls?.runQueueWaitUs ?? 0), 0);
    // Sharing one core with a busy process, the generator thread waits for it: 190–480 ms over the 2 s measured
    // (a thread that mostly sleeps is favoured on waking); alone on a quiet core, a few ms.
    assert.ok(waitedUs >= 50_000, `waited ${waitedUs} µs`);
    assert.equal(file.health.worstStall?.cause, 'CPU contention', JSON.stringify(file.health.worstStall));
  } finally {
    hog.kill('SIGKILL');
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
});
