/** `perfloop demo`: the whole loop against the embedded lab, in one command. */
import { join } from 'node:path';
import { parseDurationMs } from '../../core/units.js';
import { renderDemoTable } from '../../demo/render-demo.js';
import { runDemo } from '../../demo/run-demo.js';
import type { Command } from '../command.js';
import { parseFlags, positiveInteger, positiveNumber } from '../parse-flags.js';

const usage = `usage: perfloop demo [--rounds 8] [--rate 25] [--duration 8s] [--warmup 2s] [--out-dir DIR]

Starts the lab with all eight classic problems on, runs a traced baseline, fixes the top finding, runs
again and compares with statistical confidence — until no fixable finding remains or the round limit.
Writes every run file and an HTML report to --out-dir (default .perfloop/demo-<time>).
Embedded by default (PGlite, in-process cache); DATABASE_URL / REDIS_URL use real servers.`;

export const demoCommand: Command = {
  name: 'demo',
  summary: 'the whole loop on the embedded lab: measure, find, fix, validate, repeat',
  usage,
  async run(argv) {
    const { values } = parseFlags(
      argv,
      {
        rounds: { type: 'string' },
        rate: { type: 'string' },
        duration: { type: 'string' },
        warmup: { type: 'string' },
        'out-dir': { type: 'string' },
        'min-saving': { type: 'string' },
      },
      'demo',
    );
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
    const result = await runDemo({
      maxRounds: positiveInteger(values.rounds, '--rounds', 8),
      ratePerSec: positiveNumber(values.rate, '--rate', 25),
      durationMs: parseDurationMs(values.duration ?? '8s', '--duration'),
      warmupMs: parseDurationMs(values.warmup ?? '2s', '--warmup'),
      minSavingShare: positiveNumber(values['min-saving'], '--min-saving', 0.02),
      outDir: values['out-dir'] ?? join('.perfloop', `demo-${stamp}`),
      ...(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {}),
      ...(process.env.REDIS_URL ? { redisUrl: process.env.REDIS_URL } : {}),
      log: (line) => process.stdout.write(`${line}\n`),
    });
    process.stdout.write(`\n${renderDemoTable(result)}\n`);
    return 0;
  },
};
