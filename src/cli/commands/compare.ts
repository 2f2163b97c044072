/**
 * `perfloop compare base.json cand.json` or `perfloop compare --base a1.json a2.json --candidate b1.json b2.json`.
 */
import { badInput } from '../../core/errors.js';
import { readRunFile } from '../../core/run-file-io.js';
import { compareRuns, type CompareOptions } from '../../compare/compare-runs.js';
import { renderComparison } from '../../compare/render-comparison.js';
import type { Command } from '../command.js';
import { positiveInteger } from '../parse-flags.js';

const usage = `usage: perfloop compare BASE.json CANDIDATE.json [options]
       perfloop compare --base A1.json [A2.json ...] --candidate B1.json [B2.json ...] [options]

Per request name and in total: p50/p90/p99/p99.9 with bootstrap confidence intervals of the difference, the
Mann–Whitney test with the Hodges–Lehmann shift, throughput and error rate, each with a verdict: improved,
regressed or no significant change. Repeated runs on a side are merged; their run-to-run spread widens the intervals.

options:
  --min-effect P       smallest change worth reporting (default 3%)
  --confidence C       confidence level (default 0.99: five decisions per comparison at 5% overall)
  --resamples N        bootstrap resamples (default 2000)
  --seed N             bootstrap seed (default 1)
  --fail-on-regression exit 1 when the verdict is "regressed"
  --json               print the comparison as JSON`;

/** Parses "3%", "0.03" or "3" (read as percent when > 1) into a fraction; names the flag in errors. */
export function parseFraction(text: string, flag: string): number {
  const trimmed = text.trim();
  const isPercent = trimmed.endsWith('%');
  const value = Number(isPercent ? trimmed.slice(0, -1) : trimmed);
  if (!Number.isFinite(value) || value < 0) throw badInput(flag, `must be a fraction or a percentage, got "${text}"`);
  return isPercent || value > 1 ? value / 100 : value;
}

interface CompareArgs {
  base: string[];
  candidate: string[];
  flags: Map<string, string | true>;
}

const VALUE_FLAGS = new Set(['--min-effect', '--confidence', '--resamples', '--seed']);
const BOOLEAN_FLAGS = new Set(['--json', '--fail-on-regression']);

function parseCompareArgs(argv: string[]): CompareArgs {
  const base: string[] = [];
  const candidate: string[] = [];
  const positionals: string[] = [];
  const flags = new Map<string, string | true>();
  let list: string[] = positionals;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--base') list = base;
    else if (arg === '--candidate') list = candidate;
    else if (VALUE_FLAGS.has(arg)) {
      const value = argv[++i];
      if (value === undefined) throw badInput(arg, 'needs a value');
      flags.set(arg, value);
    } else if (BOOLEAN_FLAGS.has(arg)) flags.set(arg, true);
    else if (arg.startsWith('--')) throw badInput(arg, 'unknown option');
    else list.push(arg);
  }
  if (base.length === 0 && candidate.length === 0) {
    if (positionals.length !== 2) throw badInput('compare', 'give BASE.json CANDIDATE.json, or --base FILES --candidate FILES');
    return { base: [positionals[0] ?? ''], candidate: [positionals[1] ?? ''], flags };
  }
  if (positionals.length > 0) throw badInput(positionals[0] ?? 'compare', 'mixes positional files with --base/--candidate');
  if (base.length === 0) throw badInput('--base', 'needs at least one run file');
  if (candidate.length === 0) throw badInput('--candidate', 'needs at least one run file');
  return { base, candidate, flags };
}

export const compareCommand: Command = {
  name: 'compare',
  summary: 'compare runs: percentile CIs, Mann–Whitney, verdicts (improved / regressed / no change)',
  usage,
  async run(argv) {
    const args = parseCompareArgs(argv);
    const text = (flag: string): string | undefined => {
      const value = args.flags.get(flag);
      return typeof value === 'string' ? value : undefined;
    };
    const options: CompareOptions = {};
    const minEffect = text('--min-effect');
    if (minEffect !== undefined) options.minEffect = parseFraction(minEffect, '--min-effect');
    const confidence = text('--confidence');
    if (confidence !== undefined) {
      const level = parseFraction(confidence, '--confidence');
      if (!(level > 0 && level < 1)) throw badInput('--confidence', `must be between 0 and 1 (exclusive), got "${confidence}"`);
      options.confidenceLevel = level;
    }
    if (text('--resamples') !== undefined) options.resamples = positiveInteger(text('--resamples'), '--resamples');
    if (text('--seed') !== undefined) options.seed = positiveInteger(text('--seed'), '--seed');
    const baseRuns = await Promise.all(args.base.map((path) => readRunFile(path)));
    const candidateRuns = await Promise.all(args.candidate.map((path) => readRunFile(path)));
    const comparison = compareRuns(baseRuns, candidateRuns, options);
    if (args.flags.has('--json')) process.stdout.write(`${JSON.stringify(comparison, null, 2)}\n`);
    else process.stdout.write(`${renderComparison(comparison)}\n`);
    return args.flags.has('--fail-on-regression') && comparison.verdict === 'regressed' ? 1 : 0;
  },
};
