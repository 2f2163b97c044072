/**
 * Start/stop API of the replicated key-value lab (lab/kv/): forks the kv supervisor, which starts a real
 * 3-member etcd cluster on loopback behind delay proxies, moves leadership to member kv0 and applies the
 * culprits; resolves once every member is healthy. Culprits change at runtime through the supervisor's
 * loopback admin endpoint. Any start failure leaves nothing running.
 */
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { badInput, PerfloopError } from '../core/errors.js';
import { CulpritSpecError, NO_CULPRITS, parseCulprits, type KvCulprits } from './kv-culprits.js';
import type { KvLabSnapshot, KvSupervisorConfig, KvSupervisorMessage } from '../../lab/kv/kv-messages.js';

type KvReadyMessage = Extract<KvSupervisorMessage, { type: 'ready' }>;
import { launchSupervisor } from './supervisor-launch.js';

const SUPERVISOR_ENTRY = fileURLToPath(new URL('../../lab/kv/kv-supervisor.js', import.meta.url));
const START_TIMEOUT_MS = 60_000;
/** A leader restart (GOGC, strace, WAL move) plus moving leadership back. */
const APPLY_TIMEOUT_MS = 60_000;

export interface StartKvLabOptions {
  /** Culprits on from the start: an object or a `network=10,fsync` list. Default: none. */
  culprits?: Partial<KvCulprits> | string;
  /** The leader's client port (the gateway URL scenarios use); 0 (default) = any free port. */
  port?: number;
  /** Force the disk culprit's mechanism (default: blkio when possible, else strace). */
  fsyncMode?: 'blkio' | 'strace';
  /** Keep running after this process exits (CLI background mode); output goes to `logFile`. */
  detached?: boolean;
  logFile?: string;
}

/** A running kv lab: the supervisor's snapshot plus stop(). */
export interface KvLab extends KvLabSnapshot {
  stop(): Promise<void>;
}

/** Whether etcd and etcdctl (Debian: etcd-server, etcd-client) are on the PATH. */
export function etcdInstalled(): boolean {
  return spawnSync('etcd', ['--version'], { stdio: 'ignore' }).status === 0 && spawnSync('etcdctl', ['version'], { stdio: 'ignore' }).status === 0;
}

/** Turns a list or partial object into a full culprit set; bad input names `field`. */
export function resolveCulprits(culprits: Partial<KvCulprits> | string | undefined, field = 'culprits'): KvCulprits {
  if (culprits === undefined) return { ...NO_CULPRITS };
  if (typeof culprits !== 'string') return { ...NO_CULPRITS, ...culprits };
  try {
    return parseCulprits(culprits);
  } catch (error) {
    if (error instanceof CulpritSpecError) throw badInput(field, error.message);
    throw error;
  }
}

/** Whether 127.0.0.1:`port` can be bound right now. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port }, () => server.close(() => resolve(true)));
  });
}


/** Starts the cluster and resolves once every member is healthy and kv0 leads. */
export async function startKvLab(options: StartKvLabOptions = {}): Promise<KvLab> {
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw badInput('--port', `must be an integer 0..65535, got ${port}`);
  const culprits = resolveCulprits(options.culprits, '--culprits');
  if (port !== 0 && !(await portFree(port))) throw badInput('--port', `127.0.0.1:${port} is in use (another etcd or kv lab?); choose another or 0 for any free port`);
  if (!etcdInstalled()) throw badInput('etcd', 'etcd and etcdctl are not installed (Debian: apt-get install etcd-server etcd-client)');
  const config: KvSupervisorConfig = { leaderClientPort: port, culprits, detached: options.detached ?? false };
  if (options.fsyncMode) config.fsyncMode = options.fsyncMode;
  const supervisor = await launchSupervisor<KvReadyMessage>({
    entry: SUPERVISOR_ENTRY,
    configVariable: 'KV_LAB_CONFIG',
    config,
    name: 'kv lab',
    detached: options.detached ?? false,
    ...(options.logFile ? { logFile: options.logFile } : {}),
    startTimeoutMs: START_TIMEOUT_MS,
    fieldName: (field) => `--${field}`,
  });
  return { ...supervisor.ready.lab, stop: () => supervisor.stop() };
}

async function adminRequest(adminUrl: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<KvLabSnapshot> {
  const init: RequestInit = { method, signal: AbortSignal.timeout(APPLY_TIMEOUT_MS) };
  if (body !== undefined) init.body = JSON.stringify(body);
  let response: Response;
  try {
    response = await fetch(new URL(path, adminUrl), init);
  } catch (error) {
    throw new PerfloopError('LAB', `kv lab admin endpoint ${adminUrl} did not answer: ${error instanceof Error ? error.message : String(error)}`);
  }
  const payload = (await response.json()) as KvLabSnapshot | { error: string };
  if ('error' in payload) throw badInput('culprits', payload.error);
  return payload;
}

/** The running lab's current state (members, pids, leader, proxy delays, culprits). */
export function kvLabState(lab: Pick<KvLabSnapshot, 'adminUrl'>): Promise<KvLabSnapshot> {
  return adminRequest(lab.adminUrl, 'GET', '/state');
}

/**
 * Sets the complete culprit set of a running lab (everything not named is switched off, i.e. fixed);
 * resolves with the new state once applied (a leader restart included). An unavailable switch is bad input.
 */
export async function setCulprits(lab: Pick<KvLabSnapshot, 'adminUrl'> & { culprits?: KvCulprits }, culprits: Partial<KvCulprits> | string): Promise<KvLabSnapshot> {
  const state = await adminRequest(lab.adminUrl, 'POST', '/culprits', resolveCulprits(culprits));
  if (lab.culprits) Object.assign(lab.culprits, state.culprits);
  return state;
}
