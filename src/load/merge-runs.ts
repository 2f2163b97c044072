/**
 * Merges run files exactly: the segments of one schedule run on several machines (or repeated runs)
 * become one run whose histograms are the bucket-wise sum, so n merged segments equal one whole run.
 *
 * Before adding anything it checks that the inputs are what the merge claims: segments i/n of one
 * schedule (the same scenario hash, every index once, none missing) that started together (their
 * `--start-at` and actual starts agree within an interval) — or, when asked, repeats of one schedule.
 * A merge of different targets, of the same file twice or of an incomplete set is refused, not made.
 */
import { summarizeIntervals } from '../core/run-aggregate.js';
import { badInput } from '../core/errors.js';
import type { RunFile, TraceSample } from '../core/run-file.js';
import { scenarioHash } from '../core/scenario-hash.js';
import { mergeIntervalLists } from './merge-intervals.js';
import { newRunId } from './run-load.js';
import { formatSeconds } from './start-at.js';

export type MergeKind = 'segments' | 'repeats';

export interface MergeOptions {
  /** The inputs are whole runs of one schedule to add up (repeats), not segments. */
  repeats?: boolean;
  /** Merge segments whose starts disagree by more than an interval (with a warning) instead of refusing. */
  allowMisaligned?: boolean;
}

const segmentName = (run: RunFile): string => `${run.environment.segment.index + 1}/${run.environment.segment.count}`;

/** The first place two JSON values differ, as `path: a vs b` (to say *how* two scenarios differ). */
export function firstDifference(a: unknown, b: unknown, path = ''): string | undefined {
  if (a === b) return undefined;
  if (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null && Array.isArray(a) === Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const key of keys) {
      const found = firstDifference((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], path ? `${path}.${key}` : key);
      if (found) return found;
    }
    return undefined;
  }
  const show = (value: unknown): string => (value === undefined ? '(absent)' : JSON.stringify(value).slice(0, 80));
  return `${path || '(root)'}: ${show(a)} vs ${show(b)}`;
}

/** Refuses inputs that are not one schedule's complete set of segments (or repeats); returns the kind. */
export function checkMergeInputs(runs: readonly RunFile[], names: readonly string[], options: MergeOptions = {}): MergeKind {
  const [first] = runs;
  if (!first || runs.length < 2) throw badInput('runs', 'give at least two run files to merge');
  const nameOf = (index: number): string => names[index] ?? `run ${index + 1}`;

  const seenNames = new Map<string, number>();
  const seenIds = new Map<string, number>();
  runs.forEach((run, index) => {
    const earlier = seenNames.get(nameOf(index));
    if (earlier !== undefined) throw badInput(nameOf(index), 'given twice: each run file can be merged once');
    seenNames.set(nameOf(index), index);
    const sameId = seenIds.get(run.id);
    if (sameId !== undefined) throw badInput(nameOf(index), `is the same run as ${nameOf(sameId)} (id ${run.id}): a copy, not another segment or repeat`);
    seenIds.set(run.id, index);
  });

  const hashes = runs.map((run, index) => {
    const computed = scenarioHash(run.scenario);
    if (run.scenarioHash !== undefined && run.scenarioHash !== computed) {
      throw badInput(nameOf(index), `its scenario does not match its recorded scenarioHash (${run.scenarioHash.slice(0, 15)}…): edited after the run?`);
    }
    return computed;
  });
  hashes.forEach((hash, index) => {
    if (hash === hashes[0]) return;
    const difference = firstDifference(first.scenario, runs[index]?.scenario) ?? 'scenario';
    throw badInput(nameOf(index), `runs a different scenario than ${nameOf(0)} (${difference}): not parts of one schedule, so an exact merge means nothing`);
  });

  const counts = new Set(runs.map((run) => run.environment.segment.count));
  if (counts.size === 1 && first.environment.segment.count === 1) {
    if (options.repeats) return 'repeats';
    throw badInput('runs', `these are ${runs.length} whole runs of one schedule, not segments i/n: pass --repeats to add them up as repeats (every interval then holds ${runs.length} runs' requests)`);
  }
  if (options.repeats) throw badInput('--repeats', `the inputs are segments (${runs.map(segmentName).join(', ')}), not whole runs`);
  if (counts.size > 1) throw badInput('runs', `segment counts differ: ${runs.map((run, index) => `${nameOf(index)} is ${segmentName(run)}`).join(', ')}`);

  const count = first.environment.segment.count;
  const holder = new Map<number, number>();
  runs.forEach((run, index) => {
    const other = holder.get(run.environment.segment.index);
    if (other !== undefined) throw badInput(nameOf(index), `segment ${segmentName(run)} appears twice (${nameOf(other)} and ${nameOf(index)})`);
    holder.set(run.environment.segment.index, index);
  });
  const missing = Array.from({ length: count }, (_, index) => index).filter((index) => !holder.has(index));
  if (missing.length > 0) {
    throw badInput('runs', `segment${missing.length > 1 ? 's' : ''} ${missing.map((index) => `${index + 1}/${count}`).join(', ')} missing: the merge needs all ${count} segments of the schedule (got ${runs.map(segmentName).join(', ')})`);
  }
  return 'segments';
}

/**
 * Whether the segments started together. Returns problems (their clocks or starts disagree by more than
 * an interval, so interval k does not cover the same time on every machine) and softer warnings.
 */
export function checkAlignment(runs: readonly RunFile[], names: readonly string[]): { problems: string[]; warnings: string[] } {
  const problems: string[] = [];
  const warnings: string[] = [];
  const [first] = runs;
  if (!first) return { problems, warnings };
  const toleranceMs = first.intervalMs;
  const label = (index: number): string => `segment ${runs[index] ? segmentName(runs[index]) : '?'} (${names[index] ?? index})`;
  const requested = runs.map((run) => run.start?.requestedAt);
  const actualMs = runs.map((run) => Date.parse(run.start?.actualAt ?? run.startedAt));
  const spreadMs = Math.max(...actualMs) - Math.min(...actualMs);
  const earliest = actualMs.indexOf(Math.min(...actualMs));
  const latest = actualMs.indexOf(Math.max(...actualMs));

  if (requested.every((value) => value === undefined)) {
    if (spreadMs > toleranceMs) {
      warnings.push(`segments were not started together (no --start-at): their schedules began ${formatSeconds(spreadMs)} apart (${label(earliest)} first, ${label(latest)} last), so each merged interval adds requests the target received at different times; use --start-at`);
    }
    return { problems, warnings };
  }
  if (requested.some((value) => value === undefined)) {
    problems.push(`only some segments were started with --start-at (${runs.map((_, index) => (requested[index] ? null : label(index))).filter(Boolean).join(', ')} without)`);
  } else if (new Set(requested).size > 1) {
    problems.push(`segments were given different --start-at times: ${[...new Set(requested)].join(', ')}`);
  }
  runs.forEach((run, index) => {
    const lateMs = run.start?.lateMs ?? 0;
    if (lateMs > toleranceMs) problems.push(`${label(index)} started ${formatSeconds(lateMs)} after its --start-at, more than one interval (${formatSeconds(toleranceMs)})`);
  });
  if (problems.length === 0 && spreadMs > toleranceMs) {
    problems.push(`the segments' schedules began ${formatSeconds(spreadMs)} apart by their own clocks (${label(earliest)} first, ${label(latest)} last), more than one interval (${formatSeconds(toleranceMs)})`);
  }
  return { problems, warnings };
}

export function mergeRuns(runs: readonly RunFile[], names: readonly string[], options: MergeOptions = {}): RunFile {
  const kind = checkMergeInputs(runs, names, options);
  const [first] = runs;
  if (!first) throw badInput('runs', 'nothing to merge');
  const warnings: string[] = [];
  if (kind === 'segments') {
    const alignment = checkAlignment(runs, names);
    if (alignment.problems.length > 0 && !options.allowMisaligned) {
      throw badInput('runs', `segments not aligned: ${alignment.problems.join('; ')}. Their intervals do not cover the same time; rerun with a common --start-at, or pass --allow-misaligned to merge anyway`);
    }
    warnings.push(...alignment.problems.map((problem) => `misaligned: ${problem}`), ...alignment.warnings);
  } else {
    warnings.push(`${runs.length} repeats of one schedule added up: counts and rates are ${runs.length}× one run's`);
  }
  // Segments in index order, so the merged file lists its parts the same way whatever the argument order.
  const order = runs.map((_, index) => index).sort((a, b) => (runs[a]?.environment.segment.index ?? 0) - (runs[b]?.environment.segment.index ?? 0));
  const intervals = mergeIntervalLists(runs.map((run) => run.intervals));
  const healths = runs.map((run) => run.health);
  const sum = (pick: (health: RunFile['health']) => number): number => healths.reduce((total, health) => total + pick(health), 0);
  const samples: TraceSample[] = runs.flatMap((run) => run.traces?.samples ?? []);
  const withTraces = runs.find((run) => run.traces);
  const starts = runs.map((run) => run.start).filter((start) => start !== undefined);
  const earliestStart = [...starts].sort((a, b) => Date.parse(a.actualAt) - Date.parse(b.actualAt))[0];
  const requested = new Set(starts.map((start) => start.requestedAt));
  return {
    ...first,
    id: newRunId(),
    startedAt: runs.map((run) => run.startedAt).sort()[0] ?? first.startedAt,
    endedAt: runs.map((run) => run.endedAt).sort().at(-1) ?? first.endedAt,
    interrupted: runs.some((run) => run.interrupted),
    environment: { ...first.environment, workers: runs.reduce((total, run) => total + run.environment.workers, 0), segment: { index: 0, count: 1 } },
    intervals,
    health: {
      valid: healths.every((health) => health.valid),
      reasons: [...runs.flatMap((run, index) => run.health.reasons.map((reason) => `${names[index] ?? index}: ${reason}`)), ...warnings],
      lagP99Us: Math.max(...healths.map((health) => health.lagP99Us)),
      lagMaxUs: Math.max(...healths.map((health) => health.lagMaxUs)),
      generatorCpuPct: Math.max(...healths.map((health) => health.generatorCpuPct)),
      scheduled: sum((health) => health.scheduled),
      sent: sum((health) => health.sent),
      inFlightAtEnd: sum((health) => health.inFlightAtEnd),
    },
    summary: summarizeIntervals(intervals),
    ...(withTraces?.traces ? { traces: { ...withTraces.traces, samples, samplesCap: Math.max(withTraces.traces.samplesCap, samples.length) } } : {}),
    mergedFrom: [...names],
    scenarioHash: scenarioHash(first.scenario),
    ...(earliestStart
      ? {
          start: {
            ...(requested.size === 1 && earliestStart.requestedAt ? { requestedAt: earliestStart.requestedAt } : {}),
            actualAt: earliestStart.actualAt,
            lateMs: Math.max(...starts.map((start) => start.lateMs)),
          },
        }
      : {}),
    merge: {
      kind,
      parts: order.map((index) => {
        const run = runs[index] as RunFile;
        return { source: names[index] ?? String(index), id: run.id, segment: run.environment.segment, hostname: run.environment.hostname, workers: run.environment.workers, ...(run.start ? { start: run.start } : {}) };
      }),
      warnings,
    },
  };
}
