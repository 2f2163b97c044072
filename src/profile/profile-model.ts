/**
 * One profile model for every source (V8 CPU and sampling heap profiles, Go/pprof): a call tree whose nodes
 * carry a self value — CPU time in ns, or bytes allocated for heap profiles — with a frame table. It is what the run file stores (`StoredProfile`), what the flame graph draws and
 * what `perfloop profile analyze` ranks. Built from stacks (root → leaf) with a node cap: past it, the
 * cheapest subtrees fold into their parent so the file stays bounded and the heavy paths stay exact.
 */
import type { StoredProfile } from '../core/run-file.js';

export interface ProfileFrame {
  name: string;
  file: string;
  line: number;
}

export interface StackSample {
  /** Root first, leaf last. */
  frames: readonly ProfileFrame[];
  /** In the profile's unit: ns for CPU, bytes for heap. */
  value: number;
}

export type ProfileKind = 'cpu' | 'heap';

export const UNIT_OF_KIND = { cpu: 'ns', heap: 'bytes' } as const;

/** A value in a profile's unit, for people: `12.3 ms`, `4.5 MiB`. */
export function formatProfileValue(value: number, unit: 'ns' | 'bytes'): string {
  if (unit === 'ns') return value >= 1e9 ? `${(value / 1e9).toFixed(2)} s` : `${(value / 1e6).toFixed(1)} ms`;
  if (value >= 1024 * 1024 * 1024) return `${(value / 1024 ** 3).toFixed(2)} GiB`;
  if (value >= 1024 * 1024) return `${(value / 1024 ** 2).toFixed(1)} MiB`;
  return `${(value / 1024).toFixed(1)} KiB`;
}

export interface ProfileMeta {
  name: string;
  source: string;
  startMs: number;
  durationMs: number;
}

export const DEFAULT_MAX_NODES = 20_000;

/** Builds the call tree of a set of stacks. Equal paths merge; frames are interned. */
export function profileFromStacks(meta: ProfileMeta, stacks: Iterable<StackSample>, maxNodes = DEFAULT_MAX_NODES, kind: ProfileKind = 'cpu'): StoredProfile {
  const frames: ProfileFrame[] = [];
  const frameIndex = new Map<string, number>();
  const nodes: { frame: number; parent: number; self: number }[] = [];
  const nodeIndex = new Map<string, number>();
  for (const stack of stacks) {
    if (!(stack.value > 0)) continue;
    let parent = -1;
    for (const frame of stack.frames) {
      const frameKey = `${frame.name}\u0000${frame.file}\u0000${frame.line}`;
      let f = frameIndex.get(frameKey);
      if (f === undefined) {
        f = frames.length;
        frames.push({ name: frame.name, file: frame.file, line: frame.line });
        frameIndex.set(frameKey, f);
      }
      const key = `${parent}:${f}`;
      let node = nodeIndex.get(key);
      if (node === undefined) {
        node = nodes.length;
        nodes.push({ frame: f, parent, self: 0 });
        nodeIndex.set(key, node);
      }
      parent = node;
    }
    const leaf = nodes[parent];
    if (leaf) leaf.self += stack.value;
  }
  const pruned = pruneNodes(nodes, maxNodes);
  return { ...meta, kind, unit: UNIT_OF_KIND[kind], frames, nodes: pruned.nodes, prunedNodes: pruned.pruned };
}

/** Subtree totals (self + descendants'); parents always precede children in `nodes`. */
export function nodeTotals(nodes: readonly { parent: number; self: number }[]): number[] {
  const totals = nodes.map((node) => node.self);
  for (let index = nodes.length - 1; index >= 0; index--) {
    const parent = nodes[index]?.parent ?? -1;
    if (parent >= 0) totals[parent] = (totals[parent] ?? 0) + (totals[index] ?? 0);
  }
  return totals;
}

function pruneNodes(nodes: { frame: number; parent: number; self: number }[], maxNodes: number): { nodes: { frame: number; parent: number; self: number }[]; pruned: number } {
  if (nodes.length <= maxNodes) return { nodes, pruned: 0 };
  const totals = nodeTotals(nodes);
  const threshold = [...totals].sort((a, b) => b - a)[maxNodes - 1] ?? 0;
  const keptIndex = new Array<number>(nodes.length).fill(-1);
  const kept: { frame: number; parent: number; self: number }[] = [];
  // Nearest kept ancestor of each dropped node receives its self time.
  const home = new Array<number>(nodes.length).fill(-1);
  nodes.forEach((node, index) => {
    const parentKept = node.parent < 0 || (keptIndex[node.parent] ?? -1) >= 0;
    if (parentKept && (totals[index] ?? 0) >= threshold && kept.length < maxNodes) {
      keptIndex[index] = kept.length;
      home[index] = kept.length;
      kept.push({ frame: node.frame, parent: node.parent < 0 ? -1 : (keptIndex[node.parent] ?? -1), self: node.self });
    } else {
      const target = node.parent < 0 ? -1 : (home[node.parent] ?? -1);
      home[index] = target;
      const receiver = kept[target];
      if (receiver) receiver.self += node.self;
    }
  });
  return { nodes: kept, pruned: nodes.length - kept.length };
}

export interface FunctionCost {
  name: string;
  file: string;
  line: number;
  /** In the profile's unit. */
  self: number;
  /** The value of stacks that contain the function (counted once per stack, so recursion does not double it). */
  total: number;
}

/** Sum of self values, in the profile's unit. */
export function profileTotal(profile: Pick<StoredProfile, 'nodes'>): number {
  return profile.nodes.reduce((sum, node) => sum + node.self, 0);
}

/** Self and total value per function (name + file), most self first. */
export function topFunctions(profile: Pick<StoredProfile, 'frames' | 'nodes'>): FunctionCost[] {
  const byKey = new Map<string, FunctionCost>();
  const keyOfFrame = profile.frames.map((frame) => `${frame.name}\u0000${frame.file}`);
  const costOf = (frameIndex: number): FunctionCost => {
    const key = keyOfFrame[frameIndex] ?? '';
    let cost = byKey.get(key);
    if (!cost) {
      const frame = profile.frames[frameIndex];
      cost = { name: frame?.name ?? '?', file: frame?.file ?? '', line: frame?.line ?? 0, self: 0, total: 0 };
      byKey.set(key, cost);
    }
    return cost;
  };
  for (const [index, node] of profile.nodes.entries()) {
    if (node.self <= 0) continue;
    costOf(node.frame).self += node.self;
    const seen = new Set<string>();
    for (let cursor: number = index; cursor >= 0; cursor = profile.nodes[cursor]?.parent ?? -1) {
      const frame = profile.nodes[cursor]?.frame ?? 0;
      const key = keyOfFrame[frame] ?? '';
      if (seen.has(key)) continue;
      seen.add(key);
      costOf(frame).total += node.self;
    }
  }
  return [...byKey.values()].sort((a, b) => b.self - a.self || b.total - a.total || a.name.localeCompare(b.name));
}
