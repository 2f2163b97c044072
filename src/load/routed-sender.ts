/**
 * Per-request transport selection: a scenario may mix HTTP requests and gRPC calls, each sent by its own
 * transport. A scenario of one kind gets that transport itself — no routing step on the HTTP hot path.
 * HTTP requests with templated bodies need the request number at send time, which the lean socket
 * transport's pre-built requests do not take: such scenarios send all their HTTP through undici, so the
 * requests of one mix are measured by one client.
 */
import type { Clock } from '../core/clock.js';
import type { RequestSender, SendDone, TransportOptions } from './request-sender.js';
import type { Scenario } from './scenario.js';
import { SocketTransport } from './socket-transport.js';
import type { TransportKind } from './worker-protocol.js';

interface Route {
  sender: RequestSender;
  /** The request's index among the requests its sender was built with. */
  index: number;
}

/** Sends each request through the transport built for its kind, renumbered into that transport's requests. */
export class RoutedSender implements RequestSender {
  constructor(
    private readonly routes: readonly Route[],
    private readonly senders: readonly RequestSender[],
  ) {}

  send(slot: number, requestIndex: number, traceparent: string, path: string | undefined, done: SendDone, requestNumber: number): void {
    const route = this.routes[requestIndex];
    if (!route) throw new RangeError(`no request ${requestIndex}`);
    route.sender.send(slot, route.index, traceparent, path, done, requestNumber);
  }

  async warm(): Promise<void> {
    await Promise.all(this.senders.map((sender) => sender.warm?.()));
  }

  async close(): Promise<void> {
    await Promise.all(this.senders.map((sender) => sender.close()));
  }
}

/** The HTTP client a scenario's HTTP requests use: the one asked for, unless a templated body needs undici. */
export const httpTransportFor = (scenario: Pick<Scenario, 'requests'>, asked: TransportKind): TransportKind =>
  asked === 'undici' || scenario.requests.some((request) => !request.grpc && request.bodyTemplate !== undefined) ? 'undici' : 'socket';

/** Builds the sender for a scenario; undici and @grpc/grpc-js load only when the scenario needs them. */
export async function senderForScenario(scenario: Scenario, asked: TransportKind, options: TransportOptions, clock: Clock): Promise<RequestSender> {
  const http = scenario.requests.filter((request) => !request.grpc);
  const grpc = scenario.requests.filter((request) => request.grpc);
  const httpSender = async (): Promise<RequestSender> =>
    httpTransportFor(scenario, asked) === 'undici' ? new (await import('./http-transport.js')).HttpTransport(http, options, clock, scenario.seed) : new SocketTransport(http, options, clock);
  if (grpc.length === 0) return httpSender();
  const grpcSender = new (await import('./grpc-transport.js')).GrpcTransport(grpc, clock, scenario.seed);
  if (http.length === 0) return grpcSender;
  const httpOne = await httpSender();
  let httpIndex = 0;
  let grpcIndex = 0;
  const routes = scenario.requests.map((request) => (request.grpc ? { sender: grpcSender, index: grpcIndex++ } : { sender: httpOne, index: httpIndex++ }));
  return new RoutedSender(routes, [httpOne, grpcSender]);
}
