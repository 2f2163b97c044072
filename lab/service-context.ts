/** What every lab service is given: its config, the live fix set, counters, database and cache. */
import type { FixName } from '../src/lab-control/lab-problems.js';
import type { Route } from './http-kit.js';
import type { LabCache } from './lab-cache.js';
import type { LabDb } from './lab-db.js';
import type { ServiceConfig, ServiceName } from './service-config.js';
import type { ServiceStats } from './service-stats.js';

export interface ServiceContext {
  config: ServiceConfig;
  /** The live fix set: admin POST /admin/fixes mutates it in place, so services read it per request. */
  fixes: Set<FixName>;
  stats: ServiceStats;
  db: LabDb;
  cache: LabCache;
  /** Base URL of another service; throws when the supervisor did not provide it. */
  peer(name: ServiceName): string;
}

export interface LabService {
  route: Route;
  /** Called after the fix set changed (e.g. to create or drop indexes). */
  onFixesChanged?(previous: ReadonlySet<FixName>): Promise<void>;
  /** Extra admin routes, served under /admin/. */
  adminRoute?: Route;
  close?(): Promise<void>;
}

export function sleep(durationMs: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, durationMs));
}

/** Parses a positive integer path or query parameter; undefined when absent or malformed. */
export function positiveId(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined || !/^\d+$/.test(value)) return undefined;
  const id = Number(value);
  return id > 0 && Number.isSafeInteger(id) ? id : undefined;
}
