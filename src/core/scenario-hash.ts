/**
 * The scenario hash: a fingerprint of the schedule a run file belongs to, so `perfloop merge` can tell
 * segments of one schedule from runs of different targets, rates or seeds.
 *
 * Hashes the scenario as the run file records it (its JSON form), canonicalised by RFC 8785 (JSON
 * Canonicalization Scheme: sorted keys, fixed number format), so any language's JCS library plus SHA-256
 * recomputes the same value from the file.
 */
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

export const SCENARIO_HASH_PREFIX = 'sha256:';

/** `sha256:<64 hex>` of the canonical JSON of `scenario` (fields that JSON drops, like undefined, do not count). */
export function scenarioHash(scenario: unknown): string {
  // A JSON round trip first: the hash must be the same before writing and after reading the run file.
  const canonical = canonicalize(JSON.parse(JSON.stringify(scenario)) as unknown) ?? 'null';
  return `${SCENARIO_HASH_PREFIX}${createHash('sha256').update(canonical).digest('hex')}`;
}
