/**
 * Start/stop API of the reference lab (lab/): forks the lab supervisor, waits until every service is up,
 * and returns the gateway URL and process ids. Any start failure leaves nothing running and becomes bad input
 * (exit 2) naming what to change: the port, DATABASE_URL or REDIS_URL.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { badInput, PerfloopError } from '../core/errors.js';
import { FIX_NAMES, isFixName, type FixName } from './lab-problems.js';
import type { SupervisorConfig, SupervisorMessage } from '../../lab/service-messages.js';

const SUPERVISOR_ENTRY = fileURLToPath(new URL('../../lab/supervisor.js', import.meta.url));
/** PGlite's first start compiles its WebAssembly and runs initdb: several seconds on a small machine. */
const START_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 20_000;

export interface StartLabOptions {
  /** Fixes applied from the start: a set of names, or 'all' for the fast lab. */
  fixes: Set<string> | 'all';
  /** Gateway port; 0 (default) = any free port. */
  port?: number;
  /** OTLP/HTTP base URL the services export spans to (default http://127.0.0.1:4318). */
  otlpEndpoint?: string;
  /** A real Postgres server; the lab creates and later drops its own database on it. Default: embedded PGlite. */
  databaseUrl?: string;
  /** Redis for the cache; default: an in-process LRU per service. */
  redisUrl?: string;
  /** Keep running after this process exits (CLI background mode); output goes to `logFile`. */
  detached?: boolean;
  logFile?: string;
}

/** A running lab. */
export interface Lab {
  gatewayUrl: string;
  /** Base URL of every service (gateway, orders, customers, inventory, notifications). */
  serviceUrls: Record<string, string>;
  /** The live fix set (kept in step by applyFix/setFixes). */
  fixes: Set<FixName>;
  /** Process ids by role: supervisor and each service. */
  pids: Record<string, number>;
  stop(): Promise<void>;
}

/** The part of a lab that applyFix/setFixes need; a lab read back from the state file has it too. */
export type LabEndpoints = Pick<Lab, 'serviceUrls' | 'fixes'>;

function normaliseFixes(fixes: Set<string> | 'all'): Set<FixName> {
  if (fixes === 'all') return new Set(FIX_NAMES);
  const result = new Set<FixName>();
  for (const name of fixes) {
    if (!isFixName(name)) throw badInput('fixes', `unknown fix "${name}"; expected some of ${FIX_NAMES.join(', ')}`);
    result.add(name);
  }
  return result;
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Starts the lab and resolves once the gateway answers; rejects with a PerfloopError on any failure. */
export async function startLab(options: StartLabOptions): Promise<Lab> {
  const fixes = normaliseFixes(options.fixes);
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw badInput('--port', `must be an integer 0..65535, got ${port}`);
  const config: SupervisorConfig = {
    fixes: [...fixes],
    port,
    otlpEndpoint: options.otlpEndpoint ?? process.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'http://127.0.0.1:4318',
    detached: options.detached ?? false,
  };
  if (options.databaseUrl) config.databaseUrl = options.databaseUrl;
  if (options.redisUrl) config.redisUrl = options.redisUrl;

  const logFd = options.logFile ? openSync(options.logFile, 'a') : undefined;
  const output = logFd ?? (options.detached ? 'ignore' : 'inherit');
  const child = fork(SUPERVISOR_ENTRY, [], {
    env: { ...process.env, LAB_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', output, output, 'ipc'],
    detached: options.detached ?? false,
  });
  if (logFd !== undefined) closeSync(logFd);

  const message = await new Promise<SupervisorMessage>((resolve) => {
    const timer = setTimeout(
      () => resolve({ type: 'error', message: `lab did not start within ${START_TIMEOUT_MS / 1000} s` }),
      START_TIMEOUT_MS,
    );
    child.once('message', (received: SupervisorMessage) => {
      clearTimeout(timer);
      resolve(received);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ type: 'error', message: `lab supervisor exited during start (${signal ?? `code ${code}`})` });
    });
  });

  if (message.type === 'error') {
    // The supervisor stops its services before exiting; wait for it so nothing is left running.
    child.kill('SIGTERM');
    await waitForExit(child, STOP_TIMEOUT_MS);
    throw message.field ? badInput(message.field, message.message) : new PerfloopError('LAB', `lab: ${message.message}`);
  }

  if (options.detached) {
    child.disconnect();
    child.unref();
  }
  let stopped: Promise<void> | undefined;
  return {
    gatewayUrl: message.gatewayUrl,
    serviceUrls: message.services,
    fixes,
    pids: message.pids,
    stop() {
      stopped ??= (async () => {
        if (options.detached) {
          await stopLabProcess(child.pid ?? 0);
          return;
        }
        child.kill('SIGTERM');
        await waitForExit(child, STOP_TIMEOUT_MS);
      })();
      return stopped;
    },
  };
}

export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive but not ours.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Stops a lab by its supervisor pid (e.g. from the state file); resolves once it has exited. */
export async function stopLabProcess(supervisorPid: number, timeoutMs = STOP_TIMEOUT_MS): Promise<void> {
  if (!isProcessAlive(supervisorPid)) return;
  process.kill(supervisorPid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (isProcessAlive(supervisorPid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  if (isProcessAlive(supervisorPid)) process.kill(supervisorPid, 'SIGKILL');
}

async function postFixes(lab: LabEndpoints, fixes: Set<FixName>): Promise<void> {
  const body = JSON.stringify({ fixes: [...fixes] });
  await Promise.all(
    Object.entries(lab.serviceUrls).map(async ([name, url]) => {
      const response = await fetch(new URL('/admin/fixes', url), { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      if (!response.ok) throw new PerfloopError('LAB', `${name} refused the fix set: ${response.status} ${await response.text()}`);
    }),
  );
  lab.fixes.clear();
  for (const name of fixes) lab.fixes.add(name);
}

/** Applies one fix to a running lab by hot-toggling every service (no restart). */
export async function applyFix(lab: LabEndpoints, name: string): Promise<void> {
  if (!isFixName(name)) throw badInput('fix', `unknown fix "${name}"; expected one of ${FIX_NAMES.join(', ')}`);
  await postFixes(lab, new Set([...lab.fixes, name]));
}

/** Sets the complete fix set of a running lab (turning problems back on, too). */
export async function setFixes(lab: LabEndpoints, fixes: Set<string> | 'all'): Promise<void> {
  await postFixes(lab, normaliseFixes(fixes));
}
