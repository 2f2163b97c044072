/**
 * The demo's load: a realistic mix against the lab gateway — mostly views of a hot set of 20 orders, some
 * order lists, a few order writes — as an open-model scenario with a short warm-up.
 */
import { normalizeScenario, type Scenario } from '../load/scenario.js';

export interface DemoLoad {
  ratePerSec: number;
  durationMs: number;
  warmupMs: number;
}

export function demoScenario(gatewayUrl: string, load: DemoLoad): Scenario {
  const rate = load.ratePerSec;
  return normalizeScenario(
    {
      requests: [
        { name: 'GET /orders/:id', url: `${gatewayUrl}/orders/{id}`, vars: { id: { from: 1, to: 20 } }, weight: 7 },
        { name: 'GET /orders?customer', url: `${gatewayUrl}/orders?customer={customer}`, vars: { customer: { from: 1, to: 50 } }, weight: 2 },
        { name: 'POST /orders', method: 'POST', url: `${gatewayUrl}/orders`, body: { customerId: 7, items: [{ productId: 3, quantity: 1 }] }, weight: 1 },
      ],
      phases: [
        { kind: 'constant', rate, duration: `${load.warmupMs}ms`, warmup: true },
        { kind: 'poisson', rate, duration: `${load.durationMs}ms`, seed: 7 },
      ],
      connections: 32,
      timeout: '10s',
    },
    'demo',
  );
}
