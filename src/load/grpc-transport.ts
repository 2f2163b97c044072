/**
 * The gRPC transport (edge): unary calls with @grpc/grpc-js over plaintext HTTP/2, messages encoded from the
 * scenario's template (grpc-method.ts). Timing follows the HTTP transports — the runner's intended start,
 * `sentUs` at dispatch (calls multiplex on open channels, so there is no connection queue to wait in) and
 * the end when the status arrives. The response is never decoded: its bytes are counted and dropped.
 * Outcomes: every call's status code is reported (`grpc N` in the run file); DEADLINE_EXCEEDED is a
 * `timeout`, UNAVAILABLE a `refused` (no connection) or `reset` (one dropped), other codes are checked
 * against the request's expected codes (`unexpected_status`).
 */
import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import type { Clock } from '../core/clock.js';
import type { ErrorKind } from '../core/run-file.js';
import { compileMessage, loadGrpcMethod, type CompiledMessage } from './grpc-method.js';
import type { RequestSender, SendDone } from './request-sender.js';
import type { RequestSpec } from './scenario.js';
import { templateVarOrder } from './url-template.js';

interface PreparedCall {
  clients: Client[];
  next: number;
  path: string;
  message: CompiledMessage;
  metadata: Metadata;
  timeoutMs: number;
}

const CHANNEL_OPTIONS = {
  // Each channel its own connection: without this, channels to one target share a subchannel (one socket).
  'grpc.use_local_subchannel_pool': 1,
  // A failure is measured, not hidden by a transparent retry.
  'grpc.enable_retries': 0,
  // Large values (a 512 KiB etcd Range) are load, not an error.
  'grpc.max_receive_message_length': -1,
  'grpc.max_send_message_length': -1,
};

const REHEARSALS = 500;

const passThrough = (buffer: Buffer): Buffer => buffer;

/** UNAVAILABLE before any connection (refused, unreachable) versus a connection lost under the call. */
const neverConnected = (details: string): boolean => /No connection established|ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|Name resolution failed/i.test(details);

/** The error kind of a non-OK status, or undefined when the status itself is the outcome. */
export function grpcErrorKind(code: number, details: string): ErrorKind | undefined {
  if (code === status.DEADLINE_EXCEEDED) return 'timeout';
  if (code === status.UNAVAILABLE) return neverConnected(details) ? 'refused' : 'reset';
  return undefined;
}

export class GrpcTransport implements RequestSender {
  private readonly channels = new Map<string, Client[]>();
  private readonly prepared: PreparedCall[];

  /** `requests` are the scenario's gRPC requests only; `seed` is the scenario's (templated messages). */
  constructor(
    requests: readonly RequestSpec[],
    private readonly clock: Clock,
    seed: number,
  ) {
    const wanted = new Map<string, number>();
    for (const request of requests) if (request.grpc) wanted.set(request.grpc.target, Math.max(wanted.get(request.grpc.target) ?? 0, request.grpc.channels));
    for (const [target, count] of wanted) {
      this.channels.set(
        target,
        Array.from({ length: count }, () => new Client(target, credentials.createInsecure(), CHANNEL_OPTIONS)),
      );
    }
    this.prepared = requests.map((request, index) => {
      const grpc = request.grpc;
      if (!grpc) throw new TypeError(`request ${index} (${request.name}) is not a gRPC request`);
      const method = loadGrpcMethod(grpc.proto, grpc.service, grpc.method, request.name);
      const metadata = new Metadata();
      for (const [key, value] of Object.entries(grpc.metadata)) metadata.set(key, value);
      return {
        clients: (this.channels.get(grpc.target) ?? []).slice(0, grpc.channels),
        next: 0,
        path: method.path,
        message: compileMessage(grpc.message, method.requestType, request.vars, templateVarOrder('', request.vars ?? {}), seed, `${request.name}.message`),
        metadata,
        timeoutMs: request.timeoutMs,
      };
    });
  }

  send(slot: number, requestIndex: number, traceparent: string, _path: string | undefined, done: SendDone, requestNumber: number): void {
    const call = this.prepared[requestIndex];
    if (!call) throw new RangeError(`no request ${requestIndex}`);
    const client = call.clients[call.next++ % call.clients.length];
    if (!client) throw new RangeError(`no channel for request ${requestIndex}`);
    const clock = this.clock;
    const metadata = call.metadata.clone();
    metadata.set('traceparent', traceparent);
    const sentUs = clock.nowUs();
    const payload = call.message.constant ?? call.message.encode(requestNumber);
    try {
      client.makeUnaryRequest(call.path, passThrough, passThrough, payload, metadata, { deadline: Date.now() + call.timeoutMs }, (error: ServiceError | null, response?: Buffer) => {
        const endUs = clock.nowUs();
        if (!error) {
          done(slot, { sentUs, written: true, endUs, status: 0, bytesReceived: response?.length ?? 0, grpcStatus: status.OK });
          return;
        }
        const kind = grpcErrorKind(error.code, error.details);
        done(slot, { sentUs, written: kind !== 'refused', endUs, status: 0, bytesReceived: 0, grpcStatus: error.code, ...(kind ? { error: kind } : {}) });
      });
    } catch {
      done(slot, { sentUs, written: false, endUs: clock.nowUs(), status: 0, bytesReceived: 0, error: 'other' });
    }
  }

  /**
   * Connects every channel before the schedule (bounded: a target that never answers is not waited for long)
   * and encodes each templated message a few hundred times, so its first compilations are not charged to
   * the first requests.
   */
  async warm(): Promise<void> {
    for (const call of this.prepared) if (!call.message.constant) for (let n = 0; n < REHEARSALS; n++) call.message.encode(n);
    const deadline = Date.now() + 2000;
    await Promise.all([...this.channels.values()].flat().map((client) => new Promise<void>((resolve) => client.waitForReady(deadline, () => resolve()))));
  }

  close(): Promise<void> {
    for (const client of [...this.channels.values()].flat()) client.close();
    this.channels.clear();
    return Promise.resolve();
  }
}
