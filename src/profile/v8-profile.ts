/**
 * V8 CPU profile (the inspector's `Profiler.stop` result, also the `.cpuprofile` file format) → profile model.
 * Each sample's weight is the time to the next sample (V8's `timeDeltas`), as Chrome DevTools counts it; the
 * `(idle)` node is not CPU time and is left out, `(garbage collector)` and `(program)` stay.
 */
import type { StoredProfile } from '../core/run-file.js';
import { profileFromStacks, type ProfileFrame, type ProfileMeta, type StackSample } from './profile-model.js';

export interface V8CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber?: number }; children?: number[]; hitCount?: number }[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export function isV8CpuProfile(value: unknown): value is V8CpuProfile {
  return typeof value === 'object' && value !== null && Array.isArray((value as V8CpuProfile).nodes) && typeof (value as V8CpuProfile).startTime === 'number';
}

export function profileFromV8(meta: ProfileMeta, profile: V8CpuProfile): StoredProfile {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const weightUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  if (samples.length > 0) {
    const meanUs = (profile.endTime - profile.startTime) / samples.length;
    samples.forEach((id, index) => {
      const next = deltas[index + 1];
      const us = next !== undefined && next >= 0 ? next : meanUs;
      weightUs.set(id, (weightUs.get(id) ?? 0) + us);
    });
  } else {
    const hits = profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0);
    const meanUs = hits > 0 ? (profile.endTime - profile.startTime) / hits : 0;
    for (const node of profile.nodes) if (node.hitCount) weightUs.set(node.id, node.hitCount * meanUs);
  }
  const stacks: StackSample[] = [];
  for (const [id, us] of weightUs) {
    const frames: ProfileFrame[] = [];
    for (let cursor: number | undefined = id; cursor !== undefined; cursor = parentOf.get(cursor)) {
      const node = byId.get(cursor);
      if (!node) break;
      const { functionName, url, lineNumber } = node.callFrame;
      if (functionName === '(root)' && parentOf.get(cursor) === undefined) break;
      frames.push({ name: functionName || '(anonymous)', file: url, line: lineNumber + 1 });
    }
    if (frames[0]?.name === '(idle)') continue;
    stacks.push({ frames: frames.reverse(), value: us * 1000 });
  }
  return profileFromStacks(meta, stacks);
}
