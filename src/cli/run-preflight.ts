/**
 * Checks `perfloop run` makes before any load starts, kept out of run.ts so the command stays a thin shell:
 * flags that would be ignored or exceed a limit, output paths that could not be written after the load, and
 * a trace receiver port that cannot be listened on — each a typed error naming the flag or path.
 */
import { join } from 'node:path';
import { badInput } from '../core/errors.js';
import { checkOutputPath } from '../core/output-path.js';
import { isScenarioFile } from '../load/scenario-file.js';
import { checkWorkers } from '../load/scenario-limits.js';
import { startReceiver, type TraceReceiver } from '../trace/receiver.js';

/** The flags of the URL form: a scenario file sets these itself, so they would be silently ignored. */
const URL_FORM_FLAGS = ['rate', 'arrival', 'users', 'think-time', 'duration', 'warmup', 'method', 'header', 'body', 'expect', 'timeout', 'connections', 'no-keepalive', 'seed'] as const;

export interface RunPreflightFlags {
  workers?: string | undefined;
  'otlp-port'?: string | undefined;
  out?: string | undefined;
  report?: boolean | undefined;
  [flag: string]: unknown;
}

/** Flag checks that need no I/O. */
export function checkRunFlags(target: string, values: RunPreflightFlags): void {
  if (isScenarioFile(target)) {
    const ignored = URL_FORM_FLAGS.find((flag) => values[flag] !== undefined);
    if (ignored) throw badInput(`--${ignored}`, `applies to the URL form only; with a scenario file (${target}) set it in the file`);
  }
  if (values.workers !== undefined) {
    const workers = Number(values.workers);
    if (Number.isInteger(workers) && workers > 0) checkWorkers(workers, '--workers');
  }
  otlpPort(values);
}

/** The --otlp-port value (default 4318), checked. */
export function otlpPort(values: RunPreflightFlags): number {
  const text = values['otlp-port'];
  if (text === undefined) return 4318;
  const port = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isInteger(port) || port < 1 || port > 65535) throw badInput('--otlp-port', `must be a port number 1–65535, got "${text}"`);
  return port;
}

/** Proves the run file (and report) can be written, before the load; the default directory is created. */
export function checkRunOutputs(values: RunPreflightFlags): void {
  const outPath = values.out ?? join('.perfloop', 'runs', 'run.json');
  checkOutputPath(outPath);
  if (values.report) checkOutputPath(outPath.replace(/(\.json)?$/i, '.html'));
}

/** Starts the run's trace receiver on loopback; a taken or forbidden port is bad input naming --otlp-port. */
export async function startRunReceiver(values: RunPreflightFlags): Promise<TraceReceiver> {
  const port = otlpPort(values);
  try {
    return await startReceiver({ port });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (code === 'EADDRINUSE') throw badInput('--otlp-port', `port ${port} is already in use (another receiver or collector?); pick another port`);
    if (code === 'EACCES') throw badInput('--otlp-port', `no permission to listen on port ${port}`);
    throw badInput('--otlp-port', `cannot listen on 127.0.0.1:${port}: ${(error as Error).message}`);
  }
}
