/**
 * The kv lab's application tier: a small HTTP service in front of the etcd cluster, the way a real service keeps
 * its documents in etcd. `PUT /kv/:key` (body: the value) does a read-modify-write of the key's document through
 * the leader's v3 JSON gateway and answers once the write is committed. It hosts the two culprits that live in
 * application code, switchable at runtime:
 * - **lock contention**: with `sharedLock`, every write holds one shared etcd lock (v3 lock API) around its
 *   read and write, so writes to different keys queue behind each other. The fix is no lock: a compare-and-swap
 *   txn on the key's mod_revision, retried on conflict.
 * - **serialization**: with `valueKiB > 0`, every stored document is padded to that size (base64 through the
 *   gateway adds a third). The fix is the compact document.
 * `/metrics` (prom-client, with the Node runtime collectors) shows the handling time, the lock wait, each etcd call
 * and the encoded document size — the evidence the kv detectors read. It runs in its own process
 * (kv-app-main.ts, forked by the kv supervisor, stopped with it).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';

export interface KvAppMode {
  sharedLock: boolean;
  valueKiB: number;
}

export interface KvApp {
  url: string;
  setMode(mode: KvAppMode): void;
  close(): Promise<void>;
}

/** Lock name of the shared lock (base64 for the gateway). */
const SHARED_LOCK = Buffer.from('perfloop-app-lock').toString('base64');
const CAS_ATTEMPTS = 8;
const ETCD_TIMEOUT_MS = 10_000;
/** The client's value; the document the app builds from it may be larger (etcd's request limit is 1.5 MiB). */
const MAX_BODY_BYTES = 64 * 1024;

const b64 = (text: string): string => Buffer.from(text).toString('base64');

class EtcdCallError extends Error {}

export async function startKvApp(leaderUrl: string, initial: KvAppMode): Promise<KvApp> {
  let mode = { ...initial };
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // Buckets from 0.5 ms to 5 s: loopback etcd writes take a few ms, a queue behind a shared lock seconds.
  const buckets = [0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 5];
  const handling = new Histogram({ name: 'kv_app_request_duration_seconds', help: 'Time the app spends on a request, from its arrival to the reply.', labelNames: ['route', 'status'], buckets, registers: [registry] });
  const lockWait = new Histogram({ name: 'kv_app_lock_wait_seconds', help: 'Time a write waits to acquire the shared etcd lock.', buckets, registers: [registry] });
  const etcdCall = new Histogram({ name: 'kv_app_etcd_request_duration_seconds', help: 'Each call the app makes to the etcd leader, as the app sees it.', labelNames: ['op'], buckets, registers: [registry] });
  const documentBytes = new Histogram({ name: 'kv_app_document_bytes', help: 'Bytes of each put request body the app sends to etcd (JSON, base64 value).', buckets: [128, 512, 2048, 8192, 32768, 131072, 524288, 2097152], registers: [registry] });
  const casRetries = new Histogram({ name: 'kv_app_cas_attempts', help: 'Attempts per compare-and-swap write (1 = no conflict).', buckets: [1, 2, 4, 8], registers: [registry] });

  const call = async <T>(op: string, path: string, body: unknown): Promise<T> => {
    const text = JSON.stringify(body);
    if (op === 'put' || op === 'txn') documentBytes.observe(Buffer.byteLength(text));
    const end = etcdCall.startTimer({ op });
    try {
      const response = await fetch(`${leaderUrl}${path}`, { method: 'POST', body: text, headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(ETCD_TIMEOUT_MS) });
      const payload = await response.text();
      if (!response.ok) throw new EtcdCallError(`${op}: HTTP ${response.status} ${payload.slice(0, 200)}`);
      return JSON.parse(payload) as T;
    } finally {
      end();
    }
  };

  /** The document the app stores: the value with its metadata; padded when the serialization culprit is on. */
  const documentOf = (key: string, value: string): string =>
    JSON.stringify({ key, value, writtenAt: new Date().toISOString(), ...(mode.valueKiB > 0 ? { history: 'h'.repeat(mode.valueKiB * 1024) } : {}) });

  const modRevision = async (key: string): Promise<string> => {
    const range = await call<{ kvs?: { mod_revision?: string }[] }>('range', '/v3/kv/range', { key: b64(key), keys_only: true });
    return range.kvs?.[0]?.mod_revision ?? '0';
  };

  const writeLocked = async (key: string, value: string): Promise<void> => {
    const endWait = lockWait.startTimer();
    const lock = await call<{ key: string }>('lock', '/v3/lock/lock', { name: SHARED_LOCK });
    endWait();
    try {
      await modRevision(key);
      await call('put', '/v3/kv/put', { key: b64(key), value: b64(documentOf(key, value)) });
    } finally {
      await call('unlock', '/v3/lock/unlock', { key: lock.key });
    }
  };

  const writeCas = async (key: string, value: string): Promise<void> => {
    for (let attempt = 1; attempt <= CAS_ATTEMPTS; attempt++) {
      const revision = await modRevision(key);
      // A key that does not exist compares as mod_revision 0.
      const txn = await call<{ succeeded?: boolean }>('txn', '/v3/kv/txn', {
        compare: [{ key: b64(key), result: 'EQUAL', target: 'MOD', mod_revision: revision }],
        success: [{ request_put: { key: b64(key), value: b64(documentOf(key, value)) } }],
      });
      // grpc-gateway omits false: an absent `succeeded` is a conflict.
      if (txn.succeeded === true) {
        casRetries.observe(attempt);
        return;
      }
    }
    throw new EtcdCallError(`compare-and-swap on ${key} lost ${CAS_ATTEMPTS} times`);
  };

  const readBody = async (request: IncomingMessage): Promise<string | undefined> => {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request) {
      size += (chunk as Buffer).byteLength;
      if (size > MAX_BODY_BYTES) return undefined;
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const reply = (status: number, body: string, type = 'application/json'): void => {
      response.writeHead(status, { 'content-type': type });
      response.end(body);
    };
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    if (request.method === 'GET' && path === '/metrics') return reply(200, await registry.metrics(), registry.contentType);
    const match = /^\/kv\/([\w.-]{1,128})$/.exec(path);
    if (!match?.[1] || (request.method !== 'PUT' && request.method !== 'POST')) return reply(404, JSON.stringify({ error: `no ${request.method ?? ''} ${path}; try PUT /kv/:key` }));
    const end = handling.startTimer({ route: 'PUT /kv/:key' });
    let status = 200;
    try {
      const value = await readBody(request);
      if (value === undefined) {
        status = 413;
        return reply(status, JSON.stringify({ error: `body over ${MAX_BODY_BYTES} bytes` }));
      }
      await (mode.sharedLock ? writeLocked(match[1], value) : writeCas(match[1], value));
      reply(status, '{"ok":true}');
    } catch (error) {
      status = error instanceof EtcdCallError ? 502 : 504;
      reply(status, JSON.stringify({ error: error instanceof Error ? error.message : String(error) }));
    } finally {
      end({ status: String(status) });
    }
  };

  const server: Server = createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('kv app has no TCP address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    setMode(next) {
      mode = { ...next };
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
