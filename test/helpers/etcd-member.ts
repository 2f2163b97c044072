/** One real etcd member on loopback ports chosen by the OS, in a temp dir, for tests that need etcd itself. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ETCD = '/usr/bin/etcd';
export const etcdInstalled = (): boolean => existsSync(ETCD);

export interface EtcdMember {
  /** http://127.0.0.1:PORT: the JSON gateway and gRPC share it. */
  clientUrl: string;
  /** 127.0.0.1:PORT, for gRPC targets. */
  target: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Starts a single-member cluster and waits until its /health is ok (at most 20 s); `pprof` serves /debug/pprof. */
export async function startEtcdMember(options: { pprof?: boolean } = {}): Promise<EtcdMember> {
  const dir = await mkdtemp(join(tmpdir(), 'perfloop-etcd-'));
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const etcd = spawn(ETCD, ['--name', 'm1', '--data-dir', join(dir, 'data'), '--listen-client-urls', client, '--advertise-client-urls', client, '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer, '--initial-cluster', `m1=${peer}`, ...(options.pprof ? ['--enable-pprof'] : []), '--log-level', 'error'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  etcd.stderr?.on('data', (data: Buffer) => (stderr += data.toString()));
  const exited = new Promise<void>((resolve) => etcd.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (etcd.exitCode === null && etcd.signalCode === null) etcd.kill('SIGKILL');
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const healthy = await fetch(`${client}/health`).then((response) => response.ok, () => false);
      if (healthy) break;
      if (Date.now() > deadline || etcd.exitCode !== null) throw new Error(`etcd did not become healthy: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { clientUrl: client, target: `127.0.0.1:${clientPort}`, stop };
}
