/** `perfloop profile analyze FILE`: the top functions of a CPU or heap profile (pprof, .cpuprofile, .heapprofile or a run file's). */
import { badInput } from '../../core/errors.js';
import { profileTotal, topFunctions } from '../../profile/profile-model.js';
import { readProfileFile } from '../../profile/read-profile-file.js';
import { renderTopFunctions } from '../../profile/render-top-functions.js';
import type { Command } from '../command.js';
import { parseFlags, positiveInteger } from '../parse-flags.js';

const usage = `usage: perfloop profile analyze FILE [--top N] [--json]

FILE is a pprof profile (Go's /debug/pprof/profile or /debug/pprof/heap, gzip or raw), a V8 .cpuprofile
or .heapprofile, or a run file written with perfloop run --profile NAME=URL (every profile in it is listed:
CPU and heap). Heap profiles rank allocation sites by bytes allocated.
  --top N    functions to list (default 15), by self CPU time (heap: self bytes)
  --json     print { profiles: [{ name, source, kind, totalNs | totalBytes, functions: [{ name, file, line,
             selfNs, totalNs | selfBytes, totalBytes }] }] }`;

const options = { top: { type: 'string' }, json: { type: 'boolean' } } as const;

export const profileCommand: Command = {
  name: 'profile',
  summary: 'analyse a CPU or heap profile: top functions by self and total time (or bytes allocated)',
  usage,
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub !== 'analyze') throw badInput('profile', `unknown subcommand "${sub ?? ''}" (perfloop profile analyze FILE)`);
    const { values, positionals } = parseFlags(rest, options, 'profile analyze');
    const [file, ...extra] = positionals;
    if (!file) throw badInput('FILE', 'give a profile or run file');
    if (extra.length > 0) throw badInput('FILE', `one file only, got also "${extra.join(' ')}"`);
    const top = positiveInteger(values.top, '--top', 15);
    const profiles = await readProfileFile(file);
    if (values.json) {
      // Units in the names: ns for CPU profiles, bytes for heap profiles.
      const out = profiles.map((profile) => {
        const unit = profile.unit === 'ns' ? 'Ns' : 'Bytes';
        const functions = topFunctions(profile)
          .slice(0, top)
          .map((row) => ({ name: row.name, file: row.file, line: row.line, [`self${unit}`]: row.self, [`total${unit}`]: row.total }));
        return { name: profile.name, source: profile.source, kind: profile.kind, error: profile.error, [`total${unit}`]: profileTotal(profile), functions };
      });
      process.stdout.write(`${JSON.stringify({ profiles: out })}\n`);
    } else process.stdout.write(`${profiles.map((profile) => renderTopFunctions(profile, top)).join('\n\n')}\n`);
    return 0;
  },
};
