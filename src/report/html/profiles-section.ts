/**
 * CPU and heap profiles in the report: per profile a flame graph and a top-functions table (self and total;
 * for heap profiles the allocation sites by bytes), and, when a later run has a profile of the same name and
 * kind as the base run, a differential flame graph.
 */
import type { RunFile, StoredProfile } from '../../core/run-file.js';
import { formatProfileValue, profileTotal, topFunctions } from '../../profile/profile-model.js';
import { escapeHtml } from './escape-html.js';
import { renderDiffFlameGraph, renderFlameGraph } from './flame-graph.js';

const TOP = 12;

function pct(part: number, whole: number): string {
  return whole > 0 ? `${((part / whole) * 100).toFixed(1)}%` : '–';
}

function topTable(id: string, profile: StoredProfile): string {
  const total = profileTotal(profile);
  const value = (v: number): string => escapeHtml(formatProfileValue(v, profile.unit));
  const rows = topFunctions(profile)
    .slice(0, TOP)
    .map(
      (row) =>
        `<tr><td><code>${escapeHtml(row.name)}</code>${row.file ? `<br><small>${escapeHtml(row.file)}${row.line > 0 ? `:${row.line}` : ''}</small>` : ''}</td>` +
        `<td class="num">${value(row.self)}</td><td class="num">${pct(row.self, total)}</td>` +
        `<td class="num">${value(row.total)}</td><td class="num">${pct(row.total, total)}</td></tr>`,
    )
    .join('');
  return `<table data-table="${escapeHtml(id)}"><thead><tr><th>function</th><th>self</th><th>self %</th><th>total</th><th>total %</th></tr></thead><tbody>${rows}</tbody></table>`;
}

export function renderProfilesSection(run: RunFile, runIndex: number): string {
  const profiles = run.profiles?.profiles ?? [];
  if (profiles.length === 0) return '';
  const parts = profiles.map((profile, index) => {
    const what = profile.kind === 'heap' ? 'heap: allocation sites' : 'CPU';
    const head = `<h4 data-profile-kind="${profile.kind}">${escapeHtml(profile.name)} — ${what} <small><code>${escapeHtml(profile.source)}</code>, ${(profile.durationMs / 1000).toFixed(1)} s</small></h4>`;
    if (profile.error !== undefined) return `${head}<p class="note">No profile: ${escapeHtml(profile.error)}</p>`;
    return (
      head +
      renderFlameGraph(`flame-${runIndex}-${index}`, profile) +
      `<p class="note">Width is ${profile.kind === 'heap' ? 'bytes allocated during the window (sampled)' : 'CPU time'}; callers below callees; hover a frame for its self and total ${profile.kind === 'heap' ? 'bytes' : 'time'}.${profile.prunedNodes > 0 ? ` ${profile.prunedNodes} small call-tree nodes were folded into their callers.` : ''}</p>` +
      topTable(`top-functions-${runIndex}-${index}`, profile)
    );
  });
  return `<section data-section="profiles"><h3>Profiles</h3>${parts.join('')}</section>`;
}

/** Differential flame graphs: each later run's profiles against the base run's profile of the same name. */
export function renderProfileDiffSection(runs: readonly RunFile[]): string {
  const base = runs[0];
  if (!base?.profiles) return '';
  const parts: string[] = [];
  runs.slice(1).forEach((run, offset) => {
    for (const candidate of run.profiles?.profiles ?? []) {
      const before = base.profiles?.profiles.find((profile) => profile.name === candidate.name && profile.kind === candidate.kind && profile.error === undefined);
      if (!before || candidate.error !== undefined) continue;
      parts.push(
        `<h4>${escapeHtml(candidate.name)} (${candidate.kind}): run 1 → run ${offset + 2}</h4>` +
          renderDiffFlameGraph(`flame-diff-${offset + 1}-${parts.length}`, before, candidate) +
          `<p class="note">The candidate's call tree; red frames take a larger share of ${candidate.kind === 'heap' ? 'the bytes allocated' : 'CPU'} than in the base, blue a smaller one (deeper colour, larger change). Paths only in the base are not drawn.</p>`,
      );
    }
  });
  return parts.length > 0 ? `<section data-section="profile-diff" id="profile-diff"><h2>Differential flame graphs</h2>${parts.join('')}</section>` : '';
}
