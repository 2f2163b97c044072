/**
 * Every way out of a run keeps what was measured: a Ctrl-C against a target that never answers does not wait
 * for the request timeout, a second Ctrl-C ends at once, and neither discards the run file. An impossible
 * schedule stops by itself instead of running on past its duration. Long runs cost no memory up front.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRunFile } from '../../src/core/run-file-io.js';
import { IntervalGrid } from '../../src/load/interval-plan.js';
import { normalizeScenario } from '../../src/load/scenario.js';
import { startCli } from '../helpers/cli.js';

/** Accepts connections and never answers; counts the requests that arrived. */
async function silentServer(): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  let requests = 0;
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', () => requests++);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    requests: () => requests,
    close: () =>
      new Promise((resolve) => {
        sockets.forEach((socket) => socket.destroy());
        server.close(() => resolve());
      }),
  };
}

const until = async (condition: () => boolean): Promise<void> => {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20));
};

test('Ctrl-C against a target that never answers: out within a few seconds (not the 30 s timeout), in-flight requests counted', async () => {
  const server = await silentServer();
  const out = join(await mkdtemp(join(tmpdir(), 'perfloop-int-')), 'run.json');
  try {
    const { child, done } = startCli(['run', server.url, '--rate', '50', '--duration', '60s', '--timeout', '30s', '--quiet', '--out', out]);
    await until(() => server.requests() >= 20);
    const signalledAt = Date.now();
    child.kill('SIGINT');
    const result = await done;
    assert.equal(result.code, 130, result.stderr);
    assert.ok(Date.now() - signalledAt < 6000, `took ${Date.now() - signalledAt} ms`);
    const run = await readRunFile(out);
    assert.equal(run.interrupted, true);
    assert.ok(run.health.inFlightAtEnd >= 20, `in flight ${run.health.inFlightAtEnd}`);
    assert.ok(run.health.scheduled >= 20);
  } finally {
    await server.close();
  }
});

test('a second Ctrl-C ends at once and still writes the run file', async () => {
  const server = await silentServer();
  const out = join(await mkdtemp(join(tmpdir(), 'perfloop-int-')), 'run.json');
  try {
    const { child, done } = startCli(['run', server.url, '--rate', '50', '--duration', '60s', '--timeout', '30s', '--quiet', '--out', out]);
    await until(() => server.requests() >= 10);
    child.kill('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 50));
    child.kill('SIGINT');
    const result = await done;
    assert.equal(result.code, 130, result.stderr);
    assert.match(result.stderr, /stopping now/);
    const run = await readRunFile(out);
    assert.equal(run.interrupted, true);
  } finally {
    await server.close();
  }
});

test('an impossible rate stops at the end of its phase instead of sending the backlog, and says so', async () => {
  const server = await silentServer();
  const out = join(await mkdtemp(join(tmpdir(), 'perfloop-int-')), 'run.json');
  try {
    const startedAt = Date.now();
    const { done } = startCli(['run', server.url, '--rate', '1000000', '--duration', '1s', '--timeout', '1s', '--quiet', '--out', out]);
    const result = await done;
    // 1 s of schedule, ≤ 1 s more behind before the cut, ≤ 1 s of drain: far from the minutes the backlog would take.
    assert.ok(Date.now() - startedAt < 15_000, `took ${Date.now() - startedAt} ms`);
    assert.equal(result.code, 0, result.stderr);
    const run = await readRunFile(out);
    assert.equal(run.health.valid, false);
    // A fast machine queues arrivals until 250,000 wait for a connection and stops there; a slower one falls
    // behind and is cut at the phase end. Either way the run ends on time and says why the schedule stopped.
    assert.ok(run.health.reasons.some((reason) => /stopped the schedule/.test(reason)), run.health.reasons.join('; '));
    assert.ok(run.health.scheduled <= 1_000_000, `scheduled ${run.health.scheduled}`);
    assert.ok(run.health.sent < 1_000_000, `sent ${run.health.sent}`);
  } finally {
    await server.close();
  }
});

test('the interval grid is computed on demand: a billion-second phase costs nothing up front', () => {
  // Scenario limits refuse such a run (7 days at most); the grid itself must not depend on them.
  const scenario = normalizeScenario({ requests: [{ url: 'http://127.0.0.1:1/' }], phases: [{ kind: 'constant', rate: 1, duration: '1s', warmup: true }, { kind: 'constant', rate: 1, duration: '1s' }] });
  const phases = scenario.phases.map((phase, index) => (index === 1 ? { ...phase, durationMs: 1e12 } : phase));
  const grid = new IntervalGrid(phases, 1000);
  assert.equal(grid.length, 1 + 1e9);
  assert.deepEqual(grid.at(0), { startMs: 0, durationMs: 1000, phase: phases[0]?.name, warmup: true });
  assert.deepEqual(grid.at(500_000_001), { startMs: 500_000_001_000, durationMs: 1000, phase: phases[1]?.name, warmup: false });
  assert.equal(grid.indexAt(500_000_001_500), 500_000_001);
  assert.equal(grid.indexAt(-5), 0);
  assert.equal(grid.indexAt(1e15), 1e9);
});
