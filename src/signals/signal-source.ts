/**
 * A source of readings (a Prometheus endpoint, a process, a cgroup). `read` never throws: a failure is data,
 * counted per reading by the collector, because a broken endpoint must never stop a run.
 */
import type { MetricSnapshot } from './metric-snapshot.js';

export type ReadFailureReason = 'timeout' | 'refused' | 'status' | 'garbage' | 'gone' | 'too-large' | 'other';

export type ReadResult =
  | { kind: 'ok'; snapshot: MetricSnapshot; badLines: number }
  | { kind: 'failed'; reason: ReadFailureReason; message: string };

export interface SignalSource {
  readonly name: string;
  readonly kind: 'prometheus' | 'process' | 'cgroup';
  /** What is read, for people: URL, `pid:N`, `port:N (pid M)`, cgroup path. */
  readonly target: string;
  read(): Promise<ReadResult>;
}
