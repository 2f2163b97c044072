/**
 * A TCP delay proxy for the kv lab's network culprit: the kernel here has no netem, so every member's peer
 * traffic goes through one of these (members advertise the proxy's port). Each chunk is forwarded `delayMs`
 * after it arrived, in order, in both directions; the delay can change at runtime and applies to chunks
 * arriving from then on.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface DelayProxy {
  port: number;
  /** The current one-way delay in milliseconds. */
  delayMs(): number;
  setDelayMs(delayMs: number): void;
  close(): Promise<void>;
}

interface Pending {
  chunk: Buffer;
  dueMs: number;
}

/** Forwards from `from` to `to` with the proxy's delay, keeping order even when the delay shrinks. */
function pipeDelayed(from: Socket, to: Socket, delayMs: () => number): void {
  const queue: Pending[] = [];
  let timer: NodeJS.Timeout | undefined;
  let lastDueMs = 0;
  let ended = false;

  const flush = (): void => {
    timer = undefined;
    const now = performance.now();
    while (queue.length > 0 && (queue[0]?.dueMs ?? Infinity) <= now + 0.5) {
      const next = queue.shift();
      if (next && !to.destroyed) to.write(next.chunk);
    }
    if (queue.length > 0) schedule();
    else if (ended && !to.destroyed) to.end();
  };
  const schedule = (): void => {
    if (timer || queue.length === 0) return;
    const waitMs = Math.max(0, (queue[0]?.dueMs ?? 0) - performance.now());
    timer = setTimeout(flush, waitMs);
  };

  from.on('data', (chunk: Buffer) => {
    const delay = delayMs();
    if (delay <= 0 && queue.length === 0) {
      to.write(chunk);
      return;
    }
    // Never earlier than the chunk before it: TCP is a byte stream, reordering would corrupt it.
    lastDueMs = Math.max(lastDueMs, performance.now() + delay);
    queue.push({ chunk, dueMs: lastDueMs });
    schedule();
  });
  from.on('end', () => {
    ended = true;
    if (queue.length === 0 && !to.destroyed) to.end();
  });
}

/** Starts a proxy on 127.0.0.1 (port 0 = any free port) forwarding to 127.0.0.1:`targetPort`. */
export async function startDelayProxy(targetPort: number, port = 0, initialDelayMs = 0): Promise<DelayProxy> {
  let delay = initialDelayMs;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    for (const socket of [client, upstream]) {
      socket.setNoDelay(true);
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    }
    // A reset on either side closes both: the members reconnect on their own.
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    pipeDelayed(client, upstream, () => delay);
    pipeDelayed(upstream, client, () => delay);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port }, () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('delay proxy: no TCP address');
  return {
    port: address.port,
    delayMs: () => delay,
    setDelayMs(delayMs) {
      if (!Number.isFinite(delayMs) || delayMs < 0) throw new RangeError(`delay must be ≥ 0 ms, got ${delayMs}`);
      delay = delayMs;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
