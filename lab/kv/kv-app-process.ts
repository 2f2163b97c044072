/**
 * The kv app tier as a child process of the kv supervisor: fork, wait for its URL, switch its mode with an
 * acknowledged IPC message (a block must not start before the mode it measures is on), stop it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { KvAppMode } from './kv-app.js';
import type { KvAppFromParent, KvAppToParent } from './kv-app-main.js';

const ENTRY = fileURLToPath(new URL('./kv-app-main.js', import.meta.url));
const START_TIMEOUT_MS = 15_000;

export interface KvAppProcess {
  url: string;
  pid: number;
  setMode(mode: KvAppMode): Promise<void>;
  stop(): Promise<void>;
  /** Called when the app exits on its own (a crash). */
  onExit: (() => void) | undefined;
}

export async function startKvAppProcess(leaderUrl: string, mode: KvAppMode): Promise<KvAppProcess> {
  const child: ChildProcess = fork(ENTRY, [], { env: { ...process.env, KV_APP_CONFIG: JSON.stringify({ leaderUrl, mode }) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let stopping = false;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the app tier did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    child.once('message', (message: KvAppToParent) => {
      clearTimeout(timer);
      if (message.type === 'ready') resolve(message.url);
      else reject(new Error(`the app tier said ${message.type} before ready`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the app tier exited during start (${signal ?? `code ${code}`})`));
    });
  }).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
  let seq = 0;
  const app: KvAppProcess = {
    url,
    pid: child.pid ?? 0,
    onExit: undefined,
    setMode(next) {
      seq += 1;
      const wanted = seq;
      return new Promise((resolve, reject) => {
        const onMessage = (message: KvAppToParent): void => {
          if (message.type === 'mode-set' && message.seq === wanted) {
            child.off('message', onMessage);
            resolve();
          }
        };
        child.on('message', onMessage);
        const request: KvAppFromParent = { type: 'mode', seq: wanted, mode: next };
        if (!child.connected) return reject(new Error('the app tier is gone'));
        child.send(request);
      });
    },
    stop() {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      return new Promise((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      });
    },
  };
  child.on('exit', () => {
    if (!stopping) app.onExit?.();
  });
  return app;
}
