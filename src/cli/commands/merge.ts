/** `perfloop merge a.json b.json -o merged.json`: exact merge of run files (segments, workers, repeats). */
import { badInput } from '../../core/errors.js';
import { readRunFile, writeRunFile } from '../../core/run-file-io.js';
import { mergeRuns } from '../../load/merge-runs.js';
import { renderRunSummary } from '../../report/terminal-summary.js';
import type { Command } from '../command.js';
import { parseFlags } from '../parse-flags.js';

export const mergeCommand: Command = {
  name: 'merge',
  summary: 'merge run files exactly (segments of one schedule, or repeats)',
  usage: 'usage: perfloop merge RUN.json RUN.json... [-o merged.json] [--json]',
  async run(argv) {
    const { values, positionals } = parseFlags(argv, { out: { type: 'string', short: 'o' }, json: { type: 'boolean' } }, 'merge');
    if (positionals.length < 2) throw badInput('runs', 'give at least two run files to merge');
    const runs = await Promise.all(positionals.map((path) => readRunFile(path)));
    const merged = mergeRuns(runs, positionals);
    const outPath = values.out ?? 'merged.json';
    await writeRunFile(outPath, merged);
    process.stdout.write(values.json ? `${JSON.stringify({ runFile: outPath, summary: merged.summary })}\n` : `${renderRunSummary(merged, outPath)}\n`);
    return 0;
  },
};
