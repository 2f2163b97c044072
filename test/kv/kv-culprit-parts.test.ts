/**
 * The kv lab's parts without etcd: culprit lists parse to exact settings (and bad ones name the entry), and the
 * TCP delay proxy adds its delay each way (an echo round trip through it gains ≥ 2× the delay), changeable live.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Server } from 'node:net';
import { startDelayProxy } from '../../lab/kv/delay-proxy.js';
import { CulpritSpecError, formatCulprits, NO_CULPRITS, parseCulprits } from '../../src/lab-control/kv-culprits.js';
import { resolveCulprits } from '../../src/lab-control/kv-lab.js';
import { isPerfloopError } from '../../src/core/errors.js';

test('culprit lists: defaults, values, none, errors', () => {
  assert.deepEqual(parseCulprits('network'), { ...NO_CULPRITS, networkDelayMs: 10 });
  assert.deepEqual(parseCulprits('network=3,fsync,wal-tmpfs,gc=7,stall=250,throttle=20'), {
    ...NO_CULPRITS,
    networkDelayMs: 3,
    fsyncDelayMs: 10,
    walTmpfs: true,
    leaderGogc: 7,
    leaderStallMs: 250,
    leaderCpuQuotaPercent: 20,
  });
  assert.deepEqual(parseCulprits('none'), NO_CULPRITS);
  // The app tier's switches: lock by number or name, serialization in KiB (default 64).
  assert.deepEqual(parseCulprits('lock,serialization'), { ...NO_CULPRITS, appSharedLock: 1, appValueKiB: 64 });
  assert.deepEqual(parseCulprits('lock=shared'), { ...NO_CULPRITS, appSharedLock: 1 });
  assert.deepEqual(parseCulprits('lock=cas', parseCulprits('lock')), NO_CULPRITS);
  assert.equal(formatCulprits(parseCulprits('lock=shared,serialization=8')), 'lock=1,serialization=8');
  assert.throws(() => parseCulprits('lock=mutex'), /lock: value must be a number ≥ 0, got "mutex"/);
  assert.equal(formatCulprits(parseCulprits('slow-follower=12,wal-tmpfs')), 'slow-follower=12,wal-tmpfs');
  assert.equal(formatCulprits(NO_CULPRITS), 'none');
  assert.throws(() => parseCulprits('netwrk'), (error: unknown) => error instanceof CulpritSpecError && /unknown culprit "netwrk"/.test(error.message));
  assert.throws(() => parseCulprits('network=-1'), /network: value must be a number ≥ 0/);
  assert.throws(() => parseCulprits('throttle=0.5'), /throttle: at least 1/);
  assert.throws(
    () => resolveCulprits('stall=x', '--culprits'),
    (error: unknown) => isPerfloopError(error) && error.code === 'BAD_INPUT' && error.field === '--culprits',
  );
});

async function echoServer(): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const address = server.address();
  return { server, port: address !== null && typeof address === 'object' ? address.port : 0 };
}

/** Median round trip of `count` one-byte pings through `port`. */
async function pingP50Ms(port: number, count: number): Promise<number> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.setNoDelay(true);
  await new Promise((resolve) => socket.once('connect', resolve));
  const rtts: number[] = [];
  for (let index = 0; index < count; index += 1) {
    const startedMs = performance.now();
    const echoed = new Promise((resolve) => socket.once('data', resolve));
    socket.write('x');
    await echoed;
    rtts.push(performance.now() - startedMs);
  }
  socket.destroy();
  rtts.sort((a, b) => a - b);
  return rtts[Math.floor(count / 2)] ?? Number.NaN;
}

test('delay proxy: 15 ms each way adds ≥ 30 ms to a round trip; 0 takes it away; bytes arrive in order', async () => {
  const { server, port } = await echoServer();
  const proxy = await startDelayProxy(port);
  try {
    const directMs = await pingP50Ms(proxy.port, 9);
    proxy.setDelayMs(15);
    const delayedMs = await pingP50Ms(proxy.port, 9);
    assert.ok(delayedMs >= 30, `delayed round trip ${delayedMs.toFixed(1)} ms`);
    assert.ok(delayedMs - directMs >= 25, `delay added ${(delayedMs - directMs).toFixed(1)} ms`);
    proxy.setDelayMs(0);
    const againMs = await pingP50Ms(proxy.port, 9);
    assert.ok(againMs < delayedMs - 20, `after delay 0: ${againMs.toFixed(1)} ms`);

    // Order under a shrinking delay: a 1 MB stream echoes back byte-identical.
    proxy.setDelayMs(20);
    const payload = Buffer.from(Array.from({ length: 1 << 20 }, (_, index) => index % 251));
    const socket = connect({ host: '127.0.0.1', port: proxy.port });
    const received: Buffer[] = [];
    let receivedBytes = 0;
    const done = new Promise<void>((resolve) =>
      socket.on('data', (chunk: Buffer) => {
        received.push(chunk);
        receivedBytes += chunk.length;
        if (receivedBytes >= payload.length) resolve();
      }),
    );
    socket.write(payload.subarray(0, payload.length / 2));
    proxy.setDelayMs(1);
    socket.write(payload.subarray(payload.length / 2));
    await done;
    socket.destroy();
    assert.equal(Buffer.concat(received).equals(payload), true);
    assert.throws(() => proxy.setDelayMs(-1), RangeError);
  } finally {
    await proxy.close();
    server.close();
  }
});

test('perfloop demo kv: a bad --only is bad input (exit 2, the flag named, no stack), before any lab starts', async () => {
  const { runCli } = await import('../helpers/cli.js');
  const result = await runCli(['demo', 'kv', '--only', 'network=10,netwrk']);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /--only/);
  assert.match(result.stderr, /unknown culprit "netwrk"/);
  assert.doesNotMatch(result.stderr, /\n\s+at /);
  const fix = await runCli(['demo', 'kv', '--only', 'wal-tmpfs']);
  assert.equal(fix.code, 2);
  assert.match(fix.stderr, /--only: "wal-tmpfs" is not a culprit the demo plants/);
  // The CLI answers --help before any command runs: `perfloop demo --help` includes the kv demo's usage.
  const help = await runCli(['demo', 'kv', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /usage: perfloop demo kv/);
});
