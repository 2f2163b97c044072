/**
 * `perfloop lab kv start|stop|status|explain|culprits|scenario`: the replicated key-value lab (a real 3-member etcd
 * cluster on loopback with culprit switches) as a background process.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { badInput } from '../../core/errors.js';
import { KV_SWITCHES, formatCulprits } from '../../lab-control/kv-culprits.js';
import type { KvLabSnapshot } from '../../../lab/kv/kv-messages.js';
import { kvLabState, resolveCulprits, setCulprits, startKvLab } from '../../lab-control/kv-lab.js';
import { KV_SCENARIO_DIR, kvScenarioText } from '../../lab-control/kv-scenarios.js';
import { isProcessAlive, stopLabProcess } from '../../lab-control/supervisor-launch.js';
import { kvLabStatePath, readKvLabState, removeKvLabState, writeKvLabState, type KvLabState } from '../../lab-control/kv-lab-state-file.js';
import { parseFlags } from '../parse-flags.js';

export const labKvUsage = `usage: perfloop lab kv start [--culprits LIST] [--port 2379]
       perfloop lab kv stop | status | explain
       perfloop lab kv culprits LIST     set the running lab's culprits (none, or name[=value],...; unnamed = off)
       perfloop lab kv scenario FILE     print lab/kv/FILE pointed at the running lab (leader, a follower)

A real 3-member etcd cluster (etcd-server 3.4) on loopback; kv0 is made the leader. Peer traffic goes through
a delay proxy per member. Culprits: ${KV_SWITCHES.map((spec) => spec.name).join(', ')}.
start runs it in the background and records it in .perfloop/kv-lab.json (log: .perfloop/kv-lab.log);
--port fixes the leader's client port (the gateway: POST /v3/kv/put), default 2379.`;

function requireRunning(): KvLabState {
  const state = readKvLabState();
  if (!state || !isProcessAlive(state.supervisorPid)) {
    if (state) removeKvLabState();
    throw badInput('lab kv', 'no kv lab is running here; start one with `perfloop lab kv start`');
  }
  return state;
}

function describe(lab: KvLabSnapshot): string {
  const members = lab.members
    .map((member) => `  ${member.name} ${member.role.padEnd(8)} pid ${String(member.pid).padEnd(7)} id ${member.idHex.padEnd(16)} client ${member.clientUrl}  peer ${member.peerUrl} → :${member.peerPort} (+${member.proxyDelayMs} ms each way)${member.walDir ? `  wal ${member.walDir}` : ''}${Object.keys(member.env).length ? `  ${Object.entries(member.env).map(([key, value]) => `${key}=${value}`).join(' ')}` : ''}`)
    .join('\n');
  const unavailable = Object.entries(lab.unavailable).map(([name, why]) => `  ${name}: unavailable — ${why}`);
  return [
    `kv lab running (supervisor pid ${lab.supervisorPid}, data ${lab.baseDir})`,
    members,
    `leader (gateway): ${lab.leaderUrl}`,
    `app tier (pid ${lab.appPid}): ${lab.appUrl}  (PUT /kv/:key, GET /metrics)`,
    `culprits: ${formatCulprits(lab.culprits)}   (fsync via ${lab.fsyncMode ?? 'nothing: unavailable'})`,
    ...unavailable,
    `try: curl -s -X POST ${lab.leaderUrl}/v3/kv/put -d '{"key":"a2V5","value":"dmFsdWU="}'`,
  ].join('\n');
}

async function start(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { culprits: { type: 'string' }, port: { type: 'string' } }, 'lab kv start');
  if (positionals.length > 0) throw badInput(positionals[0] ?? 'lab kv start', 'unexpected argument');
  const port = values.port === undefined ? 2379 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw badInput('--port', `must be an integer 0..65535, got "${values.port}"`);
  const culprits = resolveCulprits(values.culprits ?? 'none', '--culprits');
  const existing = readKvLabState();
  if (existing && isProcessAlive(existing.supervisorPid)) {
    throw badInput('lab kv', `already running (supervisor pid ${existing.supervisorPid}, ${existing.leaderUrl}); run \`perfloop lab kv stop\` first`);
  }
  if (existing) removeKvLabState();
  const statePath = kvLabStatePath();
  const logFile = join(dirname(statePath), 'kv-lab.log');
  mkdirSync(dirname(statePath), { recursive: true });
  const lab = await startKvLab({ culprits, port, detached: true, logFile });
  writeKvLabState({
    version: 1,
    supervisorPid: lab.supervisorPid,
    adminUrl: lab.adminUrl,
    leaderUrl: lab.leaderUrl,
    members: lab.members.map((member) => ({ name: member.name, pid: member.pid, clientUrl: member.clientUrl })),
    baseDir: lab.baseDir,
    logFile,
    startedAt: new Date().toISOString(),
  });
  process.stdout.write(`${describe(lab)}\nstop with: perfloop lab kv stop\n`);
  return 0;
}

async function stop(): Promise<number> {
  const state = readKvLabState();
  if (!state) {
    process.stdout.write('no kv lab is running here\n');
    return 0;
  }
  await stopLabProcess(state.supervisorPid);
  // Members die with their supervisor (pdeathsig); make sure even if it was killed hard.
  for (const member of state.members) if (isProcessAlive(member.pid)) await stopLabProcess(member.pid);
  removeKvLabState();
  process.stdout.write(`kv lab stopped (supervisor pid ${state.supervisorPid})\n`);
  return 0;
}

async function status(): Promise<number> {
  const state = requireRunning();
  process.stdout.write(`${describe(await kvLabState(state))}\n`);
  return 0;
}

async function culprits(argv: string[]): Promise<number> {
  const state = requireRunning();
  const list = argv[0];
  if (list === undefined) throw badInput('lab kv culprits', 'needs a list: none, or name[=value],... (e.g. network=10,fsync)');
  const lab = await setCulprits(state, resolveCulprits(list, 'lab kv culprits'));
  writeKvLabState({ ...state, members: lab.members.map((member) => ({ name: member.name, pid: member.pid, clientUrl: member.clientUrl })) });
  process.stdout.write(`${describe(lab)}\n`);
  return 0;
}

/** A lab/kv scenario file with the running lab's leader and first follower filled in, for `perfloop run`. */
async function scenario(argv: string[]): Promise<number> {
  const file = argv[0];
  if (file === undefined || !/^[\w.-]+\.ya?ml$/.test(file) || !existsSync(join(KV_SCENARIO_DIR, file))) {
    const files = readdirSync(KV_SCENARIO_DIR).filter((name) => /\.ya?ml$/.test(name));
    throw badInput('lab kv scenario', `needs one of lab/kv's scenario files: ${files.join(', ')}${file === undefined ? '' : `; got "${file}"`}`);
  }
  const lab = await kvLabState(requireRunning());
  const follower = lab.members.find((member) => member.role === 'follower');
  const address = (url: string): string => new URL(url).host;
  process.stdout.write(kvScenarioText(file, { target: address(lab.leaderUrl), ...(follower ? { follower: address(follower.clientUrl) } : {}) }));
  return 0;
}

function explain(): number {
  const switches = KV_SWITCHES.map(
    (spec) => `${spec.name}${spec.unit ? `[=${spec.defaultValue}]  (${spec.unit})` : ''}\n  culprit: ${spec.culprit}\n  how:     ${spec.how}\n${spec.fix ? `  fix:     ${spec.fix}\n` : ''}`,
  );
  const state = readKvLabState();
  const running = state && isProcessAlive(state.supervisorPid) ? `running: ${state.leaderUrl} (perfloop lab kv status for the live culprits)\n` : '';
  process.stdout.write(`${running}${switches.join('')}`);
  return 0;
}

export async function runLabKv(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'start':
      return start(rest);
    case 'stop':
      return stop();
    case 'status':
      return status();
    case 'explain':
      return explain();
    case 'culprits':
      return culprits(rest);
    case 'scenario':
      return scenario(rest);
    default:
      throw badInput('lab kv', sub === undefined ? 'needs a subcommand: start, stop, status, explain, culprits, scenario' : `unknown subcommand "${sub}"`);
  }
}
