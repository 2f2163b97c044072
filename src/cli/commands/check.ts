/** `perfloop check RUN.json --budget budget.yaml [--baseline BASE.json] [--json]`: exit 0 pass, 1 budget failed, 2 bad input. */
import { badInput } from '../../core/errors.js';
import { readRunFile } from '../../core/run-file-io.js';
import { readBudgetFile } from '../../compare/read-budget-file.js';
import { checkBudget, renderBudgetResult } from '../../compare/budget.js';
import type { Command } from '../command.js';
import { parseFlags } from '../parse-flags.js';

const usage = `usage: perfloop check RUN.json --budget budget.yaml [--baseline BASE.json] [--json]

Checks a run against a budget file and prints each line PASS/FAIL. Exit status: 0 pass, 1 budget failed, 2 bad input.

budget.yaml:
  limits:
    - p99 < 200ms
    - errors < 0.1%
    - throughput >= 1000/s
    - p99 < 300ms over every 10s window
    - p99 regression < 5% at 95% confidence     # needs --baseline
  requests:
    GET /api/items:
      - p99 < 150ms`;

const options = { budget: { type: 'string' }, baseline: { type: 'string' }, json: { type: 'boolean' } } as const;

export const checkCommand: Command = {
  name: 'check',
  summary: 'check a run against a budget file (CI gate: exit 1 when over budget)',
  usage,
  async run(argv) {
    const { values, positionals } = parseFlags(argv, options, 'check');
    const [runPath, ...extra] = positionals;
    if (!runPath) throw badInput('RUN.json', 'give the run file to check');
    if (extra.length > 0) throw badInput('RUN.json', `one run file only, got also "${extra.join(' ')}"`);
    if (!values.budget) throw badInput('--budget', 'is required');
    const budget = await readBudgetFile(values.budget);
    const run = await readRunFile(runPath);
    const baseline = values.baseline ? await readRunFile(values.baseline) : undefined;
    const result = checkBudget(run, budget, baseline);
    if (values.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else process.stdout.write(`${renderBudgetResult(result)}\n`);
    return result.passed ? 0 : 1;
  },
};
