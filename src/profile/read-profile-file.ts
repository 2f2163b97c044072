/**
 * Reads profiles from a file (edge): a pprof file (gzip or raw protobuf; CPU or heap), a V8 `.cpuprofile` or
 * `.heapprofile` (JSON), or a perfloop run file with stored profiles. Bad input names the file.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { badInput } from '../core/errors.js';
import { parseRunFile } from '../core/run-file-io.js';
import type { StoredProfile } from '../core/run-file.js';
import { decodePprof, profileFromPprof } from './pprof-profile.js';
import { isV8HeapProfile, profileFromV8Heap } from './v8-heap-profile.js';
import { isV8CpuProfile, profileFromV8 } from './v8-profile.js';

export async function readProfileFile(path: string): Promise<StoredProfile[]> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw badInput(path, `cannot read profile file: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const name = basename(path);
  const first = bytes.subarray(0, 64).toString('utf8').trimStart();
  if (first.startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw badInput(path, 'not valid JSON');
    }
    if (isV8CpuProfile(json)) {
      return [profileFromV8({ name, source: path, startMs: 0, durationMs: (json.endTime - json.startTime) / 1000 }, json)];
    }
    if (isV8HeapProfile(json)) return [profileFromV8Heap({ name, source: path, startMs: 0, durationMs: 0 }, json)];
    const run = parseRunFile(json, path);
    const profiles = run.profiles?.profiles ?? [];
    if (profiles.length === 0) throw badInput(path, 'the run file has no profiles (collect them with perfloop run --profile NAME=URL)');
    return profiles;
  }
  try {
    return [profileFromPprof({ name, source: path, startMs: 0 }, decodePprof(bytes))];
  } catch (error) {
    throw badInput(path, `neither a pprof profile, a .cpuprofile, a .heapprofile nor a run file (${error instanceof Error ? error.message : String(error)})`);
  }
}
