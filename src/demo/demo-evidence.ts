/**
 * Resource evidence for the demo's baseline (edge): while it is measured, every lab service is watched by pid
 * (CPU, RSS, context switches) and scraped (`/metrics`: event-loop delay, GC, heap, its own handling
 * histogram), and the services of the CPU-bound problem are profiled through the inspector (CPU and heap),
 * so the demo's report shows which resource and which functions — signals and flame graphs — beside the traces.
 * Evidence is best effort: a service whose inspector cannot be opened is said so in the demo's log.
 */
import type { RunFile } from '../core/run-file.js';
import type { Lab } from '../lab-control/lab.js';
import type { Scenario } from '../load/scenario.js';
import { totalDurationMs } from '../load/scenario.js';
import { profileCollector, type NamedProfileTarget } from '../profile/profile-collector.js';
import { prometheusSource } from '../signals/prometheus-source.js';
import { watchSource } from '../signals/process-source.js';
import { attachCollected, startCollectors, stopCollectors, type RunCollector } from '../signals/run-collector.js';
import { signalCollector } from '../signals/signal-collector.js';
import type { SignalSource } from '../signals/signal-source.js';

/**
 * The lab's CPU-bound problem is the oversized list response ('payload'): orders builds and serialises
 * hundreds of KiB of JSON per request and the gateway parses and re-serialises it.
 */
export const CPU_BOUND_SERVICES = ['orders', 'gateway'] as const;

/** Opens a lab service's inspector (POST /admin/inspector) and returns it as a profile target. */
async function inspectorOf(name: string, serviceUrl: string, log: (line: string) => void): Promise<NamedProfileTarget | undefined> {
  try {
    const response = await fetch(new URL('/admin/inspector', serviceUrl), { method: 'POST', signal: AbortSignal.timeout(5000) });
    const { url } = (await response.json()) as { url?: string };
    if (!url) throw new Error(`HTTP ${response.status}, no inspector URL`);
    const parsed = new URL(url);
    return { name, target: { kind: 'inspector', host: parsed.hostname, port: Number(parsed.port) } };
  } catch (error) {
    log(`no profile of ${name}: its inspector did not open (${error instanceof Error ? error.message : String(error)})`);
    return undefined;
  }
}

async function demoCollectors(lab: Lab, intervalMs: number, log: (line: string) => void): Promise<RunCollector[]> {
  const timeoutMs = Math.min(Math.max(intervalMs, 100), 5000);
  const sources: SignalSource[] = [];
  for (const [name, url] of Object.entries(lab.serviceUrls)) {
    const pid = lab.pids[name];
    if (pid !== undefined) sources.push(await watchSource(`${name}-process`, { kind: 'pid', pid }, 'demo'));
    sources.push(prometheusSource(name, new URL('/metrics', url).href, { timeoutMs }));
  }
  const targets = await Promise.all(CPU_BOUND_SERVICES.filter((name) => lab.serviceUrls[name]).map((name) => inspectorOf(name, lab.serviceUrls[name] ?? '', log)));
  return [signalCollector(sources), profileCollector(targets.filter((target) => target !== undefined))];
}

/** Measures `measure()` with the lab's signals and the CPU-bound services' profiles joined to the run. */
export async function withDemoEvidence(lab: Lab, scenario: Scenario, measure: () => Promise<RunFile>, log: (line: string) => void): Promise<RunFile> {
  const collectors = await demoCollectors(lab, scenario.intervalMs, log);
  await startCollectors(collectors, { intervalMs: scenario.intervalMs, expectedDurationMs: totalDurationMs(scenario) });
  let run: RunFile;
  try {
    run = await measure();
  } finally {
    await stopCollectors(collectors);
  }
  return attachCollected(run, collectors);
}
