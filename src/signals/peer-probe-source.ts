/**
 * A blackbox round-trip probe of a peer endpoint (edge): each reading sends three small HTTP requests in a row
 * and keeps the fastest as `peer_probe_rtt_seconds` — the path's latency without the queueing of a busy machine.
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
parentPort.on('message', async ({ id, url, count, timeoutMs }) => {
  let fastest = Infinity;
  let error = '';
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      await response.arrayBuffer();
      fastest = Math.min(fastest, (performance.now() - started) / 1000);
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
  }
  parentPort.postMessage({ id, fastest: Number.isFinite(fastest) ? fastest : null, error });
});
`;

interface ProbeReply {
  id: number;
  fastest: number | null;
  error: string;
}

let prober: Worker | undefined;
let nextId = 1;
const pending = new Map<number, (reply: ProbeReply) => void>();

/** One prober thread for every probe source of the process; unref'd, so it never keeps the process alive. */
function probe(url: string, timeoutMs: number): Promise<ProbeReply> {
  if (!prober) {
    const worker = new Worker(PROBER_CODE, { eval: true });
    worker.unref();
    worker.on('message', (reply: ProbeReply) => {
      pending.get(reply.id)?.(reply);
      pending.delete(reply.id);
    });
    worker.on('error', (error) => {
      for (const [id, resolve] of pending) resolve({ id, fastest: null, error: error.message });
      pending.clear();
      prober = undefined;
    });
    prober = worker;
  }
  const id = nextId++;
  const worker = prober;
  return new Promise((resolve) => {
    pending.set(id, resolve);
    worker.postMessage({ id, url, count: PROBES_PER_READING, timeoutMs });
  });
}

export function peerProbeSource(name: string, url: string, timeoutMs: number): SignalSource {
  return {
    name,
    kind: 'prometheus',
    target: `probe ${url}`,
    async read(): Promise<ReadResult> {
      const reply = await probe(url, timeoutMs);
      if (reply.fastest === null) return { kind: 'failed', reason: 'other', message: reply.error };
      const snapshot: MetricSnapshot = new Map();
      snapshot.set(seriesKey('peer_probe_rtt_seconds', {}), { metric: 'peer_probe_rtt_seconds', labels: {}, reading: { kind: 'gauge', value: reply.fastest } });
      return { kind: 'ok', snapshot, badLines: 0 };
    },
  };
}
