/** The terminal table of `perfloop profile analyze`: the functions with the most self CPU time. */
import type { StoredProfile } from '../core/run-file.js';
import { profileTotalNs, topFunctions } from './profile-model.js';

function ms(ns: number): string {
  return `${(ns / 1e6).toFixed(1)} ms`;
}

function pct(part: number, whole: number): string {
  return whole > 0 ? `${((part / whole) * 100).toFixed(1)}%` : '–';
}

export function renderTopFunctions(profile: StoredProfile, limit = 15): string {
  if (profile.error !== undefined) return `${profile.name} (${profile.source}): no profile — ${profile.error}`;
  const totalNs = profileTotalNs(profile);
  const rows = topFunctions(profile).slice(0, limit);
  const lines = [
    `${profile.name} (${profile.source}): ${ms(totalNs)} CPU over ${(profile.durationMs / 1000).toFixed(1)} s${profile.prunedNodes > 0 ? `, ${profile.prunedNodes} small call-tree nodes folded into their callers` : ''}`,
    `  ${'self'.padStart(10)} ${'self%'.padStart(6)} ${'total'.padStart(10)} ${'total%'.padStart(6)}  function`,
  ];
  for (const row of rows) {
    const where = row.file ? ` ${row.file}${row.line > 0 ? `:${row.line}` : ''}` : '';
    lines.push(`  ${ms(row.selfNs).padStart(10)} ${pct(row.selfNs, totalNs).padStart(6)} ${ms(row.totalNs).padStart(10)} ${pct(row.totalNs, totalNs).padStart(6)}  ${row.name}${where}`);
  }
  return lines.join('\n');
}
