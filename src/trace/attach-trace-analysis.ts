/**
 * Joins a finished run with the server spans its requests produced: waits for exporters to flush
 * (batch exporters send every few hundred ms), keeps the spans of this run's traces, analyses them and
 * stores the analysis in the run file.
 */
import type { RunFile } from '../core/run-file.js';
import { analyzeTraces, type AnalyzeTracesOptions } from './analyze-traces.js';
import type { TraceReceiver } from './receiver.js';
import type { Span } from './span.js';
import type { TraceAnalysis } from './trace-analysis.js';

export interface AttachOptions {
  /** Spans are considered flushed when none arrived for this long (default 1 s: batch exporters on a busy machine lag). */
  quietMs?: number;
  /** Give up waiting after this long (default 8 s). */
  maxWaitMs?: number;
  analysis?: Omit<AnalyzeTracesOptions, 'samples'>;
  /** Stops the wait (Ctrl-C): the spans received so far are analysed. */
  signal?: AbortSignal;
}

/** Waits until no span has arrived for `quietMs` (batch exporters flush every few hundred ms), at most `maxWaitMs`. */
export async function waitForQuiet(receiver: TraceReceiver, quietMs: number, maxWaitMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + maxWaitMs;
  let last = receiver.stats().spansReceived;
  let quietSince = Date.now();
  while (Date.now() < deadline && !signal?.aborted) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = receiver.stats().spansReceived;
    if (now !== last) {
      last = now;
      quietSince = Date.now();
    } else if (Date.now() - quietSince >= quietMs) return;
  }
}

/** The spans of `run`'s traced requests among everything the receiver holds. */
export function spansOfRun(run: RunFile, spans: readonly Span[]): Span[] {
  const traceIds = new Set((run.traces?.samples ?? []).map((sample) => sample.traceId));
  return spans.filter((span) => traceIds.has(span.traceId));
}

export async function attachTraceAnalysis(run: RunFile, receiver: TraceReceiver, options: AttachOptions = {}): Promise<{ run: RunFile; analysis: TraceAnalysis }> {
  await waitForQuiet(receiver, options.quietMs ?? 1000, options.maxWaitMs ?? 8000, options.signal);
  const samples = run.traces?.samples ?? [];
  const analysis = analyzeTraces(spansOfRun(run, receiver.spans()), { ...options.analysis, samples });
  const traces = run.traces ?? { sampleRate: 0, samples: [], samplesCap: 1 };
  return { run: { ...run, traces: { ...traces, analysis: analysis as unknown as Record<string, unknown> } }, analysis };
}
