/**
 * Applies culprit switches to a running cluster: proxy delays, cgroup limits (v1 or v2, leader-cgroup.ts), CPU
 * neighbours, periodic stalls at runtime; GOGC, strace fsync injection and the WAL on tmpfs by restarting the leader (leadership is moved back).
 * Every switch reports whether it is available here and, if not, why.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { blockDeviceOf, cgroupUnavailable, LeaderCgroups } from './leader-cgroup.js';
import { straceInstalled, type EtcdCluster, type MemberLaunch } from './etcd-cluster.js';
import { NO_CULPRITS, type KvCulprits } from '../../src/lab-control/kv-culprits.js';

export type FsyncMode = 'blkio' | 'strace';

/** A switch asked for that cannot work on this machine (the user's choice, not a lab failure). */
export class UnavailableCulpritError extends Error {}

/** Switch name → why it cannot be used here (absent = available). */
export type Unavailable = Record<string, string>;

export interface CulpritAvailability {
  fsyncMode: FsyncMode | undefined;
  /** major:minor of the data dir's disk (the blkio throttle's target). */
  blockDevice: string | undefined;
  unavailable: Unavailable;
}

/** What this machine allows (root, cgroup v1 or v2 controllers, the data dir's block device, strace, taskset). */
export function culpritAvailability(dataRoot: string, preferredFsyncMode?: FsyncMode, host: { cgroupRoot?: string; isRoot?: boolean } = {}): CulpritAvailability {
  const unavailable: Unavailable = {};
  const cpu = cgroupUnavailable('cpu', host.cgroupRoot, host.isRoot);
  if (cpu) unavailable.throttle = cpu;
  const blkio = cgroupUnavailable('write-iops', host.cgroupRoot, host.isRoot) ?? (preferredFsyncMode === 'strace' ? 'strace asked for' : undefined);
  const blockDevice = blockDeviceOf(dataRoot);
  let fsyncMode: FsyncMode | undefined;
  if (!blkio && blockDevice) fsyncMode = 'blkio';
  else if (preferredFsyncMode === 'blkio') unavailable.fsync = `blkio asked for: ${blkio ?? `${dataRoot} is not on a block device`}`;
  else if (straceInstalled()) fsyncMode = 'strace';
  else unavailable.fsync = `blkio: ${blkio ?? `${dataRoot} is not on a block device`}; and strace is not installed`;
  if (spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status !== 0) unavailable.cpu = 'taskset (util-linux) is not installed';
  else if (availableParallelism() < 2) unavailable.cpu = 'one CPU only: pinning the leader cannot separate it from anything';
  return { fsyncMode, blockDevice, unavailable };
}

/** Throws UnavailableCulpritError naming the first switch in `desired` that cannot work here. */
export function checkAvailable(desired: KvCulprits, unavailable: Unavailable): void {
  for (const [name, on] of [
    ['throttle', desired.leaderCpuQuotaPercent > 0],
    ['fsync', desired.fsyncDelayMs > 0],
    ['cpu', desired.leaderCpuHogs > 0],
  ] as const) {
    const why = unavailable[name];
    if (on && why) throw new UnavailableCulpritError(`${name} is unavailable here: ${why}`);
  }
}

export class CulpritController {
  private current: KvCulprits = { ...NO_CULPRITS };
  private readonly cgroups = new LeaderCgroups();
  private hogs: ChildProcess[] = [];
  private pinnedPid = 0;
  private stallTimer: NodeJS.Timeout | undefined;
  private stallResume: NodeJS.Timeout | undefined;
  readonly fsyncMode: FsyncMode | undefined;
  readonly unavailable: Unavailable;
  private readonly blockDevice: string | undefined;

  constructor(
    private readonly cluster: EtcdCluster,
    preferredFsyncMode?: FsyncMode,
  ) {
    ({ fsyncMode: this.fsyncMode, blockDevice: this.blockDevice, unavailable: this.unavailable } = culpritAvailability(cluster.baseDir, preferredFsyncMode));
  }

  culprits(): KvCulprits {
    return { ...this.current };
  }

  /** Brings the cluster to `desired`; throws naming the switch when one is unavailable. */
  async apply(desired: KvCulprits): Promise<void> {
    checkAvailable(desired, this.unavailable);
    const leader = this.cluster.leader;
    const launch: MemberLaunch = {
      env: desired.leaderGogc > 0 ? { GOGC: String(desired.leaderGogc) } : {},
      fsyncDelayUs: this.fsyncMode === 'strace' ? Math.round(desired.fsyncDelayMs * 1000) : 0,
      walOnTmpfs: desired.walTmpfs,
    };
    const restart =
      launch.env.GOGC !== leader.launch.env.GOGC || launch.fsyncDelayUs !== leader.launch.fsyncDelayUs || launch.walOnTmpfs !== leader.launch.walOnTmpfs;
    if (restart) {
      this.stopStalls();
      await this.cluster.restartMember(this.cluster.leaderIndex, launch);
    }
    const pid = this.cluster.leader.pid;

    // Network: all proxies, then the slow follower's on top (the member after the leader).
    const slowFollower = (this.cluster.leaderIndex + 1) % this.cluster.members.length;
    for (const member of this.cluster.members) {
      member.proxy.setDelayMs(member.index === slowFollower ? Math.max(desired.networkDelayMs, desired.slowFollowerDelayMs) : desired.networkDelayMs);
    }

    const cpuPercent = this.unavailable.throttle ? 0 : desired.leaderCpuQuotaPercent;
    const writeIops = this.fsyncMode === 'blkio' && this.blockDevice && desired.fsyncDelayMs > 0 ? Math.max(1, Math.round(1000 / desired.fsyncDelayMs)) : 0;
    const wasLimited = this.current.leaderCpuQuotaPercent > 0 || (this.fsyncMode === 'blkio' && this.current.fsyncDelayMs > 0);
    if (cpuPercent > 0 || writeIops > 0 || wasLimited || restart) {
      this.cgroups.apply({ cpuPercent, writeIops, ...(this.blockDevice ? { device: this.blockDevice } : {}) }, pid);
    }

    this.setHogs(desired.leaderCpuHogs, pid);
    this.current = { ...desired };
    this.setStalls();
  }

  private setHogs(count: number, leaderPid: number): void {
    while (this.hogs.length > count) this.hogs.pop()?.kill('SIGKILL');
    while (this.hogs.length < count) {
      // pdeathsig: a neighbour never outlives the lab.
      const hog = spawn('setpriv', ['--pdeathsig', 'SIGKILL', '--', 'taskset', '-c', '0', process.execPath, '-e', 'for(;;){}'], { stdio: 'ignore' });
      hog.on('error', () => undefined);
      this.hogs.push(hog);
    }
    const cpus = `0-${availableParallelism() - 1}`;
    if (count > 0 && this.pinnedPid !== leaderPid) {
      spawnSync('taskset', ['-a', '-p', '-c', '0', String(leaderPid)], { stdio: 'ignore' });
      this.pinnedPid = leaderPid;
    } else if (count === 0 && this.pinnedPid !== 0) {
      spawnSync('taskset', ['-a', '-p', '-c', cpus, String(this.pinnedPid)], { stdio: 'ignore' });
      this.pinnedPid = 0;
    }
  }

  private setStalls(): void {
    this.stopStalls();
    const { leaderStallMs, stallEveryMs } = this.current;
    if (leaderStallMs <= 0) return;
    this.stallTimer = setInterval(() => {
      const pid = this.cluster.leader.pid;
      try {
        process.kill(pid, 'SIGSTOP');
      } catch {
        return;
      }
      this.stallResume = setTimeout(() => resume(pid), Math.min(leaderStallMs, stallEveryMs - 10));
    }, Math.max(stallEveryMs, leaderStallMs + 50));
  }

  private stopStalls(): void {
    if (this.stallTimer) clearInterval(this.stallTimer);
    if (this.stallResume) clearTimeout(this.stallResume);
    this.stallTimer = undefined;
    this.stallResume = undefined;
    for (const member of this.cluster.members) resume(member.pid);
  }

  /** Undoes everything that outlives a cluster stop: stalls, neighbours, cgroups. */
  shutdown(): void {
    this.stopStalls();
    for (const hog of this.hogs) hog.kill('SIGKILL');
    this.hogs = [];
    try {
      this.cgroups.clear();
    } catch {
      // Reported by the sweep on the next start.
    }
  }
}

function resume(pid: number): void {
  try {
    process.kill(pid, 'SIGCONT');
  } catch {
    // Gone.
  }
}
