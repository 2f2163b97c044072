/**
 * Shared helpers for peer benchmarks: install peers when missing, run an nginx on loopback, run commands
 * pinned to a core. Benchmarks are reports, not tests: they print figures side by side.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PERFLOOP_CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

export const has = (command: string): boolean => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;

/** Installs Debian packages when their command is missing (the bench machine is root, as here). */
export function ensureDebian(command: string, packageName: string): void {
  if (has(command)) return;
  console.log(`installing ${packageName} from Debian…`);
  execFileSync('sh', ['-c', `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${packageName} >/dev/null`], { stdio: 'inherit' });
}

/** Installs autocannon from npm into a cache folder when missing; returns its CLI path. */
export function ensureAutocannon(): string {
  const dir = join(tmpdir(), 'perfloop-bench-peers');
  const cli = join(dir, 'node_modules', 'autocannon', 'autocannon.js');
  if (!spawnSync('test', ['-f', cli]).status) return cli;
  console.log('installing autocannon from npm…');
  execFileSync('sh', ['-c', `mkdir -p ${dir} && cd ${dir} && npm init -y >/dev/null && npm install --no-audit --no-fund autocannon >/dev/null`], { stdio: 'inherit' });
  return cli;
}

export interface Nginx {
  url: string;
  stop(): void;
}

/** An nginx with one worker pinned to `core`, answering every request with a small fixed body. */
export async function startNginx(port: number, core: number): Promise<Nginx> {
  ensureDebian('nginx', 'nginx-light');
  const dir = mkdtempSync(join(tmpdir(), 'perfloop-nginx-'));
  const config = join(dir, 'nginx.conf');
  writeFileSync(
    config,
    `worker_processes 1; daemon off; pid ${dir}/nginx.pid; error_log ${dir}/error.log;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000;
  server { listen 127.0.0.1:${port}; location / { return 200 'hello from nginx\\n'; } } }\n`,
  );
  const child = spawn('taskset', ['-c', String(core), 'nginx', '-c', config, '-p', dir], { stdio: 'ignore' });
  await new Promise((resolve) => setTimeout(resolve, 500));
  return { url: `http://127.0.0.1:${port}/`, stop: () => child.kill('SIGTERM') };
}

/** Runs a command pinned to one core; returns stdout. */
export function pinned(core: number, command: string, args: readonly string[]): string {
  const result = spawnSync('taskset', ['-c', String(core), command, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`${command} failed: ${result.stderr}`);
  return result.stdout;
}

export const ratio = (a: number, b: number): string => (b > 0 ? `${(a / b).toFixed(2)}x` : 'n/a');
