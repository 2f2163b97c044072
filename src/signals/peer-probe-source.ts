/**
 * A blackbox round-trip probe of a peer endpoint (edge): each reading sends three small HTTP requests in a row
 * and keeps the fastest as `peer_probe_rtt_seconds` — the path's latency without the queueing of a busy machine.
 * With a `direct` URL (the same process reached without the path under test, e.g. its client port), the same is
 * done there, alternating, as `direct_probe_rtt_seconds`: the difference is the path's own latency, with what a
 * busy machine adds to every request (scheduling, the prober's own wake-ups) taken out.
 * It stands in for what a node-to-node prober (blackbox_exporter, a mesh's ping) measures in production. etcd's
 * own `etcd_network_peer_round_trip_time_seconds` is a smoothed average probed every few seconds, too slow to
 * follow a change within a short run.
 *
 * The probes run on their own thread: on the collector's thread, parsing a large /metrics body (etcd's is
 * hundreds of KiB) would land inside a probe's timing and read as tens of milliseconds of "network".
 */
import { Worker } from 'node:worker_threads';
import { seriesKey, type MetricSnapshot } from './metric-snapshot.js';
import type { ReadResult, SignalSource } from './signal-source.js';

const PROBES_PER_READING = 3;

/** Plain JS for an eval'd worker: probe a URL n times, answer the fastest (s) or the last error. */
const PROBER_CODE = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', async ({ id, urls, count, timeoutMs }) => {
  const fastest = urls.map(() => Infinity);
  let error = '';
  for (let i = 0; i < count; i++) {
    for (let u = 0; u < urls.length; u++) {
      const started = performance.now();
      try {
        const response = await fetch(urls[u], { signal: AbortSignal.timeout(timeoutMs) });
        await response.arrayBuffer();
        fastest[u] = Math.min(fastest[u], (performance.now() - started) / 1000);
      } catch (e) {
        error = e instanceof Error ? e.message : String(e);
      }
    }
  }
  parentPort.postMessage({ id, fastest: fastest.map((value) => (Number.isFinite(value) ? value : null)), error });
});
`;

interface ProbeReply {
  id: number;
  /** Per URL asked, the fastest round trip (s), null when every probe failed. */
  fastest: (number | null)[];
  error: string;
}

let prober: Worker | undefined;
let nextId = 1;
const pending = new Map<number, (reply: ProbeReply) => void>();

/** One prober thread for every probe source of the process; unref'd, so it never keeps the process alive. */
function probe(urls: string[], timeoutMs: number): Promise<ProbeReply> {
  if (!prober) {
    const worker = new Worker(PROBER_CODE, { eval: true });
    worker.on('message', (reply: ProbeReply) => {
      pending.get(reply.id)?.(reply);
      pending.delete(reply.id);
    });
    worker.on('error', (error) => {
      for (const [id, resolve] of pending) resolve({ id, fastest: [], error: error.message });
      pending.clear();
      prober = undefined;
    });
    // After the listeners: adding a 'message' listener refs the worker's port again.
    worker.unref();
    prober = worker;
  }
  const id = nextId++;
  const worker = prober;
  return new Promise((resolve) => {
    pending.set(id, resolve);
    worker.postMessage({ id, urls, count: PROBES_PER_READING, timeoutMs });
  });
}

export function peerProbeSource(name: string, url: string, timeoutMs: number, direct?: string): SignalSource {
  const urls = direct === undefined ? [url] : [url, direct];
  return {
    name,
    kind: 'prometheus',
    target: `probe ${urls.join(' vs ')}`,
    async read(): Promise<ReadResult> {
      const reply = await probe(urls, timeoutMs);
      const [peer, reference] = reply.fastest;
      if (peer === null || peer === undefined) return { kind: 'failed', reason: 'other', message: reply.error };
      const snapshot: MetricSnapshot = new Map();
      snapshot.set(seriesKey('peer_probe_rtt_seconds', {}), { metric: 'peer_probe_rtt_seconds', labels: {}, reading: { kind: 'gauge', value: peer } });
      if (reference !== null && reference !== undefined) {
        snapshot.set(seriesKey('direct_probe_rtt_seconds', {}), { metric: 'direct_probe_rtt_seconds', labels: {}, reading: { kind: 'gauge', value: reference } });
      }
      return { kind: 'ok', snapshot, badLines: 0 };
    },
  };
}
