/**
 * Lab lifecycle: a second lab on a taken port, an unreachable database or Redis, and the CLI's background
 * start/stop — each fails with a clear bad-input error (exit 2) and leaves no lab process behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isPerfloopError } from '../../src/core/errors.js';
import { startLab } from '../../src/lab-control/lab.js';
import { backingServices, getJson, taggedProcesses, waitForNoTagged } from './lab-test-kit.js';

// Every process this file starts (CLI, supervisors, services) inherits the tag, so leftovers can be found.
const TAG = `lifecycle-${process.pid}-${Date.now()}`;
process.env.PERFLOOP_LAB_TEST_TAG = TAG;

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

function cli(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd, env: process.env, timeout: 120_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function rejectsWithField(promise: Promise<unknown>, field: string, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isPerfloopError(error), `not a PerfloopError: ${String(error)}`);
    assert.equal(error.code, 'BAD_INPUT');
    assert.equal(error.field, field);
    assert.match(error.message, message);
    return true;
  });
}

test('a second lab on a port in use fails clearly; the first keeps running; nothing is left after stop', { timeout: 120_000 }, async () => {
  const first = await startLab({ fixes: 'all', port: 0, ...backingServices });
  try {
    const port = Number(new URL(first.gatewayUrl).port);
    const before = taggedProcesses(TAG).length;
    assert.equal(before, 6); // supervisor + five services
    await rejectsWithField(startLab({ fixes: 'all', port, ...backingServices }), '--port', new RegExp(`port ${port} is already in use`));
    assert.deepEqual(await waitForNoTaggedBut(first.pids), []);
    const health = await getJson<{ ok: boolean; fixes: string[] }>(`${first.gatewayUrl}/health`);
    assert.equal(health.body.fixes.length, 8);
  } finally {
    await first.stop();
  }
  assert.deepEqual(await waitForNoTagged(TAG), []);
});

/** Tagged processes other than those of the lab `keep` (waits for the rest to go). */
async function waitForNoTaggedBut(keep: Record<string, number>): Promise<number[]> {
  const kept = new Set(Object.values(keep));
  const deadline = Date.now() + 10_000;
  let others = taggedProcesses(TAG).filter((pid) => !kept.has(pid));
  while (others.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    others = taggedProcesses(TAG).filter((pid) => !kept.has(pid));
  }
  return others;
}

test('an unreachable database or Redis is bad input naming it, and nothing is left running', { timeout: 60_000 }, async () => {
  await rejectsWithField(
    startLab({ fixes: new Set(), port: 0, databaseUrl: 'postgres://postgres@127.0.0.1:1/nowhere' }),
    'DATABASE_URL',
    /cannot connect to postgres:\/\/postgres@127\.0\.0\.1:1\/nowhere/,
  );
  assert.deepEqual(await waitForNoTagged(TAG), []);
  await rejectsWithField(startLab({ fixes: new Set(), port: 0, redisUrl: 'redis://127.0.0.1:1' }), 'REDIS_URL', /cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
  assert.deepEqual(await waitForNoTagged(TAG), []);
  await rejectsWithField(startLab({ fixes: new Set(['warp-drive']), port: 0 }), 'fixes', /unknown fix "warp-drive"/);
});

test('CLI: lab start runs in the background, refuses a second start, sets fixes, and stop leaves nothing', { timeout: 120_000 }, async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'perfloop-lab-cli-'));
  const state = join(cwd, '.perfloop', 'lab.json');
  try {
    const bad = await cli(['lab', 'start', '--fix', 'n+1,bogus'], cwd);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /--fix: unknown fix "bogus"/);

    const started = await cli(['lab', 'start', '--port', '0', '--fix', 'pool'], cwd);
    assert.equal(started.code, 0, started.stderr);
    assert.ok(existsSync(state));
    const recorded = JSON.parse(readFileSync(state, 'utf8')) as { gatewayUrl: string; supervisorPid: number; fixes: string[] };
    assert.deepEqual(recorded.fixes, ['pool']);
    assert.match(started.stdout, new RegExp(`gateway: ${recorded.gatewayUrl.replace(/[.:/]/g, '\\$&')}`));
    assert.equal(taggedProcesses(TAG).length, 6); // the CLI exited; supervisor and services live on

    const again = await cli(['lab', 'start', '--port', '0'], cwd);
    assert.equal(again.code, 2);
    assert.match(again.stderr, new RegExp(`already running \\(supervisor pid ${recorded.supervisorPid}`));

    const fixed = await cli(['lab', 'fixes', 'n+1,parallel'], cwd);
    assert.equal(fixed.code, 0, fixed.stderr);
    const health = await getJson<{ fixes: string[] }>(`${recorded.gatewayUrl}/health`);
    assert.deepEqual(health.body.fixes, ['n+1', 'parallel']);

    const status = await cli(['lab', 'status'], cwd);
    assert.equal(status.code, 0);
    assert.match(status.stdout, /fixes: n\+1, parallel/);
    const explain = await cli(['lab', 'explain'], cwd);
    assert.equal(explain.code, 0);
    assert.match(explain.stdout, /Seq Scan on order_lines/);

    const stopped = await cli(['lab', 'stop'], cwd);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.equal(existsSync(state), false);
    assert.deepEqual(await waitForNoTagged(TAG), []);
    const after = await cli(['lab', 'status'], cwd);
    assert.equal(after.code, 2);
    assert.match(after.stderr, /no lab is running/);
  } finally {
    await cli(['lab', 'stop'], cwd);
    rmSync(cwd, { recursive: true, force: true });
  }
});

test('services die with their supervisor, even when it is killed outright', { timeout: 120_000 }, async () => {
  const lab = await startLab({ fixes: 'all', port: 0, ...backingServices });
  const supervisor = lab.pids.supervisor;
  assert.ok(supervisor);
  assert.equal(taggedProcesses(TAG).length, 6);
  process.kill(supervisor, 'SIGKILL');
  assert.deepEqual(await waitForNoTagged(TAG), []);
  await lab.stop(); // already gone: resolves without error
});
