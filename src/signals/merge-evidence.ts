/**
 * Signals and profiles of merged runs (pure): `perfloop merge` adds the segments' histograms exactly, and this
 * keeps every signal source and profile of every part beside them. Series are re-laid from each part's interval
 * grid onto the merged one by interval start (the merge aligns intervals on their start the same way), and a
 * source or profile name used by more than one part is suffixed with the part (`etcd1 [segment 2/3]`), so two
 * machines scraping "etcd1" stay two sources. Nothing is dropped silently; findings are recomputed on the
 * merged run.
 */
import { PROFILES_VERSION, SIGNALS_VERSION, type RunFile, type SignalSeries, type SignalSource, type StoredProfile } from '../core/run-file.js';
import { detectSignalFindings } from './signal-findings.js';

export interface MergePart {
  run: RunFile;
  /** The part's file name, for messages. */
  name: string;
}

/** How a part is named in a suffix: its segment when the parts are segments, else its position. */
function partLabel(run: RunFile, position: number): string {
  const { segment } = run.environment;
  return segment.count > 1 ? `segment ${segment.index + 1}/${segment.count}` : `part ${position + 1}`;
}

/** Names used by more than one part. */
function sharedNames(namesByPart: readonly (readonly string[])[]): Set<string> {
  const seenIn = new Map<string, number>();
  for (const names of namesByPart) for (const name of new Set(names)) seenIn.set(name, (seenIn.get(name) ?? 0) + 1);
  return new Set([...seenIn].filter(([, parts]) => parts > 1).map(([name]) => name));
}

/** Adds every part's signals and profiles to `merged` (the result of mergeRuns over the same parts, same order). */
export function mergeEvidence(merged: RunFile, parts: readonly MergePart[]): RunFile {
  const withSignals = parts.filter((part) => part.run.signals);
  const withProfiles = parts.filter((part) => part.run.profiles && part.run.profiles.profiles.length > 0);
  if (withSignals.length === 0 && withProfiles.length === 0) return merged;
  const mergedIndexByStart = new Map(merged.intervals.map((interval, index) => [interval.startMs, index]));
  const mergedOriginMs = Date.parse(merged.startedAt);

  let signals: RunFile['signals'];
  if (withSignals.length > 0) {
    const shared = sharedNames(parts.map((part) => part.run.signals?.sources.map((source) => source.name) ?? []));
    const sources: SignalSource[] = [];
    const series: SignalSeries[] = [];
    parts.forEach((part, position) => {
      const own = part.run.signals;
      if (!own) return;
      const rename = (name: string): string => (shared.has(name) ? `${name} [${partLabel(part.run, position)}]` : name);
      // Part interval i → merged interval; intervals start on the same grid, so the start time is the key.
      const target = part.run.intervals.map((interval) => mergedIndexByStart.get(interval.startMs));
      const relay = (values: readonly (number | null)[] | undefined): (number | null)[] | undefined => {
        if (!values) return undefined;
        const out = new Array<number | null>(merged.intervals.length).fill(null);
        values.forEach((value, index) => {
          const at = target[index];
          if (at !== undefined) out[at] = value;
        });
        return out;
      };
      for (const source of own.sources) sources.push({ ...source, name: rename(source.name) });
      for (const item of own.series) {
        const relaid: SignalSeries = { source: rename(item.source), metric: item.metric, labels: item.labels, kind: item.kind };
        for (const field of ['rate', 'value', 'mean', 'p50', 'p90', 'p99'] as const) {
          const values = relay(item[field]);
          if (values) relaid[field] = values;
        }
        series.push(relaid);
      }
    });
    signals = { version: SIGNALS_VERSION, intervalMs: merged.intervalMs, sources, series };
  }

  let profiles: RunFile['profiles'];
  if (withProfiles.length > 0) {
    const shared = sharedNames(parts.map((part) => part.run.profiles?.profiles.map((profile) => profile.name) ?? []));
    const all: StoredProfile[] = [];
    parts.forEach((part, position) => {
      // A profile's start is relative to its own run's start: rebased onto the merged run's.
      const shiftMs = Date.parse(part.run.startedAt) - mergedOriginMs;
      for (const profile of part.run.profiles?.profiles ?? []) {
        all.push({ ...profile, name: shared.has(profile.name) ? `${profile.name} [${partLabel(part.run, position)}]` : profile.name, startMs: profile.startMs + shiftMs });
      }
    });
    profiles = { version: PROFILES_VERSION, profiles: all };
  }

  const { signals: _signals, profiles: _profiles, ...rest } = merged;
  const result: RunFile = { ...rest, ...(signals ? { signals } : {}), ...(profiles ? { profiles } : {}) };
  return result.signals ? { ...result, signals: { ...result.signals, findings: detectSignalFindings(result) } } : result;
}
