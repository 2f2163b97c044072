/**
 * The lab's tiny HTTP layer: a JSON server with a route function, and a JSON client over keep-alive agents.
 * Both use the instrumented `http` module so incoming and outgoing calls become spans with trace propagation.
 */
import type * as HttpModule from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { trace } from '@opentelemetry/api';
import { labRequire } from './lab-require.js';

const http = labRequire('node:http') as typeof HttpModule;

export interface LabRequest {
  method: string;
  url: URL;
  /** Path split on `/`, without empty parts: `/orders/7` → ['orders', '7']. */
  parts: string[];
  body: unknown;
}

export interface LabReply {
  status: number;
  body: unknown;
  /** Set for a text body sent as is (GET /metrics); otherwise the body is JSON. */
  contentType?: string;
}

export type Route = (request: LabRequest) => Promise<LabReply | undefined>;

/** An error that becomes an HTTP status instead of a 500. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  if (chunks.length === 0) return undefined;
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, 'body is not JSON');
  }
}

function send(response: ServerResponse, reply: LabReply): void {
  const raw = reply.contentType !== undefined && typeof reply.body === 'string';
  const payload = Buffer.from(raw ? (reply.body as string) : JSON.stringify(reply.body));
  // The large-payload detector reads this attribute from the server span.
  trace.getActiveSpan()?.setAttribute('http.response.body.size', payload.byteLength);
  response.writeHead(reply.status, { 'content-type': raw ? (reply.contentType ?? '') : 'application/json', 'content-length': payload.byteLength });
  response.end(payload);
}

/** Creates (does not start) an HTTP server that dispatches to `route`; unknown paths are 404. */
export function createJsonServer(route: Route): HttpModule.Server {
  const server = http.createServer((request, response) => {
    void (async () => {
      try {
        const url = new URL(request.url ?? '/', 'http://lab.local');
        const body = await readBody(request);
        const reply = await route({ method: request.method ?? 'GET', url, parts: url.pathname.split('/').filter(Boolean), body });
        send(response, reply ?? { status: 404, body: { error: `no route ${request.method} ${url.pathname}` } });
      } catch (error) {
        const status = error instanceof HttpError ? error.status : 500;
        const message = error instanceof Error ? error.message : String(error);
        if (!response.headersSent) send(response, { status, body: { error: message } });
        else response.destroy();
      }
    })();
  });
  server.keepAliveTimeout = 30_000;
  return server;
}

/** Listens on 127.0.0.1:`port` (0 = any); resolves with the bound port, rejects with the listen error. */
export function listen(server: HttpModule.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

/** Calls another service with a JSON body; resolves with the parsed JSON, rejects on a non-2xx status. */
export function callJson<T>(baseUrl: string, path: string, method = 'GET', body?: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const request = http.request(
      new URL(path, baseUrl),
      {
        method,
        agent,
        headers: payload ? { 'content-type': 'application/json', 'content-length': payload.byteLength } : {},
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = response.statusCode ?? 0;
          if (status < 200 || status >= 300) {
            reject(new HttpError(status >= 500 ? 502 : status, `${method} ${path} → ${status}: ${text.slice(0, 200)}`));
            return;
          }
          try {
            resolve(JSON.parse(text) as T);
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        });
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

/** Closes the keep-alive sockets so a stopping service exits promptly. */
export function closeClientAgent(): void {
  agent.destroy();
}
