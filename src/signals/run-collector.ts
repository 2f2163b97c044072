/**
 * What `perfloop run` starts before the load and stops after it: signal scrapers, profilers. Collectors run
 * on the CLI's main thread, never on the generator's, and attach what they gathered to the run file once the
 * run's start time and interval grid are known.
 */
import type { RunFile } from '../core/run-file.js';

export interface CollectorContext {
  /** The run's interval; readings are taken at this cadence. */
  intervalMs: number;
  /** Warm-up + measured time the scenario plans, for collectors that must say up front how long (pprof). */
  expectedDurationMs: number;
}

export interface RunCollector {
  start(context: CollectorContext): Promise<void>;
  /** Stops collecting; never throws (a failure is recorded and shown in the run file). */
  stop(): Promise<void>;
  /** The run file with the collected data added (pure given what was collected). */
  attach(run: RunFile): RunFile;
}

/** Starts every collector; if one fails to start, the ones already started are stopped and the error rethrown. */
export async function startCollectors(collectors: readonly RunCollector[], context: CollectorContext): Promise<void> {
  const started: RunCollector[] = [];
  try {
    for (const collector of collectors) {
      await collector.start(context);
      started.push(collector);
    }
  } catch (error) {
    await Promise.all(started.map((collector) => collector.stop()));
    throw error;
  }
}

export async function stopCollectors(collectors: readonly RunCollector[]): Promise<void> {
  await Promise.all(collectors.map((collector) => collector.stop()));
}

export function attachCollected(run: RunFile, collectors: readonly RunCollector[]): RunFile {
  return collectors.reduce((current, collector) => collector.attach(current), run);
}
