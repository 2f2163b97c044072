/**
 * `perfloop demo`: the whole loop against the lab — measure (with traces), take the top finding,
 * apply its fix, measure again, compare with statistical confidence, repeat until no finding that the
 * lab can fix remains or the round limit is reached.
 */
import { join } from 'node:path';
import { compareRuns, type RunComparison } from '../compare/compare-runs.js';
import { writeRunFile } from '../core/run-file-io.js';
import type { RunFile } from '../core/run-file.js';
import { LAB_PROBLEMS, type FixName } from '../lab-control/lab-problems.js';
import { applyFix, startLab, type Lab } from '../lab-control/lab.js';
import { runLoad } from '../load/run-load.js';
import { writeReport } from '../report/html-report-writer.js';
import { attachTraceAnalysis } from '../trace/attach-trace-analysis.js';
import { startReceiver, type TraceReceiver } from '../trace/receiver.js';
import type { TraceAnalysis } from '../trace/trace-analysis.js';
import { demoScenario, type DemoLoad } from './demo-scenario.js';

type Finding = TraceAnalysis['findings'][number];

export interface DemoOptions extends DemoLoad {
  maxRounds: number;
  outDir: string;
  /** Findings whose predicted p99 saving is below this share of the p99 are not worth a round. */
  minSavingShare: number;
  databaseUrl?: string;
  redisUrl?: string;
  log: (line: string) => void;
}

export interface DemoRound {
  round: number;
  finding: Finding;
  fix: FixName;
  runFile: string;
  /** Predicted saving of the fixed finding, µs (from re-timing the traces). */
  predictedSavingUs: { p50: number; p99: number };
  /** Measured change, previous run → this run: base − candidate, µs (positive = faster). */
  measuredSavingUs: { p50: number; p99: number };
  comparison: RunComparison;
}

export interface DemoResult {
  baselineRunFile: string;
  rounds: DemoRound[];
  remainingFindings: Finding[];
  reportFile: string;
  stoppedBecause: string;
}

/**
 * The lab's data set is small (tens of thousands of rows), so its unindexed scans take ~20 ms, not the
 * seconds they take in production: the demo asks the slow-query detector for 10 ms instead of 50 ms.
 * Every lab problem touches at least a tenth of the mix, so a finding in under 5% of requests is the
 * shared machine's scheduling jitter (two parallel calls that happened not to overlap), not a problem.
 */
export const DEMO_THRESHOLDS = { slowQueryMs: 10, minShareOfRequests: 0.05 };

/** Detectors that point at a lab switch, beyond each problem's own detector. */
const DETECTOR_ALIASES: Record<string, FixName> = { 'pool-saturation': 'lock' };

export function fixForFinding(finding: Finding, applied: ReadonlySet<FixName>): FixName | undefined {
  const fix = LAB_PROBLEMS.find((problem) => problem.detector === finding.detector)?.name ?? DETECTOR_ALIASES[finding.detector];
  return fix && !applied.has(fix) ? fix : undefined;
}

const metricValue = (comparison: RunComparison, metric: string): { base: number; candidate: number } => {
  const found = comparison.total.metrics.find((candidate) => candidate.metric === metric);
  return { base: found?.base ?? 0, candidate: found?.candidate ?? 0 };
};

async function measure(lab: Lab, receiver: TraceReceiver, options: DemoOptions, name: string): Promise<{ run: RunFile; analysis: TraceAnalysis; path: string }> {
  const scenario = demoScenario(lab.gatewayUrl, options);
  const measured = await runLoad(scenario, { traceSampleRate: 1 });
  const { run, analysis } = await attachTraceAnalysis(measured, receiver, { quietMs: 500, maxWaitMs: 4000, analysis: { thresholds: DEMO_THRESHOLDS } });
  const path = join(options.outDir, `${name}.json`);
  await writeRunFile(path, run);
  return { run, analysis, path };
}

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const { log } = options;
  const receiver = await startReceiver({ port: 0 });
  let lab: Lab | undefined;
  try {
    log(`starting the lab (gateway, orders, customers, inventory, notifications; ${options.databaseUrl ? 'Postgres' : 'embedded PGlite'}) with all eight problems on…`);
    lab = await startLab({
      fixes: new Set(),
      port: 0,
      otlpEndpoint: receiver.url,
      ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
      ...(options.redisUrl ? { redisUrl: options.redisUrl } : {}),
    });
    log(`lab up at ${lab.gatewayUrl}; load: ${options.ratePerSec} req/s Poisson for ${options.durationMs / 1000}s per round after ${options.warmupMs / 1000}s warm-up`);
    const applied = new Set<FixName>();
    const rounds: DemoRound[] = [];
    let current = await measure(lab, receiver, options, 'round-0-baseline');
    const baselinePath = current.path;
    const runPaths = [current.path];
    log(`baseline: p50 ${(current.run.summary.total.latency.p50Us / 1000).toFixed(1)} ms, p99 ${(current.run.summary.total.latency.p99Us / 1000).toFixed(1)} ms, ${current.analysis.findings.length} findings`);
    let stoppedBecause = `round limit (${options.maxRounds}) reached`;
    for (let round = 1; round <= options.maxRounds; round++) {
      const p99Us = current.run.summary.total.latency.p99Us;
      const candidates = current.analysis.findings.filter((finding) => fixForFinding(finding, applied) !== undefined);
      const top = candidates.find((finding) => finding.predictedSavingUs.p99 >= options.minSavingShare * p99Us);
      if (!top) {
        stoppedBecause = candidates.length === 0 ? 'no finding left that the lab can fix' : `no finding predicts saving ≥ ${(options.minSavingShare * 100).toFixed(0)}% of p99`;
        break;
      }
      const fix = fixForFinding(top, applied) as FixName;
      log(`round ${round}: top finding ${top.detector} at ${top.where.service} ${top.where.operation} — predicted p99 saving ${(top.predictedSavingUs.p99 / 1000).toFixed(1)} ms; applying fix "${fix}"`);
      await applyFix(lab, fix);
      applied.add(fix);
      const next = await measure(lab, receiver, options, `round-${round}-${fix.replace(/[^a-z0-9]+/gi, '-')}`);
      runPaths.push(next.path);
      const comparison = compareRuns([current.run], [next.run]);
      const p50 = metricValue(comparison, 'p50');
      const p99 = metricValue(comparison, 'p99');
      rounds.push({
        round,
        finding: top,
        fix,
        runFile: next.path,
        predictedSavingUs: top.predictedSavingUs,
        measuredSavingUs: { p50: p50.base - p50.candidate, p99: p99.base - p99.candidate },
        comparison,
      });
      log(`  → p50 ${(p50.base / 1000).toFixed(1)} → ${(p50.candidate / 1000).toFixed(1)} ms, p99 ${(p99.base / 1000).toFixed(1)} → ${(p99.candidate / 1000).toFixed(1)} ms: ${comparison.verdict}`);
      current = next;
    }
    const reportFile = await writeReport([baselinePath, current.path], join(options.outDir, 'report.html'));
    return { baselineRunFile: baselinePath, rounds, remainingFindings: current.analysis.findings, reportFile, stoppedBecause };
  } finally {
    await lab?.stop();
    await receiver.close();
  }
}
