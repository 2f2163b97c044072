/**
 * Flame graphs as server-side SVG (no script): one rect per call-tree node, width ∝ total CPU time (heap: bytes allocated), callers
 * below callees (root at the bottom), siblings in name order so two runs' graphs line up. Hover text is a
 * native <title>. The differential graph draws the candidate's tree and colours each frame by how its share of
 * the CPU moved against the base (red: more, blue: less), as in Gregg's differential flame graphs.
 * Colours are inline fills: the frame palette reads on both themes, so the stylesheet is untouched.
 */
import type { StoredProfile } from '../../core/run-file.js';
import { formatProfileValue, nodeTotals } from '../../profile/profile-model.js';
import { escapeHtml } from './escape-html.js';

const WIDTH = 1000;
const ROW_PX = 17;
const MIN_WIDTH = 0.6;
const MAX_DEPTH = 64;
const CHAR_PX = 6.4;

interface Placed {
  node: number;
  depth: number;
  x: number;
  width: number;
}

function childrenOf(profile: StoredProfile): number[][] {
  const children: number[][] = [[]];
  profile.nodes.forEach((node, index) => {
    const slot = node.parent + 1;
    (children[slot] ??= []).push(index);
  });
  const nameOf = (index: number): string => profile.frames[profile.nodes[index]?.frame ?? 0]?.name ?? '';
  for (const list of children) list?.sort((a, b) => nameOf(a).localeCompare(nameOf(b)) || a - b);
  return children;
}

/** Lays the tree out: x and width in [0, WIDTH] units, depth 0 = the roots (drawn above the "all" bar). */
function layout(profile: StoredProfile, totals: readonly number[], totalNs: number): Placed[] {
  const children = childrenOf(profile);
  const placed: Placed[] = [];
  const visit = (list: readonly number[], x: number, depth: number): void => {
    let cursor = x;
    for (const node of list) {
      const width = ((totals[node] ?? 0) / totalNs) * WIDTH;
      if (width >= MIN_WIDTH && depth < MAX_DEPTH) {
        placed.push({ node, depth, x: cursor, width });
        visit(children[node + 1] ?? [], cursor, depth + 1);
      }
      cursor += width;
    }
  };
  visit(children[0] ?? [], 0, 0);
  return placed;
}

/** A warm palette by name hash (as flamegraph.pl): stable across runs, so the same function keeps its colour. */
function warmFill(name: string): string {
  let hash = 0;
  for (let i = 0; i < name.length; i++) hash = (hash * 31 + name.charCodeAt(i)) >>> 0;
  const r = 205 + (hash % 50);
  const g = 80 + ((hash >>> 8) % 130);
  const b = 40 + ((hash >>> 16) % 40);
  return `rgb(${r},${g},${b})`;
}

function label(name: string, width: number): string {
  const chars = Math.floor((width - 6) / CHAR_PX);
  if (chars < 3) return '';
  return name.length <= chars ? name : `${name.slice(0, chars - 1)}…`;
}


function frameText(profile: StoredProfile, node: number): string {
  const frame = profile.frames[profile.nodes[node]?.frame ?? 0];
  return frame ? `${frame.name}${frame.file ? ` (${frame.file}${frame.line > 0 ? `:${frame.line}` : ''})` : ''}` : '?';
}

function svg(id: string, rows: number, body: string, title: string): string {
  const heightPx = rows * ROW_PX + 4;
  return (
    `<svg class="flame" data-chart="${escapeHtml(id)}" viewBox="0 0 ${WIDTH} ${heightPx}" width="100%" role="img" aria-label="${escapeHtml(title)}" ` +
    `font-family="ui-monospace,Menlo,Consolas,monospace" font-size="11">${body}</svg>`
  );
}

function rect(x: number, y: number, width: number, fill: string, text: string, title: string): string {
  return (
    `<g><title>${escapeHtml(title)}</title><rect x="${x.toFixed(2)}" y="${y}" width="${Math.max(0.1, width - 0.3).toFixed(2)}" height="${ROW_PX - 1}" rx="1.5" fill="${fill}"/>` +
    (text ? `<text x="${(x + 3).toFixed(2)}" y="${y + ROW_PX - 5}" fill="#1b1b1b">${escapeHtml(text)}</text>` : '') +
    `</g>`
  );
}

/** The flame graph of one profile. */
export function renderFlameGraph(id: string, profile: StoredProfile): string {
  const totals = nodeTotals(profile.nodes);
  const totalNs = totals.reduce((sum, value, index) => sum + ((profile.nodes[index]?.parent ?? 0) < 0 ? value : 0), 0);
  if (!(totalNs > 0)) return `<p class="note">No samples in this profile.</p>`;
  const ms = (value: number): string => formatProfileValue(value, profile.unit);
  const placed = layout(profile, totals, totalNs);
  const depth = placed.reduce((max, item) => Math.max(max, item.depth + 1), 0);
  const yOf = (row: number): number => (depth - 1 - row) * ROW_PX;
  const parts = [rect(0, yOf(-1), WIDTH, 'rgb(190,190,190)', `all (${ms(totalNs)})`, `all: ${ms(totalNs)} ${profile.kind === 'heap' ? 'allocated' : 'CPU'}`)];
  for (const item of placed) {
    const node = profile.nodes[item.node];
    const name = profile.frames[node?.frame ?? 0]?.name ?? '?';
    const total = totals[item.node] ?? 0;
    const title = `${frameText(profile, item.node)}\ntotal ${ms(total)} (${((total / totalNs) * 100).toFixed(1)}%), self ${ms(node?.self ?? 0)} (${(((node?.self ?? 0) / totalNs) * 100).toFixed(1)}%)`;
    parts.push(rect(item.x, yOf(item.depth), item.width, warmFill(name), label(name, item.width), title));
  }
  return svg(id, depth + 1, parts.join(''), `flame graph of ${profile.name}`);
}

function pathShares(profile: StoredProfile): { keys: string[]; shares: Map<string, number>; totals: number[]; totalNs: number } {
  const totals = nodeTotals(profile.nodes);
  const totalNs = totals.reduce((sum, value, index) => sum + ((profile.nodes[index]?.parent ?? 0) < 0 ? value : 0), 0);
  const keys: string[] = [];
  const shares = new Map<string, number>();
  profile.nodes.forEach((node, index) => {
    const frame = profile.frames[node.frame];
    const key = `${node.parent >= 0 ? keys[node.parent] : ''};${frame?.name ?? '?'}`;
    keys[index] = key;
    shares.set(key, (shares.get(key) ?? 0) + (totalNs > 0 ? (totals[index] ?? 0) / totalNs : 0));
  });
  return { keys, shares, totals, totalNs };
}

/**
 * Differential flame graph: the candidate's tree, each frame coloured by (candidate share − base share) of
 * total CPU on the same call path. Paths only in the base are not drawn (listed by the caller if needed).
 */
export function renderDiffFlameGraph(id: string, base: StoredProfile, candidate: StoredProfile): string {
  const before = pathShares(base);
  const after = pathShares(candidate);
  if (!(after.totalNs > 0) || !(before.totalNs > 0)) return `<p class="note">One of the two profiles has no samples.</p>`;
  const ms = (value: number): string => formatProfileValue(value, candidate.unit);
  const placed = layout(candidate, after.totals, after.totalNs);
  const depth = placed.reduce((max, item) => Math.max(max, item.depth + 1), 0);
  const deltas = placed.map((item) => {
    const key = after.keys[item.node] ?? '';
    return (after.shares.get(key) ?? 0) - (before.shares.get(key) ?? 0);
  });
  const maxDelta = Math.max(0.01, ...deltas.map(Math.abs));
  const yOf = (row: number): number => (depth - 1 - row) * ROW_PX;
  const parts = [rect(0, yOf(-1), WIDTH, 'rgb(190,190,190)', `all: base ${ms(before.totalNs)} → candidate ${ms(after.totalNs)}`, 'all')];
  placed.forEach((item, index) => {
    const delta = deltas[index] ?? 0;
    const strength = Math.min(1, Math.abs(delta) / maxDelta);
    const fade = Math.round(235 - 150 * strength);
    const fill = Math.abs(delta) < 0.001 ? 'rgb(225,225,225)' : delta > 0 ? `rgb(240,${fade},${fade})` : `rgb(${fade},${fade},240)`;
    const name = candidate.frames[candidate.nodes[item.node]?.frame ?? 0]?.name ?? '?';
    const key = after.keys[item.node] ?? '';
    const title = `${frameText(candidate, item.node)}\nshare of ${candidate.kind === 'heap' ? 'bytes allocated' : 'CPU'}: base ${((before.shares.get(key) ?? 0) * 100).toFixed(1)}% → candidate ${((after.shares.get(key) ?? 0) * 100).toFixed(1)}% (${delta >= 0 ? '+' : ''}${(delta * 100).toFixed(1)} points)`;
    parts.push(rect(item.x, yOf(item.depth), item.width, fill, label(name, item.width), title));
  });
  return svg(id, depth + 1, parts.join(''), `differential flame graph of ${candidate.name}`);
}
