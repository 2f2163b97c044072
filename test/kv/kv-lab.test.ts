/**
 * The kv lab on a real 3-member etcd cluster: a write through the JSON gateway is committed and readable, kv0
 * leads as every member agrees, the network culprit (10 ms each way) lifts PUT p50 ≥ 15 ms and its floor
 * ≥ 19 ms while the one-slow-follower control leaves the floor low, the fsync culprit slows PUTs and the WAL-on-tmpfs fix removes most of it,
 * and stop — or a supervisor killed hard — leaves no process, no listener and no temp dir.
 * Skipped with a plain message when etcd is not installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { etcdInstalled, setCulprits, startKvLab, type KvLab } from '../../src/lab-control/kv-lab.js';
import { isProcessAlive } from '../../src/lab-control/supervisor-launch.js';
import { sweepStaleLabDirs } from '../../lab/kv/etcd-cluster.js';

const SKIP = etcdInstalled() ? false : 'etcd/etcdctl not installed (apt-get install etcd-server etcd-client)';

const b64 = (text: string): string => Buffer.from(text).toString('base64');

async function post<T>(url: string, body: unknown): Promise<T> {
  const response = await fetch(url, { method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(5000) });
  assert.equal(response.status, 200, `${url}: ${response.status}`);
  return (await response.json()) as T;
}

interface PutLatency {
  p50Ms: number;
  /** The floor: load on this shared machine only adds to latency, so a delay's floor survives any noise. */
  minMs: number;
}

/** `count` sequential PUTs on the leader (one in flight: latency, not queueing). */
async function putLatency(lab: KvLab, count: number): Promise<PutLatency> {
  const latencies: number[] = [];
  for (let index = 0; index < count; index += 1) {
    const startedMs = performance.now();
    await post(`${lab.leaderUrl}/v3/kv/put`, { key: b64(`bench/${index % 4}`), value: b64('v'.repeat(64)) });
    latencies.push(performance.now() - startedMs);
  }
  latencies.sort((a, b) => a - b);
  return { p50Ms: latencies[Math.floor(count / 2)] ?? Number.NaN, minMs: latencies[0] ?? Number.NaN };
}

const show = (latency: PutLatency): string => `p50 ${latency.p50Ms.toFixed(1)} ms, min ${latency.minMs.toFixed(1)} ms`;

function listening(url: string): Promise<boolean> {
  const { port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function assertGone(lab: KvLab): Promise<void> {
  for (const member of lab.members) assert.equal(isProcessAlive(member.pid), false, `${member.name} (pid ${member.pid}) still alive`);
  for (const member of lab.members) {
    assert.equal(await listening(member.clientUrl), false, `${member.clientUrl} still listening`);
    assert.equal(await listening(member.peerUrl), false, `proxy ${member.peerUrl} still listening`);
  }
  assert.equal(isProcessAlive(lab.supervisorPid), false);
}

test('kv lab: gateway write, chosen leader, network and fsync culprits with their fixes, clean stop', { skip: SKIP, timeout: 120_000 }, async (t) => {
  const lab = await startKvLab({});
  try {
    assert.equal(lab.members.length, 3);
    assert.deepEqual(lab.members.map((member) => member.role), ['leader', 'follower', 'follower']);
    assert.equal(lab.leaderUrl, lab.members[0]?.clientUrl);
    // Every member agrees that kv0 leads (ids compared in hex: decimal strings from the gateway, never JSON numbers).
    for (const member of lab.members) {
      const status = await post<{ leader: string }>(`${member.clientUrl}/v3/maintenance/status`, {});
      assert.equal(BigInt(status.leader).toString(16), lab.members[0]?.idHex, `${member.name} sees another leader`);
    }
    assert.ok(existsSync(lab.baseDir));

    // A write through the JSON gateway on the leader is committed: a linearizable read on a follower sees it.
    await post(`${lab.leaderUrl}/v3/kv/put`, { key: b64('greeting'), value: b64('hello etcd') });
    const read = await post<{ kvs?: { value: string }[] }>(`${lab.members[2]?.clientUrl}/v3/kv/range`, { key: b64('greeting') });
    assert.equal(Buffer.from(read.kvs?.[0]?.value ?? '', 'base64').toString(), 'hello etcd');

    await putLatency(lab, 10); // warm connections
    const base = await putLatency(lab, 25);

    // Network: 10 ms each way → every commit waits a leader→follower→leader round trip of ≥ 20 ms.
    let state = await setCulprits(lab, 'network=10');
    assert.deepEqual(state.members.map((member) => member.proxyDelayMs), [10, 10, 10]);
    const network = await putLatency(lab, 25);
    assert.ok(network.p50Ms >= 15, `network culprit: ${show(network)}, expected p50 ≥ 15 ms (base ${show(base)})`);
    assert.ok(network.minMs >= 19, `network culprit: ${show(network)}, expected the floor ≥ 19 ms (2 × 10 ms)`);
    // Relative, not absolute: a loaded machine can lift the no-culprit floor near 10 ms, never the delay's away.
    assert.ok(base.minMs < network.minMs - 8, `no culprit: ${show(base)} vs network ${show(network)}`);

    // Control: one slow follower; the leader commits with the other one, so the floor stays low.
    state = await setCulprits(lab, 'slow-follower=10');
    assert.deepEqual(state.members.map((member) => member.proxyDelayMs), [0, 10, 0]);
    const slowFollower = await putLatency(lab, 25);
    assert.ok(slowFollower.minMs < network.minMs - 8, `slow follower: ${show(slowFollower)} vs network ${show(network)}; the quorum should hide it`);

    state = await setCulprits(lab, 'none');
    assert.deepEqual(state.members.map((member) => member.proxyDelayMs), [0, 0, 0]);
    const fixed = await putLatency(lab, 25);
    assert.ok(fixed.minMs < network.minMs - 8, `after the fix: ${show(fixed)} vs network ${show(network)}`);
    t.diagnostic(`PUT: base ${show(base)}; network=10 ${show(network)}; slow-follower=10 ${show(slowFollower)}; fixed ${show(fixed)}`);

    // Disk: fsync=20 on the leader — blkio as root caps its writes at 1000/20 = 50 IOPS (a rate cap that every
    // write of the leader counts against: WAL, bbolt, the journal), else strace adds 20 ms per fdatasync. The fix
    // moves the WAL to tmpfs, which removes the blkio form only (strace's delay follows the syscall).
    if (!lab.unavailable.fsync) {
      state = await setCulprits(lab, 'fsync=20');
      assert.equal(state.members[0]?.role, 'leader');
      const fsync = await putLatency(lab, 11);
      t.diagnostic(`PUT with fsync=20 via ${state.fsyncMode}: ${show(fsync)}`);
      assert.ok(fsync.p50Ms - fixed.p50Ms >= 15, `fsync culprit (${state.fsyncMode}): ${show(fsync)} vs ${show(fixed)}`);
      if (state.fsyncMode === 'blkio') {
        state = await setCulprits(lab, 'fsync=20,wal-tmpfs');
        assert.match(state.members[0]?.walDir ?? '', /^\/dev\/shm\//);
        assert.equal(state.members[0]?.role, 'leader', 'leadership is moved back after the restart');
        const walFix = await putLatency(lab, 11);
        t.diagnostic(`PUT with fsync=20 and the WAL on tmpfs: ${show(walFix)}`);
        assert.ok(walFix.p50Ms < fsync.p50Ms / 2, `WAL on tmpfs: ${show(walFix)} vs ${show(fsync)}`);
        // The read still sees the earlier write: the WAL moved with its data.
        const again = await post<{ kvs?: { value: string }[] }>(`${lab.leaderUrl}/v3/kv/range`, { key: b64('greeting') });
        assert.equal(Buffer.from(again.kvs?.[0]?.value ?? '', 'base64').toString(), 'hello etcd');
      }
    }
  } finally {
    await lab.stop();
  }
  await assertGone(lab);
  assert.equal(existsSync(lab.baseDir), false, `${lab.baseDir} left behind`);
  for (const member of lab.members) if (member.walDir) assert.equal(existsSync(member.walDir), false);
});

test('kv lab: a supervisor killed hard takes its members (strace-wrapped leader included) along; the sweep removes its temp dir', { skip: SKIP, timeout: 60_000 }, async () => {
  // Started with the strace form of the disk culprit: the leader runs under strace, a grandchild of the supervisor.
  const lab = await startKvLab({ culprits: 'stall=100,fsync=5', fsyncMode: 'strace' });
  assert.equal(lab.fsyncMode, 'strace');
  assert.equal(lab.culprits.fsyncDelayMs, 5);
  await post(`${lab.leaderUrl}/v3/kv/put`, { key: b64('k'), value: b64('v') });
  process.kill(lab.supervisorPid, 'SIGKILL');
  const deadline = Date.now() + 10_000;
  while ([lab.supervisorPid, ...lab.members.map((member) => member.pid)].some(isProcessAlive) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await assertGone(lab);
  assert.ok(existsSync(lab.baseDir), 'a hard kill cannot clean up; the sweep does');
  assert.ok(sweepStaleLabDirs().includes(lab.baseDir));
  assert.equal(existsSync(lab.baseDir), false);
});
