/**
 * Start/stop API of the reference lab (lab/): forks the lab supervisor, waits until every service is up,
 * and returns the gateway URL and process ids. Any start failure leaves nothing running and becomes bad input
 * (exit 2) naming what to change: the port, DATABASE_URL or REDIS_URL.
 */
import { fileURLToPath } from 'node:url';
import { badInput, PerfloopError } from '../core/errors.js';
import { launchSupervisor } from './supervisor-launch.js';
import { FIX_NAMES, isFixName, type FixName } from './lab-problems.js';
import type { LabReadyMessage, SupervisorConfig } from '../../lab/service-messages.js';

const SUPERVISOR_ENTRY = fileURLToPath(new URL('../../lab/supervisor.js', import.meta.url));
/** PGlite's first start compiles its WebAssembly and runs initdb: several seconds on a small machine. */
const START_TIMEOUT_MS = 90_000;

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

  const supervisor = await launchSupervisor<LabReadyMessage>({
    entry: SUPERVISOR_ENTRY,
    configVariable: 'LAB_CONFIG',
    config,
    name: 'lab',
    detached: options.detached ?? false,
    ...(options.logFile ? { logFile: options.logFile } : {}),
    startTimeoutMs: START_TIMEOUT_MS,
    fieldName: (field) => field,
  });
  const { ready } = supervisor;
  return { gatewayUrl: ready.gatewayUrl, serviceUrls: ready.services, fixes, pids: ready.pids, stop: () => supervisor.stop() };
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
