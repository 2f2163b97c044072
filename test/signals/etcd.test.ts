import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readRunFile } from '../../src/core/run-file-io.js';
import { topFunctions } from '../../src/profile/profile-model.js';
import { runCli } from '../helpers/cli.js';
import { etcdInstalled, startEtcdMember } from '../helpers/etcd-member.js';

test('a real etcd member: Prometheus histograms (WAL fsync, backend commit) per interval and a Go CPU profile from /debug/pprof', { timeout: 90_000 }, async (t) => {
  if (!etcdInstalled()) {
    t.skip('etcd is not installed (apt-get install etcd-server)');
    return;
  }
  const member = await startEtcdMember({ pprof: true });
  const client = member.clientUrl;
  const dir = await mkdtemp(join(tmpdir(), 'perfloop-etcd-run-'));
  try {
    const out = join(dir, 'run.json');
    // Puts through etcd's JSON gateway: each is a raft proposal, a WAL append and an fsync.
    const result = await runCli(['run', `${client}/v3/kv/put`, '--method', 'POST', '--body', '{"key":"cGVyZmxvb3A=","value":"MQ=="}', '--rate', '40', '--duration', '3s', '--quiet', '--out', out, '--scrape', `etcd=${client}/metrics`, '--profile', `etcd=${client}/debug/pprof`]);
    assert.equal(result.code, 0, result.stderr);
    const run = await readRunFile(out);
    assert.equal(run.summary.total.errors, 0);
    const series = run.signals?.series ?? [];
    const fsync = series.find((item) => item.metric === 'etcd_disk_wal_fsync_duration_seconds');
    assert.equal(fsync?.kind, 'histogram');
    // Every put is at least one fsync; batching may merge some, so between a quarter of and twice the puts.
    const fsyncs = (fsync?.rate ?? []).reduce<number>((sum, rate, index) => sum + (rate ?? 0) * ((run.intervals[index]?.durationMs ?? 0) / 1000), 0);
    assert.ok(fsyncs >= run.summary.total.count / 4 && fsyncs <= run.summary.total.count * 2, `fsyncs ${fsyncs} for ${run.summary.total.count} puts`);
    assert.ok((fsync?.p99 ?? []).some((value) => value !== null && value > 0), 'fsync p99 per interval');
    assert.ok(series.some((item) => item.metric === 'etcd_disk_backend_commit_duration_seconds' && item.kind === 'histogram'));
    const profile = run.profiles?.profiles[0];
    assert.equal(profile?.error, undefined, profile?.error);
    assert.ok((profile?.durationMs ?? 0) >= 2500, `profile ${profile?.durationMs} ms`);
    const names = topFunctions(profile ?? { frames: [], nodes: [] }).map((row) => row.name);
    // Go's runtime frames: runtime.* and its internal packages (runtime/internal/syscall.Syscall6 — a short profile
    // of an I/O-bound member may hold only those).
    assert.ok(names.some((name) => /^runtime[./]/.test(name)), names.slice(0, 5).join(', '));
    assert.ok(names.some((name) => name.includes('etcd')), 'etcd frames in the profile');
    // The delta heap profile of the same window: bytes allocated by etcd's own code while it served the puts.
    const heap = run.profiles?.profiles.find((item) => item.kind === 'heap');
    assert.equal(heap?.error, undefined, heap?.error);
    assert.equal(heap?.unit, 'bytes');
    const allocated = topFunctions(heap ?? { frames: [], nodes: [] });
    assert.ok((allocated[0]?.self ?? 0) > 0, 'allocation sites with bytes');
    assert.ok(allocated.some((row) => row.name.includes('etcd') && row.total > 0), allocated.slice(0, 5).map((row) => row.name).join(', '));
  } finally {
    await member.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
