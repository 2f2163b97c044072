/**
 * The built-in resource detectors (pure), one per resource the issue names: CPU saturation, CPU throttling,
 * GC pressure, event-loop delay, disk sync and peer round trip histograms, heap growth (soak) and the time
 * the client sees outside the server's own handler. Each checks a threshold on a measured interval and hands
 * the per-interval values to `detectSignalFindings`, which measures how much of the client p99 they explain.
 */
import type { SignalSeries, SignalSource } from '../core/run-file.js';
import { linearTrend } from './correlation.js';
import { measured, seriesOfSource, type SignalCandidate, type SignalContext, type SignalDetector } from './signal-detector.js';

export const SIGNAL_THRESHOLDS = {
  /** Share of the available cores (the cgroup quota when known, else the machine's cores). */
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

const max = (values: readonly number[]): number => values.reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY);
const ms = (seconds: number): string => `${(seconds * 1000).toFixed(1)} ms`;

function combine(a: readonly (number | null)[], b: readonly (number | null)[], op: (x: number, y: number) => number | null): (number | null)[] {
  return a.map((x, i) => {
    const y = b[i];
    return x === null || y === null || y === undefined ? null : op(x, y);
  });
}

/** A candidate when the values' peak over the measured intervals reaches `threshold`; severity is peak / threshold. */
function aboveThreshold(values: readonly (number | null)[], client: SignalContext['client'], threshold: number, finding: (peak: number) => SignalCandidate['finding']): SignalCandidate[] {
  const peak = max(measured(values, client));
  return peak < threshold ? [] : [{ finding: finding(peak), values, severity: peak / threshold }];
}

type SourceCheck = (source: SignalSource, series: SignalSeries[], find: (metric: string) => SignalSeries | undefined, context: SignalContext) => SignalCandidate[];

/** A detector that looks at each source on its own. */
export function perSourceDetector(name: string, check: SourceCheck): SignalDetector {
  return {
    name,
    detect(context) {
      return context.signals.sources.flatMap((source) => {
        const { series, find } = seriesOfSource(context.signals, source.name);
        return check(source, series, find, context);
      });
    },
  };
}

/** CPU saturation: process cores against the cgroup quota when known, else the machine's cores. */
export const cpuSaturationDetector = perSourceDetector('cpu-saturation', (source, _series, find, { run, client }) => {
  const user = find('process_cpu_user_seconds_total')?.rate ?? find('cgroup_cpu_user_seconds_total')?.rate;
  const system = find('process_cpu_system_seconds_total')?.rate ?? find('cgroup_cpu_system_seconds_total')?.rate;
  if (!user || !system) return [];
  const quota = measured(find('cgroup_cpu_quota_cores')?.value, client)[0];
  const capacity = quota ?? run.environment.cpus;
  const share = combine(user, system, (u, s) => (u + s) / capacity);
  return aboveThreshold(share, client, SIGNAL_THRESHOLDS.cpuSaturation, (peak) => ({
    kind: 'cpu-saturation',
    source: source.name,
    resource: `CPU of ${source.name} (${source.target})`,
    evidence: `CPU reached ${(peak * 100).toFixed(0)}% of ${capacity} core${capacity === 1 ? '' : 's'} in a measured interval`,
    fix: 'profile it (--profile) and cut the hottest functions, or add cores/instances',
    tradeOff: 'more instances cost money and move the bottleneck downstream; code changes need their own validation run',
  }));
});

export const cpuThrottlingDetector = perSourceDetector('cpu-throttling', (source, _series, find, { client }) => {
  const throttled = find('cgroup_cpu_throttled_periods_total')?.rate;
  const periods = find('cgroup_cpu_periods_total')?.rate;
  if (!throttled || !periods) return [];
  const quota = measured(find('cgroup_cpu_quota_cores')?.value, client)[0];
  const share = combine(throttled, periods, (t, p) => (p > 0 ? t / p : null));
  return aboveThreshold(share, client, SIGNAL_THRESHOLDS.throttledPeriodShare, (peak) => ({
    kind: 'cpu-throttling',
    source: source.name,
    resource: `CPU quota of ${source.target}`,
    evidence: `${(peak * 100).toFixed(0)}% of CFS periods throttled in a measured interval${quota !== undefined ? ` (quota ${quota} cores)` : ''}`,
    fix: 'raise the CPU limit (or remove it and keep the request), or lower the work per request',
    tradeOff: 'a higher limit packs fewer containers per node; without a limit a noisy neighbour can take the CPU',
  }));
});

export const gcPressureDetector = perSourceDetector('gc-pressure', (source, series, _find, { client }) =>
  series
    .filter((item) => item.metric === 'nodejs_gc_duration_seconds' && item.rate && item.mean)
    .flatMap((gc): SignalCandidate[] => {
      const share = combine(gc.rate ?? [], gc.mean ?? [], (rate, mean) => rate * mean);
      return aboveThreshold(share, client, SIGNAL_THRESHOLDS.gcTimeShare, (peak) => ({
        kind: 'gc-pressure',
        source: source.name,
        resource: `garbage collector of ${source.name}${gc.labels.kind ? ` (${gc.labels.kind})` : ''}`,
        evidence: `GC took ${(peak * 100).toFixed(1)}% of wall time in a measured interval`,
        fix: 'allocate less per request (reuse buffers, stream instead of building large objects) or raise --max-old-space-size',
        tradeOff: 'a larger heap makes each full collection longer; object reuse adds code complexity',
      }));
    }),
);

export const eventLoopDelayDetector = perSourceDetector('event-loop-delay', (source, _series, find, { client }) => {
  const lag = find('nodejs_eventloop_lag_p99_seconds')?.value;
  if (!lag) return [];
  return aboveThreshold(lag, client, SIGNAL_THRESHOLDS.eventLoopDelaySec, (peak) => ({
    kind: 'event-loop-delay',
    source: source.name,
    resource: `event loop of ${source.name}`,
    evidence: `event-loop delay p99 reached ${ms(peak)} in a measured interval`,
    fix: 'move synchronous CPU work (JSON of large bodies, crypto, regexes) off the event loop (worker threads) or split it',
    tradeOff: 'worker threads add copying and a queue; splitting work adds latency to the split request',
  }));
});

/** Disk sync (fsync/WAL sync histograms) and peer round trip histograms: their p99 per interval. */
export const syncAndPeerDetector = perSourceDetector('disk-sync-and-peer-round-trip', (source, series, _find, { client }) =>
  series
    .filter((item) => item.kind === 'histogram' && item.p99)
    .flatMap((histogram): SignalCandidate[] => {
      const isSync = /fsync|wal_.*sync|disk_.*sync/.test(histogram.metric);
      const isPeer = /peer_round_trip/.test(histogram.metric);
      if (!isSync && !isPeer) return [];
      const p99 = histogram.p99 ?? [];
      const threshold = isSync ? SIGNAL_THRESHOLDS.diskSyncP99Sec : SIGNAL_THRESHOLDS.peerRoundTripP99Sec;
      const labels = Object.entries(histogram.labels).map(([key, value]) => `${key}=${value}`).join(',');
      return aboveThreshold(p99, client, threshold, (peak) =>
        isSync
          ? { kind: 'disk-sync', source: source.name, resource: `disk sync of ${source.name} (${histogram.metric})`, evidence: `sync p99 reached ${ms(peak)} in a measured interval`, fix: 'put the WAL on a dedicated low-latency disk (NVMe, no noisy neighbours), or batch writes', tradeOff: 'dedicated fast disks cost more; larger batches add latency to each write' }
          : { kind: 'peer-round-trip', source: source.name, resource: `network to peer ${labels || source.name}`, evidence: `peer round trip p99 reached ${ms(peak)} in a measured interval`, fix: 'place the members closer (same zone), or check the network path for loss and queueing', tradeOff: 'members in one zone lose zone-failure tolerance' },
      );
    }),
);

/**
 * Soak: a heap (or RSS) that grows steadily across the measured intervals is a leak suspect, whatever latency
 * does. Slope by least squares over interval start times, in bytes per minute; r² says how straight the growth is.
 */
export const heapGrowthDetector = perSourceDetector('heap-growth', (source, _series, find, { run, client }) => {
  const heap = find('nodejs_heap_size_used_bytes') ?? find('process_resident_memory_bytes');
  if (!heap?.value) return [];
  const xs: number[] = [];
  const ys: number[] = [];
  for (const index of client.indices) {
    const value = heap.value[index];
    const interval = run.intervals[index];
    if (value !== null && value !== undefined && interval) {
      // The interval's midpoint: a gauge's value is the mean of the readings taken inside it.
      xs.push((interval.startMs + interval.durationMs / 2) / 60_000);
      ys.push(value);
    }
  }
  const trend = xs.length >= SIGNAL_THRESHOLDS.heapGrowthMinIntervals ? linearTrend(xs, ys) : undefined;
  if (!trend || trend.slope < SIGNAL_THRESHOLDS.heapGrowthBytesPerMin || trend.r2 < SIGNAL_THRESHOLDS.heapGrowthMinR2) return [];
  return [
    {
      finding: {
        kind: 'heap-growth',
        source: source.name,
        resource: `memory of ${source.name} (${heap.metric})`,
        evidence: `grows ${(trend.slope / 1024 / 1024).toFixed(1)} MiB/min over ${xs.length} intervals (linear fit r² ${trend.r2.toFixed(2)}): leak suspect`,
        slopeBytesPerMin: Math.round(trend.slope),
        fitR2: Number(trend.r2.toFixed(3)),
        fix: 'take two heap snapshots minutes apart and compare retained objects (caches without bounds, listeners, closures held by timers), or collect a heap profile (--profile) to see the allocation sites',
        tradeOff: 'bounding a cache lowers its hit rate',
      },
      values: heap.value,
      severity: trend.slope / SIGNAL_THRESHOLDS.heapGrowthBytesPerMin,
    },
  ];
});

/**
 * The gap between the client's latency and the server's own handling time: queueing before the handler,
 * pauses, the network — none of which shows in the handler's histogram.
 */
export const outsideHandlerDetector = perSourceDetector('outside-handler', (source, series, _find, { run, client }) => {
  const handling = series.find((item) => item.kind === 'histogram' && /handling_seconds|request_duration_seconds|server_duration_seconds/.test(item.metric) && item.mean);
  if (!handling?.mean) return [];
  const gapByInterval = run.intervals.map((_, index) => {
    const k = client.indices.indexOf(index);
    const mean = handling.mean?.[index];
    return k < 0 || mean === null || mean === undefined ? null : (client.meanSec[k] ?? 0) - mean;
  });
  const clientMean = client.meanSec.reduce((a, b) => a + b, 0) / Math.max(1, client.meanSec.length);
  const gaps = measured(gapByInterval, client);
  const meanGap = gaps.reduce((a, b) => a + b, 0) / Math.max(1, gaps.length);
  if (gaps.length === 0 || meanGap < SIGNAL_THRESHOLDS.outsideHandlerMinSec || meanGap < SIGNAL_THRESHOLDS.outsideHandlerShare * clientMean) return [];
  return [
    {
      finding: {
        kind: 'outside-handler',
        source: source.name,
        resource: `time outside ${source.name}'s handler (${handling.metric})`,
        evidence: `client mean ${ms(clientMean)} vs handler mean ${ms(clientMean - meanGap)}: ${ms(meanGap)} (${((meanGap / clientMean) * 100).toFixed(0)}%) is spent before or after the handler`,
        fix: 'look for queueing in front of the handler (accept backlog, proxy, connection pool of the caller), event-loop stalls and GC pauses',
        tradeOff: 'more concurrency in front of a saturated handler only moves the queue',
      },
      values: gapByInterval,
      severity: meanGap / (SIGNAL_THRESHOLDS.outsideHandlerShare * clientMean),
    },
  ];
});

/** The built-in detectors, in the order they were specified (the ranking reorders findings). */
export const RESOURCE_DETECTORS: readonly SignalDetector[] = [
  cpuSaturationDetector,
  cpuThrottlingDetector,
  gcPressureDetector,
  eventLoopDelayDetector,
  syncAndPeerDetector,
  heapGrowthDetector,
  outsideHandlerDetector,
];
