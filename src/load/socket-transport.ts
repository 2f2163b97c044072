/**
 * The lean HTTP/1.1 transport (edge): plain `net`/`tls` sockets, one request at a time per connection, the
 * request head assembled from pre-built parts, responses parsed in place (`response-parser.ts`) from one
 * read buffer shared by the thread's plain sockets (`onread`: no buffer and no stream event per read).
 * Per request it allocates the head string; no promise, no timer, no closure, no result object.
 * `bench/throughput-ceiling.ts` measures it against undici's `dispatch` (http-transport.ts) and peers.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { Clock } from '../core/clock.js';
import type { ErrorKind } from '../core/run-file.js';
import { errorKindOf } from './error-kind.js';
import type { RequestSender, SendDone, SendResult, TransportOptions } from './request-sender.js';
import { ParseStep, ResponseParser } from './response-parser.js';
import type { RequestSpec } from './scenario.js';
import { originPrefix } from './url-template.js';

interface PreparedRequest {
  pool: OriginPool;
  /** `METHOD ` */
  lineStart: string;
  path: string;
  /** ` HTTP/1.1` … headers … `traceparent: ` */
  headMiddle: string;
  body: Buffer | undefined;
  timeoutUs: number;
  /** HEAD responses carry a content-length but no body. */
  bodyless: boolean;
}

interface QueuedRequest {
  slot: number;
  request: PreparedRequest;
  traceparent: string;
  path: string;
  done: SendDone;
}

/** How often in-flight requests are checked against their timeout (a sweep instead of a timer each). */
const TIMEOUT_SWEEP_MS = 50;

/**
 * Every plain socket of this thread reads into this one buffer: a read is parsed before the next can
 * happen (all on this thread), and the parser copies the rare line that straddles two reads.
 */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

class OriginPool {
  readonly idle: Connection[] = [];
  readonly all = new Set<Connection>();
  private readonly queue: QueuedRequest[] = [];
  private queueHead = 0;

  constructor(
    readonly transport: SocketTransport,
    readonly host: string,
    readonly port: number,
    readonly secure: boolean,
    readonly maxConnections: number,
  ) {}

  enqueue(queued: QueuedRequest): void {
    this.queue.push(queued);
  }

  /** The oldest request waiting for a connection, if any. */
  dequeue(): QueuedRequest | undefined {
    if (this.queueHead >= this.queue.length) return undefined;
    const queued = this.queue[this.queueHead++];
    // Compact once the consumed prefix dominates, so a long overload does not keep dead entries.
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
    return queued;
  }

  get waiting(): number {
    return this.queue.length - this.queueHead;
  }

  open(): Connection {
    const connection = new Connection(this);
    this.all.add(connection);
    return connection;
  }

  /** A connection finished its request and may take the next one. */
  release(connection: Connection): void {
    const queued = this.dequeue();
    if (queued) connection.start(queued.slot, queued.request, queued.traceparent, queued.path, queued.done);
    else this.idle.push(connection);
  }

  /** A connection closed; a waiting request gets a new one in its place. */
  closed(connection: Connection): void {
    this.all.delete(connection);
    const idleIndex = this.idle.indexOf(connection);
    if (idleIndex >= 0) this.idle.splice(idleIndex, 1);
    if (this.transport.closing || this.waiting === 0 || this.all.size >= this.maxConnections) return;
    const queued = this.dequeue();
    if (queued) this.open().start(queued.slot, queued.request, queued.traceparent, queued.path, queued.done);
  }
}

class Connection {
  private readonly socket: net.Socket;
  private readonly parser = new ResponseParser();
  /** Handed to `done` for every response and refilled for the next: the runner reads it at once. */
  private readonly result: SendResult = { sentUs: 0, written: false, endUs: 0, status: 0, bytesReceived: 0 };
  private connected = false;
  // The request in flight (slot < 0: none).
  private slot = -1;
  private done: SendDone | undefined;
  private sentUs = 0;
  private written = false;
  deadlineUs = Infinity;

  constructor(private readonly pool: OriginPool) {
    const { host, port, secure } = pool;
    if (secure) {
      this.socket = tls.connect({ host, port, servername: net.isIP(host) ? undefined : host });
      this.socket.on('data', (chunk: Buffer) => this.onBytes(chunk, chunk.length));
    } else {
      this.socket = net.connect({ host, port, onread: { buffer: READ_BUFFER, callback: (length: number, buffer: Uint8Array) => this.onBytes(buffer as Buffer, length) } });
    }
    this.socket.setNoDelay(true);
    this.socket.on(secure ? 'secureConnect' : 'connect', () => this.onConnect());
    this.socket.on('error', (error) => this.fail(errorKindOf(error)));
    this.socket.on('close', () => this.onClose());
  }

  get busy(): boolean {
    return this.slot >= 0;
  }

  start(slot: number, request: PreparedRequest, traceparent: string, path: string, done: SendDone): void {
    const clock = this.pool.transport.clock;
    this.slot = slot;
    this.done = done;
    this.written = false;
    this.parser.reset(request.bodyless);
    this.sentUs = clock.nowUs();
    this.deadlineUs = this.sentUs + request.timeoutUs;
    if (this.connected) this.write(request, traceparent, path);
    else this.pending = { request, traceparent, path };
  }

  private pending: { request: PreparedRequest; traceparent: string; path: string } | undefined;

  private write(request: PreparedRequest, traceparent: string, path: string): void {
    this.sentUs = this.pool.transport.clock.nowUs();
    this.written = true;
    const head = `${request.lineStart}${path}${request.headMiddle}${traceparent}\r\n\r\n`;
    if (request.body) {
      this.socket.cork();
      this.socket.write(head);
      this.socket.write(request.body);
      this.socket.uncork();
    } else this.socket.write(head);
  }

  private onConnect(): void {
    this.connected = true;
    const pending = this.pending;
    this.pending = undefined;
    if (pending && this.slot >= 0) this.write(pending.request, pending.traceparent, pending.path);
    else if (this.slot < 0) this.pool.release(this);
  }

  /** Returns true: keep reading (the `onread` contract). */
  private onBytes(bytes: Buffer, length: number): boolean {
    if (this.slot < 0) {
      // Bytes with no request in flight: the server broke the protocol; this connection is not reusable.
      this.socket.destroy();
      return true;
    }
    const step = this.parser.execute(bytes, 0, length);
    if (step === ParseStep.Error) this.fail('bad_response');
    // Bytes beyond the response cannot be ours (requests are never pipelined): the connection is not reused.
    else if (step === ParseStep.Complete) this.complete(this.parser.keepAlive && this.parser.consumed === length);
    return true;
  }

  private complete(reusable: boolean): void {
    const { slot, done } = this;
    if (slot < 0 || !done) return;
    this.fillResult(true);
    this.clear();
    if (reusable && !this.pool.transport.closing) this.pool.release(this);
    else this.socket.destroy();
    done(slot, this.result);
  }

  /** Ends the request in flight with an error; the connection is not reused. */
  fail(error: ErrorKind): void {
    const { slot, done } = this;
    this.socket.destroy();
    if (slot < 0 || !done) return;
    this.fillResult(this.written, error);
    this.clear();
    done(slot, this.result);
  }

  private fillResult(written: boolean, error?: ErrorKind): void {
    const result = this.result;
    result.sentUs = this.sentUs;
    result.written = written;
    result.endUs = this.pool.transport.clock.nowUs();
    result.status = this.parser.status;
    result.bytesReceived = this.parser.bodyBytes;
    if (error) result.error = error;
    else delete result.error;
  }

  private clear(): void {
    this.slot = -1;
    this.done = undefined;
    this.pending = undefined;
    this.deadlineUs = Infinity;
  }

  private onClose(): void {
    if (this.slot >= 0) {
      // A body delimited by the end of the connection completes here; anything else was cut short.
      if (this.parser.finish()) this.complete(false);
      else this.fail(this.written ? 'reset' : 'refused');
    }
    this.pool.closed(this);
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Resolves once connected (or failed): for warming the pool before the schedule starts. */
  ready(): Promise<void> {
    if (this.connected) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once(this.pool.secure ? 'secureConnect' : 'connect', () => resolve());
      this.socket.once('close', () => resolve());
    });
  }
}

export class SocketTransport implements RequestSender {
  private readonly pools = new Map<string, OriginPool>();
  private readonly prepared: PreparedRequest[];
  private readonly sweep: NodeJS.Timeout;
  closing = false;

  constructor(
    requests: readonly RequestSpec[],
    options: TransportOptions,
    readonly clock: Clock,
  ) {
    this.prepared = requests.map((request) => {
      // A template's placeholders live in the path: parse the origin from a stand-in.
      const url = new URL(request.url.replace(/\{[A-Za-z_][A-Za-z0-9_]*\}/g, 'x'));
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`unsupported protocol ${url.protocol}`);
      const secure = url.protocol === 'https:';
      const port = Number(url.port) || (secure ? 443 : 80);
      const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
      let pool = this.pools.get(url.origin);
      if (!pool) this.pools.set(url.origin, (pool = new OriginPool(this, host, port, secure, options.connections)));
      const body = request.body === undefined ? undefined : Buffer.from(request.body);
      const headerNames = new Set(Object.keys(request.headers).map((name) => name.toLowerCase()));
      let headMiddle = ' HTTP/1.1\r\n';
      if (!headerNames.has('host')) headMiddle += `host: ${url.host}\r\n`;
      for (const [name, value] of Object.entries(request.headers)) headMiddle += `${name}: ${value}\r\n`;
      if (body && !headerNames.has('content-length')) headMiddle += `content-length: ${body.length}\r\n`;
      if (!options.keepAlive) headMiddle += 'connection: close\r\n';
      headMiddle += 'traceparent: ';
      return {
        pool,
        lineStart: `${request.method} `,
        path: request.url.slice(originPrefix(request.url).length) || '/',
        headMiddle,
        body,
        timeoutUs: request.timeoutMs * 1000,
        bodyless: request.method === 'HEAD',
      };
    });
    this.sweep = setInterval(() => this.expire(), TIMEOUT_SWEEP_MS).unref();
  }

  send(slot: number, requestIndex: number, traceparent: string, path: string | undefined, done: SendDone): void {
    const request = this.prepared[requestIndex];
    if (!request) throw new RangeError(`no request ${requestIndex}`);
    const pool = request.pool;
    const connection = pool.idle.pop() ?? (pool.all.size < pool.maxConnections ? pool.open() : undefined);
    if (connection) connection.start(slot, request, traceparent, path ?? request.path, done);
    else pool.enqueue({ slot, request, traceparent, path: path ?? request.path, done });
  }

  waiting(): number {
    let waiting = 0;
    for (const pool of this.pools.values()) waiting += pool.waiting;
    return waiting;
  }

  async warm(): Promise<void> {
    const opening: Promise<void>[] = [];
    for (const pool of this.pools.values()) {
      for (let count = pool.all.size; count < pool.maxConnections; count++) opening.push(pool.open().ready());
    }
    await Promise.all(opening);
  }

  private expire(): void {
    const nowUs = this.clock.nowUs();
    for (const pool of this.pools.values()) for (const connection of pool.all) if (connection.busy && connection.deadlineUs <= nowUs) connection.fail('timeout');
  }

  close(): Promise<void> {
    this.closing = true;
    clearInterval(this.sweep);
    for (const pool of this.pools.values()) for (const connection of pool.all) connection.destroy();
    return Promise.resolve();
  }
}

const CANNED_RESPONSE = Buffer.from('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 5\r\nconnection: keep-alive\r\n\r\nhello');

/** Parses a canned response `times` times with the parser a connection uses: warms its code before a run. */
export function rehearseResponseParsing(times: number): void {
  const parser = new ResponseParser();
  let bytes = 0;
  for (let n = 0; n < times; n++) {
    parser.reset(false);
    if (parser.execute(CANNED_RESPONSE, 0, CANNED_RESPONSE.length) === ParseStep.Complete) bytes += parser.bodyBytes;
  }
  if (bytes !== times * 5) throw new Error(`response parser rehearsal read ${bytes} body bytes`);
}
