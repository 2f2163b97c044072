/**
 * Reads every signal source once per interval on the main thread (timers; the reads are async I/O) and, after
 * the run, lays the readings onto the run's interval grid. A source still busy with its previous reading is
 * skipped for that tick (counted as `slow`), so a hanging endpoint costs one pending request, not a pile.
 */
import { SIGNALS_VERSION, type RunFile, type SignalSeries, type SignalSource as StoredSource } from '../core/run-file.js';
import { buildIntervalSeries, type IntervalSpan } from './interval-series.js';
import type { MetricSnapshot, TimedSnapshot } from './metric-snapshot.js';
import type { CollectorContext, RunCollector } from './run-collector.js';
import type { SignalSource } from './signal-source.js';
import { detectSignalFindings } from './signal-findings.js';

export interface SignalCollectorOptions {
  /** Series kept per source (the first seen); the rest are counted as dropped. Default 300. */
  maxSeriesPerSource?: number;
}

interface SourceState {
  source: SignalSource;
  busy: boolean;
  attempts: number;
  failures: Record<string, number>;
  firstError?: string;
  badLines: number;
  kept: Set<string>;
  dropped: Set<string>;
  droppedMetrics: Set<string>;
  snapshots: TimedSnapshot[];
  pending?: Promise<void>;
}

export interface SignalCollector extends RunCollector {
  /** Readings so far, per source (tests and progress). */
  readonly counts: () => { name: string; ok: number; failed: number }[];
}

export function signalCollector(sources: readonly SignalSource[], options: SignalCollectorOptions = {}): SignalCollector {
  const maxSeries = options.maxSeriesPerSource ?? 300;
  const states: SourceState[] = sources.map((source) => ({
    source,
    busy: false,
    attempts: 0,
    failures: {},
    badLines: 0,
    kept: new Set(),
    dropped: new Set(),
    droppedMetrics: new Set(),
    snapshots: [],
  }));
  let timer: NodeJS.Timeout | undefined;
  let context: CollectorContext | undefined;

  const fail = (state: SourceState, reason: string, message: string): void => {
    state.failures[reason] = (state.failures[reason] ?? 0) + 1;
    state.firstError ??= message;
  };

  const keep = (state: SourceState, snapshot: MetricSnapshot): MetricSnapshot => {
    const kept: MetricSnapshot = new Map();
    for (const [key, series] of snapshot) {
      if (state.kept.has(key) || (state.kept.size < maxSeries && !state.dropped.has(key))) {
        state.kept.add(key);
        kept.set(key, series);
      } else {
        state.dropped.add(key);
        state.droppedMetrics.add(series.metric);
      }
    }
    return kept;
  };

  const readOnce = (state: SourceState): void => {
    if (state.busy) {
      fail(state, 'slow', 'the previous reading was still pending when the next was due');
      return;
    }
    state.busy = true;
    state.attempts++;
    const startedMs = Date.now();
    state.pending = state.source
      .read()
      .then((result) => {
        if (result.kind === 'ok') {
          state.badLines += result.badLines;
          // Stamped at the send: on loopback the server reads its values within a millisecond of it, while the
          // response may wait much longer for this thread (parsing, other work) before we see it.
          state.snapshots.push({ atMs: startedMs, series: keep(state, result.snapshot) });
        } else fail(state, result.reason, result.message);
      })
      .catch((error: unknown) => fail(state, 'other', error instanceof Error ? error.message : String(error)))
      .finally(() => {
        state.busy = false;
      });
  };

  const tick = (): void => {
    for (const state of states) readOnce(state);
  };

  return {
    counts: () => states.map((state) => ({ name: state.source.name, ok: state.snapshots.length, failed: Object.values(state.failures).reduce((a, b) => a + b, 0) })),
    async start(ctx) {
      context = ctx;
      if (states.length === 0) return;
      // The first readings complete before the load starts (bounded by the read timeout): they are the runs'
      // baseline, and the first fetch pays one-off costs (loading the HTTP client, compiling the parser) that
      // would otherwise stall a generator sharing this thread by a few hundred ms.
      tick();
      await Promise.all(states.map((state) => state.pending));
      timer = setInterval(tick, ctx.intervalMs);
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await Promise.all(states.map((state) => state.pending));
      // One last reading closes the final interval (which spans the drain of in-flight requests).
      if (context) {
        for (const state of states) readOnce(state);
        await Promise.all(states.map((state) => state.pending));
      }
    },
    attach(run: RunFile): RunFile {
      if (states.length === 0) return run;
      const originMs = Date.parse(run.startedAt);
      const grid: IntervalSpan[] = run.intervals.map((interval) => ({ startMs: originMs + interval.startMs, endMs: originMs + interval.startMs + interval.durationMs }));
      const series: SignalSeries[] = [];
      const stored: StoredSource[] = states.map((state) => {
        const built = buildIntervalSeries(state.source.name, state.snapshots, grid, maxSeries);
        series.push(...built.series);
        return {
          name: state.source.name,
          kind: state.source.kind,
          target: state.source.target,
          attempts: state.attempts,
          failures: state.failures,
          ...(state.firstError !== undefined ? { firstError: state.firstError } : {}),
          badLines: state.badLines,
          droppedSeries: state.dropped.size,
          droppedMetrics: [...state.droppedMetrics].slice(0, 20),
        };
      });
      const withSignals: RunFile = { ...run, signals: { version: SIGNALS_VERSION, intervalMs: run.intervalMs, sources: stored, series } };
      return { ...withSignals, signals: { version: SIGNALS_VERSION, intervalMs: run.intervalMs, findings: detectSignalFindings(withSignals), sources: stored, series } };
    },
  };
}
