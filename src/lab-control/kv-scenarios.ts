/**
 * The kv lab's scenario files (lab/kv/*.yaml) pointed at a running cluster: they are written for the lab's
 * default leader address (127.0.0.1:2379) and a follower placeholder (FOLLOWER:0: followers get fresh ports each
 * start); `perfloop lab kv scenario` fills both from the running lab, tests and benches also run them shorter.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** lab/kv in the source tree, where the .yaml and .proto files are (compiled code runs from dist/src/lab-control). */
export const KV_SCENARIO_DIR = fileURLToPath(new URL('../../../lab/kv/', import.meta.url));

export interface KvScenarioTarget {
  /** host:port of the member to send to, in place of 127.0.0.1:2379. */
  target: string;
  /** host:port of a follower, in place of FOLLOWER:0 (files that read from a follower need it). */
  follower?: string;
  /** One constant phase replacing the file's phases; the file's own phases when absent. */
  ratePerSec?: number;
  duration?: string;
  /** Warm-up before it (excluded from results); none when absent. */
  warmup?: string;
}

export const FOLLOWER_PLACEHOLDER = 'FOLLOWER:0';

/** The text of `file` pointed at `target` (and `follower`), its .proto by absolute path (so it can be written anywhere), optionally with one constant phase. */
export function kvScenarioText(file: string, options: KvScenarioTarget): string {
  const original = readFileSync(join(KV_SCENARIO_DIR, file), 'utf8');
  const warmup = options.warmup ? `  - { kind: constant, rate: ${options.ratePerSec}, duration: ${options.warmup}, warmup: true }\n` : '';
  let text = original
    .replaceAll('127.0.0.1:2379', options.target)
    .replace(/proto: ([\w.-]+\.proto)/g, (_, proto: string) => `proto: ${join(KV_SCENARIO_DIR, proto)}`);
  if (options.follower !== undefined) text = text.replaceAll(FOLLOWER_PLACEHOLDER, options.follower);
  if (options.ratePerSec !== undefined) text = text.replace(/^phases:\n(?: {2}- .*\n)+/m, `phases:\n${warmup}  - { kind: constant, rate: ${options.ratePerSec}, duration: ${options.duration ?? '10s'} }\n`);
  if (!text.includes(options.target) || (options.ratePerSec !== undefined && !text.includes(`duration: ${options.duration ?? '10s'} }`))) throw new Error(`${file}: not a kv lab scenario (no 127.0.0.1:2379 target or phases list)`);
  if (text.includes(FOLLOWER_PLACEHOLDER)) throw new Error(`${file}: reads from a follower: give its address`);
  return text;
}
