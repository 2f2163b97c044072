/**
 * `perfloop lab start|stop|status|explain|fixes|problems`: the reference lab as a background process.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { badInput } from '../../core/errors.js';
import { setFixes, startLab } from '../../lab-control/lab.js';
import { isProcessAlive, stopLabProcess } from '../../lab-control/supervisor-launch.js';
import { LAB_PROBLEMS, parseFixList } from '../../lab-control/lab-problems.js';
import { labStatePath, readLabState, removeLabState, writeLabState, type LabState } from '../../lab-control/lab-state-file.js';
import type { Command } from '../command.js';
import { parseFlags } from '../parse-flags.js';
import { labKvUsage, runLabKv } from './lab-kv.js';

const usage = `usage: perfloop lab start [--fix all | --fix n+1,pool,...] [--port 8080] [--otlp URL]
                         [--database-url URL] [--redis-url URL]
       perfloop lab stop | status | explain | problems
       perfloop lab fixes LIST        set the fix set of the running lab (all, none or a comma list)

The reference distributed system: gateway, orders, customers, inventory and a notifications worker, each an
OpenTelemetry-instrumented Node process, on Postgres (embedded PGlite unless DATABASE_URL is set) with a cache
(Redis when REDIS_URL is set, else in-process LRU). Every problem is on unless its fix is named:
${LAB_PROBLEMS.map((problem) => `  ${problem.name.padEnd(13)} ${problem.title}`).join('\n')}

start runs the lab in the background and records it in .perfloop/lab.json (log: .perfloop/lab.log).
--otlp defaults to $OTEL_EXPORTER_OTLP_ENDPOINT or http://127.0.0.1:4318 (perfloop receive).

${labKvUsage}`;

function requireRunning(): LabState {
  const state = readLabState();
  if (!state || !isProcessAlive(state.supervisorPid)) {
    if (state) removeLabState();
    throw badInput('lab', 'no lab is running here; start one with `perfloop lab start`');
  }
  return state;
}

function describe(state: LabState): string {
  const services = Object.entries(state.serviceUrls)
    .map(([name, url]) => `  ${name.padEnd(14)} ${url}  (pid ${state.pids[name] ?? '?'})`)
    .join('\n');
  return [
    `lab running (supervisor pid ${state.supervisorPid}, database ${state.database}, since ${state.startedAt})`,
    `gateway: ${state.gatewayUrl}`,
    services,
    `fixes: ${state.fixes.length === 0 ? 'none (every problem on)' : state.fixes.join(', ')}`,
    `spans → ${state.otlpEndpoint}`,
    `try: curl ${state.gatewayUrl}/orders/42   curl '${state.gatewayUrl}/orders?customer=7'`,
  ].join('\n');
}

async function start(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    {
      fix: { type: 'string' },
      port: { type: 'string' },
      otlp: { type: 'string' },
      'database-url': { type: 'string' },
      'redis-url': { type: 'string' },
    },
    'lab start',
  );
  if (positionals.length > 0) throw badInput(positionals[0] ?? 'lab start', 'unexpected argument');
  const fixes = parseFixList(values.fix ?? 'none', '--fix');
  const port = values.port === undefined ? 8080 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw badInput('--port', `must be an integer 0..65535, got "${values.port}"`);
  const existing = readLabState();
  if (existing && isProcessAlive(existing.supervisorPid)) {
    throw badInput('lab', `already running (supervisor pid ${existing.supervisorPid}, ${existing.gatewayUrl}); run \`perfloop lab stop\` first`);
  }
  if (existing) removeLabState();
  const statePath = labStatePath();
  const logFile = join(dirname(statePath), 'lab.log');
  mkdirSync(dirname(statePath), { recursive: true });
  const otlpEndpoint = values.otlp ?? process.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'http://127.0.0.1:4318';
  const databaseUrl = values['database-url'] ?? (process.env.DATABASE_URL || undefined);
  const redisUrl = values['redis-url'] ?? (process.env.REDIS_URL || undefined);
  const lab = await startLab({ fixes, port, otlpEndpoint, databaseUrl, redisUrl, detached: true, logFile });
  const state: LabState = {
    version: 1,
    supervisorPid: lab.pids.supervisor ?? 0,
    gatewayUrl: lab.gatewayUrl,
    serviceUrls: lab.serviceUrls,
    pids: lab.pids,
    fixes: [...lab.fixes],
    otlpEndpoint,
    database: databaseUrl ? 'postgres' : 'pglite',
    logFile,
    startedAt: new Date().toISOString(),
  };
  writeLabState(state);
  process.stdout.write(`${describe(state)}\nstop with: perfloop lab stop\n`);
  return 0;
}

async function stop(): Promise<number> {
  const state = readLabState();
  if (!state) {
    process.stdout.write('no lab is running here\n');
    return 0;
  }
  await stopLabProcess(state.supervisorPid);
  // Services exit when their supervisor does; make sure none is left even if it was killed hard.
  for (const [name, pid] of Object.entries(state.pids)) if (name !== 'supervisor' && isProcessAlive(pid)) await stopLabProcess(pid, 3000);
  removeLabState();
  process.stdout.write(`lab stopped (supervisor pid ${state.supervisorPid})\n`);
  return 0;
}

async function status(): Promise<number> {
  const state = requireRunning();
  process.stdout.write(`${describe(state)}\n`);
  return 0;
}

async function explain(): Promise<number> {
  const state = requireRunning();
  const ordersUrl = state.serviceUrls.orders;
  if (!ordersUrl) throw badInput('lab', 'state file has no orders URL');
  const response = await fetch(new URL('/admin/explain', ordersUrl));
  const body = (await response.json()) as { indexFix: boolean; plans: { name: string; plan: string[] }[] };
  process.stdout.write(`index fix ${body.indexFix ? 'applied' : 'not applied'}\n`);
  for (const plan of body.plans) process.stdout.write(`\n${plan.name}:\n${plan.plan.map((line) => `  ${line}`).join('\n')}\n`);
  return 0;
}

async function fixes(argv: string[]): Promise<number> {
  const state = requireRunning();
  const list = argv[0];
  if (list === undefined) throw badInput('lab fixes', 'needs a fix list: all, none or a comma list');
  const lab = { serviceUrls: state.serviceUrls, fixes: new Set(state.fixes) };
  await setFixes(lab, parseFixList(list, 'lab fixes'));
  writeLabState({ ...state, fixes: [...lab.fixes] });
  process.stdout.write(`fixes: ${lab.fixes.size === 0 ? 'none (every problem on)' : [...lab.fixes].join(', ')}\n`);
  return 0;
}

function problems(): number {
  // One write: a reader that stops early (| head) then sees a whole first part rather than an EPIPE mid-list.
  process.stdout.write(
    LAB_PROBLEMS.map((problem) => `${problem.name}\n  ${problem.title}\n  where:    ${problem.where}\n  detector: ${problem.detector}\n  fix:      ${problem.fix}\n`).join(''),
  );
  return 0;
}

export const labCommand: Command = {
  name: 'lab',
  summary: 'start/stop the reference lab system (eight switchable performance problems)',
  usage,
  async run(argv) {
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
      case 'fixes':
        return fixes(rest);
      case 'problems':
        return problems();
      case 'kv':
        return runLabKv(rest);
      default:
        throw badInput('lab', sub === undefined ? 'needs a subcommand: start, stop, status, explain, fixes, problems, kv' : `unknown subcommand "${sub}"`);
    }
  },
};
