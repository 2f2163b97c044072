/**
 * `--scrape NAME=URL`, `--watch NAME=pid:N|port:N|cgroup:PATH` and `--profile NAME=URL` → the run's collectors.
 * Validation happens here, before any load, so bad input fails fast (exit 2, the flag named).
 */
import { badInput } from '../core/errors.js';
import { parseProfileTarget } from '../profile/profile-target.js';
import { prometheusSource } from './prometheus-source.js';
import { parseWatchSpec, watchSource } from './process-source.js';
import type { RunCollector } from './run-collector.js';
import { signalCollector } from './signal-collector.js';
import type { SignalSource } from './signal-source.js';

export interface CollectorFlags {
  scrape?: readonly string[] | undefined;
  watch?: readonly string[] | undefined;
  profile?: readonly string[] | undefined;
}

/** `NAME=VALUE` with a name of letters, digits, `._-`; names are unique among signal sources and among profiles. */
export function splitNamed(text: string, flag: string, seen: Set<string>): { name: string; value: string } {
  const equals = text.indexOf('=');
  const name = equals < 0 ? '' : text.slice(0, equals);
  const value = text.slice(equals + 1);
  if (!/^[\w.-]{1,64}$/.test(name) || value.length === 0) throw badInput(flag, `expected NAME=VALUE (NAME of letters, digits, . _ -), got "${text}"`);
  if (seen.has(name)) throw badInput(flag, `the name "${name}" is used twice`);
  seen.add(name);
  return { name, value };
}

function httpUrl(text: string, flag: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw badInput(flag, `not a URL: "${text}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badInput(flag, `must be http:// or https://, got "${text}"`);
  return url.href;
}

/** Builds the collectors; `intervalMs` sets the scrape timeout (a scrape may take at most one interval, ≤ 5 s). */
export async function collectorsFromFlags(flags: CollectorFlags, intervalMs: number): Promise<RunCollector[]> {
  const seen = new Set<string>();
  const sources: SignalSource[] = [];
  const timeoutMs = Math.min(Math.max(intervalMs, 100), 5000);
  for (const text of flags.scrape ?? []) {
    const { name, value } = splitNamed(text, '--scrape', seen);
    sources.push(prometheusSource(name, httpUrl(value, '--scrape'), { timeoutMs }));
  }
  for (const text of flags.watch ?? []) {
    const { name, value } = splitNamed(text, '--watch', seen);
    sources.push(await watchSource(name, parseWatchSpec(value, '--watch'), '--watch'));
  }
  const collectors: RunCollector[] = sources.length > 0 ? [signalCollector(sources)] : [];
  // Profiles have their own names: `--scrape etcd=… --profile etcd=…` name the same member.
  const profileNames = new Set<string>();
  const profiles = (flags.profile ?? []).map((text) => {
    const { name, value } = splitNamed(text, '--profile', profileNames);
    return { name, target: parseProfileTarget(value, '--profile') };
  });
  // Loaded only when asked for: ws and pprof-format cost CLI start-up time every run would pay.
  if (profiles.length > 0) collectors.push((await import('../profile/profile-collector.js')).profileCollector(profiles));
  return collectors;
}
