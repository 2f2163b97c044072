/**
 * The kv lab's scenario files (lab/kv/*.yaml) pointed at a running cluster: they are written for the lab's
 * default leader address (127.0.0.1:2379); tests and benches start members on free ports and run shorter.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** lab/kv in the source tree, where the .yaml and .proto files are (compiled code runs from dist/lab/kv). */
export const KV_SCENARIO_DIR = fileURLToPath(new URL('../../../lab/kv/', import.meta.url));

export interface KvScenarioTarget {
  /** host:port of the member to send to, in place of 127.0.0.1:2379. */
  target: string;
  /** One constant phase replacing the file's phases. */
  ratePerSec: number;
  duration: string;
  /** Warm-up before it (excluded from results); none when absent. */
  warmup?: string;
}

/** The text of `file` pointed at `target`, its .proto by absolute path (so it can be written anywhere), with one constant phase. */
export function kvScenarioText(file: string, options: KvScenarioTarget): string {
  const original = readFileSync(join(KV_SCENARIO_DIR, file), 'utf8');
  const warmup = options.warmup ? `  - { kind: constant, rate: ${options.ratePerSec}, duration: ${options.warmup}, warmup: true }\n` : '';
  const text = original
    .replaceAll('127.0.0.1:2379', options.target)
    .replace(/proto: ([\w.-]+\.proto)/g, (_, proto: string) => `proto: ${join(KV_SCENARIO_DIR, proto)}`)
    .replace(/^phases:\n(?: {2}- .*\n)+/m, `phases:\n${warmup}  - { kind: constant, rate: ${options.ratePerSec}, duration: ${options.duration} }\n`);
  if (!text.includes(options.target) || !text.includes(`duration: ${options.duration} }`)) throw new Error(`${file}: not a kv lab scenario (no 127.0.0.1:2379 target or phases list)`);
  return text;
}
