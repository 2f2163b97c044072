/** What the kv lab supervisor and its parent exchange (IPC at start, JSON over the admin endpoint after). */
import type { KvCulprits } from '../../src/lab-control/kv-culprits.js';

export interface KvSupervisorConfig {
  /** Client port of the leader (member 0); 0 = any free port. */
  leaderClientPort: number;
  culprits: KvCulprits;
  /** Force the disk culprit's mechanism (default: blkio when root on cgroup v1 with a block device, else strace). */
  fsyncMode?: 'blkio' | 'strace';
  /** Keep running when the parent goes away (CLI background mode). */
  detached: boolean;
}

export interface KvMemberState {
  name: string;
  role: 'leader' | 'follower';
  pid: number;
  idHex: string;
  clientUrl: string;
  /** Where the others reach it: the delay proxy in front of its peer port. */
  peerUrl: string;
  peerPort: number;
  proxyDelayMs: number;
  walDir: string | undefined;
  env: Record<string, string>;
}

export interface KvLabSnapshot {
  supervisorPid: number;
  adminUrl: string;
  /** The leader's client URL: where the JSON gateway's writes go. */
  leaderUrl: string;
  /** The app tier (lab/kv/kv-app.ts): PUT /kv/:key does a read-modify-write through the leader; /metrics. */
  appUrl: string;
  /** The app tier's own process. */
  appPid: number;
  baseDir: string;
  token: string;
  members: KvMemberState[];
  culprits: KvCulprits;
  fsyncMode: 'blkio' | 'strace' | undefined;
  /** Switch name → why it is unavailable here. */
  unavailable: Record<string, string>;
}

/** `field` names the user's input at fault (an unavailable culprit), making the failure bad input (exit 2). */
export type KvSupervisorMessage = { type: 'ready'; lab: KvLabSnapshot } | { type: 'error'; message: string; field?: string };
