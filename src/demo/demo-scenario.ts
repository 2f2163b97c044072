/**
 * The demo's load: a realistic mix against the lab gateway — mostly views of a hot set of 20 orders, some
 * order lists, some order writes — as an open-model scenario with a short warm-up. Writes are a fifth of the mix
 * (not a tenth) so that a validation round sees enough of them to judge a fix that acts on writes only.
 */
import { normalizeScenario, type Scenario } from '../load/scenario.js';

export interface DemoLoad {
  ratePerSec: number;
  durationMs: number;
  warmupMs: number;
  /**
   * Seed of the arrival times and the request mix (default: the fixed demo seed). The A and B blocks of one
   * interleaved pair share a seed, so both arms see the same arrivals (common random numbers).
   */
  seed?: number;
}

export const DEMO_MIX = { view: 6, list: 2, write: 2 } as const;

export function demoScenario(gatewayUrl: string, load: DemoLoad): Scenario {
  const rate = load.ratePerSec;
  return normalizeScenario(
    {
      requests: [
        { name: 'GET /orders/:id', url: `${gatewayUrl}/orders/{id}`, vars: { id: { from: 1, to: 20 } }, weight: DEMO_MIX.view },
        { name: 'GET /orders?customer', url: `${gatewayUrl}/orders?customer={customer}`, vars: { customer: { from: 1, to: 50 } }, weight: DEMO_MIX.list },
        { name: 'POST /orders', method: 'POST', url: `${gatewayUrl}/orders`, body: { customerId: 7, items: [{ productId: 3, quantity: 1 }] }, weight: DEMO_MIX.write },
      ],
      phases: [
        { kind: 'constant', rate, duration: `${load.warmupMs}ms`, warmup: true },
        { kind: 'poisson', rate, duration: `${load.durationMs}ms`, seed: load.seed ?? 7 },
      ],
      ...(load.seed !== undefined ? { seed: load.seed } : {}),
      connections: 32,
      timeout: '10s',
    },
    'demo',
  );
}
