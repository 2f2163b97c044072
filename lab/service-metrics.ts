/**
 * What a real service exposes: GET /metrics in the Prometheus text format (prom-client) with the Node runtime
 * collectors (CPU, RSS, heap, GC pauses, event-loop delay) and the service's own handling-time histogram, so
 * `perfloop run --scrape` can compare client latency with the server's own view of a request.
 */
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { LabReply } from './http-kit.js';

export interface ServiceMetrics {
  reply(): Promise<LabReply>;
  time<T>(handle: () => Promise<T>): Promise<T>;
}

export function serviceMetrics(service: string): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  // Event-loop delay sampled every 10 ms (prom-client's default) is cheap and resolves the lab's stalls.
  collectDefaultMetrics({ register: registry });
  const handling = new Histogram({
    name: 'lab_request_handling_seconds',
    help: 'Time from the request being routed to the reply being ready, inside the service.',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  return {
    async reply() {
      return { status: 200, body: await registry.metrics(), contentType: registry.contentType };
    },
    async time(handle) {
      const end = handling.startTimer();
      try {
        return await handle();
      } finally {
        end();
      }
    },
  };
}
