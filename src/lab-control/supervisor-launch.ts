/**
 * Starting and stopping a lab's supervisor process — one mechanism for the service lab and the kv lab: fork it
 * with its JSON config in the environment, wait for its first message (ready, or an error naming what to
 * change), and on any failure stop it and wait, so a failed start leaves nothing running.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { badInput, PerfloopError } from '../core/errors.js';

/** How long a supervisor may take to stop its services before it is killed. */
export const LAB_STOP_TIMEOUT_MS = 20_000;

/** What a supervisor sends when it cannot start; `field` names the option to change. */
interface StartError {
  type: 'error';
  message: string;
  field?: string;
}

export interface SupervisorLaunch {
  /** The supervisor script (a compiled lab/ entry). */
  entry: string;
  /** The environment variable that carries `config` as JSON. */
  configVariable: string;
  config: unknown;
  /** The lab's name in messages ("lab", "kv lab"). */
  name: string;
  detached: boolean;
  /** Appends the supervisor's output here (else inherited, or ignored when detached). */
  logFile?: string;
  startTimeoutMs: number;
  /** How a bad-input `field` is named to the user (a flag, an environment variable). */
  fieldName: (field: string) => string;
}

export interface LaunchedSupervisor<Ready> {
  ready: Ready;
  /** Stops the supervisor (its services die with it) and resolves once it has exited; idempotent. */
  stop(): Promise<void>;
}

export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive but not ours.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Stops a lab by its supervisor pid (e.g. from a state file); resolves once it has exited. */
export async function stopLabProcess(supervisorPid: number, timeoutMs = LAB_STOP_TIMEOUT_MS): Promise<void> {
  if (!isProcessAlive(supervisorPid)) return;
  process.kill(supervisorPid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (isProcessAlive(supervisorPid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  if (isProcessAlive(supervisorPid)) process.kill(supervisorPid, 'SIGKILL');
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Forks the supervisor and resolves with its ready message; rejects (after stopping it) with what went wrong. */
export async function launchSupervisor<Ready extends { type: string }>(launch: SupervisorLaunch): Promise<LaunchedSupervisor<Ready>> {
  const logFd = launch.logFile ? openSync(launch.logFile, 'a') : undefined;
  const output = logFd ?? (launch.detached ? 'ignore' : 'inherit');
  const child = fork(launch.entry, [], {
    env: { ...process.env, [launch.configVariable]: JSON.stringify(launch.config) },
    stdio: ['ignore', output, output, 'ipc'],
    detached: launch.detached,
  });
  if (logFd !== undefined) closeSync(logFd);

  const message = await new Promise<Ready | StartError>((resolve) => {
    const timer = setTimeout(() => resolve({ type: 'error', message: `${launch.name} did not start within ${launch.startTimeoutMs / 1000} s` }), launch.startTimeoutMs);
    child.once('message', (received: Ready | StartError) => {
      clearTimeout(timer);
      resolve(received);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ type: 'error', message: `${launch.name} supervisor exited during start (${signal ?? `code ${code}`})` });
    });
  });
  if (isStartError(message)) {
    // The supervisor stops its services before exiting; wait for it so nothing is left running.
    child.kill('SIGTERM');
    await waitForExit(child, LAB_STOP_TIMEOUT_MS);
    throw message.field ? badInput(launch.fieldName(message.field), message.message) : new PerfloopError('LAB', `${launch.name}: ${message.message}`);
  }
  if (launch.detached) {
    if (child.connected) child.disconnect();
    child.unref();
  }
  let stopped: Promise<void> | undefined;
  return {
    ready: message,
    stop() {
      stopped ??= launch.detached ? stopLabProcess(child.pid ?? 0, LAB_STOP_TIMEOUT_MS) : (child.kill('SIGTERM'), waitForExit(child, LAB_STOP_TIMEOUT_MS));
      return stopped;
    },
  };
}

function isStartError(message: { type: string }): message is StartError {
  return message.type === 'error';
}
