/**
 * The kv lab supervisor process: starts the etcd cluster and its proxies, applies the starting culprits,
 * serves a loopback admin endpoint (GET /state, POST /culprits) and reports over IPC. On SIGTERM/SIGINT, a
 * member crashing, an uncaught error, or (unless detached) its parent going away, it undoes the culprits
 * (SIGCONT, neighbours, cgroups), stops the members and removes its temp dirs before exiting.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { sweepStaleCgroups } from './leader-cgroup.js';
import { EtcdCluster, sweepStaleLabDirs } from './etcd-cluster.js';
import { startKvAppProcess, type KvAppProcess } from './kv-app-process.js';
import { NO_CULPRITS, type KvCulprits } from '../../src/lab-control/kv-culprits.js';
import { checkAvailable, culpritAvailability, CulpritController, UnavailableCulpritError } from './kv-culprit-switches.js';
import type { KvLabSnapshot, KvSupervisorConfig, KvSupervisorMessage } from './kv-messages.js';

const config = JSON.parse(process.env.KV_LAB_CONFIG ?? '{}') as KvSupervisorConfig;
let cluster: EtcdCluster | undefined;
let controller: CulpritController | undefined;
let admin: Server | undefined;
let app: KvAppProcess | undefined;
let adminUrl = '';
let shuttingDown: Promise<void> | undefined;
/** Culprit changes run one at a time (a restart must not interleave with another). */
let applying: Promise<unknown> = Promise.resolve();

function tell(message: KvSupervisorMessage): void {
  if (process.send && process.connected) process.send(message);
}

function appMode(culprits: KvCulprits): { sharedLock: boolean; valueKiB: number } {
  return { sharedLock: culprits.appSharedLock > 0, valueKiB: culprits.appValueKiB };
}

function log(line: string): void {
  process.stderr.write(`[kv-lab] ${line}\n`);
}

function snapshot(): KvLabSnapshot {
  if (!cluster || !controller) throw new Error('not started');
  const leaderIndex = cluster.leaderIndex;
  return {
    supervisorPid: process.pid,
    adminUrl,
    leaderUrl: cluster.leader.clientUrl,
    appUrl: app?.url ?? '',
    appPid: app?.pid ?? 0,
    baseDir: cluster.baseDir,
    token: cluster.token,
    members: cluster.members.map((member) => ({
      name: member.name,
      role: member.index === leaderIndex ? 'leader' : 'follower',
      pid: member.pid,
      idHex: member.idHex,
      clientUrl: member.clientUrl,
      peerUrl: `http://127.0.0.1:${member.proxy.port}`,
      peerPort: member.peerPort,
      proxyDelayMs: member.proxy.delayMs(),
      walDir: member.walDir,
      env: member.launch.env,
    })),
    culprits: controller.culprits(),
    fsyncMode: controller.fsyncMode,
    unavailable: controller.unavailable,
  };
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function startAdmin(): Promise<void> {
  admin = createServer((request, response) => {
    const reply = (status: number, body: unknown): void => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    void (async () => {
      try {
        if (request.method === 'GET' && request.url === '/state') return reply(200, snapshot());
        if (request.method === 'POST' && request.url === '/culprits') {
          const desired = { ...NO_CULPRITS, ...(JSON.parse(await readBody(request)) as Partial<KvCulprits>) };
          const run = applying.then(async () => {
            await controller?.apply(desired);
            await app?.setMode(appMode(desired));
          });
          applying = run.catch(() => undefined);
          await run;
          return reply(200, snapshot());
        }
        reply(404, { error: `no ${request.method} ${request.url}` });
      } catch (error) {
        reply(409, { error: error instanceof Error ? error.message : String(error) });
      }
    })();
  });
  await new Promise<void>((resolve) => admin?.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const address = admin.address();
  if (address === null || typeof address === 'string') throw new Error('admin endpoint has no TCP address');
  adminUrl = `http://127.0.0.1:${address.port}`;
}

function shutdown(code: number): Promise<void> {
  shuttingDown ??= (async () => {
    try {
      await app?.stop();
      controller?.shutdown();
      await cluster?.stop();
      await new Promise((resolve) => (admin ? admin.close(resolve) : resolve(undefined)));
    } catch (error) {
      log(`stop: ${error instanceof Error ? error.message : String(error)}`);
    }
    process.exit(code);
  })();
  return shuttingDown;
}

process.on('SIGTERM', () => void shutdown(0));
process.on('SIGINT', () => void shutdown(130));
process.on('uncaughtException', (error) => {
  log(`uncaught: ${error.stack ?? error.message}`);
  void shutdown(1);
});
if (!config.detached) process.on('disconnect', () => void shutdown(0));

try {
  for (const path of [...sweepStaleLabDirs(), ...sweepStaleCgroups()]) log(`removed the leftover of a crashed lab: ${path}`);
  // Before any member starts: an unavailable switch is the user's choice to change, and fails fast.
  checkAvailable(config.culprits, culpritAvailability(tmpdir(), config.fsyncMode).unavailable);
  // Free ports are probed, released, then bound by etcd: another process on the machine can take one in between.
  // A member failing to start is retried once on fresh ports (never with a fixed --port: that one is the user's).
  for (let attempt = 1; !cluster; attempt += 1) {
    try {
      cluster = await EtcdCluster.start({ leaderClientPort: config.leaderClientPort, leaderIndex: 0, log });
    } catch (error) {
      if (attempt >= 2 || config.leaderClientPort !== 0 || !/exited during start/.test(String(error))) throw error;
      log(`retrying on fresh ports: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  cluster.onMemberExit = (member) => {
    log(`${member.name} died: stopping the lab (a half-running cluster gives misleading numbers)`);
    void shutdown(1);
  };
  controller = new CulpritController(cluster, config.fsyncMode);
  await controller.apply(config.culprits);
  app = await startKvAppProcess(cluster.leader.clientUrl, appMode(config.culprits));
  app.onExit = () => {
    log('the app tier died: stopping the lab');
    void shutdown(1);
  };
  await startAdmin();
  tell({ type: 'ready', lab: snapshot() });
  if (config.detached && process.connected) process.disconnect();
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  tell(error instanceof UnavailableCulpritError ? { type: 'error', message, field: 'culprits' } : { type: 'error', message });
  await shutdown(1);
}
