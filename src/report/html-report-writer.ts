/**
 * Edge: reads run files, renders the HTML report, writes it atomically. What `perfloop report`,
 * `perfloop run --report` and `perfloop demo` call.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { badInput } from '../core/errors.js';
import { readRunFile } from '../core/run-file-io.js';
import { renderHtmlReport } from './html-report.js';

export interface WriteReportOptions {
  title?: string;
}

/** Default report path for a set of run files: beside the first one, `<run>.html`. */
export function defaultReportPath(runPaths: readonly string[]): string {
  const first = runPaths[0];
  if (first === undefined) throw badInput('RUN', 'at least one run file is required');
  return resolve(dirname(first), `${basename(first).replace(/\.json$/i, '')}.html`);
}

/** Renders the run files at `paths` into one HTML file at `outPath`; returns the absolute path written. */
export async function writeReport(paths: readonly string[], outPath: string, options: WriteReportOptions = {}): Promise<string> {
  if (paths.length === 0) throw badInput('RUN', 'at least one run file is required');
  const runs = await Promise.all(paths.map((path) => readRunFile(path)));
  const html = renderHtmlReport(options.title === undefined ? { runs } : { runs, title: options.title });
  const target = resolve(outPath);
  await mkdir(dirname(target), { recursive: true });
  const temporary = `${target}.${process.pid}.tmp`;
  await writeFile(temporary, html);
  await rename(temporary, target);
  return target;
}
