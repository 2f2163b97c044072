/**
 * Configuration a lab service process reads from its environment (set by the supervisor).
 */
import { parseFixList, type FixName } from '../src/lab-control/lab-problems.js';

export type ServiceName = 'gateway' | 'orders' | 'customers' | 'inventory' | 'notifications';

export const SERVICE_NAMES: readonly ServiceName[] = ['gateway', 'orders', 'customers', 'inventory', 'notifications'];

export interface ServiceConfig {
  service: ServiceName;
  /** Port to listen on; 0 = any free port. */
  port: number;
  fixes: Set<FixName>;
  databaseUrl: string;
  redisUrl: string | undefined;
  /** Key prefix isolating this lab's cache entries in a shared Redis. */
  cachePrefix: string;
  otlpEndpoint: string;
  /** Base URLs of the other services, by name; filled in over IPC once every service listens. */
  peers: Partial<Record<ServiceName, string>>;
}

/** What a service learns from the supervisor once the database is up. */
export interface ServiceWiring {
  databaseUrl: string;
}

function required(env: NodeJS.ProcessEnv, key: string): string {
  const value = env[key];
  if (value === undefined || value === '') throw new Error(`lab service: ${key} is not set`);
  return value;
}

/**
 * Reads the environment part of the config; the database URL and peer URLs arrive later over IPC
 * (see service-messages.ts): the supervisor boots all services while the database is still seeding,
 * and peers are only known once every service listens.
 */
export function readServiceConfig(env: NodeJS.ProcessEnv, wiring: ServiceWiring): ServiceConfig {
  const service = required(env, 'LAB_SERVICE');
  if (!(SERVICE_NAMES as readonly string[]).includes(service)) throw new Error(`lab service: unknown service ${service}`);
  return {
    service: service as ServiceName,
    port: Number(env.LAB_PORT ?? '0'),
    fixes: parseFixList(env.LAB_FIXES ?? '', 'LAB_FIXES'),
    databaseUrl: wiring.databaseUrl,
    redisUrl: env.LAB_REDIS_URL || undefined,
    cachePrefix: env.LAB_CACHE_PREFIX ?? 'perfloop-lab:',
    otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'http://127.0.0.1:4318',
    peers: {},
  };
}
