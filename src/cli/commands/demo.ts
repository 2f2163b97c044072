/** `perfloop demo`: the whole loop against the embedded lab, in one command. */
import { join } from 'node:path';
import { parseDurationMs } from '../../core/units.js';
import { renderDemoTable } from '../../demo/render-demo.js';
import { DEMO_DEFAULTS, runDemo } from '../../demo/run-demo.js';
import type { Command } from '../command.js';
import { demoKvUsage } from './demo-kv-usage.js';
import { badInput } from '../../core/errors.js';
import { parseFlags, positiveInteger, positiveNumber } from '../parse-flags.js';

/** A duration flag, or the default (ms) when it is not given. */
const durationOr = (value: string | undefined, flag: string, fallbackMs: number): number => (value === undefined ? fallbackMs : parseDurationMs(value, flag));

export function fraction(value: string | undefined, flag: string, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed >= 1 || parsed < 0 || (parsed === 0 && !allowZero)) {
    throw badInput(flag, `must be a fraction ${allowZero ? '≥ 0' : '> 0'} and < 1, got "${value}"`);
  }
  return parsed;
}

const usage = `usage: perfloop demo [--rounds 8] [--rate 16] [--duration 5s] [--warmup 4s] [--block 3s] [--max-pairs 6]
                     [--time-budget 160s] [--alpha 0.05] [--min-effect 0.03] [--min-saving 0] [--out-dir DIR]

Starts the lab with all eight classic problems on, runs a traced baseline, takes the top finding and validates
its fix on the requests it acts on: interleaved unfixed/fixed blocks (AB BA AB…, --block each, both blocks of a
pair replaying one schedule so each request has a twin) on the live lab until an always-valid sequential test of
the median per-request change decides or --max-pairs; repeats until no fixable finding remains, the round
limit or the time budget (lab start included). --min-saving S skips findings predicted to save < S of p99
(default 0: every finding the lab can fix gets a round).
Writes every run file and an HTML report to --out-dir (default .perfloop/demo-<time>).
Embedded by default (PGlite, in-process cache); DATABASE_URL / REDIS_URL use real servers.

${demoKvUsage}`;

export const demoCommand: Command = {
  name: 'demo',
  summary: 'the whole loop on the embedded lab: measure, find, fix, validate, repeat',
  usage,
  async run(argv) {
    // `perfloop demo kv`: the replicated key-value lab's loop (its own file).
    if (argv[0] === 'kv') return (await import('./demo-kv.js')).runDemoKv(argv.slice(1));
    const { values } = parseFlags(
      argv,
      {
        rounds: { type: 'string' },
        rate: { type: 'string' },
        duration: { type: 'string' },
        warmup: { type: 'string' },
        'out-dir': { type: 'string' },
        'min-saving': { type: 'string' },
        block: { type: 'string' },
        'block-warmup': { type: 'string' },
        'max-pairs': { type: 'string' },
        'time-budget': { type: 'string' },
        alpha: { type: 'string' },
        'min-effect': { type: 'string' },
      },
      'demo',
    );
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
    const result = await runDemo({
      maxRounds: positiveInteger(values.rounds, '--rounds', DEMO_DEFAULTS.maxRounds),
      ratePerSec: positiveNumber(values.rate, '--rate', DEMO_DEFAULTS.ratePerSec),
      durationMs: durationOr(values.duration, '--duration', DEMO_DEFAULTS.durationMs),
      warmupMs: durationOr(values.warmup, '--warmup', DEMO_DEFAULTS.warmupMs),
      minSavingShare: fraction(values['min-saving'], '--min-saving', DEMO_DEFAULTS.minSavingShare, true),
      blockMs: durationOr(values.block, '--block', DEMO_DEFAULTS.blockMs),
      blockWarmupMs: durationOr(values['block-warmup'], '--block-warmup', DEMO_DEFAULTS.blockWarmupMs),
      maxPairs: positiveInteger(values['max-pairs'], '--max-pairs', DEMO_DEFAULTS.maxPairs),
      timeBudgetMs: durationOr(values['time-budget'], '--time-budget', DEMO_DEFAULTS.timeBudgetMs),
      alpha: fraction(values.alpha, '--alpha', DEMO_DEFAULTS.alpha),
      minEffect: fraction(values['min-effect'], '--min-effect', DEMO_DEFAULTS.minEffect),
      outDir: values['out-dir'] ?? join('.perfloop', `demo-${stamp}`),
      ...(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {}),
      ...(process.env.REDIS_URL ? { redisUrl: process.env.REDIS_URL } : {}),
      log: (line) => process.stdout.write(`${line}\n`),
    });
    process.stdout.write(`\n${renderDemoTable(result)}\n`);
    // An invalid baseline is not a user's mistake, but the demo drew no conclusion: say so in the exit status too.
    return result.refused ? 1 : 0;
  },
};
