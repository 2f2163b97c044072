/**
 * `perfloop run URL|scenario.yaml`: runs load, writes the run file (also on Ctrl-C), prints the summary.
 */
import { isScenarioFile, readScenarioFile } from '../../load/scenario-file.js';
import { join } from 'node:path';
import { badInput } from '../../core/errors.js';
import { checkBudget, renderBudgetResult } from '../../compare/budget.js';
import { readBudgetFile } from '../../compare/read-budget-file.js';
import { readRunFile, writeRunFile } from '../../core/run-file-io.js';
import type { RunFile } from '../../core/run-file.js';
import { parseSegment, type Segment } from '../../load/arrival-schedule.js';
import { DEFAULT_SPIN_WINDOW_US, runLoad } from '../../load/run-load.js';
import { segmentFromEnvironment } from '../../load/segment-auto.js';
import { checkStartAt, formatSeconds, parseStartAt, waitUntil, wallClockMs } from '../../load/start-at.js';
import type { TransportKind } from '../../load/worker-protocol.js';
import { GENERATOR_PRIORITIES, type GeneratorPriority } from '../../load/generator-priority.js';
import { scenarioFromUrl } from '../../load/scenario-from-flags.js';
import type { Scenario } from '../../load/scenario.js';
import { writeReport } from '../../report/html-report-writer.js';
import { renderRunSummary } from '../../report/terminal-summary.js';
import { attachTraceAnalysis } from '../../trace/attach-trace-analysis.js';
import { renderFindings } from '../../trace/render-findings.js';
import type { TraceAnalysis } from '../../trace/trace-analysis.js';
import { collectorsFromFlags } from '../../signals/collector-flags.js';
import { rankedFindingsOf, renderRankedFindings } from '../../report/ranked-findings.js';
import { attachCollected, startCollectors, stopCollectors, type RunCollector } from '../../signals/run-collector.js';
import { totalDurationMs } from '../../load/scenario.js';
import type { Command } from '../command.js';
import { parseFlags, positiveInteger, positiveNumber } from '../parse-flags.js';
import { progressDisplay } from '../progress.js';
import { checkRunFlags, checkRunOutputs, startRunReceiver } from '../run-preflight.js';

const usage = `usage: perfloop run URL [--rate R | --users N] [--duration 30s] [options]
       perfloop run scenario.yaml [options]

load (URL form):
  --rate R             open model: R requests/s (default 100)
  --arrival KIND       constant (default) or poisson (seeded: --seed)
  --users N            closed model: N concurrent users instead of a rate
  --think-time D       closed model: pause between a user's requests
  --duration D         measured time (default 10s); D like 30s, 500ms, 1m30s
  --warmup D           warm-up before it, excluded from results
  --method M, -H 'name: value' (repeatable), --body TEXT, --expect 200,204
  --timeout D          per request (default 10s)
  --connections N      connections per origin per worker (default 64)
  --no-keepalive       a new connection per request
traces:
  --traces             start an OTLP/HTTP receiver, mark requests sampled, analyse the server spans
                       (critical path, tiers, findings) and store the analysis in the run file
  --otlp-port P        receiver port (default 4318, loopback)
  --trace-sample R     share of requests traced, 0..1 (default 1 with --traces)
generator:
  --workers N          generator threads (default 1); the schedule always runs in threads of its own
  --transport T        socket (default: a lean HTTP/1.1 client on net/tls sockets) or undici
                       (a scenario's grpc requests use @grpc/grpc-js; templated bodies use undici)
  --dispatch D         precise (default: wake on time to the microsecond, spinning up to 1.5 ms
                       before each due time) or timer (millisecond timers: less CPU, ~1 ms late)
  --priority P         raised (default: nice -5), realtime (the generator thread preempts ordinary
                       work when it wakes: SCHED_RR 1; only with a core per worker) or normal; needs
                       root or CAP_SYS_NICE, falls back as far as permitted; the run file says what it got
signals and profiles (collected on this thread, joined to the run's intervals; see README "Signals"):
  --scrape NAME=URL    scrape a Prometheus/OpenMetrics endpoint every interval (repeatable)
  --watch NAME=SPEC    sample a process or cgroup every interval: pid:N, port:N (the listening process),
                       cgroup:PATH (v1 or v2); CPU, RSS, context switches, throttling, disk I/O (repeatable)
  --profile NAME=URL   CPU and heap profiles for the run: http://host:port/debug/pprof (Go) or inspector://host:port
                       (Node started with --inspect) (repeatable)
run:
  --segment i/n        run share i of n of the schedule (merge the files with perfloop merge)
  --segment auto       the share from a Kubernetes Indexed Job: JOB_COMPLETION_INDEX (0-based) of
                       PERFLOOP_SEGMENT_COUNT (deploy/kubernetes/)
  --start-at TIME      begin the schedule at this wall-clock instant (ISO 8601 with a zone, or epoch ms),
                       so segments on several machines line up interval by interval
  --out FILE           run file (default .perfloop/runs/<id>.json)
  --report             also write the HTML report beside the run file
  --budget FILE        check the run against a budget file; exit 1 when over budget
  --baseline RUN       baseline run file for the budget's relative limits
  --json               print the run summary as JSON on stdout
  --quiet              no live progress

Latency is timed from each request's intended start, so queueing in the generator or the target counts.
Ctrl-C stops the run and still writes a valid run file with everything measured so far.`;

const options = {
  rate: { type: 'string' },
  arrival: { type: 'string' },
  users: { type: 'string' },
  'think-time': { type: 'string' },
  duration: { type: 'string' },
  warmup: { type: 'string' },
  method: { type: 'string' },
  header: { type: 'string', short: 'H', multiple: true },
  body: { type: 'string' },
  expect: { type: 'string' },
  timeout: { type: 'string' },
  connections: { type: 'string' },
  'no-keepalive': { type: 'boolean' },
  seed: { type: 'string' },
  traces: { type: 'boolean' },
  'otlp-port': { type: 'string' },
  'trace-sample': { type: 'string' },
  report: { type: 'boolean' },
  budget: { type: 'string' },
  baseline: { type: 'string' },
  scrape: { type: 'string', multiple: true },
  watch: { type: 'string', multiple: true },
  profile: { type: 'string', multiple: true },
  workers: { type: 'string' },
  transport: { type: 'string' },
  dispatch: { type: 'string' },
  priority: { type: 'string' },
  segment: { type: 'string' },
  'start-at': { type: 'string' },
  out: { type: 'string', short: 'o' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean' },
} as const;

type RunFlags = ReturnType<typeof parseFlags<typeof options>>['values'];

function parseHeaders(lines: readonly string[] | undefined): Record<string, string> | undefined {
  if (!lines) return undefined;
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw badInput('--header', `expected 'name: value', got "${line}"`);
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

/** A scenario from a file, or the one-request scenario of the URL form. */
export async function scenarioFromTarget(target: string, values: RunFlags): Promise<Scenario> {
  if (isScenarioFile(target)) return readScenarioFile(target);
  if (values.arrival !== undefined && values.arrival !== 'constant' && values.arrival !== 'poisson') throw badInput('--arrival', `must be constant or poisson, got "${values.arrival}"`);
  const headers = parseHeaders(values.header);
  return scenarioFromUrl(target, {
    ...(values.rate !== undefined ? { ratePerSec: positiveNumber(values.rate, '--rate') } : {}),
    ...(values.users !== undefined ? { users: positiveInteger(values.users, '--users') } : {}),
    ...(values['think-time'] !== undefined ? { thinkTime: values['think-time'] } : {}),
    ...(values.duration !== undefined ? { duration: values.duration } : {}),
    ...(values.warmup !== undefined ? { warmup: values.warmup } : {}),
    ...(values.arrival !== undefined ? { arrival: values.arrival } : {}),
    ...(values.method !== undefined ? { method: values.method } : {}),
    ...(headers ? { headers } : {}),
    ...(values.body !== undefined ? { body: values.body } : {}),
    ...(values.timeout !== undefined ? { timeout: values.timeout } : {}),
    ...(values.connections !== undefined ? { connections: positiveInteger(values.connections, '--connections') } : {}),
    ...(values['no-keepalive'] ? { keepAlive: false } : {}),
    ...(values.expect !== undefined ? { expect: values.expect.split(',').map((code) => positiveInteger(code, '--expect')) } : {}),
    ...(values.seed !== undefined ? { seed: positiveInteger(values.seed, '--seed') } : {}),
  });
}

function traceSampleRate(values: RunFlags): number {
  if (values['trace-sample'] === undefined) return values.traces ? 1 : 0;
  const rate = Number(values['trace-sample']);
  if (!Number.isFinite(rate) || rate < 0 || rate > 1) throw badInput('--trace-sample', `must be between 0 and 1, got "${values['trace-sample']}"`);
  return rate;
}

/** --segment i/n (1-based) or auto (from a Kubernetes Indexed Job's environment). */
const resolveSegment = (text: string | undefined): Segment | undefined =>
  text === undefined ? undefined : text.trim() === 'auto' ? segmentFromEnvironment(process.env) : parseSegment(text, '--segment', badInput);

/**
 * Ctrl-C (or SIGTERM) while a run is on: the first stops the schedule and lets in-flight requests finish
 * for a moment; the second ends at once with what has arrived. Neither discards: the run file is written.
 */
function interruptions(): { stop: AbortController; force: AbortController; release: () => void } {
  const stop = new AbortController();
  const force = new AbortController();
  const onSignal = (): void => {
    if (stop.signal.aborted) {
      process.stderr.write('\nstopping now: writing the run file with what was measured\n');
      force.abort();
      return;
    }
    process.stderr.write('\nstopping: in-flight requests get a moment to finish, then the run file is written (Ctrl-C again to stop now)\n');
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    stop,
    force,
    release: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

function transportOf(values: RunFlags): TransportKind {
  const transport = values.transport ?? 'socket';
  if (transport !== 'socket' && transport !== 'undici') throw badInput('--transport', `must be socket or undici, got "${transport}"`);
  return transport;
}

function spinWindowOf(values: RunFlags): number {
  const dispatch = values.dispatch ?? 'precise';
  if (dispatch !== 'precise' && dispatch !== 'timer') throw badInput('--dispatch', `must be precise or timer, got "${dispatch}"`);
  return dispatch === 'precise' ? DEFAULT_SPIN_WINDOW_US : 0;
}

interface Interruptions {
  stop: AbortController;
  force: AbortController;
}

/** The load, with live progress; undefined when stopped while waiting for --start-at. */
/** How the generator sends and waits, read from the flags once, before any work. */
interface GeneratorChoice {
  transport: TransportKind;
  spinWindowUs: number;
  priority: GeneratorPriority;
}

function priorityOf(values: RunFlags): GeneratorPriority {
  const priority = values.priority ?? 'raised';
  const known = GENERATOR_PRIORITIES.find((candidate) => candidate === priority);
  if (!known) throw badInput('--priority', `must be ${GENERATOR_PRIORITIES.join(', ')}, got "${priority}"`);
  return known;
}

async function runWithProgress(scenario: Scenario, values: RunFlags, generator: GeneratorChoice, signals: Interruptions, segment: Segment | undefined, startAtMs: number | undefined): Promise<RunFile | undefined> {
  const workers = positiveInteger(values.workers, '--workers', 1);
  if (startAtMs !== undefined) {
    const name = segment ? `segment ${segment.index + 1}/${segment.count}` : 'run';
    process.stderr.write(`${name}: waiting for --start-at ${new Date(startAtMs).toISOString()} (in ${formatSeconds(Math.max(0, startAtMs - wallClockMs()))})\n`);
    // The generator threads take a while to load (seconds on a crowded node): they start some seconds ahead
    // and wait for the start themselves.
    const reached = await waitUntil(startAtMs - 5000, signals.stop.signal);
    if (!reached && signals.stop.signal.aborted) return undefined;
  }
  const progress = values.quiet ? undefined : progressDisplay();
  try {
    return await runLoad(scenario, {
      workers,
      ...(segment ? { segment } : {}),
      ...(startAtMs !== undefined ? { startAtEpochMs: startAtMs } : {}),
      signal: signals.stop.signal,
      forceSignal: signals.force.signal,
      traceSampleRate: traceSampleRate(values),
      ...generator,
      ...(progress ? { onInterval: (interval) => progress.onInterval(interval) } : {}),
    });
  } finally {
    progress?.finish();
  }
}

export const runCommand: Command = {
  name: 'run',
  summary: 'run load against a URL or a scenario file and write a run file',
  usage,
  async run(argv) {
    // First: a Ctrl-C at any point from here on is answered (stop, save), never the default exit.
    const signals = interruptions();
    try {
      return await runAndReport(argv, signals);
    } finally {
      signals.release();
    }
  },
};

async function runAndReport(argv: string[], signals: Interruptions): Promise<number> {
  const { values, positionals } = parseFlags(argv, options, 'run');
  const [target, ...extra] = positionals;
  if (!target) throw badInput('target', 'give a URL or a scenario file (perfloop run --help)');
  if (extra.length > 0) throw badInput('target', `one target only, got also "${extra.join(' ')}"`);
  checkRunFlags(target, values);
  const segment = resolveSegment(values.segment);
  const scenario = await scenarioFromTarget(target, values);
  const startAtMs = values['start-at'] !== undefined ? parseStartAt(values['start-at']) : undefined;
  if (startAtMs !== undefined) checkStartAt(startAtMs, wallClockMs(), scenario.intervalMs);
  // Budget and baseline are read before the load so bad input fails fast.
  const budget = values.budget ? await readBudgetFile(values.budget) : undefined;
  const baseline = values.baseline ? await readRunFile(values.baseline) : undefined;
  checkRunOutputs(values);
  const generator: GeneratorChoice = { transport: transportOf(values), spinWindowUs: spinWindowOf(values), priority: priorityOf(values) };
  // The receiver starts before the load so no span of the first requests is missed.
  const receiver = values.traces ? await startRunReceiver(values) : undefined;
  let run: RunFile;
  let analysis: TraceAnalysis | undefined;
  let collectors: RunCollector[] = [];
  try {
    // Signal scrapers and profilers: validated before the load, started just before it, stopped after it
    // (on this thread: the generator has its own).
    collectors = await collectorsFromFlags(values, scenario.intervalMs);
    await startCollectors(collectors, { intervalMs: scenario.intervalMs, expectedDurationMs: totalDurationMs(scenario) });
    let measured: RunFile | undefined;
    try {
      measured = await runWithProgress(scenario, values, generator, signals, segment, startAtMs);
    } finally {
      await stopCollectors(collectors);
    }
    if (!measured || (measured.interrupted && measured.health.scheduled === 0 && startAtMs !== undefined)) {
      process.stderr.write('stopped before --start-at: nothing was measured, no run file written\n');
      return 130;
    }
    run = attachCollected(measured, collectors);
    if (run.start?.requestedAt && run.start.lateMs > 0) process.stderr.write(`warning: the schedule began ${formatSeconds(run.start.lateMs)} after --start-at\n`);
    // A Ctrl-C while spans are still arriving ends the wait; the spans received so far are analysed.
    if (receiver) ({ run, analysis } = await attachTraceAnalysis(run, receiver, { signal: signals.stop.signal }));
  } finally {
    await receiver?.close();
  }
  const outPath = values.out ?? join('.perfloop', 'runs', `${run.id}.json`);
  await writeRunFile(outPath, run);
  const reportPath = values.report ? await writeReport([outPath], outPath.replace(/(\.json)?$/i, '.html')) : undefined;
  const budgetResult = budget ? checkBudget(run, budget, baseline) : undefined;
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ id: run.id, runFile: outPath, reportFile: reportPath, health: run.health, summary: run.summary, findings: analysis?.findings, signalFindings: run.signals?.findings, rankedFindings: rankedFindingsOf(run), budget: budgetResult })}\n`);
  } else {
    process.stdout.write(`${renderRunSummary(run, outPath)}\n`);
    if (analysis) process.stdout.write(`\n${renderFindings(analysis)}\n`);
    // Signal findings are shown in the one ranking with the trace findings (the trace detail stays above).
    if (run.signals?.findings?.length) process.stdout.write(`\n${renderRankedFindings(rankedFindingsOf(run))}\n`);
    if (reportPath) process.stdout.write(`  report: ${reportPath}\n`);
    if (budgetResult) process.stdout.write(`\n${renderBudgetResult(budgetResult)}\n`);
  }
  if (run.interrupted) return 130;
  return budgetResult && !budgetResult.passed ? 1 : 0;
}
