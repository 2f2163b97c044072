/**
 * HTTP transport (edge): undici connection pools, one per origin, driven through the low-level
 * `dispatch` API with a callback handler — no promise, no header parsing and no body buffering per
 * request, which is what lets one core generate tens of thousands of requests per second.
 */
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import type { Clock } from '../core/clock.js';
import type { ErrorKind } from '../core/run-file.js';
import type { RequestSpec } from './scenario.js';
import { originPrefix } from './url-template.js';

export interface SendResult {
  /** When the request was written to a connection (µs, transport clock); the dispatch time when never written. */
  sentUs: number;
  /** False when the request never reached a connection (e.g. connection refused). */
  written: boolean;
  endUs: number;
  /** 0 when no response arrived. */
  status: number;
  error?: ErrorKind;
  bytesReceived: number;
}

export interface TransportOptions {
  /** Connections per origin. */
  connections: number;
  keepAlive: boolean;
}

/** Maps a transport error to the error kinds counted in run files. */
export function classifyError(error: unknown): ErrorKind {
  const { code = '', name = '' } = (error ?? {}) as { code?: string; name?: string };
  // undici's parser errors carry no code, only their class name.
  if (name === 'HTTPParserError') return 'bad_response';
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET' || code === 'UND_ERR_CLOSED') return 'reset';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') return 'timeout';
  if (code.startsWith('HPE_') || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH' || code === 'UND_ERR_INFO') return 'bad_response';
  return 'other';
}

interface PreparedRequest {
  origin: string;
  path: string;
  method: Dispatcher.HttpMethod;
  headers: string[];
  body?: string;
  timeoutMs: number;
}

export class HttpTransport {
  private readonly pools = new Map<string, Pool>();
  private readonly prepared: PreparedRequest[];

  constructor(
    requests: readonly RequestSpec[],
    private readonly options: TransportOptions,
    private readonly clock: Clock,
  ) {
    this.prepared = requests.map((request) => {
      // A template's placeholders live in the path: parse the origin from a stand-in.
      const url = new URL(request.url.replace(/\{[A-Za-z_][A-Za-z0-9_]*\}/g, 'x'));
      const headers: string[] = [];
      for (const [key, value] of Object.entries(request.headers)) headers.push(key, value);
      return {
        origin: url.origin,
        path: request.url.slice(originPrefix(request.url).length) || '/',
        method: request.method as Dispatcher.HttpMethod,
        headers,
        ...(request.body === undefined ? {} : { body: request.body }),
        timeoutMs: request.timeoutMs,
      };
    });
  }

  private pool(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, {
        connections: this.options.connections,
        pipelining: 1,
        keepAliveTimeout: 30_000,
        connect: { timeout: 10_000 },
      });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  /**
   * Sends request `requestIndex` with extra headers (e.g. traceparent), to `path` when given (a rendered
   * URL template); calls `done` exactly once. The timeout bounds the wait for headers and between body
   * chunks, from the moment of sending.
   */
  send(requestIndex: number, extraHeaders: readonly string[], done: (result: SendResult) => void, path?: string): void {
    const request = this.prepared[requestIndex];
    if (!request) throw new RangeError(`no request ${requestIndex}`);
    const clock = this.clock;
    let sentUs = clock.nowUs();
    let written = false;
    let status = 0;
    let bytesReceived = 0;
    let finished = false;
    const finish = (error?: ErrorKind): void => {
      if (finished) return;
      finished = true;
      done({ sentUs, written, endUs: clock.nowUs(), status, bytesReceived, ...(error ? { error } : {}) });
    };
    // The legacy handler callbacks are undici's native path; the newer controller API wraps them and
    // parses every response's headers into an object, which costs throughput we don't need.
    const handler: Dispatcher.DispatchHandler = {
      onConnect: () => {
        sentUs = clock.nowUs();
        written = true;
      },
      onHeaders: (statusCode) => {
        if (statusCode >= 200) status = statusCode;
        return true;
      },
      onData: (chunk) => {
        bytesReceived += chunk.length;
        return true;
      },
      onComplete: () => finish(),
      onError: (error) => finish(classifyError(error)),
    };
    try {
      this.pool(request.origin).dispatch(
        {
          origin: request.origin,
          path: path ?? request.path,
          method: request.method,
          headers: extraHeaders.length === 0 ? request.headers : [...request.headers, ...extraHeaders],
          body: request.body ?? null,
          headersTimeout: request.timeoutMs,
          bodyTimeout: request.timeoutMs,
          reset: !this.options.keepAlive,
        },
        handler,
      );
    } catch (error) {
      finish(classifyError(error));
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((pool) => pool.destroy()));
    this.pools.clear();
  }
}
