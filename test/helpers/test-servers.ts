/** Real loopback servers with known behaviour, on port 0, for integration tests. */
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface Running {
  url: string;
  close(): Promise<void>;
}

async function listen(server: Server | TcpServer): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function closer(server: Server | TcpServer, sockets?: Set<Socket>): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      sockets?.forEach((socket) => socket.destroy());
      if ('closeAllConnections' in server) server.closeAllConnections();
      server.close(() => resolve());
    });
}

/** Serves every request after `delayMsFor(n)` ms, n being the request's arrival number (0-based). */
export async function delayServer(delayMsFor: (n: number) => number): Promise<Running & { count(): number; paths: string[] }> {
  let n = 0;
  const paths: string[] = [];
  const server = createServer((request, response) => {
    paths.push(request.url ?? '');
    const delayMs = delayMsFor(n++);
    setTimeout(() => response.end('ok'), delayMs);
  });
  return { url: await listen(server), close: closer(server), count: () => n, paths };
}

/** A TCP server that misbehaves on every connection: 'silent' never answers, 'reset' destroys, 'garbage' sends non-HTTP. */
export async function misbehavingServer(kind: 'silent' | 'reset' | 'garbage'): Promise<Running> {
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.once('data', () => {
      if (kind === 'reset') socket.resetAndDestroy();
      else if (kind === 'garbage') socket.end('NOT HTTP AT ALL\r\n\r\n');
    });
  });
  return { url: await listen(server), close: closer(server, sockets) };
}

/** A URL on which nothing listens (connection refused). */
export async function deadUrl(): Promise<string> {
  const server = createTcpServer();
  const url = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return url;
}
