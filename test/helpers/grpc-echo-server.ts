/**
 * An in-test @grpc/grpc-js server for test/load/fixtures/echo.proto on a loopback port 0: each call waits the
 * request's `delay_ms`, then ends with its `code` (OK when 0, echoing the key). It records what it received.
 */
import { fileURLToPath } from 'node:url';
import { Server, ServerCredentials, type ServiceError, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import protobuf from 'protobufjs';

/** The fixture, in the source tree (tests run from dist/). */
export const ECHO_PROTO = fileURLToPath(new URL('../../../test/load/fixtures/echo.proto', import.meta.url));

export interface EchoRequest {
  key: Buffer;
  text: string;
  delay_ms: number;
  code: number;
  mode: number;
  inner: { tag: string }[];
  big: string;
  flag: boolean;
  value: Buffer;
}

export interface SeenCall {
  request: EchoRequest;
  traceparent: string;
  metadata: Record<string, string>;
}

export interface EchoServer {
  target: string;
  seen: SeenCall[];
  close(): Promise<void>;
}

export async function startEchoServer(): Promise<EchoServer> {
  const root = new protobuf.Root().loadSync(ECHO_PROTO, { keepCase: true });
  const requestType = root.lookupType('perfloop.test.SayRequest');
  const replyType = root.lookupType('perfloop.test.SayReply');
  const decode = (buffer: Buffer): EchoRequest =>
    requestType.toObject(requestType.decode(buffer), { defaults: true, longs: String, enums: Number, bytes: Buffer }) as EchoRequest;
  const encode = (reply: { echo: Buffer }): Buffer => Buffer.from(replyType.encode(replyType.fromObject(reply)).finish());
  const seen: SeenCall[] = [];
  const server = new Server();
  server.addService(
    {
      Say: {
        path: '/perfloop.test.Echo/Say',
        requestStream: false,
        responseStream: false,
        requestSerialize: (value: EchoRequest) => Buffer.from(requestType.encode(requestType.fromObject(value)).finish()),
        requestDeserialize: decode,
        responseSerialize: encode,
        responseDeserialize: (buffer: Buffer) => replyType.decode(buffer),
      },
    },
    {
      Say: (call: ServerUnaryCall<EchoRequest, { echo: Buffer }>, callback: sendUnaryData<{ echo: Buffer }>) => {
        const metadata = Object.fromEntries(Object.entries(call.metadata.getMap()).map(([key, value]) => [key, String(value)]));
        seen.push({ request: call.request, traceparent: metadata.traceparent ?? '', metadata });
        setTimeout(() => {
          if (call.request.code === 0) callback(null, { echo: call.request.key });
          else callback({ code: call.request.code, details: 'as asked' } as ServiceError);
        }, call.request.delay_ms);
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))));
  return {
    target: `127.0.0.1:${port}`,
    seen,
    close: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
}
