import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FakeClock } from '../../src/core/clock.js';
import { readRunFile } from '../../src/core/run-file-io.js';
import { PROFILES_VERSION, SIGNALS_VERSION, type RunFile, type StoredProfile } from '../../src/core/run-file.js';
import { runLoad } from '../../src/load/run-load.js';
import { normalizeScenario } from '../../src/load/scenario.js';
import { runCli } from '../helpers/cli.js';
import { driveUntilSettled, SimulatedTarget } from '../helpers/simulated-target.js';

async function segmentRun(index: number): Promise<RunFile> {
  const clock = new FakeClock(0);
  const target = new SimulatedTarget(clock, { serviceTimeUs: 3000 });
  const scenario = normalizeScenario({ requests: [{ url: 'http://127.0.0.1:1/a' }], phases: [{ kind: 'constant', rate: 50, duration: '4s' }] });
  return driveUntilSettled(clock, runLoad(scenario, { segment: { index, count: 2 }, clock, sender: target }));
}

const source = (name: string, target: string): NonNullable<RunFile['signals']>['sources'][number] => ({ name, kind: 'process', target, attempts: 5, failures: {}, badLines: 0, droppedSeries: 0, droppedMetrics: [] });

const profile = (name: string, selfNs: number, startMs: number): StoredProfile => ({
  name,
  source: 'inspector://127.0.0.1:9229',
  kind: 'cpu',
  unit: 'ns',
  startMs,
  durationMs: 4000,
  frames: [{ name: 'hot', file: 'a.js', line: 1 }],
  nodes: [{ frame: 0, parent: -1, self: selfNs }],
  prunedNodes: 0,
});

/** Segment `index` with a source "etcd1" (in both segments: same name, other machine) and one of its own. */
function withEvidence(run: RunFile, index: number): RunFile {
  const n = run.intervals.length;
  const rss = Array.from({ length: n }, (_, i) => (index + 1) * 1e6 + i);
  return {
    ...run,
    signals: {
      version: SIGNALS_VERSION,
      intervalMs: run.intervalMs,
      sources: [source('etcd1', `pid:${100 + index}`), source(`own${index}`, `pid:${200 + index}`)],
      series: [
        { source: 'etcd1', metric: 'process_resident_memory_bytes', labels: {}, kind: 'gauge', value: rss },
        { source: `own${index}`, metric: 'process_threads', labels: {}, kind: 'gauge', value: rss.map(() => index + 10) },
      ],
    },
    profiles: { version: PROFILES_VERSION, profiles: [profile('api', (index + 1) * 1e6, 0)] },
  };
}

test('merge keeps every signal source and profile of every segment; same names are told apart by segment', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'perfloop-merge-evidence-'));
  const [a, b] = await Promise.all([segmentRun(0), segmentRun(1)]);
  assert.ok(a && b);
  await writeFile(join(dir, 'a.json'), JSON.stringify(withEvidence(a, 0)));
  await writeFile(join(dir, 'b.json'), JSON.stringify(withEvidence(b, 1)));
  const out = join(dir, 'merged.json');
  const result = await runCli(['merge', join(dir, 'b.json'), join(dir, 'a.json'), '-o', out, '--json']);
  assert.equal(result.code, 0, result.stderr);
  const merged = await readRunFile(out);
  const n = merged.intervals.length;
  assert.equal(n, a.intervals.length);
  assert.deepEqual(merged.signals?.sources.map((item) => [item.name, item.target]).sort(), [
    ['etcd1 [segment 1/2]', 'pid:100'],
    ['etcd1 [segment 2/2]', 'pid:101'],
    ['own0', 'pid:200'],
    ['own1', 'pid:201'],
  ]);
  assert.equal(merged.signals?.series.length, 4);
  const rssOf = (name: string): (number | null)[] | undefined => merged.signals?.series.find((item) => item.source === name)?.value;
  assert.deepEqual(rssOf('etcd1 [segment 1/2]'), Array.from({ length: n }, (_, i) => 1e6 + i));
  assert.deepEqual(rssOf('etcd1 [segment 2/2]'), Array.from({ length: n }, (_, i) => 2e6 + i));
  assert.deepEqual(rssOf('own1'), Array.from({ length: n }, () => 11));
  assert.deepEqual(merged.profiles?.profiles.map((item) => [item.name, item.nodes[0]?.self]).sort(), [
    ['api [segment 1/2]', 1e6],
    ['api [segment 2/2]', 2e6],
  ]);
});
