/**
 * The kv lab's cgroup limits on the leader (CPU quota for the throttle culprit, write IOPS for the blkio form of
 * the fsync culprit), on cgroup v1 (`cpu.cfs_quota_us`, `blkio.throttle.write_iops_device`, one group per
 * controller) or v2 (`cpu.max`, `io.max`, one group: a v2 process is in exactly one group). Groups are named
 * `perfloop-kv-<supervisor pid>-leader` so a later start can remove a crashed lab's groups. The root directory is
 * a parameter so tests can check both layouts on a fake cgroup fs.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KV_LAB_PREFIX } from './etcd-cluster.js';

export const CGROUP_ROOT = '/sys/fs/cgroup';

/** The limits the lab sets: a CPU quota (throttle) and a write-IOPS cap on one block device (fsync). */
export type CgroupLimit = 'cpu' | 'write-iops';

/** 2 when `root` is a cgroup v2 (unified) mount, 1 when it holds v1 controller hierarchies, else undefined. */
export function cgroupVersion(root = CGROUP_ROOT): 1 | 2 | undefined {
  if (existsSync(join(root, 'cgroup.controllers'))) return 2;
  return existsSync(join(root, 'cpu')) || existsSync(join(root, 'blkio')) ? 1 : undefined;
}

const V1 = { cpu: { controller: 'cpu', marker: 'cpu.cfs_quota_us' }, 'write-iops': { controller: 'blkio', marker: 'blkio.throttle.write_iops_device' } } as const;
const V2 = { cpu: { controller: 'cpu', file: 'cpu.max' }, 'write-iops': { controller: 'io', file: 'io.max' } } as const;

/** Undefined when the limit can be set here, else why not (shown by `lab kv status` and the demo). */
export function cgroupUnavailable(limit: CgroupLimit, root = CGROUP_ROOT, isRoot = process.getuid?.() === 0): string | undefined {
  const version = cgroupVersion(root);
  if (version === undefined) return `no cgroup filesystem at ${root}`;
  if (!isRoot) return `needs root (writes under ${root})`;
  if (version === 2) {
    const { controller, file } = V2[limit];
    const available = readFileSync(join(root, 'cgroup.controllers'), 'utf8').trim().split(/\s+/).filter(Boolean);
    return available.includes(controller) ? undefined : `cgroup v2 without the ${controller} controller (${file}): ${join(root, 'cgroup.controllers')} lists ${available.join(' ') || 'none'}`;
  }
  const { controller, marker } = V1[limit];
  return existsSync(join(root, controller, marker)) ? undefined : `cgroup v1 without ${marker} at ${join(root, controller)}`;
}

export interface LeaderLimits {
  /** % of one CPU; 0 = no quota. */
  cpuPercent: number;
  /** Write IOPS cap on `device` (major:minor); 0 = none. */
  writeIops: number;
  device?: string;
}

const CPU_PERIOD_US = 100_000;

/** The leader's limits as groups; `apply` moves the pid in or (limits 0) back to the root group and removes them. */
export class LeaderCgroups {
  readonly version: 1 | 2 | undefined;
  private readonly name = `${KV_LAB_PREFIX}${process.pid}-leader`;

  constructor(
    private readonly root = CGROUP_ROOT,
    /** rmdir: on cgroupfs a group with only its control files is empty; a fake fs needs a recursive remove. */
    private readonly removeDir: (path: string) => void = rmdirSync,
  ) {
    this.version = cgroupVersion(root);
  }

  /** Directories of the groups, per limit. */
  private dir(limit: CgroupLimit): string {
    return this.version === 2 ? join(this.root, this.name) : join(this.root, V1[limit].controller, this.name);
  }

  apply(limits: LeaderLimits, pid: number): void {
    if (this.version === 2) return this.applyV2(limits, pid);
    this.set('cpu', limits.cpuPercent > 0, pid, (dir) => {
      writeFileSync(join(dir, 'cpu.cfs_period_us'), String(CPU_PERIOD_US));
      writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(Math.round((limits.cpuPercent / 100) * CPU_PERIOD_US)));
    });
    this.set('write-iops', limits.writeIops > 0 && limits.device !== undefined, pid, (dir) => {
      writeFileSync(join(dir, 'blkio.throttle.write_iops_device'), `${limits.device ?? ''} ${limits.writeIops}`);
    });
  }

  private applyV2(limits: LeaderLimits, pid: number): void {
    const dir = this.dir('cpu');
    const io = limits.writeIops > 0 && limits.device !== undefined;
    if (limits.cpuPercent <= 0 && !io) return this.removeGroup(dir, this.root);
    // Children get a controller only when the parent delegates it.
    writeFileSync(join(this.root, 'cgroup.subtree_control'), `${limits.cpuPercent > 0 ? '+cpu ' : ''}${io ? '+io' : ''}`.trim());
    if (!existsSync(dir)) mkdirSync(dir);
    if (limits.cpuPercent > 0 || existsSync(join(dir, 'cpu.max'))) {
      writeFileSync(join(dir, 'cpu.max'), `${limits.cpuPercent > 0 ? Math.round((limits.cpuPercent / 100) * CPU_PERIOD_US) : 'max'} ${CPU_PERIOD_US}`);
    }
    if (limits.device !== undefined && (io || existsSync(join(dir, 'io.max')))) writeFileSync(join(dir, 'io.max'), `${limits.device} wiops=${io ? limits.writeIops : 'max'}`);
    writeFileSync(join(dir, 'cgroup.procs'), String(pid));
  }

  private set(limit: CgroupLimit, on: boolean, pid: number, write: (dir: string) => void): void {
    const dir = this.dir(limit);
    if (!on) return this.removeGroup(dir, join(this.root, V1[limit].controller));
    if (!existsSync(dir)) mkdirSync(dir);
    write(dir);
    writeFileSync(join(dir, 'cgroup.procs'), String(pid));
  }

  /** Moves every process back to the hierarchy's root group and removes the group. */
  private removeGroup(dir: string, hierarchy: string): void {
    if (!existsSync(dir)) return;
    for (const pid of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
      try {
        writeFileSync(join(hierarchy, 'cgroup.procs'), pid);
      } catch {
        // Exited meanwhile.
      }
    }
    this.removeDir(dir);
  }

  /** Removes the groups whatever is in them (shutdown). */
  clear(): void {
    this.apply({ cpuPercent: 0, writeIops: 0 }, 0);
  }
}

/** Removes groups of labs whose supervisor is gone (their processes died with it; empty groups remain). */
export function sweepStaleCgroups(root = CGROUP_ROOT): string[] {
  const removed: string[] = [];
  const version = cgroupVersion(root);
  const dirs = version === 2 ? [root] : version === 1 ? [join(root, 'cpu'), join(root, 'blkio')] : [];
  for (const dir of dirs) {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      continue;
    }
    for (const entry of entries) {
      const match = new RegExp(`^${KV_LAB_PREFIX}(\\d+)-`).exec(entry);
      if (!match) continue;
      try {
        process.kill(Number(match[1]), 0);
        continue;
      } catch {
        // Supervisor gone.
      }
      try {
        rmdirSync(join(dir, entry));
        removed.push(join(dir, entry));
      } catch {
        // Not empty (a process still inside) or not ours to remove: leave it.
      }
    }
  }
  return removed;
}

/** major:minor of the block device holding `path`, if it is a real block device (not tmpfs/overlay). */
export function blockDeviceOf(path: string): string | undefined {
  const dev = statSync(path).dev;
  const major = Math.floor(dev / 256) & 0xfff;
  const minor = (dev & 0xff) | (Math.floor(dev / 4096) & ~0xff & 0xfff00);
  const id = `${major}:${minor}`;
  return major !== 0 && existsSync(`/sys/dev/block/${id}`) ? id : undefined;
}
