/**
 * The generator's garbage per request: what the hot path allocates, and where. Garbage decides how often the
 * generator thread collects, and each scavenge is a pause in its schedule. The segment runs in this thread (the
 * test seam: the real socket transport and precise clock) against a small HTTP server in a child process, under
 * V8's sampling heap profiler with collected objects included (the default keeps only what is still alive, which
 * hides garbage). Interval assembly runs in this thread too here, so its share shows among the sites.
 *   node dist/bench/generator-garbage.js [rate=1000] [seconds=5]
 */
import { spawn } from 'node:child_process';
import { Session } from 'node:inspector/promises';
import { PreciseClock, systemClock } from '../src/core/clock.js';
import { senderForScenario } from '../src/load/routed-sender.js';
import { runLoad } from '../src/load/run-load.js';
import { normalizeScenario } from '../src/load/scenario.js';

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

const rate = Number(process.argv[2] ?? 1000);
const seconds = Number(process.argv[3] ?? 5);

const frameName = (node: ProfileNode): string => {
  const { functionName, url, lineNumber } = node.callFrame;
  return `${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
};

/** Bytes allocated per site, a site being a function with its two nearest callers. */
function bytesBySite(head: ProfileNode): { total: number; sites: Map<string, number> } {
  const sites = new Map<string, number>();
  let total = 0;
  const walk = (node: ProfileNode, callers: string[]): void => {
    const name = frameName(node);
    if (node.selfSize > 0) {
      total += node.selfSize;
      const site = [name, ...callers.slice(-2).reverse()].join(' < ');
      sites.set(site, (sites.get(site) ?? 0) + node.selfSize);
    }
    for (const child of node.children) walk(child, [...callers, name]);
  };
  walk(head, []);
  return { total, sites };
}

async function main(): Promise<void> {
  const server = spawn(process.execPath, ['-e', "require('http').createServer((q, r) => r.end('ok')).listen(0, '127.0.0.1', function () { console.log(this.address().port); })"], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<string>((resolve) => server.stdout.once('data', (data: Buffer) => resolve(data.toString().trim())));
    const scenario = normalizeScenario({ requests: [{ url: `http://127.0.0.1:${port}/` }], phases: [{ kind: 'constant', rate, duration: `${seconds}s` }] });
    const clock = new PreciseClock(systemClock);
    const sender = await senderForScenario(scenario, 'socket', { connections: scenario.connections, keepAlive: scenario.keepAlive }, clock);
    await sender.warm?.();
    const session = new Session();
    session.connect();
    await session.post('HeapProfiler.startSampling', { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    const run = await runLoad(scenario, { clock, sender });
    const { profile } = (await session.post('HeapProfiler.stopSampling')) as { profile: { head: ProfileNode } };
    session.disconnect();
    const requests = run.summary.total.count;
    const { total, sites } = bytesBySite(profile.head);
    console.log(`generator garbage at ${rate} req/s for ${seconds} s: ${requests} requests, ${(total / 1e6).toFixed(1)} MB sampled → ${(total / requests).toFixed(0)} B per request`);
    for (const [site, bytes] of [...sites].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`  ${(bytes / requests).toFixed(0).padStart(6)} B/request  ${site}`);
  } finally {
    server.kill();
  }
}

await main();
