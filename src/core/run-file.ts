/**
 * The run file: the versioned JSON document a load run produces. Every view (terminal, JSON, HTML,
 * compare, history) is rendered from run files and never re-runs load.
 *
 * Layout: config + environment + per-interval records. Each interval holds, per request name, counters
 * and HdrHistograms (encoded) of latency (from intended start) and service time (from actual send), plus
 * the generator's schedule-lag histogram. `summary` is derived from the intervals on write, for people
 * and jq; readers that need exact numbers merge the interval histograms.
 */
import { z } from 'zod';

export const RUN_FILE_FORMAT = 'perfloop-run';
export const RUN_FILE_VERSION = 1;

/** `dns`: the host name did not resolve; `tls`: the TLS handshake failed (e.g. https to a plain-http port, a bad certificate). */
export const ERROR_KINDS = ['refused', 'reset', 'timeout', 'dns', 'tls', 'bad_response', 'unexpected_status', 'other'] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

const encodedHistogram = z.string();

export const requestStatsSchema = z.object({
  /** Completed requests (success or failure) attributed to this interval by completion time. */
  count: z.number().int().nonnegative(),
  /** Requests whose response had the expected status. */
  ok: z.number().int().nonnegative(),
  /** Response status → count. */
  statuses: z.record(z.string(), z.number().int().nonnegative()),
  /** Error kind → count (a request with an unexpected status counts here and in `statuses`). */
  errors: z.record(z.enum(ERROR_KINDS), z.number().int().nonnegative()),
  /** Completion − intended start, µs (all completed requests, failed ones included). */
  latency: encodedHistogram,
  /** Response end − actual send, µs. */
  serviceTime: encodedHistogram,
  bytesReceived: z.number().nonnegative(),
});
export type RequestStats = z.infer<typeof requestStatsSchema>;

export const intervalSchema = z.object({
  /** Interval start, ms since the run's start. */
  startMs: z.number().nonnegative(),
  durationMs: z.number().positive(),
  /** Name of the load phase the interval belongs to. */
  phase: z.string(),
  /** Warm-up intervals are kept for the record and excluded from every result. */
  warmup: z.boolean(),
  /** Requests whose intended start fell in this interval. */
  scheduled: z.number().int().nonnegative(),
  /** Requests actually sent in this interval. */
  sent: z.number().int().nonnegative(),
  requests: z.record(z.string(), requestStatsSchema),
  /** Actual send − intended start, µs: the generator's own health. */
  scheduleLag: encodedHistogram,
  /**
   * What kept the generator threads from their schedule besides their own work (Linux, µs; measured when each
   * thread handed the interval over, so it may lag the interval by up to a quarter second).
   */
  generatorStalls: z
    .object({
      /** Longest garbage-collection pause of any generator thread. */
      gcMaxUs: z.number().nonnegative(),
      /** Time the threads were ready to run but waited for a CPU another thread had (summed over threads). */
      runQueueWaitUs: z.number().nonnegative(),
      /** Time the hypervisor took from the virtual CPUs the threads may run on. */
      stealUs: z.number().nonnegative(),
    })
    .optional(),
});
export type Interval = z.infer<typeof intervalSchema>;
export type IntervalStalls = NonNullable<Interval['generatorStalls']>;

export const healthSchema = z.object({
  valid: z.boolean(),
  /** Plain-language reasons when `valid` is false (and warnings when true). */
  reasons: z.array(z.string()),
  lagP99Us: z.number().nonnegative(),
  lagMaxUs: z.number().nonnegative(),
  /** Generator CPU use, percent of one core per worker, averaged over the run. */
  generatorCpuPct: z.number().nonnegative(),
  /** Requests the schedule asked for vs. requests sent (open model). */
  scheduled: z.number().int().nonnegative(),
  sent: z.number().int().nonnegative(),
  /** Requests still in flight when the run ended (not counted as completed). */
  inFlightAtEnd: z.number().int().nonnegative(),
  /** Schedule lag at the latency percentiles shown (p50 … p99.99): how much of each the generator itself could have added. */
  generatorShareUs: z.record(z.string(), z.number().nonnegative()).optional(),
  /** Latency percentiles whose value the generator's own stalls could account for a large part of (e.g. "p99.9"). */
  untrustworthy: z.array(z.string()).optional(),
  /** Garbage-collection pauses of the generator threads. */
  gcPauseMaxUs: z.number().nonnegative().optional(),
  gcTotalMs: z.number().nonnegative().optional(),
  /** The interval with the largest schedule lag and what its generator threads measured there (stall-attribution.ts). */
  worstStall: z
    .object({
      atMs: z.number().nonnegative(),
      lagMaxUs: z.number().nonnegative(),
      gcMaxUs: z.number().nonnegative(),
      runQueueWaitUs: z.number().nonnegative(),
      stealUs: z.number().nonnegative(),
      cause: z.enum(['garbage collection', 'CPU contention', 'host steal', 'unexplained']),
    })
    .optional(),
  /** Scheduling priority of the generator threads (the lowest any of them got): realtime, raised or normal. */
  generatorPriority: z.enum(['realtime', 'raised', 'normal']).optional(),
});
export type Health = z.infer<typeof healthSchema>;

export const traceSampleSchema = z.object({
  traceId: z.string().regex(/^[0-9a-f]{32}$/),
  spanId: z.string().regex(/^[0-9a-f]{16}$/),
  name: z.string(),
  /** Intended start, ms since the run's start. */
  intendedStartMs: z.number(),
  latencyUs: z.number().nonnegative(),
  /** The generator's own lateness sending it (dispatch − intended start), µs; absent in older run files. */
  lagUs: z.number().nonnegative().optional(),
  status: z.number().int(),
  error: z.enum(ERROR_KINDS).optional(),
});
export type TraceSample = z.infer<typeof traceSampleSchema>;

export const percentileSummarySchema = z.object({
  count: z.number(),
  minUs: z.number(),
  meanUs: z.number(),
  p50Us: z.number(),
  p90Us: z.number(),
  p99Us: z.number(),
  p999Us: z.number(),
  p9999Us: z.number(),
  maxUs: z.number(),
});

export const requestSummarySchema = z.object({
  count: z.number(),
  ok: z.number(),
  errors: z.number(),
  errorRate: z.number(),
  throughputPerSec: z.number(),
  latency: percentileSummarySchema,
  serviceTime: percentileSummarySchema,
});
export type RequestSummary = z.infer<typeof requestSummarySchema>;

export const runSummarySchema = z.object({
  /** Measured (non-warm-up) time, ms. */
  measuredMs: z.number(),
  total: requestSummarySchema,
  byRequest: z.record(z.string(), requestSummarySchema),
});
export type RunSummary = z.infer<typeof runSummarySchema>;

export const environmentSchema = z.object({
  perfloopVersion: z.string(),
  node: z.string(),
  platform: z.string(),
  arch: z.string(),
  cpuModel: z.string(),
  cpus: z.number(),
  hostname: z.string(),
  workers: z.number().int().positive(),
  segment: z.object({ index: z.number().int().nonnegative(), count: z.number().int().positive() }),
});
export type Environment = z.infer<typeof environmentSchema>;

export const startSchema = z.object({
  requestedAt: z.string().optional(),
  actualAt: z.string(),
  /** actual − requested, ms (0 when on time or when no start was requested). */
  lateMs: z.number().nonnegative(),
});

/** Per-interval values of one signal; index i is run interval i, null where no reading covered it. */
const intervalValues = z.array(z.number().nullable());

export const SIGNALS_VERSION = 1;

export const signalSeriesSchema = z.object({
  /** The source's name (`--scrape NAME=…`, `--watch NAME=…`). */
  source: z.string(),
  metric: z.string(),
  labels: z.record(z.string(), z.string()),
  kind: z.enum(['counter', 'gauge', 'histogram', 'summary']),
  /** Counters: increase per second; histograms and summaries: observations per second. */
  rate: intervalValues.optional(),
  /** Gauges: mean of the readings in the interval (else the last reading before it). */
  value: intervalValues.optional(),
  /** Histograms and summaries: Δsum / Δcount over the interval, in the metric's unit. */
  mean: intervalValues.optional(),
  /** Histograms: percentiles of the interval's observations (linear within a bucket, as histogram_quantile). */
  p50: intervalValues.optional(),
  p90: intervalValues.optional(),
  p99: intervalValues.optional(),
});
export type SignalSeries = z.infer<typeof signalSeriesSchema>;

export const signalSourceSchema = z.object({
  name: z.string(),
  kind: z.enum(['prometheus', 'process', 'cgroup']),
  /** URL, `pid:N`, `port:N (pid M)` or the cgroup path. */
  target: z.string(),
  /** Readings attempted and how many failed, by reason (timeout, refused, status, garbage, gone, other). */
  attempts: z.number().int().nonnegative(),
  failures: z.record(z.string(), z.number().int().nonnegative()),
  firstError: z.string().optional(),
  /** Lines of an exposition that did not parse, summed over the run. */
  badLines: z.number().int().nonnegative(),
  /** Series beyond the cap, and the metrics they belonged to (first 20). */
  droppedSeries: z.number().int().nonnegative(),
  droppedMetrics: z.array(z.string()),
});
export type SignalSource = z.infer<typeof signalSourceSchema>;

export const signalFindingSchema = z.object({
  /**
   * The detector's finding kind: cpu-saturation, cpu-throttling, gc-pressure, event-loop-delay, disk-sync,
   * peer-round-trip, outside-handler, heap-growth — and those of detectors added later (src/signals/all-signal-detectors.ts).
   */
  kind: z.string(),
  source: z.string(),
  /** The resource in words, e.g. `CPU of api-proc (pid 42)`. */
  resource: z.string(),
  evidence: z.string(),
  /** Pearson r between the signal and client latency p99 over the measured intervals (null: < 4 intervals). */
  correlation: z.number().nullable(),
  /** r² when r > 0: the share of the client p99's variation over intervals the signal accounts for. */
  explainedShare: z.number().min(0).max(1),
  /**
   * explainedShare × how far the client p99 rose above its best measured interval on average, µs: the p99 the
   * resource accounts for, on the scale of the trace findings' predicted p99 saving (absent in older files).
   */
  explainedP99Us: z.number().nonnegative().optional(),
  /** Soak findings: the least-squares growth, bytes per minute, and the linear fit's r². */
  slopeBytesPerMin: z.number().optional(),
  fitR2: z.number().optional(),
  fix: z.string(),
  tradeOff: z.string(),
});
export type SignalFinding = z.infer<typeof signalFindingSchema>;

export const KV_CULPRIT_KINDS = ['network', 'throttle', 'cpu', 'fsync', 'gc', 'stall', 'lock', 'serialization'] as const;

/** A finding of the replicated key-value diagnosis (src/signals/kv-findings.ts): culprit, node, fix. */
export const kvFindingSchema = z.object({
  culprit: z.enum(KV_CULPRIT_KINDS),
  /** Where: `leader kv0`, `follower kv2`, `app tier`, `leader kv0 ↔ followers`. */
  node: z.string(),
  /** The member named, when one is. */
  member: z.string().optional(),
  evidence: z.string(),
  /** The culprit switch(es) that fix it in the kv lab, e.g. `wal-tmpfs`, `throttle=0`. */
  labFix: z.string(),
  fix: z.string(),
  tradeOff: z.string(),
  /** 1: a cause; 2: possibly a consequence; 3: a symptom outside the handler. */
  tier: z.union([z.literal(1), z.literal(2), z.literal(3)]),
  /** How far past the threshold (≥ 1). */
  severity: z.number(),
});
export type KvFinding = z.infer<typeof kvFindingSchema>;

export const signalsSchema = z.object({
  version: z.literal(SIGNALS_VERSION),
  /** Resource findings, most explanatory first (src/signals/signal-findings.ts). */
  findings: z.array(signalFindingSchema).optional(),
  /** The kv diagnosis of a kv-lab run, ranked (causes first); absent for other runs. */
  kvFindings: z.array(kvFindingSchema).optional(),
  /** What the kv diagnosis looked at and dismissed (a quorum-hidden follower, a saturated machine). */
  kvNotes: z.array(z.string()).optional(),
  /** Same grid as `intervals`: series index i is interval i. */
  intervalMs: z.number().positive(),
  sources: z.array(signalSourceSchema),
  series: z.array(signalSeriesSchema),
});
export type Signals = z.infer<typeof signalsSchema>;

export const PROFILES_VERSION = 1;

export const profileFrameSchema = z.object({ name: z.string(), file: z.string(), line: z.number().int() });
/** A call-tree node: `frame` indexes `frames`, `parent` indexes `nodes` (-1 for a root), `self` in `unit`. */
export const profileNodeSchema = z.object({ frame: z.number().int().nonnegative(), parent: z.number().int(), self: z.number().nonnegative() });

export const storedProfileSchema = z.object({
  name: z.string(),
  /** `http://…/debug/pprof` or `inspector://host:port`. */
  source: z.string(),
  /** `cpu`: CPU time per call path; `heap`: bytes allocated per call path during the window (sampled). */
  kind: z.enum(['cpu', 'heap']),
  /** Collection window, ms since the run's start. */
  startMs: z.number(),
  durationMs: z.number().nonnegative(),
  /** Unit of `self`: CPU nanoseconds (cpu) or bytes (heap). */
  unit: z.enum(['ns', 'bytes']),
  frames: z.array(profileFrameSchema),
  nodes: z.array(profileNodeSchema),
  /** Nodes merged into their parent because the tree was over the cap. */
  prunedNodes: z.number().int().nonnegative(),
  /** Set when collection failed: the profile is then empty. */
  error: z.string().optional(),
});
export type StoredProfile = z.infer<typeof storedProfileSchema>;

export const profilesSchema = z.object({ version: z.literal(PROFILES_VERSION), profiles: z.array(storedProfileSchema) });
export type Profiles = z.infer<typeof profilesSchema>;

export const runFileSchema = z.object({
  format: z.literal(RUN_FILE_FORMAT),
  version: z.literal(RUN_FILE_VERSION),
  id: z.string(),
  startedAt: z.string(),
  endedAt: z.string(),
  /** True when the run was stopped early (Ctrl-C, SIGTERM): everything measured so far is kept. */
  interrupted: z.boolean(),
  /** The validated scenario, as JSON (see src/load/scenario.ts). */
  scenario: z.record(z.string(), z.unknown()),
  environment: environmentSchema,
  intervalMs: z.number().positive(),
  intervals: z.array(intervalSchema),
  health: healthSchema,
  summary: runSummarySchema,
  /** Present when requests carried traceparent headers. */
  traces: z
    .object({
      sampleRate: z.number().min(0).max(1),
      /** Sampled requests, capped at `samplesCap` (reservoir over the run). */
      samples: z.array(traceSampleSchema),
      samplesCap: z.number().int().positive(),
      /** Analysis results (findings, tiers, critical paths) — shape owned by src/trace/. */
      analysis: z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
  /** Scraped metrics and process/cgroup signals per interval (`--scrape`, `--watch`). */
  signals: signalsSchema.optional(),
  /** CPU profiles collected during the run (`--profile`). */
  profiles: profilesSchema.optional(),
  /** Names of the run files this one was merged from, when produced by `perfloop merge`. */
  mergedFrom: z.array(z.string()).optional(),
  /** `sha256:` + hex of the RFC 8785 canonical `scenario`: segments of one schedule share it (core/scenario-hash.ts). */
  scenarioHash: z.string().regex(/^sha256:[0-9a-f]{64}$/).optional(),
  /** When the schedule began (its intended time 0) by this machine's wall clock; `requestedAt` is `--start-at`. */
  start: startSchema.optional(),
  /** What `perfloop merge` combined: segments of one schedule or repeats, each part's identity and start. */
  merge: z
    .object({
      kind: z.enum(['segments', 'repeats']),
      parts: z.array(
        z.object({
          source: z.string(),
          id: z.string(),
          segment: environmentSchema.shape.segment,
          hostname: z.string(),
          workers: z.number().int().positive(),
          start: startSchema.optional(),
        }),
      ),
      /** Plain-language doubts about the merge (segments not started together, …). */
      warnings: z.array(z.string()),
    })
    .optional(),
});
export type RunFile = z.infer<typeof runFileSchema>;
