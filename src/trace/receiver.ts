/**
 * OTLP/HTTP trace receiver (edge): POST /v1/traces with application/json or application/x-protobuf,
 * optionally gzip/deflate-compressed. Memory is bounded twice over: bodies above `maxBodyBytes` (after
 * decompression too, so a gzip bomb stops at the limit) get 413, and spans beyond `maxSpans` are counted
 * as dropped, not stored. Malformed spans in a good batch are skipped and reported as OTLP partial success
 * (200 with rejectedSpans); a request with no usable span gets 400 with a message; the server never throws.
 *
 * Bytes are bounded too (a count of spans says nothing about an 8 MB attribute): the bodies being read and
 * decoded at once share `maxInFlightBytes` (over it: 429 with Retry-After, which OTLP exporters retry with
 * backoff), and the decoded bodies whose spans are kept share `maxHeldBytes` (over it: 413, which exporters
 * do not retry — the receiver is full until it is saved). Both are counted in `budgetStats()`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzip, inflate } from 'node:zlib';
import { isPerfloopError } from '../core/errors.js';
import { decodeOtlpJson } from './decode-otlp-json.js';
import { describeRejections, newDecodeReport } from './decode-report.js';
import { decodeOtlpProtobuf } from './decode-otlp-protobuf.js';
import { exportTraceServiceResponseType } from './otlp-proto-root.js';
import type { Span } from './span.js';

export interface ReceiverOptions {
  /** Interface to listen on; loopback by default. */
  host?: string;
  /** 0 picks a free port. Default 4318, the OTLP/HTTP port. */
  port?: number;
  /** Spans kept in memory; later ones are dropped and counted. Default 1,000,000. */
  maxSpans?: number;
  /** Largest accepted request body, compressed or not, bytes. Default 8 MiB. */
  maxBodyBytes?: number;
  /** Request bytes (compressed as read plus decompressed) being handled at once. Default 64 MiB. */
  maxInFlightBytes?: number;
  /** Decoded body bytes whose spans are kept in memory. Default 256 MiB. */
  maxHeldBytes?: number;
}

/** The receiver's byte budgets as they stand. */
export interface ReceiverBudgetStats {
  /** Decoded body bytes of the requests whose spans are kept. */
  bytesHeld: number;
  bytesInFlight: number;
  /** Requests refused because a byte budget was full (429 in flight, 413 held); also in `requestsRejected`. */
  requestsOverBudget: number;
}

export interface ReceiverStats {
  spansReceived: number;
  spansDropped: number;
  /** Spans skipped as malformed (bad ids or times) in otherwise accepted requests. */
  spansRejected: number;
  requestsAccepted: number;
  requestsRejected: number;
}

export interface TraceReceiver {
  /** Base URL, e.g. http://127.0.0.1:4318 (exporters post to `${url}/v1/traces`). */
  url: string;
  port: number;
  /** The spans kept so far (the live array; copy it if you keep it past `close`). */
  spans(): Span[];
  stats(): ReceiverStats;
  budgetStats(): ReceiverBudgetStats;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Bytes reserved against a shared budget; `reserve` refuses (returns false) when the budget would be exceeded. */
interface ByteBudget {
  reserve(bytes: number): boolean;
}

function readBody(request: IncomingMessage, maxBytes: number, inFlight: ByteBudget): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      reject(new HttpError(413, `body of ${declared} bytes exceeds the ${maxBytes}-byte limit`));
      return;
    }
    if (Number.isFinite(declared) && declared > 0 && !inFlight.reserve(declared)) {
      reject(new HttpError(429, 'receiver busy: too many request bytes in flight, retry later'));
      return;
    }
    // A declared length was reserved whole above; chunks are reserved one by one only without one.
    const reservePerChunk = !(Number.isFinite(declared) && declared > 0);
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    request.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > maxBytes) {
        failed = true;
        chunks.length = 0;
        reject(new HttpError(413, `body exceeds the ${maxBytes}-byte limit`));
        return;
      }
      if (reservePerChunk && !inFlight.reserve(chunk.length)) {
        failed = true;
        chunks.length = 0;
        reject(new HttpError(429, 'receiver busy: too many request bytes in flight, retry later'));
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks, size));
    });
    request.on('error', (error) => {
      if (!failed) reject(new HttpError(400, `request error: ${error.message}`));
      failed = true;
    });
  });
}

function decompress(body: Buffer, encoding: string, maxBytes: number): Promise<Buffer> {
  if (encoding === '' || encoding === 'identity') return Promise.resolve(body);
  const method = encoding === 'gzip' ? gunzip : encoding === 'deflate' ? inflate : undefined;
  if (method === undefined) return Promise.reject(new HttpError(415, `unsupported Content-Encoding "${encoding}" (use gzip, deflate or none)`));
  return new Promise((resolve, reject) => {
    method(body, { maxOutputLength: maxBytes }, (error, result) => {
      if (error === null) resolve(result);
      else if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) reject(new HttpError(413, `decompressed body exceeds the ${maxBytes}-byte limit`));
      else reject(new HttpError(400, `cannot decompress ${encoding} body: ${error.message}`));
    });
  });
}

export async function startReceiver(options: ReceiverOptions = {}): Promise<TraceReceiver> {
  const host = options.host ?? '127.0.0.1';
  const maxSpans = options.maxSpans ?? 1_000_000;
  const maxBodyBytes = options.maxBodyBytes ?? 8 * 1024 * 1024;
  const maxInFlightBytes = options.maxInFlightBytes ?? 64 * 1024 * 1024;
  const maxHeldBytes = options.maxHeldBytes ?? 256 * 1024 * 1024;
  const budget: ReceiverBudgetStats = { bytesHeld: 0, bytesInFlight: 0, requestsOverBudget: 0 };
  const stored: Span[] = [];
  const stats: ReceiverStats = { spansReceived: 0, spansDropped: 0, spansRejected: 0, requestsAccepted: 0, requestsRejected: 0 };

  const reply = (response: ServerResponse, status: number, contentType: string, body: string | Uint8Array, extra: Record<string, string> = {}): void => {
    if (response.headersSent) return;
    response.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), ...extra });
    response.end(body);
  };
  const reject = (request: IncomingMessage, response: ServerResponse, status: number, message: string, extra: Record<string, string> = {}): void => {
    stats.requestsRejected++;
    if (status === 429) extra = { ...extra, 'retry-after': '1' };
    // Tell the client to stop sending a body we will not read, and close that connection.
    const unread = status === 413 || status === 429;
    const closing: Record<string, string> = unread ? { connection: 'close' } : {};
    reply(response, status, 'application/json', JSON.stringify({ code: status, message }), { ...extra, ...closing });
    if (unread) request.resume();
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = (request.url ?? '/').split('?', 1)[0];
    if (path !== '/v1/traces') return reject(request, response, 404, `not found: ${path} (POST spans to /v1/traces)`);
    if (request.method !== 'POST') return reject(request, response, 405, `method ${request.method} not allowed`, { allow: 'POST' });
    const contentType = (request.headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase();
    const isJson = contentType === 'application/json';
    if (!isJson && contentType !== 'application/x-protobuf') return reject(request, response, 415, `unsupported Content-Type "${contentType}" (use application/json or application/x-protobuf)`);
    if (budget.bytesHeld >= maxHeldBytes) {
      budget.requestsOverBudget++;
      return reject(request, response, 413, `receiver full: ${budget.bytesHeld} bytes of spans held (budget ${maxHeldBytes}); save them and restart`);
    }
    // This request's share of the in-flight budget, given back when it is handled whatever the outcome.
    let reservedBytes = 0;
    const inFlight: ByteBudget = {
      reserve(bytes) {
        // A request alone is never refused (its own size is capped by maxBodyBytes): only others' bytes count against it.
        if (budget.bytesInFlight + bytes > maxInFlightBytes && budget.bytesInFlight - reservedBytes > 0) return false;
        budget.bytesInFlight += bytes;
        reservedBytes += bytes;
        return true;
      },
    };
    try {
      return await receive(request, response, isJson, inFlight);
    } finally {
      budget.bytesInFlight -= reservedBytes;
    }
  };

  const receive = async (request: IncomingMessage, response: ServerResponse, isJson: boolean, inFlight: ByteBudget): Promise<void> => {
    let spans: Span[];
    let heldBytes = 0;
    // Bad spans (ids, times) are skipped and counted: the good ones are kept (OTLP partial success), since
    // exporters do not retry a 400 and one bad span would otherwise lose the whole batch.
    const decodeReport = newDecodeReport();
    try {
      const raw = await readBody(request, maxBodyBytes, inFlight);
      const body = await decompress(raw, (request.headers['content-encoding'] ?? '').trim().toLowerCase(), maxBodyBytes);
      if (body !== raw && !inFlight.reserve(body.length)) throw new HttpError(429, 'receiver busy: too many request bytes in flight, retry later');
      heldBytes = body.length;
      if (budget.bytesHeld + heldBytes > maxHeldBytes) throw new HttpError(413, `receiver full: ${budget.bytesHeld} bytes of spans held, this body of ${heldBytes} bytes would exceed the budget of ${maxHeldBytes}`);
      spans = isJson ? decodeOtlpJson(body.toString('utf8'), 'request body', decodeReport) : decodeOtlpProtobuf(body, 'request body', decodeReport);
      if (spans.length === 0 && decodeReport.rejectedSpans > 0) throw new HttpError(400, describeRejections(decodeReport));
    } catch (error) {
      if (error instanceof HttpError) {
        if (error.status === 429 || error.message.startsWith('receiver full')) budget.requestsOverBudget++;
        return reject(request, response, error.status, error.message);
      }
      if (isPerfloopError(error)) return reject(request, response, 400, error.message);
      return reject(request, response, 400, error instanceof Error ? error.message : String(error));
    }
    stats.requestsAccepted++;
    stats.spansReceived += spans.length;
    const room = Math.max(0, maxSpans - stored.length);
    const kept = Math.min(room, spans.length);
    for (let index = 0; index < kept; index++) stored.push(spans[index]!);
    if (kept > 0) budget.bytesHeld += spans.length === 0 ? 0 : Math.ceil((heldBytes * kept) / spans.length);
    const dropped = spans.length - kept;
    stats.spansDropped += dropped;
    stats.spansRejected += decodeReport.rejectedSpans;
    const rejected = dropped + decodeReport.rejectedSpans;
    const reasons = [...(decodeReport.rejectedSpans > 0 ? [describeRejections(decodeReport)] : []), ...(dropped > 0 ? [`span limit of ${maxSpans} reached`] : [])];
    const partialSuccess = rejected > 0 ? { rejectedSpans: rejected, errorMessage: reasons.join('; ') } : undefined;
    if (isJson) {
      reply(response, 200, 'application/json', JSON.stringify(partialSuccess ? { partialSuccess: { ...partialSuccess, rejectedSpans: String(rejected) } } : {}));
    } else {
      const message = exportTraceServiceResponseType.fromObject(partialSuccess ? { partialSuccess } : {});
      reply(response, 200, 'application/x-protobuf', exportTraceServiceResponseType.encode(message).finish());
    }
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      // Defensive: handle() maps every expected failure itself; anything else is still a 500, never a crash.
      stats.requestsRejected++;
      reply(response, 500, 'application/json', JSON.stringify({ code: 500, message: error instanceof Error ? error.message : String(error) }));
    });
  });
  server.on('clientError', (_error, socket) => {
    stats.requestsRejected++;
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 4318, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    spans: () => stored,
    stats: () => ({ ...stats }),
    budgetStats: () => ({ ...budget }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
