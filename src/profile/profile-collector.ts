/**
 * Collects a CPU and a heap profile from each `--profile` target for the length of the run (edge). Node
 * targets: the inspector's sampling CPU profiler and sampling heap profiler (allocations, including objects
 * collected since), started when the collector starts and stopped when it stops. Go targets:
 * `/debug/pprof/profile?seconds=N` and the delta heap profile `/debug/pprof/heap?seconds=N`, N the planned run
 * length (pprof must be told up front). A target that cannot be profiled yields a stored profile with `error`
 * set; it never fails the run.
 */
import type { RunFile, StoredProfile } from '../core/run-file.js';
import { PROFILES_VERSION } from '../core/run-file.js';
import type { CollectorContext, RunCollector } from '../signals/run-collector.js';
import { openInspectorSession, type InspectorSession } from './inspector-client.js';
import { chooseValue, decodePprof, profileFromPprof } from './pprof-profile.js';
import { UNIT_OF_KIND, type ProfileKind } from './profile-model.js';
import { describeTarget, type ProfileTarget } from './profile-target.js';
import { profileFromV8Heap, type V8SamplingHeapProfile } from './v8-heap-profile.js';
import { profileFromV8, type V8CpuProfile } from './v8-profile.js';

export interface NamedProfileTarget {
  name: string;
  target: ProfileTarget;
}

interface Collected {
  name: string;
  kind: ProfileKind;
  source: string;
  startedAtMs: number;
  endedAtMs: number;
  profile?: (meta: { name: string; source: string; startMs: number; durationMs: number }) => StoredProfile;
  error?: string;
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Sampling interval for Node targets: 1 ms keeps the target's overhead to a few percent. */
const INSPECTOR_SAMPLING_US = 1000;
/** One heap sample per 64 KiB allocated on average (V8's default is 32 KiB): cheap, and enough for the top sites. */
const HEAP_SAMPLING_BYTES = 64 * 1024;

export function profileCollector(targets: readonly NamedProfileTarget[]): RunCollector {
  const collected: Collected[] = [];
  const stoppers: (() => Promise<void>)[] = [];

  const startInspector = async (entry: NamedProfileTarget & { target: { kind: 'inspector' } }): Promise<void> => {
    const source = describeTarget(entry.target);
    const record: Collected = { name: entry.name, kind: 'cpu', source, startedAtMs: Date.now(), endedAtMs: Date.now() };
    const heap: Collected = { name: entry.name, kind: 'heap', source, startedAtMs: Date.now(), endedAtMs: Date.now() };
    collected.push(record, heap);
    let session: InspectorSession | undefined;
    try {
      session = await openInspectorSession(entry.target.host, entry.target.port);
      await session.send('Profiler.enable');
      await session.send('Profiler.setSamplingInterval', { interval: INSPECTOR_SAMPLING_US });
      await session.send('HeapProfiler.enable');
      // Collected objects count too: the profile is of allocations in the window (GC pressure), not only of
      // what survived it (a leak shows as the same sites, and as heap growth in the signals).
      await session.send('HeapProfiler.startSampling', { samplingInterval: HEAP_SAMPLING_BYTES, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
      heap.startedAtMs = Date.now();
      await session.send('Profiler.start');
      record.startedAtMs = Date.now();
    } catch (error) {
      record.error = `could not start the inspector profiler: ${messageOf(error)}`;
      heap.error = record.error;
      await session?.close();
      return;
    }
    const open = session;
    stoppers.push(async () => {
      try {
        const { profile } = await open.send<{ profile: V8CpuProfile }>('Profiler.stop');
        record.endedAtMs = Date.now();
        record.profile = (meta) => profileFromV8(meta, profile);
      } catch (error) {
        record.error = `could not stop the inspector profiler: ${messageOf(error)}`;
      }
      try {
        const { profile } = await open.send<{ profile: V8SamplingHeapProfile }>('HeapProfiler.stopSampling');
        heap.endedAtMs = Date.now();
        heap.profile = (meta) => profileFromV8Heap(meta, profile);
      } catch (error) {
        heap.error = `could not stop the inspector heap profiler: ${messageOf(error)}`;
      } finally {
        await open.close();
      }
    });
  };

  const startPprof = (entry: NamedProfileTarget & { target: { kind: 'pprof' } }, context: CollectorContext): void => {
    const seconds = Math.max(1, Math.ceil(context.expectedDurationMs / 1000));
    // CPU and the delta heap profile (allocations during the window) are taken side by side.
    for (const [kind, path] of [['cpu', 'profile'], ['heap', 'heap']] as const) {
      const record: Collected = { name: entry.name, kind, source: describeTarget(entry.target), startedAtMs: Date.now(), endedAtMs: Date.now() };
      collected.push(record);
      const abort = new AbortController();
      const done = (async () => {
        try {
          const response = await fetch(`${entry.target.baseUrl}/${path}?seconds=${seconds}`, { signal: abort.signal });
          if (!response.ok) throw new Error(`HTTP ${response.status}`);
          const bytes = new Uint8Array(await response.arrayBuffer());
          record.endedAtMs = Date.now();
          const decoded = decodePprof(bytes);
          const found = chooseValue(decoded.sampleType.map((type) => ({ type: decoded.stringTable.strings[Number(type.type)] ?? '', unit: decoded.stringTable.strings[Number(type.unit)] ?? '' }))).kind;
          if (found !== kind) throw new Error(`/${path} answered a ${found} profile`);
          record.profile = (meta) => profileFromPprof(meta, decoded);
        } catch (error) {
          record.error = abort.signal.aborted ? `the run ended before the pprof ${kind} profile was complete` : `pprof ${kind} profile failed: ${messageOf(error)}`;
        }
      })();
      stoppers.push(async () => {
        // The profile ends on its own after `seconds`; a run stopped early waits for it at most 5 s more.
        const remainingMs = record.startedAtMs + seconds * 1000 - Date.now();
        const timer = setTimeout(() => abort.abort(), Math.max(0, remainingMs) + 5000);
        await done;
        clearTimeout(timer);
      });
    }
  };

  return {
    async start(context) {
      for (const entry of targets) {
        if (entry.target.kind === 'inspector') await startInspector({ ...entry, target: entry.target });
        else startPprof({ ...entry, target: entry.target }, context);
      }
    },
    async stop() {
      await Promise.all(stoppers.map((stop) => stop()));
      stoppers.length = 0;
    },
    attach(run: RunFile): RunFile {
      if (collected.length === 0) return run;
      const originMs = Date.parse(run.startedAt);
      const profiles = collected.map((record): StoredProfile => {
        const meta = { name: record.name, source: record.source, startMs: record.startedAtMs - originMs, durationMs: Math.max(0, record.endedAtMs - record.startedAtMs) };
        if (record.profile && record.error === undefined) return record.profile(meta);
        return { ...meta, kind: record.kind, unit: UNIT_OF_KIND[record.kind], frames: [], nodes: [], prunedNodes: 0, error: record.error ?? 'no profile collected' };
      });
      return { ...run, profiles: { version: PROFILES_VERSION, profiles } };
    },
  };
}
