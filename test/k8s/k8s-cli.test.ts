import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../src/core/clock.js';
import { writeRunFile } from '../../src/core/run-file-io.js';
import type { RunFile } from '../../src/core/run-file.js';
import { runLoad } from '../../src/load/run-load.js';
import { normalizeScenario } from '../../src/load/scenario.js';
import { runCli, startCli } from '../helpers/cli.js';
import { driveUntilSettled, SimulatedTarget } from '../helpers/simulated-target.js';
import { delayServer } from '../helpers/test-servers.js';

async function segmentRun(index: number, count: number): Promise<RunFile> {
  const clock = new FakeClock(0);
  const scenario = normalizeScenario({ requests: [{ url: 'http://127.0.0.1:1/' }], phases: [{ kind: 'constant', rate: 50, duration: '1s' }] });
  return driveUntilSettled(clock, runLoad(scenario, { segment: { index, count }, clock, sender: new SimulatedTarget(clock, { serviceTimeUs: 1000 }) }));
}

test('merge DIR: every run file of the folder, other JSON and earlier merges skipped; -o checked before any input is read', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'perfloop-merge-'));
  const results = join(dir, 'results');
  await mkdir(results);
  await writeRunFile(join(results, 'segment-0.json'), await segmentRun(0, 2));
  await writeRunFile(join(results, 'segment-1.json'), await segmentRun(1, 2));
  await writeFile(join(results, 'notes.json'), '{"hello": "world"}');
  const first = await runCli(['merge', results, '--json']);
  assert.equal(first.code, 0, first.stderr);
  const report = JSON.parse(first.stdout) as { runFile: string; kind: string; parts: number; skipped: string[]; summary: { total: { count: number } } };
  assert.equal(report.runFile, join(results, 'merged.json'));
  assert.deepEqual([report.kind, report.parts, report.summary.total.count], ['segments', 2, 50]);
  assert.deepEqual(report.skipped, [`skipped ${join(results, 'notes.json')}: not a perfloop run file`]);
  // Again, with the first merge now in the folder: it is skipped, not merged as a third part.
  await copyFile(join(results, 'merged.json'), join(results, 'earlier-merge.json'));
  const again = await runCli(['merge', results, '-o', join(dir, 'again.json')]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /note: skipped .*earlier-merge\.json: already a merge/);
  assert.match(again.stdout, /merged 2 segments of one schedule \(scenario sha256:[0-9a-f]{12}…\)/);

  // A bad -o fails first — before the (missing) input is read — and leaves nothing behind.
  await writeFile(join(dir, 'a-file'), 'x');
  // Exit 4: the output path cannot be written (I/O); exit 2: bad input.
  const cases: [string[], number, RegExp][] = [
    [['merge', join(dir, 'missing.json'), join(results, 'segment-1.json'), '-o', join(dir, 'a-file', 'merged.json')], 4, /^perfloop merge: .*a-file\/merged\.json: cannot create directory ".*a-file": a file is in the way/],
    [['merge', join(dir, 'missing.json'), join(results, 'segment-1.json'), '-o', results], 4, /^perfloop merge: .*results: cannot write: is a directory/],
    [['merge', join(results, 'segment-0.json'), join(results, 'segment-1.json'), '-o', join(results, 'segment-1.json')], 2, /-o: ".*segment-1\.json" is one of the inputs: the merge would overwrite it/],
    [['merge', join(results, 'segment-0.json'), join(results, 'segment-0.json'), '-o', join(dir, 'twice.json')], 2, /segment-0\.json: given twice/],
    [['merge', join(results, 'segment-0.json')], 2, /give at least two run files, or a folder of run files/],
  ];
  for (const [args, code, pattern] of cases) {
    const result = await runCli(args);
    assert.equal(result.code, code, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, pattern);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  }
  assert.deepEqual((await readdir(dir)).filter((name) => name.endsWith('.tmp') || name.endsWith('.probe')), []);
  assert.equal(existsSync(join(dir, 'twice.json')), false);
});

test('run --segment auto and --start-at: faults exit 2 before any request; Ctrl-C while waiting for the start writes nothing', async () => {
  const server = await delayServer(() => 1);
  const dir = await mkdtemp(join(tmpdir(), 'perfloop-start-'));
  try {
    const url = `${server.url}/`;
    const base = ['run', url, '--rate', '20', '--duration', '1s', '--quiet', '--out', join(dir, 'run.json')];
    const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
      [[...base, '--segment', 'auto'], { JOB_COMPLETION_INDEX: '', PERFLOOP_SEGMENT_COUNT: '3' }, /--segment auto: JOB_COMPLETION_INDEX: is not set/],
      [[...base, '--segment', 'auto'], { JOB_COMPLETION_INDEX: '3', PERFLOOP_SEGMENT_COUNT: '3' }, /JOB_COMPLETION_INDEX: 3 is out of range for PERFLOOP_SEGMENT_COUNT=3 \(0\.\.2\)/],
      [[...base, '--start-at', new Date(Date.now() - 60_000).toISOString()], {}, /--start-at: .* is \d+\.\d s in the past, more than one interval \(1 s\)/],
      [[...base, '--start-at', '12:00'], {}, /--start-at: must be ISO 8601 with a time zone/],
    ];
    for (const [args, env, pattern] of cases) {
      const result = await runCli(args, { env });
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, pattern);
    }
    assert.equal(server.count(), 0, 'no request was sent');

    const waiting = startCli([...base, '--segment', 'auto', '--start-at', new Date(Date.now() + 60_000).toISOString()], { env: { JOB_COMPLETION_INDEX: '1', PERFLOOP_SEGMENT_COUNT: '3' } });
    let stderr = '';
    await new Promise<void>((resolve) => waiting.child.stderr?.on('data', (chunk: Buffer) => ((stderr += chunk.toString()), /waiting for --start-at/.test(stderr) && resolve())));
    assert.match(stderr, /^segment 2\/3: waiting for --start-at \S+Z \(in \d+\.\d s\)/);
    waiting.child.kill('SIGINT');
    const stopped = await waiting.done;
    assert.equal(stopped.code, 130);
    assert.match(stopped.stderr, /stopped before --start-at: nothing was measured, no run file written/);
    assert.equal(existsSync(join(dir, 'run.json')), false);
    assert.equal(server.count(), 0);
  } finally {
    await server.close();
  }
});
