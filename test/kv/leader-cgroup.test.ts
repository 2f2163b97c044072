/**
 * The leader's cgroup limits on fake cgroup filesystems (a temp dir laid out as v1 or v2): the files the throttle
 * and fsync switches write, their removal, and the "unavailable because…" of each switch without root, without a
 * controller, or without any cgroup fs. Pure file work: milliseconds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KV_LAB_PREFIX } from '../../lab/kv/etcd-cluster.js';
import { culpritAvailability } from '../../lab/kv/kv-culprit-switches.js';
import { cgroupUnavailable, cgroupVersion, LeaderCgroups } from '../../lab/kv/leader-cgroup.js';

const GROUP = `${KV_LAB_PREFIX}${process.pid}-leader`;
const removeTree = (path: string): void => rmSync(path, { recursive: true });
const read = (path: string): string => readFileSync(path, 'utf8');

function fakeV2(controllers: string): string {
  const root = mkdtempSync(join(tmpdir(), 'perfloop-fake-cgroup2-'));
  writeFileSync(join(root, 'cgroup.controllers'), `${controllers}\n`);
  writeFileSync(join(root, 'cgroup.subtree_control'), '');
  writeFileSync(join(root, 'cgroup.procs'), '');
  return root;
}

function fakeV1(): string {
  const root = mkdtempSync(join(tmpdir(), 'perfloop-fake-cgroup1-'));
  mkdirSync(join(root, 'cpu'));
  writeFileSync(join(root, 'cpu', 'cpu.cfs_quota_us'), '-1\n');
  writeFileSync(join(root, 'cpu', 'cgroup.procs'), '');
  mkdirSync(join(root, 'blkio'));
  writeFileSync(join(root, 'blkio', 'blkio.throttle.write_iops_device'), '');
  writeFileSync(join(root, 'blkio', 'cgroup.procs'), '');
  return root;
}

test('cgroup v2: cpu.max and io.max in one group, the controllers delegated; lifting a limit writes max; none left removes the group', (t) => {
  const root = fakeV2('cpuset cpu io memory pids');
  t.after(() => removeTree(root));
  assert.equal(cgroupVersion(root), 2);
  assert.equal(cgroupUnavailable('cpu', root, true), undefined);
  assert.equal(cgroupUnavailable('write-iops', root, true), undefined);
  const groups = new LeaderCgroups(root, removeTree);
  groups.apply({ cpuPercent: 10, writeIops: 100, device: '8:0' }, 4242);
  assert.equal(read(join(root, 'cgroup.subtree_control')), '+cpu +io');
  assert.equal(read(join(root, GROUP, 'cpu.max')), '10000 100000');
  assert.equal(read(join(root, GROUP, 'io.max')), '8:0 wiops=100');
  assert.equal(read(join(root, GROUP, 'cgroup.procs')), '4242');
  groups.apply({ cpuPercent: 0, writeIops: 100, device: '8:0' }, 4242);
  assert.equal(read(join(root, GROUP, 'cpu.max')), 'max 100000');
  assert.equal(read(join(root, GROUP, 'io.max')), '8:0 wiops=100');
  groups.apply({ cpuPercent: 0, writeIops: 0, device: '8:0' }, 4242);
  assert.equal(existsSync(join(root, GROUP)), false);
  assert.equal(read(join(root, 'cgroup.procs')), '4242', 'the leader went back to the root group');
});

test('cgroup v1: cfs quota in the cpu hierarchy, write IOPS in blkio; each removed when lifted', (t) => {
  const root = fakeV1();
  t.after(() => removeTree(root));
  assert.equal(cgroupVersion(root), 1);
  const groups = new LeaderCgroups(root, removeTree);
  groups.apply({ cpuPercent: 25, writeIops: 50, device: '259:0' }, 77);
  assert.equal(read(join(root, 'cpu', GROUP, 'cpu.cfs_quota_us')), '25000');
  assert.equal(read(join(root, 'cpu', GROUP, 'cpu.cfs_period_us')), '100000');
  assert.equal(read(join(root, 'blkio', GROUP, 'blkio.throttle.write_iops_device')), '259:0 50');
  groups.apply({ cpuPercent: 25, writeIops: 0, device: '259:0' }, 77);
  assert.equal(existsSync(join(root, 'blkio', GROUP)), false);
  assert.equal(read(join(root, 'blkio', 'cgroup.procs')), '77');
  groups.clear();
  assert.equal(existsSync(join(root, 'cpu', GROUP)), false);
});

test('each cgroup switch says why it is unavailable: no root, a missing v2 controller, no cgroup fs', (t) => {
  const v2 = fakeV2('memory pids');
  const v1 = fakeV1();
  t.after(() => {
    removeTree(v2);
    removeTree(v1);
  });
  assert.equal(cgroupUnavailable('cpu', v1, false), `needs root (writes under ${v1})`);
  assert.equal(cgroupUnavailable('cpu', v2, true), `cgroup v2 without the cpu controller (cpu.max): ${join(v2, 'cgroup.controllers')} lists memory pids`);
  assert.equal(cgroupUnavailable('write-iops', v2, true), `cgroup v2 without the io controller (io.max): ${join(v2, 'cgroup.controllers')} lists memory pids`);
  assert.equal(cgroupUnavailable('cpu', join(v2, 'nowhere'), true), `no cgroup filesystem at ${join(v2, 'nowhere')}`);
  // The lab's availability: throttle names the reason; fsync falls back to strace when it is installed, and
  // otherwise says both reasons.
  const availability = culpritAvailability(tmpdir(), undefined, { cgroupRoot: v2, isRoot: true });
  assert.equal(availability.unavailable.throttle, `cgroup v2 without the cpu controller (cpu.max): ${join(v2, 'cgroup.controllers')} lists memory pids`);
  if (availability.fsyncMode === 'strace') assert.equal(availability.unavailable.fsync, undefined);
  else assert.match(availability.unavailable.fsync ?? '', /^blkio: cgroup v2 without the io controller .*; and strace is not installed$/);
});
