import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { inspectableChild } from '../helpers/inspectable-child.js';
import { gzipSync } from 'node:zlib';
import { Function as PprofFunction, Line, Location, Profile, Sample, StringTable, ValueType } from 'pprof-format';
import { runFileSchema } from '../../src/core/run-file.js';
import { writeRunFile } from '../../src/core/run-file-io.js';
import { profileCollector } from '../../src/profile/profile-collector.js';
import { profileTotal, topFunctions } from '../../src/profile/profile-model.js';
import { decodePprof, profileFromPprof } from '../../src/profile/pprof-profile.js';
import { parseProfileTarget } from '../../src/profile/profile-target.js';
import { renderHtmlReport } from '../../src/report/html-report.js';
import { runCli } from '../helpers/cli.js';
import { syntheticRun } from '../report/synthetic-run.js';

/** Go's heap profile layout: alloc_objects, alloc_space, inuse_objects, inuse_space. */
function goHeapProfile(): Uint8Array {
  const strings = new StringTable();
  const id = (text: string) => strings.dedup(text);
  const fn = (n: number, name: string) => new PprofFunction({ id: n, name: id(name), systemName: id(name), filename: id('/src/main.go'), startLine: n * 10 });
  const type = (name: string, unit: string) => new ValueType({ type: id(name), unit: id(unit) });
  const profile = new Profile({
    sampleType: [type('alloc_objects', 'count'), type('alloc_space', 'bytes'), type('inuse_objects', 'count'), type('inuse_space', 'bytes')],
    function: [fn(1, 'main.main'), fn(2, 'main.buildResponse'), fn(3, 'main.cacheForever')],
    location: [1, 2, 3].map((n) => new Location({ id: n, line: [new Line({ functionId: n, line: n * 10 + 1 })] })),
    // buildResponse allocates the most (all garbage); cacheForever allocates less but keeps all of it.
    sample: [new Sample({ locationId: [2, 1], value: [1000, 8_000_000, 0, 0] }), new Sample({ locationId: [3, 1], value: [10, 3_000_000, 10, 3_000_000] })],
    stringTable: strings,
    durationNanos: 5_000_000_000,
  });
  return gzipSync(profile.encode());
}

test('Go heap profile: ranked by bytes allocated (alloc_space), not by bytes still in use; profile analyze --json says bytes', async () => {
  const profile = profileFromPprof({ name: 'go', source: 'x', startMs: 0 }, decodePprof(goHeapProfile()));
  assert.equal(profile.kind, 'heap');
  assert.equal(profile.unit, 'bytes');
  assert.equal(profileTotal(profile), 11_000_000);
  assert.deepEqual(topFunctions(profile).map((row) => [row.name, row.self, row.total]), [
    ['main.buildResponse', 8_000_000, 8_000_000],
    ['main.cacheForever', 3_000_000, 3_000_000],
    ['main.main', 0, 11_000_000],
  ]);
  const dir = await mkdtemp(join(tmpdir(), 'perfloop-heap-'));
  const file = join(dir, 'heap.pb.gz');
  await writeFile(file, goHeapProfile());
  const result = await runCli(['profile', 'analyze', file, '--json', '--top', '1']);
  assert.equal(result.code, 0, result.stderr);
  const parsed = JSON.parse(result.stdout) as { profiles: Record<string, unknown>[] };
  assert.deepEqual(parsed.profiles[0], { name: 'heap.pb.gz', source: file, kind: 'heap', totalBytes: 11_000_000, functions: [{ name: 'main.buildResponse', file: '/src/main.go', line: 20, selfBytes: 8_000_000, totalBytes: 8_000_000 }] });
  const text = await runCli(['profile', 'analyze', file]);
  assert.match(text.stdout, /heap \(allocation sites\).*10\.5 MiB allocated/);
  assert.match(text.stdout.split('\n')[2] ?? '', /7\.6 MiB\s+72\.7%.*main\.buildResponse/);
});

/** A Node child with --inspect on a free port: one function allocates a lot, another burns CPU on small integers (no heap numbers) and allocates nothing. */
const ALLOCATING_SCRIPT = `
function perfloopAllocator(n){const out=[];for(let i=0;i<n;i++){out.push({id:i,name:'item-'+i,tags:[i,i+1,i+2]})}return out.length}
function cpuOnly(n){let x=0;for(let i=0;i<n;i++){x=(x+i*7)|0}return x}
let sink=0;
function loop(){sink+=perfloopAllocator(20000);sink+=cpuOnly(200000);setImmediate(loop)}
loop();`;

test('Node target through the inspector: the known allocating function tops the heap profile; the report draws its allocation flame graph', async () => {
  const { child, port } = await inspectableChild(ALLOCATING_SCRIPT);
  const collector = profileCollector([{ name: 'node', target: parseProfileTarget(`inspector://127.0.0.1:${port}`, '--profile') }]);
  const startedAt = new Date().toISOString();
  try {
    await collector.start({ intervalMs: 1000, expectedDurationMs: 1000 });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await collector.stop();
  } finally {
    child.kill();
  }
  const run = runFileSchema.parse(collector.attach({ ...syntheticRun({ id: 'h', intervals: [{ requests: { GET: { latenciesUs: [1] } } }] }), startedAt }));
  assert.deepEqual(run.profiles?.profiles.map((profile) => [profile.kind, profile.error]), [['cpu', undefined], ['heap', undefined]]);
  const heap = run.profiles?.profiles[1];
  assert.ok(heap);
  const top = topFunctions(heap);
  assert.equal(top[0]?.name, 'perfloopAllocator', JSON.stringify(top.slice(0, 3)));
  // Collected objects are counted: one turn's ~20 000 objects (a few MiB) are garbage by the next, so over
  // 1.5 s of turns the window's allocations exceed any one turn's live set (even on a loaded machine).
  assert.ok((top[0]?.self ?? 0) > 0.5 * profileTotal(heap), `allocator share ${(top[0]?.self ?? 0) / profileTotal(heap)}`);
  assert.ok(profileTotal(heap) > 8 * 1024 * 1024, `allocated ${profileTotal(heap)} bytes`);
  const cpuOnly = top.find((row) => row.name === 'cpuOnly')?.self ?? 0;
  assert.ok(cpuOnly < 0.1 * (top[0]?.self ?? 0), `cpuOnly allocated ${cpuOnly} bytes`);

  const dir = await mkdtemp(join(tmpdir(), 'perfloop-heap-'));
  const file = join(dir, 'run.json');
  await writeRunFile(file, run);
  const result = await runCli(['profile', 'analyze', file, '--top', '2']);
  assert.equal(result.code, 0, result.stderr);
  const heapBlock = result.stdout.split('\n\n').find((block) => block.includes('heap (allocation sites)')) ?? '';
  assert.match(heapBlock.split('\n')[2] ?? '', /perfloopAllocator/);

  const html = renderHtmlReport({ runs: [run] });
  assert.match(html, /<h4 data-profile-kind="heap">node — heap: allocation sites/);
  assert.match(html, /Width is bytes allocated during the window/);
  assert.match(html, /<title>perfloopAllocator \(\[eval\]|<title>perfloopAllocator/);
});
