/**
 * V8 sampling heap profile (the inspector's `HeapProfiler.stopSampling` result, also the `.heapprofile` file
 * format) → profile model of kind `heap`. Each node's `selfSize` is the bytes sampled at that call path
 * (V8 scales the samples to an estimate of all allocations); nodes are walked from the root, so stacks come
 * out root first.
 */
import type { StoredProfile } from '../core/run-file.js';
import { profileFromStacks, DEFAULT_MAX_NODES, type ProfileFrame, type ProfileMeta, type StackSample } from './profile-model.js';

export interface V8HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber?: number };
  selfSize: number;
  id?: number;
  children?: V8HeapNode[];
}

export interface V8SamplingHeapProfile {
  head: V8HeapNode;
  samples?: unknown[];
}

export function isV8HeapProfile(value: unknown): value is V8SamplingHeapProfile {
  const head = (value as { head?: unknown } | null)?.head;
  return typeof head === 'object' && head !== null && typeof (head as V8HeapNode).selfSize === 'number' && typeof (head as V8HeapNode).callFrame === 'object';
}

export function profileFromV8Heap(meta: ProfileMeta, profile: V8SamplingHeapProfile): StoredProfile {
  const stacks: StackSample[] = [];
  // Iterative walk: heap profiles of deep recursion would overflow a recursive one.
  const pending: { node: V8HeapNode; path: ProfileFrame[] }[] = (profile.head.children ?? []).map((node) => ({ node, path: [] }));
  while (pending.length > 0) {
    const { node, path } = pending.pop() as { node: V8HeapNode; path: ProfileFrame[] };
    const { functionName, url, lineNumber } = node.callFrame;
    const frames = [...path, { name: functionName || '(anonymous)', file: url, line: lineNumber + 1 }];
    if (node.selfSize > 0) stacks.push({ frames, value: node.selfSize });
    for (const child of node.children ?? []) pending.push({ node: child, path: frames });
  }
  return profileFromStacks(meta, stacks, DEFAULT_MAX_NODES, 'heap');
}
