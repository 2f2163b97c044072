/**
 * pprof (profile.proto, gzip or raw) → profile model, decoded with the maintained `pprof-format` package.
 * CPU profiles use the sample type `cpu`/`nanoseconds` (Go's CPU profile), heap profiles the bytes allocated
 * (`chooseValue`); inlined frames are expanded (a location's last line is the caller).
 */
import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import type { StoredProfile } from '../core/run-file.js';
import { DEFAULT_MAX_NODES, profileFromStacks, type ProfileKind, type ProfileFrame, type ProfileMeta, type StackSample } from './profile-model.js';

const NS_PER_UNIT: Record<string, number> = { nanoseconds: 1, microseconds: 1e3, milliseconds: 1e6, seconds: 1e9 };

export function decodePprof(bytes: Uint8Array): Profile {
  const raw = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
  return Profile.decode(raw);
}

/**
 * Which sample value a profile is drawn from: CPU time when there is one; for Go's heap profile the bytes
 * allocated (`alloc_space`: in a delta profile, `?seconds=N`, those of the window; `inuse_space` of a delta can
 * be negative), else the bytes in use; otherwise the last type, a heap profile when its unit is bytes.
 */
export function chooseValue(types: readonly { type: string; unit: string }[]): { valueIndex: number; kind: ProfileKind } {
  const cpu = types.findIndex((type) => type.type === 'cpu' && type.unit === 'nanoseconds');
  if (cpu >= 0) return { valueIndex: cpu, kind: 'cpu' };
  for (const name of ['alloc_space', 'inuse_space']) {
    const index = types.findIndex((type) => type.type === name && type.unit === 'bytes');
    if (index >= 0) return { valueIndex: index, kind: 'heap' };
  }
  const last = types.length - 1;
  return { valueIndex: last, kind: types[last]?.unit === 'bytes' ? 'heap' : 'cpu' };
}

export function profileFromPprof(meta: Omit<ProfileMeta, 'durationMs'> & { durationMs?: number }, profile: Profile): StoredProfile {
  const strings = profile.stringTable.strings;
  const str = (index: number | bigint): string => strings[Number(index)] ?? '';
  const types = profile.sampleType.map((type) => ({ type: str(type.type), unit: str(type.unit) }));
  const { valueIndex, kind } = chooseValue(types);
  const scale = kind === 'heap' ? 1 : (NS_PER_UNIT[types[valueIndex]?.unit ?? ''] ?? 1);
  const functions = new Map(profile.function.map((fn) => [Number(fn.id), fn]));
  const locations = new Map(profile.location.map((location) => [Number(location.id), location]));
  const framesOfLocation = new Map<number, ProfileFrame[]>();
  const framesOf = (id: number): ProfileFrame[] => {
    let frames = framesOfLocation.get(id);
    if (!frames) {
      const location = locations.get(id);
      // Lines are innermost first; reversed they read caller → callee.
      frames = (location?.line ?? [])
        .map((line) => {
          const fn = functions.get(Number(line.functionId));
          return { name: fn ? str(fn.name) : `0x${Number(location?.address ?? 0).toString(16)}`, file: fn ? str(fn.filename) : '', line: fn ? Number(fn.startLine) : 0 };
        })
        .reverse();
      if (frames.length === 0) frames = [{ name: `0x${Number(location?.address ?? 0).toString(16)}`, file: '', line: 0 }];
      framesOfLocation.set(id, frames);
    }
    return frames;
  };
  const stacks: StackSample[] = profile.sample.map((sample) => ({
    // locationId is leaf first.
    frames: [...sample.locationId].reverse().flatMap((id) => framesOf(Number(id))),
    value: Number(sample.value[valueIndex] ?? 0) * scale,
  }));
  const durationMs = meta.durationMs ?? Number(profile.durationNanos) / 1e6;
  return profileFromStacks({ ...meta, durationMs }, stacks, DEFAULT_MAX_NODES, kind);
}
