/** The terminal table of `perfloop profile analyze`: the functions with the most self CPU time (or allocated bytes). */
import type { StoredProfile } from '../core/run-file.js';
import { formatProfileValue, profileTotal, topFunctions } from './profile-model.js';

function pct(part: number, whole: number): string {
  return whole > 0 ? `${((part / whole) * 100).toFixed(1)}%` : '–';
}

export function renderTopFunctions(profile: StoredProfile, limit = 15): string {
  const kindText = profile.kind === 'heap' ? 'heap (allocation sites)' : 'CPU';
  if (profile.error !== undefined) return `${profile.name} ${kindText} (${profile.source}): no profile — ${profile.error}`;
  const total = profileTotal(profile);
  const value = (v: number): string => formatProfileValue(v, profile.unit);
  const rows = topFunctions(profile).slice(0, limit);
  const lines = [
    `${profile.name} ${kindText} (${profile.source}): ${value(total)} ${profile.kind === 'heap' ? 'allocated' : 'CPU'} over ${(profile.durationMs / 1000).toFixed(1)} s${profile.prunedNodes > 0 ? `, ${profile.prunedNodes} small call-tree nodes folded into their callers` : ''}`,
    `  ${'self'.padStart(10)} ${'self%'.padStart(6)} ${'total'.padStart(10)} ${'total%'.padStart(6)}  function`,
  ];
  for (const row of rows) {
    const where = row.file ? ` ${row.file}${row.line > 0 ? `:${row.line}` : ''}` : '';
    lines.push(`  ${value(row.self).padStart(10)} ${pct(row.self, total).padStart(6)} ${value(row.total).padStart(10)} ${pct(row.total, total).padStart(6)}  ${row.name}${where}`);
  }
  return lines.join('\n');
}
