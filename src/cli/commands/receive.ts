/**
 * `perfloop receive [--port 4318] [--host 127.0.0.1] [--out spans.jsonl]`: a standalone OTLP/HTTP trace
 * receiver. On SIGINT/SIGTERM it writes what it received as OTLP JSON lines and prints a summary.
 */
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from '../command.js';
import { parseFlags, positiveInteger, positiveNumber } from '../parse-flags.js';
import { badInput, ioError, isPerfloopError } from '../../core/errors.js';
import { checkOutputPath } from '../../core/output-path.js';
import { terminalSafe } from '../../core/terminal-safe.js';
import { analyzeTraces } from '../../trace/analyze-traces.js';
import { startReceiver, type TraceReceiver } from '../../trace/receiver.js';
import { renderFindings } from '../../trace/render-findings.js';
import { writeSpansJsonl } from '../../trace/write-spans-jsonl.js';
import type { Span } from '../../trace/span.js';

/** Loopback addresses and names: anything else exposes the unauthenticated receiver to the network. */
const isLoopback = (host: string): boolean => host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);

/** Why listening failed, blaming the flag at fault. */
function listenError(error: unknown, host: string, port: number): Error {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') return badInput('--host', `cannot resolve "${host}" (${code})`);
  if (code === 'EADDRNOTAVAIL') return badInput('--host', `"${host}" is not an address of this machine (${code})`);
  if (code === 'EADDRINUSE') return badInput('--port', `port ${port} is already in use on ${host} (pick another, or 0 for a free one)`);
  if (code === 'EACCES') return badInput('--port', `no permission to listen on port ${port} (${code})`);
  return badInput(isIP(host) === 0 ? '--host' : '--port', `cannot listen on ${host}:${port}: ${(error as Error).message}`);
}

/**
 * Saves the spans; when `outPath` cannot be written any more (the directory vanished, the disk filled), saves
 * them to a file in the temp directory instead, so they are never lost. Returns the path written and the error.
 */
export async function saveSpans(outPath: string, spans: readonly Span[]): Promise<{ path: string; bytes: number; error?: Error }> {
  try {
    return { path: outPath, bytes: await writeSpansJsonl(outPath, spans) };
  } catch (error) {
    const fallback = join(tmpdir(), `perfloop-spans-${process.pid}-${Date.now()}.jsonl`);
    try {
      return { path: fallback, bytes: await writeSpansJsonl(fallback, spans), error: error as Error };
    } catch (fallbackError) {
      throw ioError(outPath, `${(error as Error).message}; the fallback ${fallback} failed too (${(fallbackError as Error).message}): ${spans.length} spans not saved`);
    }
  }
}

/**
 * One SIGINT/SIGTERM handler for the whole command, installed before listening and kept until the spans are
 * saved: the first signal asks to stop, later ones are answered, not obeyed (exiting mid-save would lose every
 * span). Never removing it in between leaves no moment where a signal meets the default action and kills us.
 */
function signalGate(): { stopRequested: Promise<void>; saving(): void; release(): void } {
  let requestStop = (): void => undefined;
  const stopRequested = new Promise<void>((resolve) => (requestStop = resolve));
  let state: 'receiving' | 'stopping' | 'saving' = 'receiving';
  const onSignal = (): void => {
    if (state === 'receiving') {
      state = 'stopping';
      requestStop();
    } else process.stderr.write('saving spans — please wait (the file is written whole or not at all)\n');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    stopRequested,
    saving: () => (state = 'saving'),
    release: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

async function stopAndSave(receiver: TraceReceiver, outPath: string): Promise<number> {
  await receiver.close();
  const spans = receiver.spans();
  const saved = await saveSpans(outPath, spans);
  const stats = receiver.stats();
  const budget = receiver.budgetStats();
  if (saved.error) {
    process.stderr.write(`perfloop receive: ${saved.error.message}\n  the ${spans.length} spans were saved to ${saved.path} instead\n`);
  }
  process.stdout.write(
    `received ${stats.spansReceived} spans in ${stats.requestsAccepted} requests (${stats.spansDropped} dropped, ${stats.requestsRejected} requests rejected${budget.requestsOverBudget > 0 ? `, ${budget.requestsOverBudget} over the byte budget` : ''}); wrote ${spans.length} spans to ${saved.path}\n`,
  );
  if (spans.length > 0) process.stdout.write(`\n${renderFindings(analyzeTraces(spans))}\n`);
  return saved.error ? (isPerfloopError(saved.error) && saved.error.code === 'IO' ? 4 : 3) : 0;
}

export const receiveCommand: Command = {
  name: 'receive',
  summary: 'Receive OTLP/HTTP traces; on Ctrl-C save them and print findings',
  usage: [
    'usage: perfloop receive [--port 4318] [--host 127.0.0.1] [--out spans.jsonl] [--max-spans N] [--max-held-mib M]',
    '',
    'Listens for OTLP/HTTP trace exports (POST /v1/traces, JSON or protobuf, gzip allowed). Point your',
    'services at it with OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318. On Ctrl-C it writes the spans',
    'as OTLP JSON lines (read them back with perfloop traces analyze) and prints a summary and findings.',
    'The output path is checked before listening; the file is written temp-then-rename (a second Ctrl-C',
    'while saving is ignored; if the save fails the spans go to a file in the temp directory, exit 4).',
    '',
    '  --port N          port (default 4318; 0 picks a free one)',
    '  --host ADDR       interface (default 127.0.0.1, loopback; any other address is reachable from the',
    '                    network without authentication, and a warning says so)',
    '  --out FILE        where to write the spans (default spans.jsonl)',
    '  --max-spans N     spans kept in memory (default 1000000); later ones are counted as dropped',
    '  --max-held-mib M  decoded span bytes kept in memory (default 256); over it requests get 413',
  ].join('\n'),
  async run(argv) {
    const { values, positionals } = parseFlags(
      argv,
      { port: { type: 'string' }, host: { type: 'string' }, out: { type: 'string', short: 'o' }, 'max-spans': { type: 'string' }, 'max-held-mib': { type: 'string' } },
      'receive',
    );
    if (positionals.length > 0) throw badInput(positionals[0]!, 'unexpected argument');
    const port = values.port === undefined ? 4318 : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw badInput('--port', `must be an integer 0–65535, got "${values.port}"`);
    const outPath = values.out ?? 'spans.jsonl';
    const maxSpans = positiveInteger(values['max-spans'], '--max-spans', 1_000_000);
    const maxHeldMib = positiveNumber(values['max-held-mib'], '--max-held-mib', 256);
    if (maxHeldMib > 65_536) throw badInput('--max-held-mib', `at most 65536 (64 GiB), got ${maxHeldMib}`);
    const host = values.host ?? '127.0.0.1';
    // Before listening: spans received into a path that cannot be written would be lost at the end.
    checkOutputPath(outPath);
    const gate = signalGate();
    try {
      let receiver: TraceReceiver;
      try {
        receiver = await startReceiver({ host, port, maxSpans, maxHeldBytes: Math.floor(maxHeldMib * 1024 * 1024) });
      } catch (error) {
        throw listenError(error, host, port);
      }
      if (!isLoopback(host)) {
        process.stderr.write(
          `warning: listening on ${terminalSafe(host)}, not loopback: anyone who can reach this machine on port ${receiver.port} can send spans (there is no authentication)\n`,
        );
      }
      process.stdout.write(`receiving OTLP/HTTP traces at ${receiver.url}/v1/traces (Ctrl-C to stop)\n`);
      await gate.stopRequested;
      gate.saving();
      return await stopAndSave(receiver, outPath);
    } finally {
      gate.release();
    }
  },
};
