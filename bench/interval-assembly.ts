/**
 * The main thread's work per interval while a run measures: adding a generator thread's raw interval
 * (sparse buckets) and encoding it for the run file. Whatever this costs runs once per interval beside the
 * generator — on the same core when a run is pinned — so it must stay far below the lag a run may show.
 * Beside it: the same without reusing histograms, and the HDR encoding alone (deflate + base64: the floor).
 * The first version (fresh histograms, each bucket recorded by value) took 0.8 ms per interval warm here,
 * and ≈ 9 ms per interval in a profiled real run on a busy machine (cold code, more GC).
 *
 *   node dist/bench/interval-assembly.js [intervals=400]
 */
import { IntervalAssembler, type RawInterval } from '../src/load/raw-interval.js';
import { LatencyHistogram } from '../src/histogram/latency-histogram.js';
import type { IntervalGrid } from '../src/load/interval-plan.js';
import { seededRandom } from '../src/load/random.js';

const intervals = Number(process.argv[2] ?? 400);
const random = seededRandom(7);

/** 1,000 requests of a fast target with a long tail (≈ 500 non-empty buckets), as a generator seals them. */
function sparse(baseUs: number, spreadUs: number): Float64Array {
  const histogram = LatencyHistogram.empty();
  for (let n = 0; n < 1000; n++) histogram.record(baseUs + Math.floor(random() ** 6 * spreadUs));
  return histogram.toSparse();
}
const raw = (index: number): RawInterval => ({
  index,
  durationMs: 1000,
  scheduled: 1000,
  sent: 1000,
  scheduleLag: sparse(5, 3000),
  requests: { get: { count: 1000, ok: 1000, statuses: { 200: 1000 }, errors: {}, bytesReceived: 612_000, latency: sparse(150, 4000), serviceTime: sparse(130, 3000) } },
});
const raws = Array.from({ length: intervals }, (_, index) => raw(index));
const grid = { at: (index: number) => ({ startMs: index * 1000, durationMs: 1000, phase: 'main', warmup: false }) } as unknown as IntervalGrid;

function freshEachInterval(item: RawInterval): void {
  // Without the pool: fresh histograms each interval (allocated, then grown as buckets arrive), then encoded.
  for (const sparseBuckets of [item.scheduleLag, item.requests['get']?.latency, item.requests['get']?.serviceTime]) {
    const histogram = LatencyHistogram.empty();
    if (sparseBuckets) histogram.addSparse(sparseBuckets);
    histogram.encode();
  }
}

function encodeOnly(item: RawInterval): void {
  for (const sparseBuckets of [item.scheduleLag, item.requests['get']?.latency, item.requests['get']?.serviceTime]) {
    if (sparseBuckets) encoders.addSparse(sparseBuckets);
    encoders.encode();
    encoders.reset();
  }
}
const encoders = LatencyHistogram.empty();

function cpuMsPer(label: string, work: (item: RawInterval) => void): void {
  const warm = raws.slice(0, intervals / 4);
  warm.forEach(work);
  const measured = raws.slice(intervals / 4);
  const before = process.cpuUsage();
  measured.forEach(work);
  const used = process.cpuUsage(before);
  console.log(`${label.padEnd(34)} ${((used.user + used.system) / 1000 / measured.length).toFixed(3)} ms CPU per interval`);
}

console.log(`interval assembly, 1 generator thread, 1 request name, ${intervals} intervals of 1,000 requests`);
const assembler = new IntervalAssembler(grid, 1);
cpuMsPer('perfloop (pooled, added by index)', (item) => assembler.add(item));
cpuMsPer('fresh histograms each interval', freshEachInterval);
cpuMsPer('one reused histogram: encode only', encodeOnly);
