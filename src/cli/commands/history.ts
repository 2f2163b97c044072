/**
 * `perfloop history add RUN.json... [--db FILE]` and `perfloop history show [--metric p99] [--json] [--db FILE]`:
 * run summaries in SQLite, with change points (E-divisive means, permutation test) flagged per series.
 */
import { existsSync } from 'node:fs';
import { badInput } from '../../core/errors.js';
import { checkOutputPath } from '../../core/output-path.js';
import { readRunFile } from '../../core/run-file-io.js';
import { formatRate, formatUs } from '../../core/units.js';
import { analyzeHistory } from '../../compare/history-analysis.js';
import { historyEntryOf, historyMetricOf, type HistoryEntry, type HistoryMetric } from '../../compare/history-entry.js';
import { SqliteHistoryStore } from '../../compare/history-store.js';
import type { Command } from '../command.js';
import { parseFlags } from '../parse-flags.js';

const usage = `usage: perfloop history add RUN.json [RUN.json ...] [--db FILE]
       perfloop history show [--metric p99] [--series NAME] [--json] [--db FILE]

Keeps one summary row per run (SQLite, default .perfloop/history.db) and flags change points in each series'
metric (p50, p90, p99, p99.9, mean, throughput, errors) with E-divisive means and a seeded permutation test
(α = 0.01). A series is the set of request names a run sent.`;

const options = {
  db: { type: 'string' },
  metric: { type: 'string' },
  series: { type: 'string' },
  json: { type: 'boolean' },
} as const;

const formatMetric = (metric: HistoryMetric, value: number): string =>
  metric === 'throughputPerSec' ? formatRate(value) : metric === 'errorRate' ? `${(value * 100).toFixed(2)}%` : formatUs(value);

export const historyCommand: Command = {
  name: 'history',
  summary: 'run history in SQLite with change-point detection (history add / history show)',
  usage,
  async run(argv) {
    const { values, positionals } = parseFlags(argv, options, 'history');
    const [subcommand, ...paths] = positionals;
    const dbPath = values.db ?? '.perfloop/history.db';
    if (subcommand === 'add') {
      if (paths.length === 0) throw badInput('RUN.json', 'give one or more run files to add');
      const entries: HistoryEntry[] = [];
      checkOutputPath(dbPath);
      for (const path of paths) entries.push(historyEntryOf(await readRunFile(path), path));
      const store = new SqliteHistoryStore(dbPath);
      try {
        store.add(entries);
      } finally {
        store.close();
      }
      process.stdout.write(`added ${entries.length} run(s) to ${dbPath}\n`);
      return 0;
    }
    if (subcommand !== 'show') throw badInput('history', `unknown subcommand "${subcommand ?? ''}" (use add or show)`);
    if (paths.length > 0) throw badInput('history show', `unexpected argument "${paths[0]}"`);
    const metric = historyMetricOf(values.metric ?? 'p99');
    if (!metric) throw badInput('--metric', `unknown metric "${values.metric}" (p50, p90, p99, p99.9, mean, throughput, errors)`);
    // Showing never creates the database: a missing file is an empty history.
    let entries: HistoryEntry[] = [];
    if (existsSync(dbPath)) {
      const store = new SqliteHistoryStore(dbPath, { readOnly: true });
      try {
        entries = store.list(values.series);
      } finally {
        store.close();
      }
    }
    const analyses = analyzeHistory(entries, metric);
    if (values.json) {
      process.stdout.write(`${JSON.stringify(analyses, null, 2)}\n`);
      return 0;
    }
    if (analyses.length === 0) {
      process.stdout.write(`no runs in ${dbPath} (perfloop history add RUN.json)\n`);
      return 0;
    }
    const lines: string[] = [];
    for (const analysis of analyses) {
      const changeAt = new Map(analysis.changePoints.map((point) => [point.index, point]));
      lines.push(`series: ${analysis.series}  (${analysis.entries.length} runs, metric ${values.metric ?? 'p99'})`);
      analysis.entries.forEach((entry, index) => {
        const change = changeAt.get(index);
        const flag = change
          ? `  ◀ change: ${change.relativeChange >= 0 ? '+' : ''}${(change.relativeChange * 100).toFixed(1)}% (p=${change.pValue.toFixed(3)})`
          : '';
        lines.push(`  ${entry.startedAt}  ${entry.runId.padEnd(24)} ${formatMetric(metric, entry[metric]).padStart(10)}${entry.valid ? '' : '  (invalid run)'}${flag}`);
      });
      lines.push(analysis.changePoints.length === 0 ? '  no change points' : `  ${analysis.changePoints.length} change point(s)`, '');
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  },
};
