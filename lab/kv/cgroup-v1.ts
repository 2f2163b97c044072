/**
 * Minimal cgroup v1 handling for the kv lab's leader-targeted culprits (cpu quota, blkio write IOPS).
 * Groups are named `perfloop-kv-<supervisor pid>-<role>` so a later start can remove a crashed lab's groups.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KV_LAB_PREFIX } from './etcd-cluster.js';

const ROOT = '/sys/fs/cgroup';

export type Controller = 'cpu' | 'blkio';

/** Undefined when the controller can be used, else why not (shown by `lab kv status`). */
export function cgroupUnavailable(controller: Controller): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (cgroup v1 writes)';
  const marker = controller === 'cpu' ? 'cpu.cfs_quota_us' : 'blkio.throttle.write_iops_device';
  if (!existsSync(join(ROOT, controller, marker))) {
    return existsSync(join(ROOT, 'cgroup.controllers')) ? `cgroup v2 here (${controller === 'cpu' ? 'cpu.max' : 'io.max'} not implemented)` : `no cgroup v1 ${controller} controller at ${ROOT}/${controller}`;
  }
  return undefined;
}

export class CgroupV1 {
  readonly path: string;
  constructor(
    readonly controller: Controller,
    role: string,
  ) {
    this.path = join(ROOT, controller, `${KV_LAB_PREFIX}${process.pid}-${role}`);
  }

  ensure(): void {
    // mkdir on cgroupfs creates the control files.
    if (!existsSync(this.path)) mkdirSync(this.path);
  }

  write(file: string, value: string): void {
    writeFileSync(join(this.path, file), value);
  }

  read(file: string): string {
    return readFileSync(join(this.path, file), 'utf8');
  }

  /** Moves a whole process (all threads) into this group. */
  add(pid: number): void {
    this.ensure();
    this.write('cgroup.procs', String(pid));
  }

  /** Moves every process back to the root group and removes the group. */
  remove(): void {
    if (!existsSync(this.path)) return;
    for (const pid of this.read('cgroup.procs').split('\n').filter(Boolean)) {
      try {
        writeFileSync(join(ROOT, this.controller, 'cgroup.procs'), pid);
      } catch {
        // Exited meanwhile.
      }
    }
    rmdirSync(this.path);
  }
}

/** Removes groups of labs whose supervisor is gone (their processes died with it; empty groups remain). */
export function sweepStaleCgroups(): string[] {
  const removed: string[] = [];
  for (const controller of ['cpu', 'blkio'] as const) {
    const dir = join(ROOT, controller);
    if (!existsSync(dir)) continue;
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
