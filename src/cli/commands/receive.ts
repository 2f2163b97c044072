/**
 * `perfloop receive [--port 4318] [--host 127.0.0.1] [--out spans.jsonl]`: a standalone OTLP/HTTP trace
 * receiver. On SIGINT/SIGTERM it writes what it received as OTLP JSON lines and prints a summary.
 */
import { writeFile } from 'node:fs/promises';
import type { Command } from '../command.js';
import { parseFlags, positiveInteger } from '../parse-flags.js';
import { badInput } from '../../core/errors.js';
import { analyzeTraces } from '../../trace/analyze-traces.js';
import { encodeOtlpJson } from '../../trace/encode-otlp-json.js';
import { startReceiver } from '../../trace/receiver.js';
import { renderFindings } from '../../trace/render-findings.js';

/** Spans per JSON line: keeps lines a few MB at most, like the collector's file exporter batches. */
const SPANS_PER_LINE = 1000;

export const receiveCommand: Command = {
  name: 'receive',
  summary: 'Receive OTLP/HTTP traces; on Ctrl-C save them and print findings',
  usage: [
    'usage: perfloop receive [--port 4318] [--host 127.0.0.1] [--out spans.jsonl] [--max-spans N]',
    '',
    'Listens for OTLP/HTTP trace exports (POST /v1/traces, JSON or protobuf, gzip allowed). Point your',
    'services at it with OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318. On Ctrl-C it writes the spans',
    'as OTLP JSON lines (read them back with perfloop traces analyze) and prints a summary and findings.',
    '',
    '  --port N        port (default 4318; 0 picks a free one)',
    '  --host ADDR     interface (default 127.0.0.1, loopback only)',
    '  --out FILE      where to write the spans (default spans.jsonl)',
    '  --max-spans N   spans kept in memory (default 1000000); later ones are counted as dropped',
  ].join('\n'),
  async run(argv) {
    const { values, positionals } = parseFlags(
      argv,
      { port: { type: 'string' }, host: { type: 'string' }, out: { type: 'string', short: 'o' }, 'max-spans': { type: 'string' } },
      'receive',
    );
    if (positionals.length > 0) throw badInput(positionals[0]!, 'unexpected argument');
    const port = values.port === undefined ? 4318 : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw badInput('--port', `must be an integer 0–65535, got "${values.port}"`);
    const outPath = values.out ?? 'spans.jsonl';
    const maxSpans = positiveInteger(values['max-spans'], '--max-spans', 1_000_000);
    let receiver;
    try {
      receiver = await startReceiver({ host: values.host ?? '127.0.0.1', port, maxSpans });
    } catch (error) {
      throw badInput('--port', `cannot listen: ${(error as Error).message}`);
    }
    process.stdout.write(`receiving OTLP/HTTP traces at ${receiver.url}/v1/traces (Ctrl-C to stop)\n`);
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    await receiver.close();
    const spans = receiver.spans();
    const lines: string[] = [];
    for (let index = 0; index < spans.length; index += SPANS_PER_LINE) lines.push(JSON.stringify(encodeOtlpJson(spans.slice(index, index + SPANS_PER_LINE))));
    await writeFile(outPath, lines.length === 0 ? '' : `${lines.join('\n')}\n`);
    const stats = receiver.stats();
    process.stdout.write(
      `received ${stats.spansReceived} spans in ${stats.requestsAccepted} requests (${stats.spansDropped} dropped, ${stats.requestsRejected} requests rejected); wrote ${spans.length} spans to ${outPath}\n`,
    );
    if (spans.length > 0) process.stdout.write(`\n${renderFindings(analyzeTraces(spans))}\n`);
    return 0;
  },
};
