/**
 * Helpers for the lab tests: a tiny OTLP/HTTP sink that decodes the spans the services export, the services'
 * own counters, and a scan for leftover lab processes.
 */
import { createServer, type Server } from 'node:http';
import { readdirSync, readFileSync } from 'node:fs';
import { decodeOtlpProtobuf } from '../../src/trace/decode-otlp-protobuf.js';
import type { Span } from '../../src/trace/span.js';
import type { Lab } from '../../src/lab-control/lab.js';
import type { ServiceStats } from '../../lab/service-stats.js';

export interface OtlpSink {
  endpoint: string;
  spans: Span[];
  /** Resolves once `predicate` holds over the spans received so far (polls; rejects after `timeoutMs`). */
  waitFor(predicate: (spans: Span[]) => boolean, timeoutMs?: number): Promise<Span[]>;
  close(): Promise<void>;
}

export async function startOtlpSink(): Promise<OtlpSink> {
  const spans: Span[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.url === '/v1/traces') spans.push(...decodeOtlpProtobuf(Buffer.concat(chunks)));
      response.writeHead(200, { 'content-type': 'application/x-protobuf' });
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans,
    async waitFor(predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(spans)) {
        if (Date.now() > deadline) throw new Error(`OTLP sink: condition not met within ${timeoutMs} ms (${spans.length} spans)`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return spans;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type Stats = ServiceStats;

export async function statsOf(lab: Lab, service: string): Promise<Stats> {
  const url = lab.serviceUrls[service];
  if (!url) throw new Error(`no service ${service}`);
  return (await (await fetch(new URL('/admin/stats', url))).json()) as Stats;
}

/** Runs `work` and returns how much each counter of `service` moved. */
export async function countDuring(lab: Lab, service: string, work: () => Promise<unknown>): Promise<Stats> {
  const before = await statsOf(lab, service);
  await work();
  const after = await statsOf(lab, service);
  const delta = { ...after };
  for (const key of Object.keys(before) as (keyof Stats)[]) {
    if (typeof before[key] === 'number') delta[key] = after[key] - before[key];
  }
  return delta;
}

export async function getJson<T>(url: string): Promise<{ status: number; body: T; bytes: number }> {
  const response = await fetch(url);
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as T, bytes: Buffer.byteLength(text) };
}

export async function postJson<T>(url: string, body: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as T };
}

/** Pids of live processes whose environment holds `PERFLOOP_LAB_TEST_TAG=<tag>` (Linux /proc). */
export function taggedProcesses(tag: string): number[] {
  const needle = `PERFLOOP_LAB_TEST_TAG=${tag}`;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8');
      const state = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Zombies (state Z) have exited; their parent just has not reaped them yet.
      if (environ.split('\0').includes(needle) && !/\) Z /.test(state)) pids.push(Number(entry));
    } catch {
      // The process ended while we looked, or is not ours to read.
    }
  }
  return pids;
}

/** Waits until no tagged process is left; returns the survivors after `timeoutMs` (empty = clean). */
export async function waitForNoTagged(tag: string, timeoutMs = 10_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let left = taggedProcesses(tag);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    left = taggedProcesses(tag);
  }
  return left;
}

/** Real servers when the environment names them (CI's second lab pass), else embedded PGlite and LRU. */
export const backingServices = {
  databaseUrl: process.env.DATABASE_URL || undefined,
  redisUrl: process.env.REDIS_URL || undefined,
};
