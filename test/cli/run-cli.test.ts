import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRunFile } from '../../src/core/run-file-io.js';
import { runCli, startCli } from '../helpers/cli.js';
import { delayServer } from '../helpers/test-servers.js';

test('bad input: a message naming the field, exit code 2', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'perfloop-cli-'));
  const scenario = join(dir, 'bad.yaml');
  await writeFile(scenario, 'requests:\n  - url: http://127.0.0.1:9/\n    retries: 3\nphases:\n  - kind: constant\n    rate: 10\n    duration: 1s\n');
  const badRate = join(dir, 'bad-rate.yaml');
  await writeFile(badRate, 'requests:\n  - url: http://127.0.0.1:9/\nphases:\n  - kind: constant\n    rate: 0\n    duration: 1s\n');
  const cases: [string[], RegExp][] = [
    [['run', 'not a url'], /URL.*invalid URL/],
    [['run', 'ftp://127.0.0.1/'], /URL.*unsupported protocol/],
    [['run', 'http://127.0.0.1:9/', '--rate', '-5'], /--rate.*positive/],
    [['run', 'http://127.0.0.1:9/', '--rate', '0'], /--rate.*positive/],
    [['run', 'http://127.0.0.1:9/', '--duration', 'abc'], /--duration.*unparseable duration/],
    [['run', 'http://127.0.0.1:9/', '--bogus'], /--bogus/],
    [['run', scenario], /requests\.0.*unknown field "retries"/],
    [['run', badRate], /phases\.0\.rate.*> 0/],
    [['run', join(dir, 'missing.yaml')], /cannot read scenario file/],
    [['merge', join(dir, 'missing.json'), join(dir, 'missing2.json')], /cannot read run file/],
    [['nonsense'], /unknown command/],
  ];
  for (const [args, pattern] of cases) {
    const result = await runCli(args);
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, pattern, args.join(' '));
  }
});

test('run writes a valid run file and prints the summary; merge adds runs exactly', async () => {
  const server = await delayServer(() => 2);
  const dir = await mkdtemp(join(tmpdir(), 'perfloop-cli-'));
  try {
    const outA = join(dir, 'a.json');
    const outB = join(dir, 'b.json');
    const a = await runCli(['run', `${server.url}/`, '--rate', '50', '--duration', '1s', '--segment', '1/2', '--out', outA, '--quiet']);
    const b = await runCli(['run', `${server.url}/`, '--rate', '50', '--duration', '1s', '--segment', '2/2', '--out', outB, '--quiet']);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    assert.match(a.stdout, /requests\s+25\b/);
    assert.match(a.stdout, /p99/);
    const runA = await readRunFile(outA);
    assert.equal(runA.summary.total.count, 25);
    const merged = join(dir, 'merged.json');
    const m = await runCli(['merge', outA, outB, '-o', merged, '--json']);
    assert.equal(m.code, 0, m.stderr);
    const mergedRun = await readRunFile(merged);
    assert.equal(mergedRun.summary.total.count, 50);
    assert.deepEqual(mergedRun.mergedFrom, [outA, outB]);
    // A damaged run file is refused with the field at fault.
    const damaged = JSON.parse(await readFile(outA, 'utf8')) as Record<string, unknown>;
    delete damaged.health;
    await writeFile(join(dir, 'damaged.json'), JSON.stringify(damaged));
    const bad = await runCli(['merge', join(dir, 'damaged.json'), outB]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /damaged\.json.*health/);
  } finally {
    await server.close();
  }
});

test('Ctrl-C still writes a valid run file with everything measured so far', async () => {
  const server = await delayServer(() => 1);
  const dir = await mkdtemp(join(tmpdir(), 'perfloop-cli-'));
  try {
    const out = join(dir, 'interrupted.json');
    const { child, done } = startCli(['run', `${server.url}/`, '--rate', '100', '--duration', '30s', '--out', out]);
    // Interrupt once the load is flowing (start-up time varies with the machine's load).
    while (server.count() < 100) await new Promise((resolve) => setTimeout(resolve, 20));
    child.kill('SIGINT');
    const result = await done;
    assert.equal(result.code, 130, result.stderr);
    const run = await readRunFile(out);
    assert.equal(run.interrupted, true);
    assert.ok(run.summary.total.count >= 100 && run.summary.total.count <= 400, `count ${run.summary.total.count}`);
    assert.equal(run.summary.total.count, server.count());
    assert.match(result.stdout, /interrupted/);
  } finally {
    await server.close();
  }
});

test('run --budget: exit 1 when over budget, 0 when within, 2 for a bad budget line', async () => {
  const server = await delayServer(() => 20);
  const dir = await mkdtemp(join(tmpdir(), 'perfloop-cli-'));
  try {
    const tight = join(dir, 'tight.yaml');
    const loose = join(dir, 'loose.yaml');
    const broken = join(dir, 'broken.yaml');
    await writeFile(tight, 'limits:\n  - p50 < 5ms\n  - errors < 1%\n');
    await writeFile(loose, 'limits:\n  - p50 < 2s\n  - errors < 1%\n');
    await writeFile(broken, 'limits:\n  - p50 fast please\n');
    const over = await runCli(['run', `${server.url}/`, '--rate', '20', '--duration', '1s', '--budget', tight, '--out', join(dir, 'over.json'), '--quiet']);
    assert.equal(over.code, 1, over.stderr);
    assert.match(over.stdout, /FAIL/);
    const within = await runCli(['run', `${server.url}/`, '--rate', '20', '--duration', '1s', '--budget', loose, '--out', join(dir, 'within.json'), '--quiet']);
    assert.equal(within.code, 0, within.stderr);
    const bad = await runCli(['run', `${server.url}/`, '--rate', '20', '--duration', '1s', '--budget', broken, '--quiet']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /broken\.yaml/);
  } finally {
    await server.close();
  }
});
