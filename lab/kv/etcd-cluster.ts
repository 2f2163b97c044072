/**
 * A real 3-member etcd cluster on loopback for the kv lab. Every member's peer URL is a delay proxy in front
 * of its real peer port (the network culprit); data dirs live in a fresh temp dir; each start uses a fresh
 * --initial-cluster-token so a stray member of an earlier lab can never join. Members run under
 * `setpriv --pdeathsig SIGKILL`, so a supervisor that dies hard takes them with it (nothing left listening).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDelayProxy, type DelayProxy } from './delay-proxy.js';

export const MEMBER_COUNT = 3;
const HEALTH_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;
/** Temp dirs and cgroups carry this prefix and the supervisor pid, so a later start can sweep a crashed lab's. */
export const KV_LAB_PREFIX = 'perfloop-kv-';

/** How a member is launched; changing it restarts the member (GOGC, strace fsync injection, WAL on tmpfs). */
export interface MemberLaunch {
  /** Extra environment, e.g. { GOGC: '5' }. */
  env: Record<string, string>;
  /** fdatasync delay injected with strace, in microseconds; 0 = none. */
  fsyncDelayUs: number;
  /** Keep the WAL on tmpfs (/dev/shm): the disk culprit's fix. */
  walOnTmpfs: boolean;
}

export interface Member {
  index: number;
  name: string;
  clientUrl: string;
  peerPort: number;
  proxy: DelayProxy;
  dataDir: string;
  walDir: string | undefined;
  launch: MemberLaunch;
  /** The process we spawned (setpriv, or strace when injecting). */
  child: ChildProcess;
  /** The etcd process itself (what cgroups and SIGSTOP target). */
  pid: number;
  /** etcd's member id in hex (JSON numbers would lose precision). */
  idHex: string;
}

export interface StartClusterOptions {
  /** Client port of member 0, the leader (0 = any free port). */
  leaderClientPort?: number;
  /** Index of the member that is moved to leadership. */
  leaderIndex?: number;
  log?: (line: string) => void;
}

export const DEFAULT_LAUNCH: MemberLaunch = { env: {}, fsyncDelayUs: 0, walOnTmpfs: false };

export function straceInstalled(): boolean {
  return spawnSync('strace', ['-V'], { stdio: 'ignore' }).status === 0;
}

async function freePorts(count: number): Promise<number[]> {
  // All held open together so the same port is never handed out twice.
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: 0 }, () => resolve(server));
    })),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    return address !== null && typeof address === 'object' ? address.port : 0;
  });
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The etcd process whose command line names `dataDir` (under strace it is a grandchild of what we spawned). */
function findEtcdPid(dataDir: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv[0] === 'etcd' && argv.includes(`--data-dir=${dataDir}`)) return Number(entry);
    } catch {
      // Gone meanwhile.
    }
  }
  return undefined;
}

async function postJson<T>(url: string, body: unknown, timeoutMs = 2000): Promise<T> {
  const response = await fetch(url, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
  if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

interface StatusResponse {
  header: { member_id: string };
  /** Absent (zero) while there is no leader: grpc-gateway omits zero values. */
  leader?: string;
}

/** grpc-gateway renders uint64 as decimal strings; hex is what etcdctl and logs use. */
function toHex(decimal: string): string {
  return BigInt(decimal).toString(16);
}

export class EtcdCluster {
  readonly members: Member[] = [];
  readonly token = `${KV_LAB_PREFIX}${randomBytes(6).toString('hex')}`;
  leaderIndex = 0;
  private stopping = false;
  onMemberExit: ((member: Member) => void) | undefined;

  private constructor(
    readonly baseDir: string,
    private readonly log: (line: string) => void,
  ) {}

  static async start(options: StartClusterOptions = {}): Promise<EtcdCluster> {
    const baseDir = mkdtempSync(join(tmpdir(), `${KV_LAB_PREFIX}${process.pid}-`));
    const cluster = new EtcdCluster(baseDir, options.log ?? (() => undefined));
    try {
      await cluster.launchAll(options.leaderClientPort ?? 0);
      await cluster.moveLeader(options.leaderIndex ?? 0);
      return cluster;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }

  private async launchAll(leaderClientPort: number): Promise<void> {
    const ports = await freePorts(MEMBER_COUNT * 2);
    const clientPorts = ports.slice(0, MEMBER_COUNT);
    if (leaderClientPort !== 0) clientPorts[0] = leaderClientPort;
    const peerPorts = ports.slice(MEMBER_COUNT);
    const proxies = await Promise.all(peerPorts.map((peerPort) => startDelayProxy(peerPort)));
    const initialCluster = proxies.map((proxy, index) => `kv${index}=http://127.0.0.1:${proxy.port}`).join(',');
    for (let index = 0; index < MEMBER_COUNT; index += 1) {
      const name = `kv${index}`;
      const proxy = proxies[index];
      const peerPort = peerPorts[index];
      const clientPort = clientPorts[index];
      if (!proxy || peerPort === undefined || clientPort === undefined) throw new Error('port allocation failed');
      const dataDir = join(this.baseDir, name);
      const member: Member = {
        index,
        name,
        clientUrl: `http://127.0.0.1:${clientPort}`,
        peerPort,
        proxy,
        dataDir,
        walDir: undefined,
        launch: DEFAULT_LAUNCH,
        child: undefined as unknown as ChildProcess,
        pid: 0,
        idHex: '',
      };
      member.child = this.spawnMember(member, initialCluster);
      this.members.push(member);
    }
    this.initialCluster = initialCluster;
    await Promise.all(this.members.map((member) => this.waitHealthy(member)));
    for (const member of this.members) {
      const status = await postJson<StatusResponse>(`${member.clientUrl}/v3/maintenance/status`, {});
      member.idHex = toHex(status.header.member_id);
    }
  }

  private initialCluster = '';

  private spawnMember(member: Member, initialCluster: string): ChildProcess {
    const { launch } = member;
    const etcdArgs = [
      `--name=${member.name}`,
      `--data-dir=${member.dataDir}`,
      `--listen-client-urls=${member.clientUrl}`,
      `--advertise-client-urls=${member.clientUrl}`,
      `--listen-peer-urls=http://127.0.0.1:${member.peerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${member.proxy.port}`,
      `--initial-cluster=${initialCluster}`,
      `--initial-cluster-token=${this.token}`,
      '--initial-cluster-state=new',
      '--logger=zap',
      '--log-level=error',
      // The server's own gRPC handling histogram: the client/server gap (stalls outside the handler) needs it.
      '--metrics=extensive',
    ];
    if (member.walDir) etcdArgs.push(`--wal-dir=${member.walDir}`);
    const etcd = ['setpriv', '--pdeathsig', 'SIGKILL', '--', 'etcd', ...etcdArgs];
    const command =
      launch.fsyncDelayUs > 0
        ? ['strace', '-f', '--seccomp-bpf', '-qq', '-o', '/dev/null', '-e', 'trace=fdatasync', '-e', `inject=fdatasync:delay_exit=${launch.fsyncDelayUs}`, '--', ...etcd]
        : etcd.slice(4);
    const [file, ...args] = ['setpriv', '--pdeathsig', 'SIGKILL', '--', ...command];
    const child = spawn(file ?? 'setpriv', args, { env: { ...process.env, ...launch.env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderrTail = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderrTail = (stderrTail + chunk.toString()).slice(-2000);
    });
    child.once('exit', (code, signal) => {
      if (this.stopping || member.child !== child) return;
      this.log(`${member.name} exited (${signal ?? `code ${code}`}): ${stderrTail.trim().split('\n').slice(-3).join(' | ')}`);
      this.onMemberExit?.(member);
    });
    return child;
  }

  private async waitHealthy(member: Member): Promise<void> {
    const deadline = Date.now() + HEALTH_TIMEOUT_MS;
    let last = 'no answer';
    while (Date.now() < deadline) {
      if (member.child.exitCode !== null || member.child.signalCode !== null) throw new Error(`${member.name} exited during start (${member.child.signalCode ?? `code ${member.child.exitCode}`})`);
      try {
        const response = await fetch(`${member.clientUrl}/health`, { signal: AbortSignal.timeout(1000) });
        const body = (await response.json()) as { health?: string };
        if (body.health === 'true') {
          member.pid = findEtcdPid(member.dataDir) ?? 0;
          if (member.pid === 0) throw new Error(`${member.name}: healthy but its process was not found`);
          return;
        }
        last = JSON.stringify(body);
      } catch (error) {
        last = error instanceof Error ? error.message : String(error);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`${member.name} not healthy within ${HEALTH_TIMEOUT_MS / 1000} s (${last})`);
  }

  /** The index of the member every member agrees is the leader, or -1. */
  async currentLeaderIndex(): Promise<number> {
    const statuses = await Promise.all(this.members.map((member) => postJson<StatusResponse>(`${member.clientUrl}/v3/maintenance/status`, {}).catch(() => undefined)));
    const leaders = new Set(statuses.map((status) => (status?.leader ? toHex(status.leader) : 'none')));
    if (leaders.size !== 1) return -1;
    const [leaderHex] = [...leaders];
    return this.members.findIndex((member) => member.idHex === leaderHex);
  }

  /**
   * Moves leadership to member `index` with `etcdctl move-leader` and waits until every member agrees.
   * etcdctl itself may wait out its 5 s request timeout after the transfer is done (the old leader's view lags),
   * so it runs in the background while the members' own status decides.
   */
  async moveLeader(index: number): Promise<void> {
    const target = this.members[index];
    if (!target) throw new RangeError(`no member ${index}`);
    const deadline = Date.now() + HEALTH_TIMEOUT_MS;
    let mover: ChildProcess | undefined;
    try {
      while (Date.now() < deadline) {
        const current = await this.currentLeaderIndex();
        if (current === index) {
          this.leaderIndex = index;
          return;
        }
        const leader = current >= 0 ? this.members[current] : undefined;
        if (leader && (!mover || mover.exitCode !== null)) {
          mover = spawn('etcdctl', [`--endpoints=${leader.clientUrl}`, 'move-leader', target.idHex], { env: { ...process.env, ETCDCTL_API: '3' }, stdio: 'ignore' });
          mover.on('error', (error) => this.log(`etcdctl: ${error.message}`));
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      if (mover && mover.exitCode === null) mover.kill('SIGTERM');
    }
    throw new Error(`leadership did not move to ${target.name} within ${HEALTH_TIMEOUT_MS / 1000} s`);
  }

  /** Restarts one member with a new launch (same data; the WAL moves when walOnTmpfs changes). */
  async restartMember(index: number, launch: MemberLaunch): Promise<void> {
    const member = this.members[index];
    if (!member) throw new RangeError(`no member ${index}`);
    const old = member.child;
    member.child = undefined as unknown as ChildProcess; // its exit is expected: not a crash
    await stopProcess(member.pid, old);
    const walNow = member.walDir ?? join(member.dataDir, 'member', 'wal');
    if (launch.walOnTmpfs && !member.walDir) {
      member.walDir = mkdtempSync(join('/dev/shm', `${KV_LAB_PREFIX}${process.pid}-${member.name}-wal-`));
      cpSync(walNow, member.walDir, { recursive: true });
      rmSync(walNow, { recursive: true, force: true });
    } else if (!launch.walOnTmpfs && member.walDir) {
      const walHome = join(member.dataDir, 'member', 'wal');
      cpSync(member.walDir, walHome, { recursive: true });
      rmSync(member.walDir, { recursive: true, force: true });
      member.walDir = undefined;
    }
    member.launch = launch;
    member.child = this.spawnMember(member, this.initialCluster);
    await this.waitHealthy(member);
    // A restarted leader loses leadership; leader-targeted culprits need it back on the known member.
    await this.moveLeader(this.leaderIndex);
  }

  get leader(): Member {
    const member = this.members[this.leaderIndex];
    if (!member) throw new Error('no leader');
    return member;
  }

  /** Stops every member (SIGCONT first: a stalled one cannot exit), closes proxies, removes temp dirs. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.members.map((member) => stopProcess(member.pid, member.child)));
    await Promise.all(this.members.map((member) => member.proxy.close()));
    for (const member of this.members) if (member.walDir) rmSync(member.walDir, { recursive: true, force: true });
    rmSync(this.baseDir, { recursive: true, force: true });
  }
}

/** SIGCONT + SIGTERM to etcd (and the wrapper), SIGKILL after a grace period; resolves once both are gone. */
async function stopProcess(etcdPid: number, child: ChildProcess | undefined): Promise<void> {
  const pids = [etcdPid, child?.pid ?? 0].filter((pid) => pid > 0);
  for (const pid of pids) {
    for (const signal of ['SIGCONT', 'SIGTERM'] as const) {
      try {
        process.kill(pid, signal);
      } catch {
        // Already gone.
      }
    }
  }
  const deadline = Date.now() + STOP_GRACE_MS;
  while (pids.some(isAlive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  for (const pid of pids.filter(isAlive)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone.
    }
  }
  while (pids.some(isAlive)) await new Promise((resolve) => setTimeout(resolve, 20));
}

/**
 * Removes temp dirs left by labs whose supervisor is gone (crashed or killed hard): their members died with
 * them (pdeathsig), only the files remain. Safe to call on every start.
 */
export function sweepStaleLabDirs(): string[] {
  const removed: string[] = [];
  for (const root of [tmpdir(), '/dev/shm']) {
    if (!existsSync(root)) continue;
    for (const entry of readdirSync(root)) {
      const match = new RegExp(`^${KV_LAB_PREFIX}(\\d+)-`).exec(entry);
      if (!match || isAlive(Number(match[1]))) continue;
      rmSync(join(root, entry), { recursive: true, force: true });
      removed.push(join(root, entry));
    }
  }
  return removed;
}
