/**
 * The lean HTTP/1.1 transport (edge): plain `net`/`tls` sockets, one request at a time per connection, the
 * request head assembled from pre-built parts, responses parsed by http-parser-js (the parser autocannon
 * uses). Per request it allocates the head string and one result; no promise, no timer, no closure.
 * `bench/transport.ts` measures it against undici's `dispatch` (http-transport.ts) on the same target.
 */
import net from 'node:net';
import tls from 'node:tls';
import { HTTPParser, type HeaderInfo } from 'http-parser-js';
import type { Clock } from '../core/clock.js';
import type { ErrorKind } from '../core/run-file.js';
import { errorKindOf } from './error-kind.js';
import type { RequestSender, SendDone, TransportOptions } from './request-sender.js';
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
  private readonly parser = new HTTPParser(HTTPParser.RESPONSE);
  private connected = false;
  private keepAlive = true;
  // The request in flight (slot < 0: none).
  private slot = -1;
  private done: SendDone | undefined;
  private sentUs = 0;
  private written = false;
  private status = 0;
  private bytesReceived = 0;
  private bodyless = false;
  deadlineUs = Infinity;

  constructor(private readonly pool: OriginPool) {
    const { host, port, secure } = pool;
    this.socket = secure ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host }) : net.connect({ host, port });
    this.socket.setNoDelay(true);
    this.socket.on(secure ? 'secureConnect' : 'connect', () => this.onConnect());
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (error) => this.fail(errorKindOf(error)));
    this.socket.on('close', () => this.onClose());
    this.parser[HTTPParser.kOnHeadersComplete] = (info: HeaderInfo) => {
      this.status = info.statusCode;
      this.keepAlive = info.shouldKeepAlive;
      // 1 tells the parser the response has no body (a HEAD request's).
      return this.bodyless ? 1 : 0;
    };
    this.parser[HTTPParser.kOnBody] = (_chunk: Buffer, _offset: number, length: number) => {
      this.bytesReceived += length;
    };
    this.parser[HTTPParser.kOnMessageComplete] = () => this.complete();
  }

  get busy(): boolean {
    return this.slot >= 0;
  }

  start(slot: number, request: PreparedRequest, traceparent: string, path: string, done: SendDone): void {
    const clock = this.pool.transport.clock;
    this.slot = slot;
    this.done = done;
    this.status = 0;
    this.bytesReceived = 0;
    this.written = false;
    this.bodyless = request.bodyless;
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

  private onData(chunk: Buffer): void {
    if (this.slot < 0) {
      // Bytes with no request in flight: the server broke the protocol; this connection is not reusable.
      this.socket.destroy();
      return;
    }
    const parsed = this.parser.execute(chunk);
    if (parsed instanceof Error) this.fail('bad_response');
  }

  private complete(): void {
    const { slot, done } = this;
    if (slot < 0 || !done) return;
    const result = { sentUs: this.sentUs, written: true, endUs: this.pool.transport.clock.nowUs(), status: this.status, bytesReceived: this.bytesReceived };
    this.clear();
    if (this.keepAlive && !this.pool.transport.closing) this.pool.release(this);
    else this.socket.destroy();
    done(slot, result);
  }

  /** Ends the request in flight with an error; the connection is not reused. */
  fail(error: ErrorKind): void {
    const { slot, done } = this;
    this.socket.destroy();
    if (slot < 0 || !done) return;
    const result = { sentUs: this.sentUs, written: this.written, endUs: this.pool.transport.clock.nowUs(), status: this.status, bytesReceived: this.bytesReceived, error };
    this.clear();
    done(slot, result);
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
      if (this.parser.finish() === undefined && this.slot < 0) {
        this.pool.closed(this);
        return;
      }
      this.fail(this.written ? 'reset' : 'refused');
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

/** Parses a canned response `times` times with the same parser setup as a connection: warms its code before a run. */
export function rehearseResponseParsing(times: number): void {
  const parser = new HTTPParser(HTTPParser.RESPONSE);
  let bytes = 0;
  parser[HTTPParser.kOnHeadersComplete] = (info: HeaderInfo) => (info.statusCode === 200 ? 0 : 1);
  parser[HTTPParser.kOnBody] = (_chunk: Buffer, _offset: number, length: number) => {
    bytes += length;
  };
  for (let n = 0; n < times; n++) parser.execute(CANNED_RESPONSE);
  if (bytes !== times * 5) throw new Error(`response parser rehearsal read ${bytes} body bytes`);
}
