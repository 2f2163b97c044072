/**
 * `perfloop sweep TARGET|scenario.yaml --concurrency 1,2,4,8` (closed model), `--rates 100,200,400` (open model), or
 * `--slo 'p99<200ms'` (knee search): runs one step per level, fits the USL, writes a sweep file, prints a table.
 */
import { isScenarioFile, readScenarioFile } from '../../load/scenario-file.js';
import { dirname, join, relative } from 'node:path';
import { badInput } from '../../core/errors.js';
import { checkOutputPath } from '../../core/output-path.js';
import { checkWorkers, formatLimit, MAX_DURATION_MS, MAX_RATE_PER_SEC, MAX_USERS } from '../../load/scenario-limits.js';
import { writeJsonAtomic, writeRunFile } from '../../core/run-file-io.js';
import type { RunFile } from '../../core/run-file.js';
import { parseDurationMs } from '../../core/units.js';
import { runLoad } from '../../load/run-load.js';
import { scenarioFromUrl } from '../../load/scenario-from-flags.js';
import type { Scenario } from '../../load/scenario.js';
import { renderSweep } from '../../model/render-usl.js';
import { parseSlo } from '../../model/slo.js';
import type { SweepFile } from '../../model/sweep-file.js';
import { kneeSearch, runSweep, type StepRunner, type SweepSettings } from '../../model/sweep.js';
import type { Command } from '../command.js';
import { parseFlags, positiveInteger, positiveNumber } from '../parse-flags.js';
import { parseFraction } from './compare.js';

const usage = `usage: perfloop sweep TARGET|scenario.yaml --concurrency 1,2,4,8,16 [options]   (closed model)
       perfloop sweep TARGET|scenario.yaml --rates 100,200,400 [options]           (open model)
       perfloop sweep TARGET|scenario.yaml --slo 'p99<200ms' [--max-error-rate 1%]  (knee search)

One run per level (warm-up excluded), a Little's-law check per step, a USL fit over the steps (closed model:
N = users; open model: N = X·R), a sweep file and a table. The knee search doubles the rate from --start-rate
until the SLO fails, then bisects, and reports the highest rate that met it.

options:
  --step-duration D    measured time per step (default 10s)
  --warmup D           warm-up per step, excluded (default 2s)
  --think-time D       closed model: pause between a user's requests (default 0)
  --start-rate R       knee search: first rate (default 50)
  --max-rate R         knee search: ceiling (default 100000)
  --max-steps N        knee search: step limit (default 20)
  --workers N          generator threads (default 1)
  --embed              embed each step's run file in the sweep file (default: write them beside it)
  --out FILE           sweep file (default .perfloop/sweeps/<id>.json)
  --json               print the sweep file as JSON`;

const options = {
  concurrency: { type: 'string' },
  rates: { type: 'string' },
  slo: { type: 'string' },
  'max-error-rate': { type: 'string' },
  'start-rate': { type: 'string' },
  'max-rate': { type: 'string' },
  'max-steps': { type: 'string' },
  'step-duration': { type: 'string' },
  warmup: { type: 'string' },
  'think-time': { type: 'string' },
  workers: { type: 'string' },
  embed: { type: 'boolean' },
  out: { type: 'string', short: 'o' },
  json: { type: 'boolean' },
} as const;

const levelList = (text: string, flag: string, integer: boolean): number[] => {
  const levels = text.split(',').map((part) => (integer ? positiveInteger(part.trim(), flag) : positiveNumber(part.trim(), flag)));
  if (new Set(levels).size !== levels.length) throw badInput(flag, 'levels must be distinct');
  // The steps' scenarios are built directly, not through the scenario schema: the same limits apply here.
  const limit = integer ? MAX_USERS : MAX_RATE_PER_SEC;
  const over = levels.find((level) => level > limit);
  if (over !== undefined) throw badInput(flag, `at most ${formatLimit(limit)} ${integer ? 'users' : 'requests/s'}, got ${over}`);
  return levels;
};

async function baseScenario(target: string): Promise<Scenario> {
  if (isScenarioFile(target)) return readScenarioFile(target);
  return scenarioFromUrl(target, { ratePerSec: 1 });
}

export const sweepCommand: Command = {
  name: 'sweep',
  summary: 'run a load sweep (concurrency or rates), fit the USL, or search the knee against an SLO',
  usage,
  async run(argv) {
    const { values, positionals } = parseFlags(argv, options, 'sweep');
    const [target, ...extra] = positionals;
    if (!target) throw badInput('target', 'give a URL or a scenario file (perfloop sweep --help)');
    if (extra.length > 0) throw badInput('target', `one target only, got also "${extra.join(' ')}"`);
    const modes = [values.concurrency, values.rates, values.slo].filter((value) => value !== undefined).length;
    if (modes !== 1) throw badInput('--concurrency', 'give exactly one of --concurrency, --rates or --slo');
    // Up front: flags that would be ignored or exceed a limit, and the output directory (before any step runs).
    if (values['think-time'] !== undefined && values.concurrency === undefined) throw badInput('--think-time', 'only with --concurrency (closed model): open-model arrivals never wait for a response');
    if (values.workers !== undefined) checkWorkers(positiveInteger(values.workers, '--workers'), '--workers');
    checkOutputPath(values.out ?? join('.perfloop', 'sweeps', 'sweep.json'));
    const stepDurationMs = parseDurationMs(values['step-duration'] ?? '10s', '--step-duration');
    if (stepDurationMs <= 0) throw badInput('--step-duration', 'must be longer than 0');
    if (stepDurationMs > MAX_DURATION_MS) throw badInput('--step-duration', 'at most 168h (7 days)');
    const settings: SweepSettings = {
      target,
      scenario: await baseScenario(target),
      model: values.concurrency !== undefined ? 'closed' : 'open',
      stepDurationMs,
      warmupMs: parseDurationMs(values.warmup ?? '2s', '--warmup'),
      thinkTimeMs: parseDurationMs(values['think-time'] ?? '0', '--think-time'),
      embedRuns: values.embed ?? false,
      onStep: values.json
        ? undefined
        : (step) => process.stderr.write(`step ${step.level}: ${step.summary.throughputPerSec.toFixed(1)}/s, p99 ${(step.summary.p99Us / 1000).toFixed(1)} ms\n`),
    };
    const workers = positiveInteger(values.workers, '--workers', 1);
    const runs = new Map<number, RunFile>();
    const runStep: StepRunner = async (scenario, level) => {
      const run = await runLoad(scenario, { workers });
      runs.set(level, run);
      return run;
    };
    let sweep: SweepFile;
    if (values.slo !== undefined) {
      const maxErrorRate = values['max-error-rate'] === undefined ? 0.01 : parseFraction(values['max-error-rate'], '--max-error-rate');
      sweep = await kneeSearch(
        settings,
        {
          slo: parseSlo(values.slo, maxErrorRate),
          startRatePerSec: positiveNumber(values['start-rate'], '--start-rate', 50),
          maxRatePerSec: Math.min(levelList(values['max-rate'] ?? '100000', '--max-rate', false)[0] ?? 100_000, MAX_RATE_PER_SEC),
          maxSteps: positiveInteger(values['max-steps'], '--max-steps', 20),
        },
        runStep,
      );
    } else if (values.concurrency !== undefined) {
      sweep = await runSweep(settings, levelList(values.concurrency, '--concurrency', true), runStep);
    } else {
      sweep = await runSweep(settings, levelList(values.rates ?? '', '--rates', false), runStep);
    }
    const outPath = values.out ?? join('.perfloop', 'sweeps', `${sweep.id}.json`);
    if (!settings.embedRuns) {
      for (const step of sweep.steps) {
        const run = runs.get(step.level);
        if (!run) continue;
        const runPath = join(dirname(outPath), `${sweep.id}-step-${step.level}.run.json`);
        await writeRunFile(runPath, run);
        step.runPath = relative(dirname(outPath), runPath);
      }
    }
    await writeJsonAtomic(outPath, sweep);
    if (values.json) process.stdout.write(`${JSON.stringify(sweep, null, 2)}\n`);
    else process.stdout.write(`${renderSweep(sweep, outPath)}\n`);
    return 0;
  },
};
