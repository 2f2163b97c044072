/**
 * pprof (profile.proto, gzip or raw) → profile model, decoded with the maintained `pprof-format` package.
 * The CPU value is the sample type `cpu`/`nanoseconds` when present (Go's CPU profile), else the last sample
 * type scaled by its unit; inlined frames are expanded (a location's last line is the caller).
 */
import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import type { StoredProfile } from '../core/run-file.js';
import { profileFromStacks, type ProfileFrame, type ProfileMeta, type StackSample } from './profile-model.js';

const NS_PER_UNIT: Record<string, number> = { nanoseconds: 1, microseconds: 1e3, milliseconds: 1e6, seconds: 1e9 };

export function decodePprof(bytes: Uint8Array): Profile {
  const raw = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
  return Profile.decode(raw);
}

export function profileFromPprof(meta: Omit<ProfileMeta, 'durationMs'> & { durationMs?: number }, profile: Profile): StoredProfile {
  const strings = profile.stringTable.strings;
  const str = (index: number | bigint): string => strings[Number(index)] ?? '';
  const types = profile.sampleType.map((type) => ({ type: str(type.type), unit: str(type.unit) }));
  let valueIndex = types.findIndex((type) => type.type === 'cpu' && type.unit === 'nanoseconds');
  if (valueIndex < 0) valueIndex = types.length - 1;
  const scale = NS_PER_UNIT[types[valueIndex]?.unit ?? ''] ?? 1;
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
    valueNs: Number(sample.value[valueIndex] ?? 0) * scale,
  }));
  const durationMs = meta.durationMs ?? Number(profile.durationNanos) / 1e6;
  return profileFromStacks({ ...meta, durationMs }, stacks);
}
