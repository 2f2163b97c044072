/**
 * Parses USL observations from CSV text. With a header row, columns are found by name — N from `N`,
 * `concurrency`, `users` (…), X from `X`, `throughput`, `rps` (…) — in any order, and other columns (latency,
 * errors) are ignored and listed; a header that names N or X twice, or not at all, is an error. Without a
 * header the first two columns are N,X. `#` comments and blank lines are ignored; `,`, `;`, tab or spaces
 * separate cells.
 */
import { badInput } from '../core/errors.js';
import type { UslObservation } from './fit-usl.js';

/** Header names (lowercased, units in brackets and separators stripped) meaning concurrency N. */
const N_NAMES = new Set(['n', 'concurrency', 'users', 'vus', 'clients', 'threads', 'workers', 'connections']);
/** Header names meaning throughput X; a name starting with `throughput` (e.g. `throughput_rps`) counts too. */
const X_NAMES = new Set(['x', 'throughput', 'tput', 'rps', 'qps', 'tps', 'ops', 'reqs', 'requestspersec', 'xpersec']);

export interface UslCsv {
  points: UslObservation[];
  /** How the columns were chosen: by header name, or by position (no header). */
  columns: { n: string; x: string; ignored: string[] } | 'positional';
}

const normaliseName = (cell: string): string =>
  cell
    .toLowerCase()
    .replace(/[([].*?[)\]]/g, '')
    .replace(/[^a-z0-9]/g, '');

function role(cell: string): 'n' | 'x' | undefined {
  const name = normaliseName(cell);
  if (N_NAMES.has(name)) return 'n';
  if (X_NAMES.has(name) || name.startsWith('throughput')) return 'x';
  return undefined;
}

function headerColumns(cells: readonly string[], field: string): { nIndex: number; xIndex: number; ignored: string[] } {
  const nColumns = cells.flatMap((cell, index) => (role(cell) === 'n' ? [index] : []));
  const xColumns = cells.flatMap((cell, index) => (role(cell) === 'x' ? [index] : []));
  const names = (indexes: number[]): string => indexes.map((index) => `"${cells[index]}"`).join(' and ');
  if (nColumns.length > 1) throw badInput(field, `ambiguous header: ${names(nColumns)} could both be N (keep one, or rename the other)`);
  if (xColumns.length > 1) throw badInput(field, `ambiguous header: ${names(xColumns)} could both be X (keep one, or rename the other)`);
  const [nIndex] = nColumns;
  const [xIndex] = xColumns;
  if (nIndex === undefined) throw badInput(field, `no concurrency column in header "${cells.join(',')}" (name it N or concurrency)`);
  if (xIndex === undefined) throw badInput(field, `no throughput column in header "${cells.join(',')}" (name it X or throughput)`);
  return { nIndex, xIndex, ignored: cells.filter((_, index) => index !== nIndex && index !== xIndex) };
}

/** Parses the CSV and says which columns it used. */
export function readUslCsv(text: string, source: string): UslCsv {
  const points: UslObservation[] = [];
  let columns: UslCsv['columns'] | undefined;
  let nIndex = 0;
  let xIndex = 1;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const field = `${source}:${index + 1}`;
    // Spaces separate cells only when nothing else does, so a header cell like "p99 (ms)" stays whole.
    const cells = (/[,;\t]/.test(line) ? line.split(/\s*[,;\t]\s*/) : line.split(/\s+/)).filter(Boolean);
    if (columns === undefined) {
      if (!cells.every((cell) => Number.isFinite(Number(cell)))) {
        if (cells.some((cell) => Number.isFinite(Number(cell)))) throw badInput(field, `a header mixed with numbers: "${line}"`);
        const found = headerColumns(cells, field);
        ({ nIndex, xIndex } = found);
        columns = { n: cells[nIndex] ?? '', x: cells[xIndex] ?? '', ignored: found.ignored };
        return;
      }
      columns = 'positional';
      if (cells.length > 2) throw badInput(field, `${cells.length} columns and no header: add one naming N and X (e.g. "N,X,latency_ms")`);
    }
    const nText = cells[nIndex];
    const xText = cells[xIndex];
    const n = Number(nText);
    const x = Number(xText);
    if (nText === undefined || xText === undefined || !Number.isFinite(n) || !Number.isFinite(x)) throw badInput(field, `expected numbers for N and X, got "${line}"`);
    if (n <= 0) throw badInput(field, `N must be > 0, got ${n}`);
    if (x < 0) throw badInput(field, `X must be ≥ 0, got ${x}`);
    points.push({ n, throughputPerSec: x });
  });
  if (points.length === 0) throw badInput(source, 'no data rows');
  return { points, columns: columns ?? 'positional' };
}

/** The observations only (see `readUslCsv`). */
export const parseUslCsv = (text: string, source: string): UslObservation[] => readUslCsv(text, source).points;
