/** Parses `N,X` observations from CSV text (header optional; `#` comments and blank lines ignored). */
import { badInput } from '../core/errors.js';
import type { UslObservation } from './fit-usl.js';

export function parseUslCsv(text: string, source: string): UslObservation[] {
  const points: UslObservation[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const cells = line.split(/[,;\t ]+/).filter(Boolean);
    const [nText, xText] = cells;
    const n = Number(nText);
    const x = Number(xText);
    if (points.length === 0 && (!Number.isFinite(n) || !Number.isFinite(x))) {
      // A header row (e.g. "N,X" or "users,throughput") before the first data row.
      if (cells.some((cell) => Number.isFinite(Number(cell)))) throw badInput(`${source}:${index + 1}`, `expected "N,X", got "${line}"`);
      return;
    }
    if (cells.length < 2 || !Number.isFinite(n) || !Number.isFinite(x)) throw badInput(`${source}:${index + 1}`, `expected two numbers "N,X", got "${line}"`);
    if (n <= 0) throw badInput(`${source}:${index + 1}`, `N must be > 0, got ${n}`);
    if (x < 0) throw badInput(`${source}:${index + 1}`, `X must be ≥ 0, got ${x}`);
    points.push({ n, throughputPerSec: x });
  });
  if (points.length === 0) throw badInput(source, 'no data rows');
  return points;
}
