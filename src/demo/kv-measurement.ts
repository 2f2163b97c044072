/**
 * One measurement of the kv lab (edge): open-model PUTs to the app tier while every member's /metrics, every
 * member's process and cgroup, and the app's /metrics are read once per interval; then the kv diagnosis of it.
 */
import type { RunFile } from '../core/run-file.js';
import type { KvLabSnapshot } from '../../lab/kv/kv-messages.js';
import { runLoad } from '../load/run-load.js';
import { measuredPhases } from './demo-scenario.js';
import { normalizeScenario, type Scenario } from '../load/scenario.js';
import { diagnoseKv, type KvDiagnosis, type KvTopology } from '../signals/kv-findings.js';
import { peerProbeSource } from '../signals/peer-probe-source.js';
import { pidCgroupSource } from '../signals/pid-cgroup-source.js';
import { prometheusSource } from '../signals/prometheus-source.js';
import { attachCollected, startCollectors, stopCollectors } from '../signals/run-collector.js';
import { signalCollector } from '../signals/signal-collector.js';
import type { SignalSource } from '../signals/signal-source.js';

export interface KvLoad {
  ratePerSec: number;
  durationMs: number;
  warmupMs: number;
  /** Arrival seed; the A and B blocks of one pair share it (common random numbers). */
  seed?: number;
  /** Keys are drawn from 1..keys (many keys: the CAS fix rarely conflicts). */
  keys?: number;
  /**
   * Reads of every stored document per second, straight from the leader's JSON gateway (`POST /v3/kv/range` over
   * the app's `k…` keys): allocation-heavy work (protobuf, JSON and base64 of every document) of the kind where a
   * garbage collector's settings cost latency. 0 or absent: PUTs only.
   */
  listPerSec?: number;
}

export const KV_REQUEST_NAME = 'PUT /kv/:key';
export const KV_LIST_NAME = 'LIST /v3/kv/range';
/** The app stores `PUT /kv/kN` under key `kN`: every key from "k" up to "l" (base64 "aw==" and "bA=="). */
const LIST_BODY = JSON.stringify({ key: 'aw==', range_end: 'bA==' });

/** PUTs of a small value to random keys through the app tier, Poisson arrivals after a constant warm-up. */
export function kvScenario(lab: Pick<KvLabSnapshot, 'appUrl' | 'leaderUrl'>, load: KvLoad): Scenario {
  const put = { name: KV_REQUEST_NAME, method: 'PUT', url: `${lab.appUrl}/kv/k{key}`, vars: { key: { from: 1, to: load.keys ?? 1000 } }, body: 'perfloop-value-0123456789abcdef' };
  const lists = load.listPerSec ?? 0;
  const rate = load.ratePerSec + lists;
  // One arrival process; each request picks PUT or LIST by weight, so the list reads keep the same open-loop timing.
  const requests = lists > 0 ? [{ ...put, weight: load.ratePerSec }, { name: KV_LIST_NAME, method: 'POST', url: `${lab.leaderUrl}/v3/kv/range`, body: LIST_BODY, headers: { 'content-type': 'application/json' }, weight: lists }] : [put];
  return normalizeScenario(
    {
      requests,
      ...measuredPhases(rate, load),
      connections: 64,
      timeout: '10s',
      interval: '1s',
    },
    'kv demo',
  );
}

/** The signal sources of a lab as it is now (pids change when a member restarts) and how they map to members. */
export function kvSources(lab: KvLabSnapshot): { sources: SignalSource[]; topology: KvTopology } {
  const sources: SignalSource[] = [];
  const topology: KvTopology = { members: [], app: 'app' };
  for (const member of lab.members) {
    sources.push(prometheusSource(member.name, `${member.clientUrl}/metrics`, { timeoutMs: 1000 }));
    sources.push(pidCgroupSource(`${member.name}.proc`, member.pid));
    // etcd's peer listener answers GET /version: the probe crosses the same path (the delay proxy) as raft
    // traffic; the client listener's /version is the same process without that path.
    sources.push(peerProbeSource(`${member.name}.peer`, `${member.peerUrl}/version`, 1000, `${member.clientUrl}/version`));
    topology.members.push({ name: member.name, role: member.role, idHex: member.idHex, metrics: member.name, process: `${member.name}.proc`, peerProbe: `${member.name}.peer` });
  }
  sources.push(prometheusSource('app', `${lab.appUrl}/metrics`, { timeoutMs: 1000 }));
  return { sources, topology };
}

export interface KvMeasurement {
  run: RunFile;
  diagnosis: KvDiagnosis;
}

export async function measureKv(lab: KvLabSnapshot, load: KvLoad, options: { traceSampleRate?: number } = {}): Promise<KvMeasurement> {
  const scenario = kvScenario(lab, load);
  const { sources, topology } = kvSources(lab);
  // etcd with --metrics=extensive exposes a histogram per gRPC method: well over the default 300 series.
  const collectors = [signalCollector(sources, { maxSeriesPerSource: 2000 })];
  await startCollectors(collectors, { intervalMs: scenario.intervalMs, expectedDurationMs: load.warmupMs + load.durationMs });
  let measured: RunFile;
  try {
    measured = await runLoad(scenario, { traceSampleRate: options.traceSampleRate ?? 1 });
  } finally {
    await stopCollectors(collectors);
  }
  const collected = attachCollected(measured, collectors);
  const diagnosis = diagnoseKv(collected, topology);
  // The run file keeps the diagnosis, so the unified ranking and the HTML report show it with the node names.
  const run: RunFile = collected.signals ? { ...collected, signals: { ...collected.signals, kvFindings: diagnosis.findings, kvNotes: diagnosis.notes } } : collected;
  return { run, diagnosis };
}
