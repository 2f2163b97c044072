/**
 * Builds and starts one lab service: database, cache, counters, the service's routes and the shared
 * admin routes (GET /health, GET /admin/stats, GET|POST /admin/fixes, POST /admin/inspector, service-specific /admin/...).
 */
import inspector from 'node:inspector';
import type { FixName } from '../src/lab-control/lab-problems.js';
import { parseFixList } from '../src/lab-control/lab-problems.js';
import { closeClientAgent, createJsonServer, HttpError, listen, type LabRequest, type LabReply } from './http-kit.js';
import { createLabCache } from './lab-cache.js';
import { LabDb } from './lab-db.js';
import type { ServiceConfig, ServiceName } from './service-config.js';
import type { LabService, ServiceContext } from './service-context.js';
import { emptyStats } from './service-stats.js';
import { serviceMetrics } from './service-metrics.js';
import { createCustomersService } from './services/customers.js';
import { createGatewayService } from './services/gateway.js';
import { createInventoryService } from './services/inventory.js';
import { createNotificationsService } from './services/notifications.js';
import { createOrdersService } from './services/orders.js';

const FACTORIES: Record<ServiceName, (context: ServiceContext) => LabService> = {
  gateway: createGatewayService,
  orders: createOrdersService,
  customers: createCustomersService,
  inventory: createInventoryService,
  notifications: createNotificationsService,
};

export interface RunningService {
  port: number;
  close(): Promise<void>;
}

export async function runService(config: ServiceConfig): Promise<RunningService> {
  const fixes = new Set<FixName>(config.fixes);
  const stats = emptyStats();
  const db = new LabDb(config.databaseUrl, fixes, stats);
  const cache = createLabCache(config.redisUrl, config.cachePrefix);
  const context: ServiceContext = {
    config,
    fixes,
    stats,
    db,
    cache,
    peer(name) {
      const url = config.peers[name];
      if (!url) throw new Error(`${config.service} has no URL for ${name}`);
      return url;
    },
  };
  const service = FACTORIES[config.service](context);

  async function admin(request: LabRequest): Promise<LabReply | undefined> {
    const action = request.parts[1];
    if (request.method === 'GET' && action === 'stats') return { status: 200, body: { service: config.service, ...stats } };
    if (action === 'fixes' && request.method === 'GET') return { status: 200, body: { fixes: [...fixes].sort() } };
    if (action === 'fixes' && request.method === 'POST') {
      const wanted = (request.body as { fixes?: unknown } | undefined)?.fixes;
      if (!Array.isArray(wanted)) throw new HttpError(400, 'fixes must be an array of names');
      let next: Set<FixName>;
      try {
        next = parseFixList(wanted.join(','), 'fixes');
      } catch (error) {
        throw new HttpError(400, error instanceof Error ? error.message : String(error));
      }
      const previous = new Set(fixes);
      fixes.clear();
      for (const name of next) fixes.add(name);
      await service.onFixesChanged?.(previous);
      return { status: 200, body: { fixes: [...fixes].sort() } };
    }
    if (action === 'inspector' && request.method === 'POST') {
      // Opens this service's inspector on a free loopback port, so perfloop can profile it (CPU and heap)
      // without the service having been started with --inspect.
      if (inspector.url() === undefined) inspector.open(0, '127.0.0.1', false);
      return { status: 200, body: { url: inspector.url() } };
    }
    return service.adminRoute?.(request);
  }

  const metrics = serviceMetrics(config.service);
  const server = createJsonServer(async (request) => {
    if (request.method === 'GET' && request.url.pathname === '/metrics') return metrics.reply();
    if (request.parts[0] === 'admin') return admin(request);
    if (request.method === 'GET' && request.parts[0] === 'health' && request.parts.length === 1) {
      if (config.service !== 'gateway') return { status: 200, body: { ok: true, service: config.service } };
    }
    stats.requests += 1;
    return metrics.time(() => service.route(request));
  });
  const port = await listen(server, config.port);
  return {
    port,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await service.close?.();
      closeClientAgent();
      await cache.close();
      await db.close();
    },
  };
}
