/**
 * The affected population of a finding: the requests whose traces contain the finding's spans. Trace ids do not
 * survive into the next measurement (and a fix removes the very spans that marked them), so the population is
 * carried by request name: a scenario request belongs to it when most of its traced requests showed the problem.
 */
import type { TraceSample } from '../core/run-file.js';
import type { TraceAnalysis } from '../trace/trace-analysis.js';

type Finding = TraceAnalysis['findings'][number];

export interface RequestCoverage {
  name: string;
  /** Traced requests of this name that showed the problem. */
  affected: number;
  /** Traced requests of this name. */
  total: number;
}

export interface AffectedPopulation {
  /** Request names judged as the population. */
  names: string[];
  /** Per request name, how many of its traces contained the finding's spans (largest share first). */
  coverage: RequestCoverage[];
  /** Share of the measured traffic in the population, 0..1. */
  trafficShare: number;
  /** Share of the population's requests whose traces contained the finding's spans, 0..1. */
  coveredShare: number;
}

/** A request name joins the population when at least this share of its traces showed the problem. */
export const POPULATION_MIN_COVERAGE = 0.5;

export function affectedPopulation(finding: Finding, samples: readonly TraceSample[]): AffectedPopulation {
  const affectedIds = new Set(finding.affectedTraceIds ?? finding.evidence.exampleTraceIds);
  const byName = new Map<string, RequestCoverage>();
  for (const sample of samples) {
    let entry = byName.get(sample.name);
    if (entry === undefined) byName.set(sample.name, (entry = { name: sample.name, affected: 0, total: 0 }));
    entry.total++;
    if (affectedIds.has(sample.traceId)) entry.affected++;
  }
  const coverage = [...byName.values()].filter((entry) => entry.affected > 0).sort((a, b) => b.affected / b.total - a.affected / a.total || b.affected - a.affected);
  let members = coverage.filter((entry) => entry.affected / entry.total >= POPULATION_MIN_COVERAGE);
  // A problem touching only some requests of every name: judge the name where it acts most.
  if (members.length === 0 && coverage[0] !== undefined) members = [coverage[0]];
  const total = samples.length;
  const inPopulation = members.reduce((sum, entry) => sum + entry.total, 0);
  const covered = members.reduce((sum, entry) => sum + entry.affected, 0);
  return {
    names: members.map((entry) => entry.name).sort(),
    coverage,
    trafficShare: total === 0 ? 0 : inPopulation / total,
    coveredShare: inPopulation === 0 ? 0 : covered / inPopulation,
  };
}
