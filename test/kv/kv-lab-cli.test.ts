/**
 * `perfloop lab kv` as a user runs it: bad culprit lists, a taken --port, a missing lab and (without root) a
 * cgroup switch are exit 2 naming the input; a background start records .perfloop/kv-lab.json,
 * `culprits stall=300` stalls the leader at runtime (a PUT waits out a 300 ms SIGSTOP), and stop leaves no
 * process, no state file and no temp dir.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { etcdInstalled } from '../../src/lab-control/kv-lab.js';
import { isProcessAlive } from '../../src/lab-control/supervisor-launch.js';
import { readKvLabState } from '../../src/lab-control/kv-lab-state-file.js';
import { CLI_PATH, runCli } from '../helpers/cli.js';
import { parseScenarioText } from '../../src/load/scenario.js';

const SKIP = etcdInstalled() ? false : 'etcd/etcdctl not installed (apt-get install etcd-server etcd-client)';

test('lab kv CLI: bad input is exit 2 naming it', async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'perfloop-kv-cli-test-'));
  try {
    const bad = await runCli(['lab', 'kv', 'start', '--culprits', 'netwrk=5'], { cwd });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--culprits: unknown culprit "netwrk"/);
    // A taken leader port is named before anything starts.
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const takenPort = (taken.address() as AddressInfo).port;
    const busy = await runCli(['lab', 'kv', 'start', '--port', String(takenPort)], { cwd });
    taken.close();
    assert.equal(busy.code, 2);
    assert.match(busy.stderr, new RegExp(`--port: 127.0.0.1:${takenPort} is in use`));
    const none = await runCli(['lab', 'kv', 'status'], { cwd });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no kv lab is running here/);
    assert.equal(existsSync(join(cwd, '.perfloop', 'kv-lab.json')), false);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});

// As root, run the CLI as `nobody` to see the unprivileged path; as another user, the test runs as is.
const AS_ROOT = process.getuid?.() === 0;
const NOBODY = ['--reuid=nobody', '--regid=nogroup', '--clear-groups'];
// A checkout `nobody` cannot read (e.g. under /root) cannot show the unprivileged path.
const UNPRIVILEGED_SKIP = SKIP || (AS_ROOT && spawnSync('setpriv', [...NOBODY, 'test', '-r', CLI_PATH]).status !== 0 ? 'user nobody cannot read the built CLI here' : false);

test('lab kv CLI: without root the cgroup switches are unavailable, said before any member starts (exit 2)', { skip: UNPRIVILEGED_SKIP }, async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'perfloop-kv-cli-test-'));
  chmodSync(cwd, 0o777);
  try {
    const args = ['lab', 'kv', 'start', '--port', '0', '--culprits', 'throttle=20'];
    const result = AS_ROOT
      ? await new Promise<{ code: number | null; stderr: string }>((resolve) => {
          const child = spawn('setpriv', [...NOBODY, process.execPath, CLI_PATH, ...args], { cwd, env: { ...process.env, HOME: cwd }, stdio: ['ignore', 'ignore', 'pipe'] });
          let stderr = '';
          child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
          child.on('close', (code) => resolve({ code, stderr }));
        })
      : await runCli(args, { cwd });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /--culprits: throttle is unavailable here: needs root/);
    assert.equal(existsSync(join(cwd, '.perfloop', 'kv-lab.json')), false);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});

test('lab kv CLI: background start, runtime stall culprit, status, stop', { skip: SKIP, timeout: 90_000 }, async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'perfloop-kv-cli-test-'));
  try {
    const started = await runCli(['lab', 'kv', 'start', '--port', '0'], { cwd });
    assert.equal(started.code, 0, started.stderr);
    const state = readKvLabState(join(cwd, '.perfloop', 'kv-lab.json'));
    assert.ok(state);
    assert.equal(state.members.length, 3);
    assert.equal(state.leaderUrl, state.members[0]?.clientUrl);
    assert.match(started.stdout, /kv0 leader/);
    assert.ok(isProcessAlive(state.supervisorPid));

    const stalled = await runCli(['lab', 'kv', 'culprits', 'stall=300'], { cwd });
    assert.equal(stalled.code, 0, stalled.stderr);
    assert.match(stalled.stdout, /culprits: stall=300/);
    // Sequential PUTs for 2.3 s cover one 2 s period: one of them waits out (part of) the 300 ms stop.
    let maxMs = 0;
    const untilMs = performance.now() + 2300;
    while (performance.now() < untilMs) {
      const startedMs = performance.now();
      const response = await fetch(`${state.leaderUrl}/v3/kv/put`, { method: 'POST', body: JSON.stringify({ key: 'c3RhbGw=', value: 'eA==' }) });
      assert.equal(response.status, 200);
      await response.arrayBuffer();
      maxMs = Math.max(maxMs, performance.now() - startedMs);
    }
    assert.ok(maxMs >= 150, `the longest PUT under stall=300 took ${maxMs.toFixed(1)} ms`);

    const status = await runCli(['lab', 'kv', 'status'], { cwd });
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /culprits: stall=300/);
    // read-follower.yaml without hand-filled ports: the leader's and a follower's client addresses of this lab.
    const scenario = await runCli(['lab', 'kv', 'scenario', 'read-follower.yaml'], { cwd });
    assert.equal(scenario.code, 0, scenario.stderr);
    const targets = parseScenarioText(scenario.stdout, 'read-follower.yaml').requests.map((request) => request.grpc?.target);
    const followers = state.members.slice(1).map((member) => new URL(member.clientUrl).host);
    assert.equal(targets[0], new URL(state.leaderUrl).host);
    assert.ok(followers.includes(targets[1] ?? '') && targets[2] === targets[1], `targets ${targets.join(', ')} vs followers ${followers.join(', ')}`);
    const unknown = await runCli(['lab', 'kv', 'scenario', 'nope.yaml'], { cwd });
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /lab kv scenario: needs one of lab\/kv's scenario files: .*read-follower\.yaml.*; got "nope\.yaml"/);

    const bad = await runCli(['lab', 'kv', 'culprits', 'stall=abc'], { cwd });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /lab kv culprits: stall: value must be a number ≥ 0/);

    const stopped = await runCli(['lab', 'kv', 'stop'], { cwd });
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.equal(existsSync(join(cwd, '.perfloop', 'kv-lab.json')), false);
    for (const pid of [state.supervisorPid, ...state.members.map((member) => member.pid)]) assert.equal(isProcessAlive(pid), false, `pid ${pid} alive`);
    assert.equal(existsSync(state.baseDir), false);
  } finally {
    await runCli(['lab', 'kv', 'stop'], { cwd });
    rmSync(cwd, { recursive: true, force: true });
  }
});
