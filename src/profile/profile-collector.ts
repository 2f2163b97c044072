/**
 * Collects a CPU profile from each `--profile` target for the length of the run (edge). Node targets: the
 * inspector's sampling profiler, started when the collector starts and stopped when it stops. Go targets:
 * `/debug/pprof/profile?seconds=N`, N the planned run length (pprof must be told up front). A target that
 * cannot be profiled yields a stored profile with `error` set; it never fails the run.
 */
import type { RunFile, StoredProfile } from '../core/run-file.js';
import { PROFILES_VERSION } from '../core/run-file.js';
import type { CollectorContext, RunCollector } from '../signals/run-collector.js';
import { openInspectorSession, type InspectorSession } from './inspector-client.js';
import { decodePprof, profileFromPprof } from './pprof-profile.js';
import { describeTarget, type ProfileTarget } from './profile-target.js';
import { profileFromV8, type V8CpuProfile } from './v8-profile.js';

export interface NamedProfileTarget {
  name: string;
  target: ProfileTarget;
}

interface Collected {
  name: string;
  source: string;
  startedAtMs: number;
  endedAtMs: number;
  profile?: (meta: { name: string; source: string; startMs: number; durationMs: number }) => StoredProfile;
  error?: string;
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Sampling interval for Node targets: 1 ms keeps the target's overhead to a few percent. */
const INSPECTOR_SAMPLING_US = 1000;

export function profileCollector(targets: readonly NamedProfileTarget[]): RunCollector {
  const collected: Collected[] = [];
  const stoppers: (() => Promise<void>)[] = [];

  const startInspector = async (entry: NamedProfileTarget & { target: { kind: 'inspector' } }): Promise<void> => {
    const record: Collected = { name: entry.name, source: describeTarget(entry.target), startedAtMs: Date.now(), endedAtMs: Date.now() };
    collected.push(record);
    let session: InspectorSession | undefined;
    try {
      session = await openInspectorSession(entry.target.host, entry.target.port);
      await session.send('Profiler.enable');
      await session.send('Profiler.setSamplingInterval', { interval: INSPECTOR_SAMPLING_US });
      await session.send('Profiler.start');
      record.startedAtMs = Date.now();
    } catch (error) {
      record.error = `could not start the inspector profiler: ${messageOf(error)}`;
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
      } finally {
        await open.close();
      }
    });
  };

  const startPprof = (entry: NamedProfileTarget & { target: { kind: 'pprof' } }, context: CollectorContext): void => {
    const seconds = Math.max(1, Math.ceil(context.expectedDurationMs / 1000));
    const record: Collected = { name: entry.name, source: describeTarget(entry.target), startedAtMs: Date.now(), endedAtMs: Date.now() };
    collected.push(record);
    const abort = new AbortController();
    const done = (async () => {
      try {
        const response = await fetch(`${entry.target.baseUrl}/profile?seconds=${seconds}`, { signal: abort.signal });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const bytes = new Uint8Array(await response.arrayBuffer());
        record.endedAtMs = Date.now();
        const decoded = decodePprof(bytes);
        record.profile = (meta) => profileFromPprof(meta, decoded);
      } catch (error) {
        record.error = abort.signal.aborted ? 'the run ended before the pprof profile was complete' : `pprof profile failed: ${messageOf(error)}`;
      }
    })();
    stoppers.push(async () => {
      // The profile ends on its own after `seconds`; a run stopped early waits for it at most 5 s more.
      const remainingMs = record.startedAtMs + seconds * 1000 - Date.now();
      const timer = setTimeout(() => abort.abort(), Math.max(0, remainingMs) + 5000);
      await done;
      clearTimeout(timer);
    });
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
        return { ...meta, kind: 'cpu', unit: 'ns', frames: [], nodes: [], prunedNodes: 0, error: record.error ?? 'no profile collected' };
      });
      return { ...run, profiles: { version: PROFILES_VERSION, profiles } };
    },
  };
}
