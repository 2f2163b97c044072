/**
 * Tier decomposition: where a request's critical-path time goes — client side (client latency − server
 * root duration, when the client latency is known), gateway (the root service's own time), other services'
 * own time, downstream HTTP calls (network and remote queueing not covered by a server span), database,
 * cache, messaging. Cohort figures are means over the cohort's traces.
 */
import type { CriticalPath } from './critical-path.js';
import { isCacheCall, isDbCall, isMessaging } from './span.js';
import type { TraceTree } from './span-tree.js';

export const TIERS = ['client', 'gateway', 'service', 'http', 'database', 'cache', 'messaging'] as const;
export type Tier = (typeof TIERS)[number];

export type TierTimesUs = Record<Tier, number>;

const emptyTiers = (): TierTimesUs => ({ client: 0, gateway: 0, service: 0, http: 0, database: 0, cache: 0, messaging: 0 });

/** Tier times of one trace, µs. `clientLatencyUs` is the load generator's latency for this request, when known. */
export function traceTiers(tree: TraceTree, path: CriticalPath, clientLatencyUs?: number): TierTimesUs {
  const tiers = emptyTiers();
  const rootService = tree.roots[0]?.span.service;
  for (const section of path.sections) {
    const span = tree.byId.get(section.spanId)?.span;
    if (span === undefined) continue;
    const us = (section.endNs - section.startNs) / 1e3;
    let tier: Tier;
    if (isCacheCall(span)) tier = 'cache';
    else if (isDbCall(span)) tier = 'database';
    else if (isMessaging(span)) tier = 'messaging';
    else if (span.kind === 'client') tier = 'http';
    else if (span.service === rootService) tier = 'gateway';
    else tier = 'service';
    tiers[tier] += us;
  }
  if (clientLatencyUs !== undefined) tiers.client = Math.max(0, clientLatencyUs - (path.endNs - path.startNs) / 1e3);
  return tiers;
}

/** Mean tier times over a set of traces, µs (rounded to 0.1 µs). */
export function meanTiers(perTrace: readonly TierTimesUs[]): TierTimesUs {
  const mean = emptyTiers();
  if (perTrace.length === 0) return mean;
  for (const tiers of perTrace) for (const tier of TIERS) mean[tier] += tiers[tier];
  for (const tier of TIERS) mean[tier] = Math.round((mean[tier] / perTrace.length) * 10) / 10;
  return mean;
}
