/**
 * Signal findings (pure): which resource moved when client latency moved. Each detector reads per-interval
 * series of the run's signals, checks a threshold, and reports how much of the client latency p99's variation
 * over the measured intervals the signal explains (r² of Pearson's r, only when r > 0) — a correlation over
 * intervals, not a guess. Findings are ranked by that share, then by how far past the threshold they are.
 */
import type { RunFile, SignalFinding, SignalSeries } from '../core/run-file.js';
import { LatencyHistogram } from '../histogram/latency-histogram.js';

export const SIGNAL_THRESHOLDS = {
  /** Share of the available cores (quota, else 1 core per process thread pool is unknown: the machine's cores). */
  cpuSaturation: 0.85,
  throttledPeriodShare: 0.1,
  gcTimeShare: 0.05,
  eventLoopDelaySec: 0.02,
  diskSyncP99Sec: 0.01,
  peerRoundTripP99Sec: 0.01,
  /** Client mean latency outside the server's own handling time, as a share of the client mean. */
  outsideHandlerShare: 0.5,
  outsideHandlerMinSec: 0.001,
  /** Soak: heap (or RSS) growing steadily by at least this much per minute, with a linear fit r² ≥ 0.8. */
  heapGrowthBytesPerMin: 1024 * 1024,
  heapGrowthMinR2: 0.8,
  heapGrowthMinIntervals: 10,
} as const;

/** Least-squares slope of y over x and the fit's r². */
export function linearTrend(xs: readonly number[], ys: readonly number[]): { slope: number; r2: number } | undefined {
  const r = pearson(xs, ys);
  const n = Math.min(xs.length, ys.length);
  if (r === null) return undefined;
  const mx = xs.slice(0, n).reduce((a, b) => a + b, 0) / n;
  const my = ys.slice(0, n).reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += ((xs[i] ?? 0) - mx) * ((ys[i] ?? 0) - my);
    sxx += ((xs[i] ?? 0) - mx) ** 2;
  }
  return { slope: sxy / sxx, r2: r * r };
}

export function pearson(xs: readonly number[], ys: readonly number[]): number | null {
  const n = Math.min(xs.length, ys.length);
  if (n < 4) return null;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += xs[i] ?? 0;
    my += ys[i] ?? 0;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = (xs[i] ?? 0) - mx;
    const dy = (ys[i] ?? 0) - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : null;
}

interface ClientLatency {
  /** Measured interval indices. */
  indices: number[];
  p99Sec: number[];
  meanSec: number[];
}

function clientLatency(run: RunFile): ClientLatency {
  const indices: number[] = [];
  const p99Sec: number[] = [];
  const meanSec: number[] = [];
  run.intervals.forEach((interval, index) => {
    if (interval.warmup) return;
    const merged = LatencyHistogram.merge(Object.values(interval.requests).map((request) => LatencyHistogram.decode(request.latency)));
    if (merged.count === 0) return;
    indices.push(index);
    p99Sec.push(merged.percentileUs(99) / 1e6);
    meanSec.push(merged.meanUs / 1e6);
  });
  return { indices, p99Sec, meanSec };
}

/** The signal and client p99 over the intervals where both exist. */
function correlate(values: readonly (number | null)[], client: ClientLatency): { r: number | null; share: number } {
  const xs: number[] = [];
  const ys: number[] = [];
  client.indices.forEach((index, k) => {
    const value = values[index];
    if (value !== null && value !== undefined && Number.isFinite(value)) {
      xs.push(value);
      ys.push(client.p99Sec[k] ?? 0);
    }
  });
  const r = pearson(xs, ys);
  return { r: r === null ? null : Number(r.toFixed(3)), share: r !== null && r > 0 ? Number((r * r).toFixed(3)) : 0 };
}

function measured(values: readonly (number | null)[] | undefined, client: ClientLatency): number[] {
  return client.indices.map((index) => values?.[index]).filter((value): value is number => value !== null && value !== undefined && Number.isFinite(value));
}

const max = (values: readonly number[]): number => values.reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY);
const ms = (seconds: number): string => `${(seconds * 1000).toFixed(1)} ms`;

function combine(a: readonly (number | null)[], b: readonly (number | null)[], op: (x: number, y: number) => number | null): (number | null)[] {
  return a.map((x, i) => {
    const y = b[i];
    return x === null || y === null || y === undefined ? null : op(x, y);
  });
}

/** Runs every detector over the run's signals. */
export function detectSignalFindings(run: RunFile): SignalFinding[] {
  const signals = run.signals;
  if (!signals) return [];
  const client = clientLatency(run);
  const findings: (SignalFinding & { severity: number })[] = [];
  const add = (finding: Omit<SignalFinding, 'correlation' | 'explainedShare'>, values: readonly (number | null)[], severity: number): void => {
    const { r, share } = correlate(values, client);
    findings.push({ ...finding, correlation: r, explainedShare: share, severity });
  };
  for (const source of signals.sources) {
    const series = signals.series.filter((item) => item.source === source.name);
    const find = (metric: string): SignalSeries | undefined => series.find((item) => item.metric === metric);
    // CPU saturation: process cores against the cgroup quota when known, else the machine's cores.
    const user = find('process_cpu_user_seconds_total')?.rate ?? find('cgroup_cpu_user_seconds_total')?.rate;
    const system = find('process_cpu_system_seconds_total')?.rate ?? find('cgroup_cpu_system_seconds_total')?.rate;
    const quota = measured(find('cgroup_cpu_quota_cores')?.value, client)[0];
    const capacity = quota ?? run.environment.cpus;
    if (user && system) {
      const share = combine(user, system, (u, s) => (u + s) / capacity);
      const peak = max(measured(share, client));
      if (peak >= SIGNAL_THRESHOLDS.cpuSaturation) {
        add({
          kind: 'cpu-saturation',
          source: source.name,
          resource: `CPU of ${source.name} (${source.target})`,
          evidence: `CPU reached ${(peak * 100).toFixed(0)}% of ${capacity} core${capacity === 1 ? '' : 's'} in a measured interval`,
          fix: 'profile it (--profile) and cut the hottest functions, or add cores/instances',
          tradeOff: 'more instances cost money and move the bottleneck downstream; code changes need their own validation run',
        }, share, peak / SIGNAL_THRESHOLDS.cpuSaturation);
      }
    }
    const throttled = find('cgroup_cpu_throttled_periods_total')?.rate;
    const periods = find('cgroup_cpu_periods_total')?.rate;
    if (throttled && periods) {
      const share = combine(throttled, periods, (t, p) => (p > 0 ? t / p : null));
      const peak = max(measured(share, client));
      if (peak >= SIGNAL_THRESHOLDS.throttledPeriodShare) {
        add({
          kind: 'cpu-throttling',
          source: source.name,
          resource: `CPU quota of ${source.target}`,
          evidence: `${(peak * 100).toFixed(0)}% of CFS periods throttled in a measured interval${quota !== undefined ? ` (quota ${quota} cores)` : ''}`,
          fix: 'raise the CPU limit (or remove it and keep the request), or lower the work per request',
          tradeOff: 'a higher limit packs fewer containers per node; without a limit a noisy neighbour can take the CPU',
        }, share, peak / SIGNAL_THRESHOLDS.throttledPeriodShare);
      }
    }
    for (const gc of series.filter((item) => item.metric === 'nodejs_gc_duration_seconds' && item.rate && item.mean)) {
      const share = combine(gc.rate ?? [], gc.mean ?? [], (rate, mean) => rate * mean);
      const peak = max(measured(share, client));
      if (peak >= SIGNAL_THRESHOLDS.gcTimeShare) {
        add({
          kind: 'gc-pressure',
          source: source.name,
          resource: `garbage collector of ${source.name}${gc.labels.kind ? ` (${gc.labels.kind})` : ''}`,
          evidence: `GC took ${(peak * 100).toFixed(1)}% of wall time in a measured interval`,
          fix: 'allocate less per request (reuse buffers, stream instead of building large objects) or raise --max-old-space-size',
          tradeOff: 'a larger heap makes each full collection longer; object reuse adds code complexity',
        }, share, peak / SIGNAL_THRESHOLDS.gcTimeShare);
      }
    }
    const lag = find('nodejs_eventloop_lag_p99_seconds')?.value;
    if (lag) {
      const peak = max(measured(lag, client));
      if (peak >= SIGNAL_THRESHOLDS.eventLoopDelaySec) {
        add({
          kind: 'event-loop-delay',
          source: source.name,
          resource: `event loop of ${source.name}`,
          evidence: `event-loop delay p99 reached ${ms(peak)} in a measured interval`,
          fix: 'move synchronous CPU work (JSON of large bodies, crypto, regexes) off the event loop (worker threads) or split it',
          tradeOff: 'worker threads add copying and a queue; splitting work adds latency to the split request',
        }, lag, peak / SIGNAL_THRESHOLDS.eventLoopDelaySec);
      }
    }
    for (const histogram of series.filter((item) => item.kind === 'histogram' && item.p99)) {
      const isSync = /fsync|wal_.*sync|disk_.*sync/.test(histogram.metric);
      const isPeer = /peer_round_trip/.test(histogram.metric);
      if (!isSync && !isPeer) continue;
      const p99 = histogram.p99 ?? [];
      const peak = max(measured(p99, client));
      const threshold = isSync ? SIGNAL_THRESHOLDS.diskSyncP99Sec : SIGNAL_THRESHOLDS.peerRoundTripP99Sec;
      if (peak < threshold) continue;
      const labels = Object.entries(histogram.labels).map(([key, value]) => `${key}=${value}`).join(',');
      add(
        isSync
          ? { kind: 'disk-sync', source: source.name, resource: `disk sync of ${source.name} (${histogram.metric})`, evidence: `sync p99 reached ${ms(peak)} in a measured interval`, fix: 'put the WAL on a dedicated low-latency disk (NVMe, no noisy neighbours), or batch writes', tradeOff: 'dedicated fast disks cost more; larger batches add latency to each write' }
          : { kind: 'peer-round-trip', source: source.name, resource: `network to peer ${labels || source.name}`, evidence: `peer round trip p99 reached ${ms(peak)} in a measured interval`, fix: 'place the members closer (same zone), or check the network path for loss and queueing', tradeOff: 'members in one zone lose zone-failure tolerance' },
        p99,
        peak / threshold,
      );
    }
    // Soak: a heap that grows steadily across intervals is a leak suspect, whatever latency does.
    const heap = find('nodejs_heap_size_used_bytes') ?? find('process_resident_memory_bytes');
    if (heap?.value) {
      const xs: number[] = [];
      const ys: number[] = [];
      for (const index of client.indices) {
        const value = heap.value[index];
        const interval = run.intervals[index];
        if (value !== null && value !== undefined && interval) {
          xs.push(interval.startMs / 60_000);
          ys.push(value);
        }
      }
      const trend = xs.length >= SIGNAL_THRESHOLDS.heapGrowthMinIntervals ? linearTrend(xs, ys) : undefined;
      if (trend && trend.slope >= SIGNAL_THRESHOLDS.heapGrowthBytesPerMin && trend.r2 >= SIGNAL_THRESHOLDS.heapGrowthMinR2) {
        add({
          kind: 'heap-growth',
          source: source.name,
          resource: `memory of ${source.name} (${heap.metric})`,
          evidence: `grows ${(trend.slope / 1024 / 1024).toFixed(1)} MiB/min over ${xs.length} intervals (linear fit r² ${trend.r2.toFixed(2)}): leak suspect`,
          fix: 'take two heap snapshots minutes apart and compare retained objects (caches without bounds, listeners, closures held by timers)',
          tradeOff: 'bounding a cache lowers its hit rate',
        }, heap.value, trend.slope / SIGNAL_THRESHOLDS.heapGrowthBytesPerMin);
      }
    }
    // The gap between the client's latency and the server's own handling time: queueing before the handler,
    // pauses, the network — none of which shows in the handler's histogram.
    const handling = series.find((item) => item.kind === 'histogram' && /handling_seconds|request_duration_seconds|server_duration_seconds/.test(item.metric) && item.mean);
    if (handling?.mean) {
      const gapByInterval = run.intervals.map((_, index) => {
        const k = client.indices.indexOf(index);
        const mean = handling.mean?.[index];
        return k < 0 || mean === null || mean === undefined ? null : (client.meanSec[k] ?? 0) - mean;
      });
      const clientMean = client.meanSec.reduce((a, b) => a + b, 0) / Math.max(1, client.meanSec.length);
      const gaps = measured(gapByInterval, client);
      const meanGap = gaps.reduce((a, b) => a + b, 0) / Math.max(1, gaps.length);
      if (gaps.length > 0 && meanGap >= SIGNAL_THRESHOLDS.outsideHandlerMinSec && meanGap >= SIGNAL_THRESHOLDS.outsideHandlerShare * clientMean) {
        add({
          kind: 'outside-handler',
          source: source.name,
          resource: `time outside ${source.name}'s handler (${handling.metric})`,
          evidence: `client mean ${ms(clientMean)} vs handler mean ${ms(clientMean - meanGap)}: ${ms(meanGap)} (${((meanGap / clientMean) * 100).toFixed(0)}%) is spent before or after the handler`,
          fix: 'look for queueing in front of the handler (accept backlog, proxy, connection pool of the caller), event-loop stalls and GC pauses',
          tradeOff: 'more concurrency in front of a saturated handler only moves the queue',
        }, gapByInterval, meanGap / (SIGNAL_THRESHOLDS.outsideHandlerShare * clientMean));
      }
    }
  }
  return findings
    .sort((a, b) => b.explainedShare - a.explainedShare || b.severity - a.severity)
    .map(({ severity: _severity, ...finding }) => finding);
}

export function renderSignalFindings(findings: readonly SignalFinding[]): string {
  if (findings.length === 0) return 'signal findings: none';
  const lines = ['signal findings (most of the client p99 variation explained first):'];
  findings.forEach((finding, index) => {
    lines.push(`  ${index + 1}. ${finding.kind}: ${finding.resource}`);
    lines.push(`     ${finding.evidence}; explains ${(finding.explainedShare * 100).toFixed(0)}% of client p99 variation over intervals (r ${finding.correlation ?? 'n/a'})`);
    lines.push(`     fix: ${finding.fix}; trade-off: ${finding.tradeOff}`);
  });
  return lines.join('\n');
}
