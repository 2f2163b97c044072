/**
 * One validation round on the live lab: alternate the unfixed (A) and fixed (B) states in blocks — counterbalanced,
 * AB BA AB…, so a machine that slowly speeds up or slows down favours neither arm — look after every pair with the sequential rule (src/compare/sequential-quantile-test.ts) and stop as soon as the
 * affected population's verdict is decided, at the pair cap, or when the time budget says so. A block whose
 * generator could not keep its schedule is invalid: its pair is dropped and the reason kept. The block runner is
 * injected, so the loop is tested without a lab.
 */
import type { TraceSample } from '../core/run-file.js';
import { compareInterleaved, type InterleavedBlock, type InterleavedComparison } from '../compare/interleaved-comparison.js';

export interface BlockOutcome {
  samples: readonly TraceSample[];
  /** The generator's verdict on its own run (run file `health.valid`). */
  valid: boolean;
  reasons: readonly string[];
  runFile?: string;
}

export type BlockRunner = (arm: 'A' | 'B', pair: number) => Promise<BlockOutcome>;

export interface InterleavedPlan {
  population: ReadonlySet<string>;
  percentile: number;
  alpha: number;
  minEffect: number;
  /** Valid pairs at most. */
  maxPairs: number;
  /** Per-arm population size the confidence sequences are tuned for (the expected size at the cap). */
  targetPerArm: number;
  /** The same for the whole mix. */
  mixTargetPerArm?: number;
  /** Asked before each further pair; false ends the round (time budget). */
  mayContinue?: () => boolean;
  /**
   * The runner replays one seeded schedule in both blocks of a pair: judge the median on matched requests (by name
   * and intended start) — see compare/paired-quantile-test.ts. Default false (pooled arms).
   */
  paired?: boolean;
  /** Paired: consecutive twins judged as one observation. Default 1. */
  batchSize?: number;
  /**
   * Requests the generator sent later than this (µs, sample `lagUs`) are left out of the comparison — and with them
   * their twins, which no longer match: their latency holds the generator's delay, not the lab's. Default: none.
   */
  maxLagUs?: number;
}

/**
 * The paired rule judges two neighbouring twins as one observation: on the shared machine consecutive requests'
 * ratios correlate (lag-1 0.25–0.4 measured on the lab's blocks under load), and with pairs of two the simulated
 * A/A rounds stay below α up to a correlation of 0.5 (test/compare/paired-quantile.test.ts), at ~5% of the power.
 * Both demos (services and kv) judge their medians so.
 */
export const PAIRED_BATCH_SIZE = 2;

export interface BlockRecord {
  arm: 'A' | 'B';
  pair: number;
  valid: boolean;
  reasons: string[];
  requests: number;
  /** Requests left out of the comparison because the generator sent them late (plan `maxLagUs`). */
  late: number;
  runFile?: string;
}

export interface InterleavedMeasurement {
  /** Undefined when no valid pair was measured. */
  comparison?: InterleavedComparison;
  blocks: BlockRecord[];
  validPairs: number;
  stoppedBecause: string;
  /** The valid blocks' samples (for the next round's analysis). */
  validBlocks: (InterleavedBlock & { traceSamples: readonly TraceSample[] })[];
}

/** The generator sent the request no later than `maxLagUs` after its intended start (always, without a limit). */
export const sentOnTime = (sample: TraceSample, maxLagUs: number | undefined): boolean => maxLagUs === undefined || (sample.lagUs ?? 0) <= maxLagUs;

export async function measureInterleaved(plan: InterleavedPlan, runBlock: BlockRunner): Promise<InterleavedMeasurement> {
  const onTime = (sample: TraceSample): boolean => sentOnTime(sample, plan.maxLagUs);
  const blocks: BlockRecord[] = [];
  const validBlocks: InterleavedMeasurement['validBlocks'] = [];
  let comparison: InterleavedComparison | undefined;
  let validPairs = 0;
  let stoppedBecause = `cap of ${plan.maxPairs} pairs reached`;
  // Invalid pairs are retried, but not forever: a generator that cannot keep up will not start keeping up.
  const maxAttempts = plan.maxPairs + 2;
  for (let attempt = 1; attempt <= maxAttempts && validPairs < plan.maxPairs; attempt++) {
    if (attempt > 1 && plan.mayContinue && !plan.mayContinue()) {
      const invalid = blocks.filter((block) => !block.valid).length;
      // Say why the pairs were too few when invalid blocks ate the budget (a loaded machine), not only that time ran out.
      stoppedBecause = `time budget: stopped after ${validPairs} pair${validPairs === 1 ? '' : 's'}${invalid > 0 ? ` (${invalid} invalid block${invalid === 1 ? '' : 's'}: ${blocks.find((block) => !block.valid)?.reasons[0] ?? 'no reason given'})` : ''}`;
      break;
    }
    const pair = validPairs + 1;
    // Even attempts run the fixed state first: the second block of a pair follows a switch and the first does not.
    let a: BlockOutcome;
    let b: BlockOutcome;
    if (attempt % 2 === 1) {
      a = await runBlock('A', attempt);
      b = await runBlock('B', attempt);
    } else {
      b = await runBlock('B', attempt);
      a = await runBlock('A', attempt);
    }
    for (const [arm, outcome] of (attempt % 2 === 1 ? [['A', a], ['B', b]] : [['B', b], ['A', a]]) as [['A' | 'B', BlockOutcome], ['A' | 'B', BlockOutcome]]) {
      blocks.push({
        arm,
        pair: attempt,
        valid: outcome.valid,
        reasons: [...outcome.reasons],
        requests: outcome.samples.length,
        late: outcome.samples.filter((sample) => !onTime(sample)).length,
        ...(outcome.runFile ? { runFile: outcome.runFile } : {}),
      });
    }
    if (!a.valid || !b.valid) {
      stoppedBecause = `invalid blocks: ${[...(a.valid ? [] : a.reasons), ...(b.valid ? [] : b.reasons)].join('; ')}`;
      continue;
    }
    validPairs = pair;
    for (const [arm, outcome] of [['A', a], ['B', b]] as const) {
      validBlocks.push({
        arm,
        pair,
        samples: outcome.samples.filter(onTime).map((sample) => ({ name: sample.name, latencyUs: sample.latencyUs, key: sample.intendedStartMs })),
        traceSamples: outcome.samples,
      });
    }
    comparison = compareInterleaved(validBlocks, {
      population: plan.population,
      percentile: plan.percentile,
      alpha: plan.alpha,
      minEffect: plan.minEffect,
      targetPerArm: plan.targetPerArm,
      ...(plan.mixTargetPerArm !== undefined ? { mixTargetPerArm: plan.mixTargetPerArm } : {}),
      ...(plan.paired !== undefined ? { paired: plan.paired } : {}),
      ...(plan.batchSize !== undefined ? { batchSize: plan.batchSize } : {}),
    });
    const decision = comparison.population.result.decision;
    if (decision !== 'undecided') {
      stoppedBecause = `decided (${decision}) after ${pair} pair${pair === 1 ? '' : 's'}`;
      break;
    }
    stoppedBecause = validPairs >= plan.maxPairs ? `cap of ${plan.maxPairs} pairs reached, still undecided` : stoppedBecause;
  }
  return { ...(comparison ? { comparison } : {}), blocks, validPairs, stoppedBecause, validBlocks };
}
