/**
 * The demo's load: a realistic mix against the lab gateway — mostly views of a hot set of 20 orders, some
 * order lists, some order writes — as an open-model scenario with a short warm-up.
 */
import { normalizeScenario, type Scenario, type ScenarioInput } from '../load/scenario.js';

export interface DemoLoad {
  ratePerSec: number;
  durationMs: number;
  warmupMs: number;
  /**
   * Seed of the arrival times and the request mix (default: the fixed demo seed). The A and B blocks of one
   * interleaved pair share a seed, so both arms see the same arrivals (common random numbers).
   */
  seed?: number;
  /** Request weights (default LAB_MIX). */
  mix?: RequestMix;
}

export interface RequestMix {
  view: number;
  list: number;
  write: number;
}

/** The lab's everyday mix: 70% views, 20% lists, 10% writes (the acceptance test's). */
export const LAB_MIX: RequestMix = { view: 7, list: 2, write: 1 };

/** The demo's validation rounds take writes as a fifth of the mix, so a round sees enough of them to judge a fix that acts on writes only. */
export const DEMO_MIX: RequestMix = { view: 6, list: 2, write: 2 };

export function demoScenario(gatewayUrl: string, load: DemoLoad): Scenario {
  const rate = load.ratePerSec;
  const mix = load.mix ?? LAB_MIX;
  return normalizeScenario(
    {
      requests: [
        { name: 'GET /orders/:id', url: `${gatewayUrl}/orders/{id}`, vars: { id: { from: 1, to: 20 } }, weight: mix.view },
        { name: 'GET /orders?customer', url: `${gatewayUrl}/orders?customer={customer}`, vars: { customer: { from: 1, to: 50 } }, weight: mix.list },
        { name: 'POST /orders', method: 'POST', url: `${gatewayUrl}/orders`, body: { customerId: 7, items: [{ productId: 3, quantity: 1 }] }, weight: mix.write },
      ],
      ...measuredPhases(rate, load),
      connections: 32,
      timeout: '10s',
    },
    'demo',
  );
}

/**
 * A demo measurement's timing: a constant warm-up (excluded from results), then Poisson arrivals at the same rate.
 * One seed drives the arrivals and the request mix, so the A and B blocks of a pair replay the same schedule.
 */
export function measuredPhases(rate: number, load: { durationMs: number; warmupMs: number; seed?: number }): Pick<ScenarioInput, 'phases' | 'seed'> {
  return {
    phases: [
      { kind: 'constant', rate, duration: `${load.warmupMs}ms`, warmup: true },
      { kind: 'poisson', rate, duration: `${load.durationMs}ms`, seed: load.seed ?? 7 },
    ],
    ...(load.seed !== undefined ? { seed: load.seed } : {}),
  };
}
