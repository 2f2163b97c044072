/**
 * The undici transport (edge): undici connection pools, one per origin, driven through the low-level
 * `dispatch` API with a callback handler — no promise, no header parsing and no body buffering per
 * request, which is what lets one core generate tens of thousands of requests per second.
 */
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import type { Clock } from '../core/clock.js';
import type { ErrorKind } from '../core/run-file.js';
import { compileTextTemplate, type RenderedChunks } from './body-template.js';
import { errorKindOf } from './error-kind.js';
import type { RequestSender, SendDone, TransportOptions } from './request-sender.js';
import type { RequestSpec } from './scenario.js';
import { originPrefix, templateVarOrder } from './url-template.js';

interface PreparedRequest {
  origin: string;
  path: string;
  method: Dispatcher.HttpMethod;
  headers: string[];
  body?: string | Buffer;
  /** A templated body (body-template.ts): rendered per request number. */
  renderBody?: (requestNumber: number) => string;
  /** …or, when it holds a large generated value, its chunks (the value's buffer shared, never copied). */
  renderChunks?: (requestNumber: number) => RenderedChunks;
  timeoutMs: number;
}

/** A body as undici takes it: constant text, or a template (a constant one encoded once). */
function preparedBody(request: RequestSpec, seed: number): Pick<PreparedRequest, 'body' | 'renderBody' | 'renderChunks'> {
  if (request.body === undefined) return {};
  if (!request.bodyTemplate) return { body: request.body };
  const template = compileTextTemplate(request.body, request.vars ?? {}, templateVarOrder(request.url, request.vars ?? {}), seed, request.bodyTemplate, `${request.name}.body`);
  if (template.constant !== undefined) return { body: Buffer.from(template.constant, 'utf8') };
  return template.renderChunks ? { renderChunks: template.renderChunks } : { renderBody: template.render };
}

export class HttpTransport implements RequestSender {
  private readonly pools = new Map<string, Pool>();
  private readonly prepared: PreparedRequest[];

  constructor(
    requests: readonly RequestSpec[],
    private readonly options: TransportOptions,
    private readonly clock: Clock,
    /** The scenario's seed: templated bodies pick the same values as the URL's placeholders. */
    seed = 1,
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
        ...preparedBody(request, seed),
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

  /** The timeout bounds the wait for headers and between body chunks, from the moment of sending. */
  send(slot: number, requestIndex: number, traceparent: string, path: string | undefined, done: SendDone, requestNumber = 0): void {
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
      done(slot, { sentUs, written, endUs: clock.nowUs(), status, bytesReceived, ...(error ? { error } : {}) });
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
      onError: (error) => finish(errorKindOf(error)),
    };
    // An iterable body with its length declared: undici writes the chunks as they are, with content-length.
    const chunked = request.renderChunks?.(requestNumber);
    try {
      this.pool(request.origin).dispatch(
        {
          origin: request.origin,
          path: path ?? request.path,
          method: request.method,
          headers: chunked ? [...request.headers, 'traceparent', traceparent, 'content-length', String(chunked.bytes)] : [...request.headers, 'traceparent', traceparent],
          // undici documents Iterable bodies for dispatch (docs/api/Dispatcher.md); its .d.ts does not list them.
          body: chunked ? (chunked.chunks as unknown as Buffer) : request.renderBody ? request.renderBody(requestNumber) : (request.body ?? null),
          headersTimeout: request.timeoutMs,
          bodyTimeout: request.timeoutMs,
          reset: !this.options.keepAlive,
        },
        handler,
      );
    } catch (error) {
      finish(errorKindOf(error));
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((pool) => pool.destroy()));
    this.pools.clear();
  }
}
