/**
 * The lab supervisor: prepares the database, checks Redis, forks the five services in dependency order,
 * and reports the URLs to its parent over IPC. On any failure it stops everything it started and reports the
 * error; on SIGTERM/SIGINT (or its parent going away, unless detached) it stops the services and the database.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Redis as RedisClient } from 'ioredis';
import { createRequire } from 'node:module';
import { forwardStderr } from './child-stderr.js';
import { LabDatabaseError, prepareServerDatabase, startEmbeddedDatabase, type LabDatabase } from './lab-database.js';
import { SERVICE_NAMES, type ServiceName } from './service-config.js';
import type { ServiceMessage, SupervisorConfig, SupervisorMessage, WiringMessage } from './service-messages.js';

const SERVICE_ENTRY = fileURLToPath(new URL('./service-main.js', import.meta.url));
const SERVICE_START_TIMEOUT_MS = 60_000;

class LabStartError extends Error {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

const config = JSON.parse(process.env.LAB_CONFIG ?? '{}') as SupervisorConfig;
const children = new Map<ServiceName, ChildProcess>();
let database: LabDatabase | undefined;
let shuttingDown = false;

function tell(message: SupervisorMessage): void {
  if (process.send && process.connected) process.send(message);
}

async function checkRedis(url: string): Promise<void> {
  const { Redis } = createRequire(import.meta.url)('ioredis') as { Redis: typeof RedisClient };
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2000, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    throw new LabStartError(`cannot reach Redis at ${url}: ${error instanceof Error ? error.message : String(error)}`, 'REDIS_URL');
  } finally {
    client.disconnect();
  }
}

function forkService(name: ServiceName): ChildProcess {
  const child = fork(SERVICE_ENTRY, [], {
    env: {
      ...process.env,
      LAB_CONFIG: '',
      LAB_SERVICE: name,
      LAB_PORT: String(name === 'gateway' ? config.port : 0),
      LAB_FIXES: config.fixes.join(','),
      LAB_REDIS_URL: config.redisUrl ?? '',
      LAB_CACHE_PREFIX: `perfloop-lab:${process.pid}:`,
      OTEL_EXPORTER_OTLP_ENDPOINT: config.otlpEndpoint,
    },
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  if (child.stderr) forwardStderr(child.stderr);
  children.set(name, child);
  child.once('exit', () => {
    // A service dying takes the lab down: a half-running lab would give misleading traces.
    if (!shuttingDown) void shutdown(1);
  });
  return child;
}

/** Resolves with the next message of `type` from `child`; rejects on its error message, exit or timeout. */
function waitFor<K extends ServiceMessage['type']>(name: ServiceName, child: ChildProcess, type: K): Promise<Extract<ServiceMessage, { type: K }>> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const onMessage = (message: ServiceMessage) => {
      if (message.type === 'error') {
        cleanup();
        reject(new LabStartError(message.message, message.field));
      } else if (message.type === type) {
        cleanup();
        resolve(message as Extract<ServiceMessage, { type: K }>);
      }
    };
    const onExit = (code: number | null, signal: string | null) => {
      cleanup();
      reject(new LabStartError(`${name} exited during start (${signal ?? `code ${code}`})`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new LabStartError(`${name} did not report ${type} within ${SERVICE_START_TIMEOUT_MS} ms`));
    }, SERVICE_START_TIMEOUT_MS);
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

function send(child: ChildProcess, message: WiringMessage): void {
  child.send(message);
}

async function stopChildren(): Promise<void> {
  await Promise.all(
    [...children.values()].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
}

async function shutdown(code: number): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  setTimeout(() => process.exit(code), 15_000).unref();
  await stopChildren();
  await database?.close();
  process.exit(code);
}

async function start(): Promise<void> {
  const withIndexes = config.fixes.includes('index');
  // Services boot (Node + OpenTelemetry load) while the database initialises and seeds.
  const forked = SERVICE_NAMES.map((name) => ({ name, child: forkService(name) }));
  const booted = Promise.all(forked.map(({ name, child }) => waitFor(name, child, 'booted')));
  booted.catch(() => undefined);
  if (config.redisUrl) await checkRedis(config.redisUrl);
  try {
    database = config.databaseUrl ? await prepareServerDatabase(config.databaseUrl, withIndexes) : await startEmbeddedDatabase(withIndexes);
  } catch (error) {
    if (error instanceof LabDatabaseError) throw new LabStartError(error.message, 'DATABASE_URL');
    throw error;
  }
  await booted;
  const ready = forked.map(({ name, child }) => waitFor(name, child, 'ready'));
  for (const { child } of forked) send(child, { type: 'wiring', databaseUrl: database.url });
  const ports = await Promise.all(ready);
  const peers: Record<string, string> = {};
  forked.forEach(({ name }, index) => {
    peers[name] = `http://127.0.0.1:${ports[index]?.port ?? 0}`;
  });
  const wired = forked.map(({ name, child }) => waitFor(name, child, 'wired'));
  for (const { child } of forked) send(child, { type: 'peers', peers });
  await Promise.all(wired);
  const pids: Record<string, number> = { supervisor: process.pid };
  for (const { name, child } of forked) if (child.pid !== undefined) pids[name] = child.pid;
  tell({ type: 'ready', gatewayUrl: peers.gateway ?? '', services: peers, pids, databaseUrl: database.url });
}

process.on('SIGTERM', () => void shutdown(0));
process.on('SIGINT', () => void shutdown(0));
process.on('disconnect', () => {
  if (!config.detached) void shutdown(0);
});

start().catch(async (error: unknown) => {
  const field = error instanceof LabStartError ? error.field : undefined;
  const message = error instanceof Error ? error.message : String(error);
  tell(field === undefined ? { type: 'error', message } : { type: 'error', message, field });
  await shutdown(1);
});
