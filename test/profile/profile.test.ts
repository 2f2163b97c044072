import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { inspectableChild } from '../helpers/inspectable-child.js';
import { gzipSync } from 'node:zlib';
import { Function as PprofFunction, Line, Location, Profile, Sample, StringTable, ValueType } from 'pprof-format';
import { runFileSchema } from '../../src/core/run-file.js';
import { writeRunFile } from '../../src/core/run-file-io.js';
import { profileCollector } from '../../src/profile/profile-collector.js';
import { profileFromStacks, topFunctions } from '../../src/profile/profile-model.js';
import { decodePprof, profileFromPprof } from '../../src/profile/pprof-profile.js';
import { parseProfileTarget } from '../../src/profile/profile-target.js';
import { runCli } from '../helpers/cli.js';
import { syntheticRun } from '../report/synthetic-run.js';

const META = { name: 't', source: 's', startMs: 0, durationMs: 1000 };
const f = (name: string) => ({ name, file: 'app.js', line: 1 });

test('model: self and total per function; recursion counted once per stack; node cap folds the cheapest subtrees', () => {
  const profile = profileFromStacks(META, [
    { frames: [f('main'), f('handle'), f('parse')], value: 30 },
    { frames: [f('main'), f('handle'), f('handle'), f('hash')], value: 50 },
    { frames: [f('main'), f('idle')], value: 20 },
  ]);
  const top = new Map(topFunctions(profile).map((row) => [row.name, row]));
  assert.deepEqual([top.get('hash')?.self, top.get('hash')?.total], [50, 50]);
  assert.deepEqual([top.get('handle')?.self, top.get('handle')?.total], [0, 80]);
  assert.deepEqual([top.get('main')?.self, top.get('main')?.total], [0, 100]);
  assert.equal(topFunctions(profile)[0]?.name, 'hash');
  const capped = profileFromStacks(META, [
    { frames: [f('main'), f('big')], value: 90 },
    { frames: [f('main'), f('small'), f('tiny')], value: 10 },
  ], 2);
  assert.equal(capped.nodes.length, 2);
  assert.equal(capped.prunedNodes, 2);
  // The folded subtree's time stays in the profile, on its nearest kept ancestor.
  assert.equal(capped.nodes.reduce((sum, node) => sum + node.self, 0), 100);
  assert.equal(topFunctions(capped).find((row) => row.name === 'main')?.self, 10);
});

/** A Go-like CPU profile: samples/count + cpu/nanoseconds; one location with an inlined frame. */
function goProfile(): Uint8Array {
  const strings = new StringTable();
  const id = (text: string) => strings.dedup(text);
  const fn = (n: number, name: string) => new PprofFunction({ id: n, name: id(name), systemName: id(name), filename: id('/src/main.go'), startLine: n * 10 });
  const functions = [fn(1, 'main.main'), fn(2, 'main.serve'), fn(3, 'crypto/sha256.block'), fn(4, 'main.inlinedHelper')];
  const locations = [
    new Location({ id: 1, line: [new Line({ functionId: 1, line: 12 })] }),
    // Inlined: helper (innermost, first) inlined into serve.
    new Location({ id: 2, line: [new Line({ functionId: 4, line: 41 }), new Line({ functionId: 2, line: 22 })] }),
    new Location({ id: 3, line: [new Line({ functionId: 3, line: 31 })] }),
  ];
  const samples = [
    new Sample({ locationId: [3, 2, 1], value: [70, 700_000_000] }),
    new Sample({ locationId: [2, 1], value: [30, 300_000_000] }),
  ];
  const profile = new Profile({
    sampleType: [new ValueType({ type: id('samples'), unit: id('count') }), new ValueType({ type: id('cpu'), unit: id('nanoseconds') })],
    sample: samples,
    location: locations,
    function: functions,
    stringTable: strings,
    durationNanos: 2_000_000_000,
  });
  return gzipSync(profile.encode());
}

test('pprof: gzip protobuf decoded with pprof-format; cpu/nanoseconds chosen; inlined frames expanded caller first', () => {
  const profile = profileFromPprof({ name: 'go', source: 'x', startMs: 0 }, decodePprof(goProfile()));
  assert.equal(profile.durationMs, 2000);
  const top = topFunctions(profile);
  assert.deepEqual(top.map((row) => [row.name, row.self / 1e6, row.total / 1e6]), [
    ['crypto/sha256.block', 700, 700],
    ['main.inlinedHelper', 300, 1000],
    ['main.main', 0, 1000],
    ['main.serve', 0, 1000],
  ]);
  // main.main → main.serve → main.inlinedHelper → crypto/sha256.block
  const names = (node: number): string[] => {
    const path: string[] = [];
    for (let cursor = node; cursor >= 0; cursor = profile.nodes[cursor]?.parent ?? -1) path.unshift(profile.frames[profile.nodes[cursor]?.frame ?? 0]?.name ?? '');
    return path;
  };
  const leaf = profile.nodes.findIndex((node) => profile.frames[node.frame]?.name === 'crypto/sha256.block');
  assert.deepEqual(names(leaf), ['main.main', 'main.serve', 'main.inlinedHelper', 'crypto/sha256.block']);
});

test('pprof collector: fetches /debug/pprof/profile?seconds=N and the delta heap profile for the planned run length; a dead target is an error, not a throw', async () => {
  const asked: string[] = [];
  const server = createServer((request, response) => {
    asked.push(request.url ?? '');
    response.end(Buffer.from(goProfile()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/debug/pprof`;
  const collector = profileCollector([
    { name: 'go', target: parseProfileTarget(base, '--profile') },
    { name: 'down', target: parseProfileTarget('http://127.0.0.1:9/debug/pprof', '--profile') },
    { name: 'noinspector', target: parseProfileTarget('inspector://127.0.0.1:9', '--profile') },
  ]);
  const startedAt = new Date().toISOString();
  try {
    await collector.start({ intervalMs: 1000, expectedDurationMs: 2500 });
    await collector.stop();
  } finally {
    server.close();
  }
  assert.deepEqual(asked.sort(), ['/debug/pprof/heap?seconds=3', '/debug/pprof/profile?seconds=3']);
  const run = runFileSchema.parse(collector.attach({ ...syntheticRun({ id: 'p', intervals: [{ requests: { GET: { latenciesUs: [1] } } }] }), startedAt }));
  assert.deepEqual(run.profiles?.profiles.map((profile) => [profile.name, profile.kind]), [['go', 'cpu'], ['go', 'heap'], ['down', 'cpu'], ['down', 'heap'], ['noinspector', 'cpu'], ['noinspector', 'heap']]);
  // This fake answers /heap with its CPU profile: refused as the wrong kind, not stored as a heap profile.
  assert.match(run.profiles?.profiles[1]?.error ?? '', /pprof heap profile failed: \/heap answered a cpu profile/);
  const [go, down, noinspector] = run.profiles?.profiles.filter((profile) => profile.kind === 'cpu') ?? [];
  assert.equal(go?.error, undefined);
  assert.equal(topFunctions(go ?? { frames: [], nodes: [] })[0]?.name, 'crypto/sha256.block');
  assert.match(down?.error ?? '', /pprof cpu profile failed/);
  assert.match(noinspector?.error ?? '', /could not start the inspector profiler/);
});

/** A Node child with --inspect on a free port, running a known hot function between event-loop turns. */
const HOT_SCRIPT = `
function perfloopHotSpin(n){let x=0;for(let i=0;i<n;i++){x+=Math.sqrt(i)*Math.sin(i)}return x}
function coldWork(){return JSON.stringify({a:[1,2,3]}).length}
let sink=0;
function loop(){sink+=perfloopHotSpin(200000);sink+=coldWork();setImmediate(loop)}
loop();`;

test('Node target through the inspector: the known hot function tops the profile; profile analyze prints it first', async () => {
  const { child, port } = await inspectableChild(HOT_SCRIPT);
  const collector = profileCollector([{ name: 'node', target: parseProfileTarget(`inspector://127.0.0.1:${port}`, '--profile') }]);
  const startedAt = new Date().toISOString();
  try {
    await collector.start({ intervalMs: 1000, expectedDurationMs: 1000 });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await collector.stop();
  } finally {
    child.kill();
  }
  const run = runFileSchema.parse(collector.attach({ ...syntheticRun({ id: 'p', intervals: [{ requests: { GET: { latenciesUs: [1] } } }] }), startedAt }));
  const profile = run.profiles?.profiles[0];
  assert.equal(profile?.error, undefined);
  const top = topFunctions(profile ?? { frames: [], nodes: [] });
  assert.equal(top[0]?.name, 'perfloopHotSpin', JSON.stringify(top.slice(0, 3)));
  const total = (profile?.nodes ?? []).reduce((sum, node) => sum + node.self, 0);
  assert.ok((top[0]?.self ?? 0) > 0.5 * total, `hot share ${(top[0]?.self ?? 0) / total}`);
  assert.ok((profile?.durationMs ?? 0) >= 900);

  const dir = await mkdtemp(join(tmpdir(), 'perfloop-profile-'));
  const file = join(dir, 'run.json');
  await writeRunFile(file, run);
  const result = await runCli(['profile', 'analyze', file, '--top', '3']);
  assert.equal(result.code, 0, result.stderr);
  const firstRow = result.stdout.split('\n')[2] ?? '';
  assert.match(firstRow, /perfloopHotSpin/);
  const pprofFile = join(dir, 'cpu.pb.gz');
  await writeFile(pprofFile, goProfile());
  const go = await runCli(['profile', 'analyze', pprofFile, '--json']);
  const parsed = JSON.parse(go.stdout) as { profiles: { functions: { name: string; selfNs: number }[] }[] };
  assert.deepEqual(parsed.profiles[0]?.functions[0], { name: 'crypto/sha256.block', file: '/src/main.go', line: 30, selfNs: 700_000_000, totalNs: 700_000_000 });
  const bad = await runCli(['profile', 'analyze', join(dir, 'nope.pb.gz')]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /nope\.pb\.gz: cannot read profile file/);
});
