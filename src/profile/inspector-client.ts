/**
 * A minimal Chrome DevTools Protocol client for a remote Node inspector (edge): finds the target's WebSocket URL
 * through `/json/list` and sends commands over the `ws` package (Node 20 has no global WebSocket client).
 * `node:inspector` only profiles the current process, so it cannot serve here.
 */
import WebSocket from 'ws';

export interface InspectorSession {
  send<T>(method: string, params?: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

export async function openInspectorSession(host: string, port: number, timeoutMs = 5000): Promise<InspectorSession> {
  const listResponse = await fetch(`http://${host.includes(':') ? `[${host}]` : host}:${port}/json/list`, { signal: AbortSignal.timeout(timeoutMs) });
  if (!listResponse.ok) throw new Error(`inspector /json/list answered HTTP ${listResponse.status}`);
  const targets = (await listResponse.json()) as { webSocketDebuggerUrl?: string }[];
  const url = targets.find((target) => target.webSocketDebuggerUrl)?.webSocketDebuggerUrl;
  if (!url) throw new Error('inspector lists no debuggable target');
  const socket = new WebSocket(url, { handshakeTimeout: timeoutMs, perMessageDeflate: false, maxPayload: 512 * 1024 * 1024 });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  let nextId = 1;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();
  socket.on('message', (data: WebSocket.RawData) => {
    const message = JSON.parse(data.toString()) as { id?: number; result?: unknown; error?: { message: string } };
    if (message.id === undefined) return;
    const entry = pending.get(message.id);
    if (!entry) return;
    pending.delete(message.id);
    clearTimeout(entry.timer);
    if (message.error) entry.reject(new Error(message.error.message));
    else entry.resolve(message.result);
  });
  const failAll = (error: Error): void => {
    for (const entry of pending.values()) {
      clearTimeout(entry.timer);
      entry.reject(error);
    }
    pending.clear();
  };
  socket.on('close', () => failAll(new Error('inspector connection closed')));
  socket.on('error', (error) => failAll(error));
  return {
    send<T>(method: string, params: Record<string, unknown> = {}, callTimeoutMs = 30_000): Promise<T> {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`inspector ${method} timed out`));
        }, callTimeoutMs);
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
        socket.send(JSON.stringify({ id, method, params }));
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (socket.readyState === WebSocket.CLOSED) return resolve();
        socket.once('close', () => resolve());
        socket.close();
        setTimeout(() => {
          socket.terminate();
          resolve();
        }, 1000).unref();
      }),
  };
}
