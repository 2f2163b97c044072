/**
 * `perfloop merge RUN.json... | DIR`: exact merge of the segments of one schedule (or, with --repeats, of
 * whole runs), after checking that they are one schedule's complete set and started together.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { checkOutputPath } from '../../core/output-path.js';
import { badInput } from '../../core/errors.js';
import { parseRunFile, writeRunFile } from '../../core/run-file-io.js';
import { RUN_FILE_FORMAT, type RunFile } from '../../core/run-file.js';
import { mergeRuns } from '../../load/merge-runs.js';
import { renderRunSummary } from '../../report/terminal-summary.js';
import { mergeEvidence } from '../../signals/merge-evidence.js';
import type { Command } from '../command.js';
import { parseFlags } from '../parse-flags.js';

const usage = `usage: perfloop merge RUN.json RUN.json... [-o merged.json] [options]
       perfloop merge DIR [-o DIR/merged.json] [options]

Adds the histograms of the segments i/n of one schedule (perfloop run --segment i/n or --segment auto),
so the merged run equals one run of the whole schedule. DIR: every run file in the folder (other JSON
files and earlier merges are skipped, with a note).

Refused, with the reason: files of different scenarios (the scenario hash differs), the same file or
run twice, a segment missing or given twice, and segments that did not start together (different
--start-at, or starts more than one interval apart).

options:
  -o, --out FILE       merged run file (default merged.json; DIR/merged.json for a folder)
  --repeats            the inputs are whole runs of one schedule: add them up as repeats
  --allow-misaligned   merge segments whose starts disagree (the merged file says so)
  --json               print the result as JSON on stdout`;

interface Input {
  run: RunFile;
  name: string;
}

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw badInput(path, `cannot read run file (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw badInput(path, 'not JSON');
  }
}

/** Every run file in `dir` (sorted by name), skipping other JSON, the output itself and earlier merges. */
async function readFolder(dir: string, outPath: string, notes: string[]): Promise<Input[]> {
  const names = (await readdir(dir)).filter((name) => name.toLowerCase().endsWith('.json')).sort();
  const inputs: Input[] = [];
  for (const name of names) {
    const path = join(dir, name);
    if (resolve(path) === resolve(outPath)) continue;
    const json = await readJson(path);
    if (typeof json !== 'object' || json === null || (json as { format?: unknown }).format !== RUN_FILE_FORMAT) {
      notes.push(`skipped ${path}: not a perfloop run file`);
      continue;
    }
    const run = parseRunFile(json, path);
    if (run.mergedFrom || run.merge) {
      notes.push(`skipped ${path}: already a merge`);
      continue;
    }
    inputs.push({ run, name: path });
  }
  if (inputs.length === 0) throw badInput(dir, 'no run files in this folder');
  return inputs;
}

export const mergeCommand: Command = {
  name: 'merge',
  summary: 'merge the segments of one schedule exactly (checked: one scenario, all segments, started together)',
  usage,
  async run(argv) {
    const { values, positionals } = parseFlags(
      argv,
      { out: { type: 'string', short: 'o' }, json: { type: 'boolean' }, repeats: { type: 'boolean' }, 'allow-misaligned': { type: 'boolean' } },
      'merge',
    );
    if (positionals.length === 0) throw badInput('runs', 'give run files or a folder of run files to merge');
    const kinds = await Promise.all(positionals.map((path) => stat(path).then((info) => info.isDirectory(), () => false)));
    const [onlyPath] = positionals;
    const outPath = values.out ?? (positionals.length === 1 && kinds[0] && onlyPath !== undefined ? join(onlyPath, 'merged.json') : 'merged.json');
    if (positionals.length === 1 && !kinds[0]) throw badInput('runs', 'give at least two run files, or a folder of run files');
    if (positionals.some((path) => resolve(path) === resolve(outPath))) throw badInput('-o', `"${outPath}" is one of the inputs: the merge would overwrite it`);
    // Checked before reading anything: a bad -o fails in a moment, leaving nothing behind.
    checkOutputPath(outPath);

    const notes: string[] = [];
    const inputs: Input[] = [];
    for (const [index, path] of positionals.entries()) {
      if (kinds[index]) inputs.push(...(await readFolder(path, outPath, notes)));
      else inputs.push({ run: parseRunFile(await readJson(path), path), name: path });
    }
    const merged = mergeEvidence(
      mergeRuns(
        inputs.map((input) => input.run),
        inputs.map((input) => input.name),
        { repeats: values.repeats ?? false, allowMisaligned: values['allow-misaligned'] ?? false },
      ),
      inputs,
    );
    await writeRunFile(outPath, merged);
    const merge = merged.merge;
    const what = merge?.kind === 'repeats' ? `${inputs.length} repeats of one schedule` : `${inputs.length} segments of one schedule`;
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ runFile: outPath, kind: merge?.kind, parts: merge?.parts.length, scenarioHash: merged.scenarioHash, warnings: merge?.warnings ?? [], skipped: notes, summary: merged.summary })}\n`);
    } else {
      for (const note of notes) process.stderr.write(`note: ${note}\n`);
      for (const warning of merge?.warnings ?? []) process.stderr.write(`warning: ${warning}\n`);
      process.stdout.write(`merged ${what} (scenario ${merged.scenarioHash?.slice(0, 19) ?? '?'}…)\n${renderRunSummary(merged, outPath)}\n`);
    }
    return 0;
  },
};
