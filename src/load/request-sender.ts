/**
 * The contract between the segment runner and a transport. The runner numbers each in-flight request by a
 * slot; the transport reports the slot back exactly once with the outcome, through the same `done` function
 * every time, so sending a request allocates no closure.
 */
import type { ErrorKind } from '../core/run-file.js';

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
  /** The call's gRPC status code (grpc-transport.ts only); counted as status `grpc N`, checked against the expected codes. */
  grpcStatus?: number;
}

export interface TransportOptions {
  /** Connections per origin. */
  connections: number;
  keepAlive: boolean;
}

/** `result` is valid during the call only: a transport may refill the same object for its next response. */
export type SendDone = (slot: number, result: SendResult) => void;

export interface RequestSender {
  /**
   * Sends request `requestIndex` of the scenario (to `path` when given: a rendered URL template) with this
   * `traceparent`; calls `done(slot, result)` exactly once. `requestNumber` picks the values of templated
   * bodies and messages (transports without templates ignore it).
   */
  send(slot: number, requestIndex: number, traceparent: string, path: string | undefined, done: SendDone, requestNumber: number): void;
  /** Requests handed over but still waiting for a connection (transports that queue them themselves). */
  waiting?(): number;
  /** Opens connections ahead of the schedule so connection set-up is not charged to the first requests. */
  warm?(): Promise<void>;
  close(): Promise<void>;
}
