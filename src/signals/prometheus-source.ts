/**
 * Scrapes a Prometheus/OpenMetrics text endpoint (edge). Each scrape has a timeout and a body cap; a refused
 * connection, a timeout, a non-2xx status, an oversized body and a body with no parseable sample are each
 * reported as a failed reading with its reason.
 */
import { snapshotOf } from './metric-snapshot.js';
import { parseExposition } from './prometheus-text.js';
import type { ReadFailureReason, ReadResult, SignalSource } from './signal-source.js';

export interface PrometheusSourceOptions {
  timeoutMs: number;
  /** Larger bodies are cut off and count as a failed scrape (etcd's /metrics is ~200 KiB). */
  maxBodyBytes?: number;
}

const ACCEPT = 'application/openmetrics-text;version=1.0.0;q=0.9,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

function reasonOf(error: unknown): { reason: ReadFailureReason; message: string } {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : undefined;
  const code = cause && 'code' in cause ? String(cause.code) : '';
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return { reason: 'timeout', message: 'timed out' };
  if (code === 'ECONNREFUSED') return { reason: 'refused', message: 'connection refused' };
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return { reason: 'timeout', message: 'timed out' };
  const message = cause?.message ?? (error instanceof Error ? error.message : String(error));
  return { reason: 'other', message };
}

async function readCapped(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<string | undefined> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function prometheusSource(name: string, url: string, options: PrometheusSourceOptions): SignalSource {
  const maxBodyBytes = options.maxBodyBytes ?? 8 * 1024 * 1024;
  return {
    name,
    kind: 'prometheus',
    target: url,
    async read(): Promise<ReadResult> {
      try {
        const signal = AbortSignal.timeout(options.timeoutMs);
        const response = await fetch(url, { headers: { accept: ACCEPT }, signal });
        if (!response.ok || !response.body) {
          await response.body?.cancel();
          return { kind: 'failed', reason: 'status', message: `HTTP ${response.status}` };
        }
        const text = await readCapped(response.body, maxBodyBytes);
        if (text === undefined) return { kind: 'failed', reason: 'too-large', message: `body over ${maxBodyBytes} bytes` };
        const exposition = parseExposition(text);
        const snapshot = snapshotOf(exposition);
        if (snapshot.size === 0) {
          return { kind: 'failed', reason: 'garbage', message: exposition.firstBadLine !== undefined ? `no sample parsed; first bad line: ${exposition.firstBadLine}` : 'no sample in the body' };
        }
        return { kind: 'ok', snapshot, badLines: exposition.badLines };
      } catch (error) {
        return { kind: 'failed', ...reasonOf(error) };
      }
    },
  };
}
