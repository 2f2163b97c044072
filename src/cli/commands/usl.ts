/** `perfloop usl fit data.csv [--json] [--unbounded-sigma] [--think-time D] [--predict N,...]`: offline USL fit. */
import { readFile } from 'node:fs/promises';
import { badInput } from '../../core/errors.js';
import { parseDurationMs } from '../../core/units.js';
import { fitUsl, predictUsl } from '../../model/fit-usl.js';
import { renderUslFit } from '../../model/render-usl.js';
import { readUslCsv } from '../../model/usl-csv.js';
import type { Command } from '../command.js';
import { parseFlags, positiveNumber } from '../parse-flags.js';

const usage = `usage: perfloop usl fit DATA.csv [options]

Fits the Universal Scalability Law X(N) = λN / (1 + σ(N−1) + κN(N−1)) to "N,X" rows by bounded
least squares (σ, κ in [0, 1], λ ≥ 0): σ, κ, λ with standard errors and confidence intervals, the peak N* and X_max,
R², residuals and the regime of each point.

With a header row the columns are found by name in any order: N (also concurrency, users, vus, clients, threads)
and X (also throughput…, rps, qps, tps); other columns (latency, errors) are ignored and named on stderr. Two
columns that could be N (or X), or none, is an error. Without a header the file must have exactly two columns, N,X.

options:
  --unbounded-sigma    allow σ < 0 (super-linear data)
  --confidence C       confidence level of the intervals (default 0.95)
  --predict N,N,...    predict throughput (and latency, by Little's law) at these concurrencies
  --think-time D       think time for latency predictions (default 0)
  --json               print the fit (and predictions) as JSON`;

const options = {
  'unbounded-sigma': { type: 'boolean' },
  confidence: { type: 'string' },
  predict: { type: 'string' },
  'think-time': { type: 'string' },
  json: { type: 'boolean' },
} as const;

export const uslCommand: Command = {
  name: 'usl',
  summary: 'fit the Universal Scalability Law to N,X data (usl fit data.csv)',
  usage,
  async run(argv) {
    const { values, positionals } = parseFlags(argv, options, 'usl');
    const [subcommand, path, ...extra] = positionals;
    if (subcommand !== 'fit') throw badInput('usl', `unknown subcommand "${subcommand ?? ''}" (use: perfloop usl fit DATA.csv)`);
    if (!path) throw badInput('DATA.csv', 'give a CSV file of N,X rows');
    if (extra.length > 0) throw badInput('DATA.csv', `one file only, got also "${extra.join(' ')}"`);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      throw badInput(path, `cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
    const confidenceLevel = values.confidence === undefined ? 0.95 : positiveNumber(values.confidence, '--confidence');
    if (!(confidenceLevel < 1)) throw badInput('--confidence', `must be between 0 and 1, got ${values.confidence}`);
    const csv = readUslCsv(text, path);
    if (csv.columns !== 'positional' && csv.columns.ignored.length > 0) {
      process.stderr.write(`usl fit: N = "${csv.columns.n}", X = "${csv.columns.x}"; ignored columns: ${csv.columns.ignored.join(', ')}\n`);
    }
    const fit = fitUsl(csv.points, { unboundedSigma: values['unbounded-sigma'] ?? false, confidenceLevel });
    const thinkTimeMs = values['think-time'] === undefined ? 0 : parseDurationMs(values['think-time'], '--think-time');
    const predictAt = values.predict === undefined ? [] : values.predict.split(',').map((n) => positiveNumber(n, '--predict'));
    const predictions = fit.kind === 'converged' ? predictAt.map((n) => predictUsl(fit, n, thinkTimeMs)) : [];
    if (values.json) process.stdout.write(`${JSON.stringify({ fit, predictions }, null, 2)}\n`);
    else {
      const lines = [renderUslFit(fit)];
      for (const prediction of predictions) {
        lines.push(`predict N=${prediction.n}: X = ${prediction.throughputPerSec.toFixed(1)}/s, R = ${prediction.latencyMs.toFixed(1)} ms`);
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    return fit.kind === 'converged' ? 0 : 2;
  },
};
