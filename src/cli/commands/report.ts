/** `perfloop report RUN... [-o report.html]`: one self-contained HTML report from run files. */
import type { Command } from '../command.js';
import { parseFlags, positiveInteger } from '../parse-flags.js';
import { badInput } from '../../core/errors.js';
import { checkOutputPath } from '../../core/output-path.js';
import { defaultReportPath, writeReport } from '../../report/html-report-writer.js';

export const reportCommand: Command = {
  name: 'report',
  summary: 'Render run files into one self-contained HTML report',
  usage: [
    'usage: perfloop report RUN.json [RUN2.json ...] [SWEEP.json] [-o report.html] [--title TEXT] [--base-runs N]',
    '',
    'Renders one HTML file (no external assets; opens offline and from file://) with the verdict, latency',
    'over time, the percentile spectrum, per-request table, generator health and, when present, the trace',
    'analysis. Two runs or more add before/after overlays and the comparison verdicts (base = the first run',
    'file(s), candidate = the rest). A sweep file adds the USL curve, N* and the scaling regimes.',
    '',
    '  -o, --out FILE   where to write (default: beside the first run file, RUN.html)',
    '  --title TEXT     page title (default: the run ids)',
    '  --base-runs N    with several runs: the first N are the base (repeated runs), the rest the candidate (default 1)',
  ].join('\n'),
  async run(argv) {
    const { values, positionals } = parseFlags(argv, { out: { type: 'string', short: 'o' }, title: { type: 'string' }, 'base-runs': { type: 'string' } }, 'report');
    if (positionals.length === 0) throw badInput('RUN', 'give at least one run file (perfloop report RUN.json)');
    const outPath = values.out ?? defaultReportPath(positionals);
    const baseRuns = positiveInteger(values['base-runs'], '--base-runs', 1);
    checkOutputPath(outPath);
    const written = await writeReport(positionals, outPath, values.title === undefined ? { baseRuns } : { title: values.title, baseRuns });
    process.stdout.write(`${written}\n`);
    return 0;
  },
};
