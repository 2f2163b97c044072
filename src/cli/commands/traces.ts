/** `perfloop traces analyze FILE... [--json] [--run RUN.json]`: critical paths, tiers and findings from trace files. */
import type { Command } from '../command.js';
import { parseFlags, positiveInteger, positiveNumber } from '../parse-flags.js';
import { badInput } from '../../core/errors.js';
import { readRunFile } from '../../core/run-file-io.js';
import { analyzeTraces, type AnalyzeTracesOptions } from '../../trace/analyze-traces.js';
import { decodeTraceFile } from '../../trace/decode-file.js';
import type { DetectorThresholds } from '../../trace/detectors/detector.js';
import { renderFindings } from '../../trace/render-findings.js';
import type { Span } from '../../trace/span.js';

export const tracesCommand: Command = {
  name: 'traces',
  summary: 'Analyse trace files: critical path, tiers, bottleneck findings',
  usage: [
    'usage: perfloop traces analyze FILE... [--json] [--run RUN.json] [thresholds]',
    '',
    'Reads OTLP JSON (one request or JSON lines, as the collector file exporter writes), OTLP protobuf,',
    'Jaeger JSON or Zipkin v2 JSON (format detected from content; .gz accepted), builds span trees, computes',
    'critical paths, decomposes p50/p99 latency into tiers and runs the bottleneck detectors.',
    '',
    '  --json                 print the analysis as JSON (the shape stored in run files at traces.analysis)',
    '  --run RUN.json         join client latency from the run file\'s trace samples (adds the client tier)',
    '  --rank p50|p99         cohort whose predicted saving ranks the findings (default p99)',
    '  --n-plus-one N         N+1: minimum repeats of one statement under one parent (default 5)',
    '  --slow-query-ms MS     slow query threshold (default 50)',
    '  --large-payload-kib K  large payload threshold (default 256)',
    '  --payload-target-kib K what a fixed (paginated) payload is assumed to carry, for the predicted saving (default 16)',
    '  --serial-database      the database serves one statement at a time (embedded SQLite/PGlite, one shared',
    '                         connection): predictions replay its queue, so a fix that takes work off it also',
    '                         shortens the waits of every other call',
    '  --max-inflate-mib M    a .gz file may inflate to at most M MiB (default 4096); JSON lines are streamed,',
    '                         a single JSON document or protobuf file may be at most 500 MiB',
  ].join('\n'),
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub !== 'analyze') throw badInput('traces', `unknown subcommand "${sub ?? ''}" (use: perfloop traces analyze FILE...)`);
    const { values, positionals } = parseFlags(
      rest,
      {
        json: { type: 'boolean' },
        run: { type: 'string' },
        rank: { type: 'string' },
        'n-plus-one': { type: 'string' },
        'slow-query-ms': { type: 'string' },
        'large-payload-kib': { type: 'string' },
        'payload-target-kib': { type: 'string' },
        'max-inflate-mib': { type: 'string' },
        'serial-database': { type: 'boolean' },
      },
      'traces analyze',
    );
    if (positionals.length === 0) throw badInput('FILE', 'give at least one trace file (perfloop traces analyze spans.jsonl)');
    if (values.rank !== undefined && values.rank !== 'p50' && values.rank !== 'p99') throw badInput('--rank', `must be p50 or p99, got "${values.rank}"`);
    const maxInflateMib = positiveNumber(values['max-inflate-mib'], '--max-inflate-mib', 4096);
    const spans: Span[] = [];
    for (const path of positionals) {
      const decoded = await decodeTraceFile(path, { maxInflatedBytes: maxInflateMib * 1024 * 1024 });
      for (const span of decoded.spans) spans.push(span);
    }
    const thresholds: Partial<DetectorThresholds> = {};
    if (values['n-plus-one'] !== undefined) thresholds.nPlusOneMinRepeats = positiveInteger(values['n-plus-one'], '--n-plus-one');
    if (values['slow-query-ms'] !== undefined) thresholds.slowQueryMs = positiveNumber(values['slow-query-ms'], '--slow-query-ms');
    if (values['large-payload-kib'] !== undefined) thresholds.largePayloadBytes = positiveNumber(values['large-payload-kib'], '--large-payload-kib') * 1024;
    if (values['payload-target-kib'] !== undefined) thresholds.largePayloadTargetBytes = positiveNumber(values['payload-target-kib'], '--payload-target-kib') * 1024;
    const options: AnalyzeTracesOptions = { thresholds, serialDatabase: values['serial-database'] === true };
    if (values.rank === 'p50' || values.rank === 'p99') options.rankBy = values.rank;
    if (values.run !== undefined) options.samples = (await readRunFile(values.run)).traces?.samples ?? [];
    const analysis = analyzeTraces(spans, options);
    process.stdout.write(values.json ? `${JSON.stringify(analysis, null, 2)}\n` : `${renderFindings(analysis)}\n`);
    return 0;
  },
};
