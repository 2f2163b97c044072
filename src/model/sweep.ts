/**
 * Load sweeps: one run per load level (users for the closed model, requests/s for the open model), each summarised
 * (warm-up excluded) with its Little's-law check; a USL fit over the steps; and the knee search, which finds the
 * highest rate that meets a latency/error SLO by doubling, then bisecting.
 *
 * The runner is injected (`runStep`, normally src/load/run-load.ts's runLoad), so the sweep logic is tested without
 * sockets and the CLI stays a thin shell.
 */
import { randomBytes } from 'node:crypto';
import { aggregateIntervals, errorCount, measuredMs } from '../core/run-aggregate.js';
import type { RunFile } from '../core/run-file.js';
import type { Phase, Scenario } from '../load/scenario.js';
import { fitUsl } from './fit-usl.js';
import { littleCheck } from './little-law.js';
import { meetsSlo } from './slo.js';
import { SWEEP_FILE_FORMAT, SWEEP_FILE_VERSION, type KneeResult, type LoadModel, type Slo, type SweepFile, type SweepStep, type UslFit } from './sweep-file.js';

export type StepRunner = (scenario: Scenario, level: number) => Promise<RunFile>;

export interface SweepSettings {
  /** URL or scenario file, for the record. */
  target: string;
  /** Requests (and connection settings) to send; its phases are replaced per step. */
  scenario: Scenario;
  model: LoadModel;
  stepDurationMs: number;
  warmupMs: number;
  /** Closed model: think time between a user's requests. */
  thinkTimeMs: number;
  /** Embed each step's run file in the sweep file (else `runPath` may be filled in by the caller). */
  embedRuns?: boolean;
  /** Called after each step (progress). */
  onStep?: (step: SweepStep) => void;
}

/** The scenario of one step: the base scenario's requests with a warm-up phase and a measured phase at `level`. */
export function scenarioForLevel(settings: Pick<SweepSettings, 'scenario' | 'model' | 'stepDurationMs' | 'warmupMs' | 'thinkTimeMs'>, level: number): Scenario {
  const load = (name: string, durationMs: number, warmup: boolean): Phase =>
    settings.model === 'closed'
      ? { kind: 'closed', name, durationMs, warmup, users: level, thinkTimeMs: settings.thinkTimeMs }
      : { kind: 'constant', name, durationMs, warmup, ratePerSec: level };
  const label = settings.model === 'closed' ? `users=${level}` : `rate=${level}`;
  return {
    ...settings.scenario,
    phases: [...(settings.warmupMs > 0 ? [load(`${label}/warmup`, settings.warmupMs, true)] : []), load(label, settings.stepDurationMs, false)],
  };
}

/** Summarises a step's run (measured intervals only) and checks Little's law. Pure. */
export function summarizeStep(run: RunFile, level: number, model: LoadModel, thinkTimeMs: number): SweepStep {
  const { total } = aggregateIntervals(run.intervals);
  const durationMs = measuredMs(run.intervals);
  const errors = errorCount(total);
  // The run's last interval spans the drain of requests in flight at the end, so this rate is not inflated in overload.
  const throughputPerSec = durationMs > 0 ? total.count / (durationMs / 1000) : 0;
  const latency = total.latency;
  return {
    level,
    summary: {
      measuredMs: durationMs,
      count: total.count,
      errors,
      errorRate: total.count > 0 ? errors / total.count : 0,
      throughputPerSec,
      meanUs: latency.meanUs,
      p50Us: latency.percentileUs(50),
      p90Us: latency.percentileUs(90),
      p99Us: latency.percentileUs(99),
      maxUs: latency.maxUs,
    },
    little: littleCheck({
      throughputPerSec,
      meanLatencyUs: latency.meanUs,
      thinkTimeMs: model === 'closed' ? thinkTimeMs : 0,
      ...(model === 'closed' ? { expectedConcurrency: level } : {}),
    }),
  };
}

/**
 * USL fit over the steps. Closed model: N = users, X = throughput. Open model: the rate is not a concurrency, so N is
 * the implied concurrency X·R from Little's law (Gunther's recipe for open-system measurements).
 */
export function fitSteps(steps: readonly SweepStep[], model: LoadModel): UslFit {
  const points = steps
    .filter((step) => step.summary.count > 0)
    .map((step) => ({ n: model === 'closed' ? step.level : step.little.impliedConcurrency, throughputPerSec: step.summary.throughputPerSec }));
  return fitUsl(points);
}

const newSweepId = (): string => `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}-${randomBytes(3).toString('hex')}`;

function sweepFile(settings: SweepSettings, mode: 'levels' | 'knee', steps: SweepStep[], startedAt: Date, knee?: KneeResult): SweepFile {
  const sorted = [...steps].sort((a, b) => a.level - b.level);
  // The knee's step order was recorded as indices into the run order; re-point them into the sorted steps.
  if (knee) knee.stepOrder = knee.stepOrder.map((index) => sorted.indexOf(steps[index] as SweepStep));
  return {
    format: SWEEP_FILE_FORMAT,
    version: SWEEP_FILE_VERSION,
    id: newSweepId(),
    startedAt: startedAt.toISOString(),
    endedAt: new Date().toISOString(),
    target: settings.target,
    model: settings.model,
    mode,
    thinkTimeMs: settings.thinkTimeMs,
    stepDurationMs: settings.stepDurationMs,
    warmupMs: settings.warmupMs,
    steps: sorted,
    fit: fitSteps(sorted, settings.model),
    ...(knee ? { knee } : {}),
  };
}

async function runOneStep(settings: SweepSettings, runStep: StepRunner, level: number): Promise<SweepStep> {
  const run = await runStep(scenarioForLevel(settings, level), level);
  const step = summarizeStep(run, level, settings.model, settings.thinkTimeMs);
  const withRun = settings.embedRuns ? { ...step, run } : step;
  settings.onStep?.(withRun);
  return withRun;
}

/** Runs each level in order and fits the USL. */
export async function runSweep(settings: SweepSettings, levels: readonly number[], runStep: StepRunner): Promise<SweepFile> {
  const startedAt = new Date();
  const steps: SweepStep[] = [];
  for (const level of levels) steps.push(await runOneStep(settings, runStep, level));
  return sweepFile(settings, 'levels', steps, startedAt);
}

export interface KneeSearchOptions {
  slo: Slo;
  /** First rate tried (requests/s). */
  startRatePerSec: number;
  /** Doubling stops here (the search reports the ceiling when even this rate passes). */
  maxRatePerSec: number;
  /** Bisection stops when the gap between the passing and the failing rate is this fraction of the passing one. */
  resolution?: number;
  /** Hard cap on steps. */
  maxSteps?: number;
}

/**
 * Knee search (open model): double the rate from `startRatePerSec` until a step fails the SLO (or the ceiling passes),
 * then bisect between the highest passing and the lowest failing rate until they are within `resolution` (default 5%).
 */
export async function kneeSearch(settings: SweepSettings, options: KneeSearchOptions, runStep: StepRunner): Promise<SweepFile> {
  const startedAt = new Date();
  const resolution = options.resolution ?? 0.05;
  const maxSteps = options.maxSteps ?? 20;
  const steps: SweepStep[] = [];
  const stepOrder: number[] = [];
  let passing: number | null = null;
  let failing: number | null = null;
  let stopReason = '';
  const tryRate = async (rate: number): Promise<boolean> => {
    const step = await runOneStep(settings, runStep, rate);
    const met = meetsSlo(options.slo, { p99Us: step.summary.p99Us, errorRate: step.summary.errorRate, count: step.summary.count });
    step.sloMet = met;
    stepOrder.push(steps.length);
    steps.push(step);
    if (met) passing = Math.max(passing ?? 0, rate);
    else failing = Math.min(failing ?? Infinity, rate);
    return met;
  };
  let rate = Math.min(options.startRatePerSec, options.maxRatePerSec);
  // Doubling phase.
  for (;;) {
    if (steps.length >= maxSteps) {
      stopReason = `step limit (${maxSteps}) reached while doubling`;
      break;
    }
    const met = await tryRate(rate);
    if (!met) break;
    if (rate >= options.maxRatePerSec) {
      stopReason = `every rate up to the ceiling ${options.maxRatePerSec}/s met the SLO`;
      break;
    }
    rate = Math.min(rate * 2, options.maxRatePerSec);
  }
  // Bisection phase.
  if (!stopReason) {
    for (;;) {
      const low: number | null = passing;
      const high: number | null = failing;
      if (low === null) {
        stopReason = `the lowest rate tried (${high ?? rate}/s) already failed the SLO`;
        break;
      }
      if (high === null) break;
      if ((high - low) / low <= resolution) {
        stopReason = `bisection converged: ${low}/s passes, ${high}/s fails (within ${(resolution * 100).toFixed(0)}%)`;
        break;
      }
      if (steps.length >= maxSteps) {
        stopReason = `step limit (${maxSteps}) reached while bisecting`;
        break;
      }
      await tryRate(Math.round(((low + high) / 2) * 100) / 100);
    }
  }
  const knee: KneeResult = { slo: options.slo, kneeRatePerSec: passing, firstFailingRatePerSec: failing, stepOrder, stopReason };
  return sweepFile(settings, 'knee', steps, startedAt, knee);
}
