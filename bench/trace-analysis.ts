/**
 * Trace analysis throughput on one core: span trees + critical paths, and the full analyzeTraces
 * (trees, paths, tiers, all detectors with re-timed savings), in spans per second. Target ≥ 1M spans/s
 * for trees + critical path. Both wall-clock and CPU-time rates are printed: on a shared machine the
 * process's own CPU time (process.cpuUsage, user + system) is the fairer "one core" figure.
 */
import { analyzeTraces } from '../src/trace/analyze-traces.js';
import { criticalPath } from '../src/trace/critical-path.js';
import { buildTraceTrees } from '../src/trace/span-tree.js';
import { syntheticTraces } from './trace-synthetic.js';

const TRACES = Number(process.env.TRACES ?? 50_000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const spans = syntheticTraces(TRACES);
console.log(`trace analysis bench: ${TRACES} traces × ${spans.length / TRACES} spans = ${spans.length} spans, ${ROUNDS} rounds, node ${process.version}`);

function measure(label: string, run: () => number): void {
  run(); // warm-up
  const wallRates: number[] = [];
  const cpuRates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const started = process.hrtime.bigint();
    const cpuStarted = process.cpuUsage();
    const checksum = run();
    const cpu = process.cpuUsage(cpuStarted);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (checksum < 0) throw new Error('impossible');
    wallRates.push(spans.length / seconds);
    cpuRates.push(spans.length / ((cpu.user + cpu.system) / 1e6));
  }
  const median = (rates: number[]): string => (([...rates].sort((a, b) => a - b)[Math.floor(rates.length / 2)] ?? 0) / 1e6).toFixed(2);
  console.log(`${label.padEnd(48)} ${median(wallRates)} M spans/s wall   ${median(cpuRates)} M spans/CPU-s`);
}

measure('span trees + critical path', () => {
  let sections = 0;
  for (const tree of buildTraceTrees(spans)) sections += criticalPath(tree).sections.length;
  return sections;
});
measure('analyzeTraces (trees, paths, tiers, detectors)', () => analyzeTraces(spans).findings.length);
