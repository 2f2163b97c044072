/**
 * Entry of the kv app tier's own process (forked by the kv supervisor): its own event loop, so the app's work
 * never delays the supervisor's delay proxies (raft traffic), and its own pid for process signals. Config in
 * KV_APP_CONFIG; IPC: → `{ type: 'ready', url }`, ← `{ type: 'mode', seq, mode }` → `{ type: 'mode-set', seq }`.
 * Exits when its parent goes away (IPC disconnect) or on SIGTERM.
 */
import { startKvApp, type KvAppMode } from './kv-app.js';

export type KvAppToParent = { type: 'ready'; url: string } | { type: 'mode-set'; seq: number };
export type KvAppFromParent = { type: 'mode'; seq: number; mode: KvAppMode };

const config = JSON.parse(process.env.KV_APP_CONFIG ?? '{}') as { leaderUrl: string; mode: KvAppMode };
const app = await startKvApp(config.leaderUrl, config.mode);
const send = (message: KvAppToParent): void => {
  if (process.send && process.connected) process.send(message);
};
let closing = false;
const close = (): void => {
  if (closing) return;
  closing = true;
  void app.close().finally(() => process.exit(0));
};
process.on('message', (message: KvAppFromParent) => {
  if (message.type !== 'mode') return;
  app.setMode(message.mode);
  send({ type: 'mode-set', seq: message.seq });
});
process.on('disconnect', close);
process.on('SIGTERM', close);
process.on('SIGINT', close);
send({ type: 'ready', url: app.url });
