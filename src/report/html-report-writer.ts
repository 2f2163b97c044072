/**
 * Edge: reads run files (and at most one sweep file), renders the HTML report, writes it atomically.
 * What `perfloop report`, `perfloop run --report` and `perfloop demo` call.
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { badInput } from '../core/errors.js';
import { writeFileAtomic } from '../core/output-path.js';
import { parseRunFile } from '../core/run-file-io.js';
import type { RunFile } from '../core/run-file.js';
import { parseSweepFile, SWEEP_FILE_FORMAT, type SweepFile } from '../model/sweep-file.js';
import { compareRuns } from '../compare/compare-runs.js';
import { renderHtmlReport, type HtmlReportInputs } from './html-report.js';
import type { DemoRoundsReport } from './html/demo-rounds-section.js';

export interface WriteReportOptions {
  title?: string;
  /**
   * With two runs or more, the first `baseRuns` run files are the base and the rest the candidate (repeated runs
   * of a side are merged); the report then shows compareRuns' verdicts. Default 1.
   */
  baseRuns?: number;
  /** The demo's rounds (`perfloop demo`), rendered first. */
  demo?: DemoRoundsReport;
}

/** Default report path for a set of input files: beside the first one, `<name>.html`. */
export function defaultReportPath(paths: readonly string[]): string {
  const first = paths[0];
  if (first === undefined) throw badInput('RUN', 'at least one run file is required');
  return resolve(dirname(first), `${basename(first).replace(/\.json$/i, '')}.html`);
}

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw badInput(path, `cannot read file (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw badInput(path, 'not JSON');
  }
}

/** Reads run files and sweep files (told apart by their `format` field) into report inputs. */
export async function readReportInputs(paths: readonly string[]): Promise<HtmlReportInputs> {
  if (paths.length === 0) throw badInput('RUN', 'at least one run file is required');
  const runs: RunFile[] = [];
  let sweep: SweepFile | undefined;
  for (const path of paths) {
    const json = await readJson(path);
    const format = typeof json === 'object' && json !== null && 'format' in json ? json.format : undefined;
    if (format === SWEEP_FILE_FORMAT) {
      if (sweep) throw badInput(path, 'only one sweep file per report');
      sweep = parseSweepFile(json, path);
    } else {
      runs.push(parseRunFile(json, path));
    }
  }
  return sweep ? { runs, sweep } : { runs };
}

/** Renders the files at `paths` into one HTML file at `outPath`; returns the absolute path written. */
export async function writeReport(paths: readonly string[], outPath: string, options: WriteReportOptions = {}): Promise<string> {
  const inputs = await readReportInputs(paths);
  const baseRuns = options.baseRuns ?? 1;
  if (inputs.runs.length >= 2) {
    if (!Number.isInteger(baseRuns) || baseRuns < 1 || baseRuns >= inputs.runs.length) {
      throw badInput('--base-runs', `must be an integer from 1 to ${inputs.runs.length - 1} (runs given: ${inputs.runs.length})`);
    }
    inputs.comparison = compareRuns(inputs.runs.slice(0, baseRuns), inputs.runs.slice(baseRuns));
  }
  if (options.demo) inputs.demo = options.demo;
  const html = renderHtmlReport(options.title === undefined ? inputs : { ...inputs, title: options.title });
  const target = resolve(outPath);
  await writeFileAtomic(target, html);
  return target;
}
