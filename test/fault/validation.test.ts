/** Fault matrix, up-front validation: every limit refuses with the field and the limit named, before any load. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPerfloopError } from '../../src/core/errors.js';
import { normalizeScenario } from '../../src/load/scenario.js';
import { scenarioFromUrl } from '../../src/load/scenario-from-flags.js';
import { checkWorkers, maxWorkers } from '../../src/load/scenario-limits.js';
import { checkRunFlags } from '../../src/cli/run-preflight.js';
import { runCli } from '../helpers/cli.js';
import { assertCleanError, countingServer, runInProcess } from './fault-kit.js';
import type { Command } from '../../src/cli/command.js';
import { runCommand } from '../../src/cli/commands/run.js';
import { sweepCommand } from '../../src/cli/commands/sweep.js';

const URL = 'http://127.0.0.1:9/';

function throwsBadInput(run: () => unknown, field: string, message: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(isPerfloopError(error), String(error));
    assert.equal(error.code, 'BAD_INPUT');
    assert.equal(error.field, field);
    assert.match(error.message, message);
    return true;
  });
}

const scenario = (extra: Record<string, unknown>, phase: Record<string, unknown> = { kind: 'constant', rate: 10, duration: '1s' }, request: Record<string, unknown> = {}) =>
  normalizeScenario({ requests: [{ url: URL, ...request }], phases: [phase], ...extra }, 's.yaml');

test('flag limits: rate, duration, connections, users, think-time with --rate', () => {
  throwsBadInput(() => scenarioFromUrl(URL, { ratePerSec: 1e9 }), '--rate', /at most 1,000,000 requests\/s/);
  throwsBadInput(() => scenarioFromUrl(URL, { duration: '1000000000s' }), '--duration', /at most 168h \(7 days\)/);
  throwsBadInput(() => scenarioFromUrl(URL, { warmup: '200h' }), '--warmup', /at most 168h/);
  throwsBadInput(() => scenarioFromUrl(URL, { connections: 100_000 }), '--connections', /at most 10,000 connections/);
  throwsBadInput(() => scenarioFromUrl(URL, { users: 1_000_000 }), '--users', /at most 100,000 users/);
  throwsBadInput(() => scenarioFromUrl(URL, { ratePerSec: 10, thinkTime: '1s' }), '--think-time', /only with --users/);
  throwsBadInput(() => scenarioFromUrl(URL, { thinkTime: '1s' }), '--think-time', /only with --users/);
  throwsBadInput(() => scenarioFromUrl(URL, { timeout: '2h' }), '--timeout', /at most 1h/);
  // At the limits: accepted. A 7-day flag run gets 7 s intervals (86,400 of them ≤ 100,000), not 604,800 of 1 s.
  assert.equal(scenarioFromUrl(URL, { ratePerSec: 1_000_000, duration: '1s' }).phases[0]?.kind, 'constant');
  assert.equal(scenarioFromUrl(URL, { duration: '168h' }).intervalMs, 7000);
  assert.equal(scenarioFromUrl(URL, { duration: '10s' }).intervalMs, 1000);
  assert.equal(scenarioFromUrl(URL, { users: 5, thinkTime: '1s' }).phases[0]?.kind, 'closed');
});

test('scenario-file limits: every phase kind, intervals, body and header bytes, request count', () => {
  throwsBadInput(() => scenario({}, { kind: 'poisson', rate: 2e6, duration: '1s' }), 's.yaml: phases.0.rate', /at most 1,000,000/);
  throwsBadInput(() => scenario({}, { kind: 'ramp', from: 0, to: 5e6, duration: '1s' }), 's.yaml: phases.0.to', /at most 1,000,000/);
  throwsBadInput(() => scenario({}, { kind: 'burst', rate: 10, baseRate: 2e6, on: '1s', off: '1s', duration: '4s' }), 's.yaml: phases.0.baseRate', /at most 1,000,000/);
  throwsBadInput(() => scenario({}, { kind: 'steps', rates: [10, 2e6], stepDuration: '1s' }), 's.yaml: phases.0.rates.1', /at most 1,000,000/);
  throwsBadInput(() => scenario({}, { kind: 'closed', users: 2, thinkTime: '2h', duration: '1s' }), 's.yaml: phases.0.thinkTime', /at most 1h/);
  throwsBadInput(() => scenario({}, { kind: 'constant', rate: 1, duration: '169h' }), 's.yaml: phases.0.duration', /at most 168h/);
  // Two phases of 100 h each: each within the limit, together over it.
  throwsBadInput(
    () => normalizeScenario({ requests: [{ url: URL }], phases: [{ kind: 'constant', rate: 1, duration: '100h' }, { kind: 'constant', rate: 1, duration: '100h' }], interval: '1m' }, 's.yaml'),
    's.yaml: phases',
    /all phases together at most 168h/,
  );
  // 48 h in 1 s intervals is 172,800 intervals: the message says the interval that fits.
  throwsBadInput(() => scenario({}, { kind: 'constant', rate: 1, duration: '48h' }), 's.yaml: interval', /172,800 intervals, at most 100,000: use an interval of at least 2s/);
  assert.equal(scenario({ interval: '2s' }, { kind: 'constant', rate: 1, duration: '48h' }).intervalMs, 2000);
  throwsBadInput(() => scenario({ interval: '10ms' }), 's.yaml: interval', /at least 100ms/);
  throwsBadInput(() => scenario({ interval: '2h' }), 's.yaml: interval', /at most 1h/);
  throwsBadInput(() => scenario({ connections: 10_001 }), 's.yaml: connections', /at most 10,000/);
  throwsBadInput(() => scenario({}, undefined, { body: 'x'.repeat(16 * 1024 * 1024 + 1) }), 's.yaml: requests.0.body', /at most 16,777,216 bytes, got 16,777,217/);
  throwsBadInput(() => scenario({}, undefined, { headers: { 'x-big': 'y'.repeat(70_000) } }), 's.yaml: requests.0.headers', /at most 65,536 bytes of headers/);
  throwsBadInput(
    () => normalizeScenario({ requests: Array.from({ length: 10_001 }, (_, index) => ({ url: URL, name: `r${index}` })), phases: [{ kind: 'constant', rate: 1, duration: '1s' }] }, 's.yaml'),
    's.yaml: requests',
    /at most 10,000 requests/,
  );
});

test('workers: at most 4 per core (at least 4), never more than 64; URL-form flags refused with a scenario file', () => {
  assert.equal(maxWorkers(1), 4);
  assert.equal(maxWorkers(2), 8);
  assert.equal(maxWorkers(64), 64);
  throwsBadInput(() => checkWorkers(9, '--workers', 2), '--workers', /at most 8 \(4 per CPU core, 2 cores here, never more than 64\), got 9/);
  assert.equal(checkWorkers(8, '--workers', 2), 8);
  throwsBadInput(() => checkRunFlags(URL, { workers: '1000' }), '--workers', /at most \d+/);
  throwsBadInput(() => checkRunFlags('load.yaml', { rate: '50' }), '--rate', /URL form only/);
  throwsBadInput(() => checkRunFlags('load.yaml', { 'think-time': '1s' }), '--think-time', /URL form only/);
  throwsBadInput(() => checkRunFlags(URL, { 'otlp-port': '70000' }), '--otlp-port', /1–65535, got "70000"/);
  throwsBadInput(() => checkRunFlags(URL, { 'otlp-port': 'abc' }), '--otlp-port', /1–65535/);
});

test('commands: limits exit 2 before any request is sent (one through the real CLI: message, no stack trace)', async () => {
  const server = await countingServer();
  const dir = await mkdtemp(join(tmpdir(), 'perfloop-fault-'));
  try {
    const cases: Array<[Command, string[], RegExp]> = [
      [runCommand, [`${server.url}/`, '--rate', '1e9', '--quiet'], /--rate: at most 1,000,000 requests\/s/],
      [runCommand, [`${server.url}/`, '--duration', '1000000000s', '--quiet'], /--duration: at most 168h/],
      [runCommand, [`${server.url}/`, '--workers', '1000', '--quiet'], /--workers: at most \d+/],
      [runCommand, [`${server.url}/`, '--rate', '10', '--think-time', '1s', '--quiet'], /--think-time: only with --users/],
      [sweepCommand, [`${server.url}/`, '--rates', '10,20', '--think-time', '1s'], /--think-time: only with --concurrency/],
      [sweepCommand, [`${server.url}/`, '--concurrency', '1,2', '--workers', '1000'], /--workers: at most/],
      [sweepCommand, [`${server.url}/`, '--rates', '10,2000000'], /--rates: at most 1,000,000 requests\/s, got 2000000/],
      [sweepCommand, [`${server.url}/`, '--slo', 'p99<200ms', '--max-rate', '1e9'], /--max-rate: at most 1,000,000/],
      [sweepCommand, [`${server.url}/`, '--concurrency', '1,200000'], /--concurrency: at most 100,000 users/],
    ];
    const scenarioPath = join(dir, 'long.yaml');
    await writeFile(scenarioPath, `requests: [{ url: "${server.url}/" }]\nphases: [{ kind: constant, rate: 10, duration: 72h }]\n`);
    cases.push([runCommand, [scenarioPath, '--quiet'], /long\.yaml: interval: 72h \(3 days\) in 1s intervals is 259,200 intervals, at most 100,000: use an interval of at least 3s/]);
    for (const [command, args, pattern] of cases) {
      const result = await runInProcess(command, args);
      assert.equal(result.code, 2, args.join(' '));
      assert.match(result.message, pattern);
    }
    assertCleanError(await runCli(['run', `${server.url}/`, '--rate', '1e9', '--quiet']), 2, /^perfloop run: --rate: at most 1,000,000 requests\/s/);
    assert.equal(server.count(), 0);
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
});
