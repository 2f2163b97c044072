/**
 * HdrHistogram of durations in microseconds (hdr-histogram-js underneath).
 * 3 significant digits: every recorded value is kept within 0.1%, whatever its size, in bounded memory.
 * Histograms merge exactly (bucket-wise add), so intervals, workers and machines combine without loss.
 */
import * as hdr from 'hdr-histogram-js';

/** An encoded histogram: HdrHistogram's standard compressed base64 (V2 encoding), readable by any HDR port. */
export type EncodedHistogram = string;

export interface HistogramBucket {
  /** A value representative of the bucket (its highest equivalent value), in microseconds. */
  valueUs: number;
  count: number;
}

export interface PercentileSummary {
  count: number;
  minUs: number;
  meanUs: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  p999Us: number;
  p9999Us: number;
  maxUs: number;
}

const SIGNIFICANT_DIGITS = 3;

function newHdr(): hdr.Histogram {
  // 64-bit counts: merged totals of long multi-worker runs can pass 2^31 in one bucket.
  return hdr.build({ bitBucketSize: 64, autoResize: true, lowestDiscernibleValue: 1, numberOfSignificantValueDigits: SIGNIFICANT_DIGITS });
}

export class LatencyHistogram {
  private constructor(private readonly hdrHistogram: hdr.Histogram) {}

  static empty(): LatencyHistogram {
    return new LatencyHistogram(newHdr());
  }

  static decode(encoded: EncodedHistogram): LatencyHistogram {
    if (encoded === '') return LatencyHistogram.empty();
    const decoded = hdr.decodeFromCompressedBase64(encoded, 64);
    decoded.autoResize = true;
    return new LatencyHistogram(decoded);
  }

  /** Merges any number of histograms into a new one (exact). */
  static merge(histograms: Iterable<LatencyHistogram>): LatencyHistogram {
    const merged = LatencyHistogram.empty();
    for (const histogram of histograms) merged.add(histogram);
    return merged;
  }

  /** Records a duration; values below 1µs count as 1µs (the histogram's resolution floor). */
  record(valueUs: number, count = 1): void {
    const value = Math.max(1, Math.round(valueUs));
    if (count === 1) this.hdrHistogram.recordValue(value);
    else this.hdrHistogram.recordValueWithCount(value, count);
  }

  add(other: LatencyHistogram): void {
    if (other.count > 0) this.hdrHistogram.add(other.hdrHistogram);
  }

  get count(): number {
    return this.hdrHistogram.totalCount;
  }

  /** The largest value, at bucket resolution (the same before and after encoding). */
  get maxUs(): number {
    return this.count === 0 ? 0 : this.hdrHistogram.getValueAtPercentile(100);
  }

  get minUs(): number {
    return this.count === 0 ? 0 : this.hdrHistogram.minNonZeroValue;
  }

  get meanUs(): number {
    return this.count === 0 ? 0 : this.hdrHistogram.mean;
  }

  /** Value at a percentile in [0, 100]; 0 for an empty histogram. */
  percentileUs(percentile: number): number {
    return this.count === 0 ? 0 : this.hdrHistogram.getValueAtPercentile(percentile);
  }

  summary(): PercentileSummary {
    return {
      count: this.count,
      minUs: this.minUs,
      meanUs: this.meanUs,
      p50Us: this.percentileUs(50),
      p90Us: this.percentileUs(90),
      p99Us: this.percentileUs(99),
      p999Us: this.percentileUs(99.9),
      p9999Us: this.percentileUs(99.99),
      maxUs: this.maxUs,
    };
  }

  /** Non-empty buckets in ascending value order: for resampling, spectra and exact statistics. */
  buckets(): HistogramBucket[] {
    const buckets: HistogramBucket[] = [];
    if (this.count === 0) return buckets;
    const js = this.hdrHistogram as unknown as hdr.JsHistogram;
    const iterator = js.recordedValuesIterator;
    iterator.reset();
    while (iterator.hasNext()) {
      const step = iterator.next();
      buckets.push({ valueUs: js.highestEquivalentValue(step.valueIteratedTo), count: step.countAddedInThisIterationStep });
    }
    return buckets;
  }

  /**
   * The non-empty buckets as `[index, count, index, count, …]`: a compact form that crosses threads as a
   * transferable buffer, so the generator's thread never pays for encoding (see `addSparse`).
   */
  toSparse(): Float64Array {
    const js = this.hdrHistogram as unknown as hdr.JsHistogram;
    const length = this.count === 0 ? 0 : js.countsArrayLength;
    let nonZero = 0;
    for (let index = 0; index < length; index++) if (js.getCountAtIndex(index) !== 0) nonZero++;
    const sparse = new Float64Array(nonZero * 2);
    for (let index = 0, at = 0; index < length; index++) {
      const count = js.getCountAtIndex(index);
      if (count === 0) continue;
      sparse[at++] = index;
      sparse[at++] = count;
    }
    return sparse;
  }

  /**
   * Adds buckets given in the form of `toSparse()` (exact: every histogram here has the same geometry).
   * The lowest and highest buckets go through `recordValueWithCount`, which resizes and keeps min and max;
   * the ones between are added by index — the value → index round trip per bucket was most of the main
   * thread's per-interval work (`bench/interval-assembly.ts`).
   */
  addSparse(sparse: Float64Array): void {
    const pairs = sparse.length >> 1;
    if (pairs === 0) return;
    const js = this.hdrHistogram as unknown as hdr.JsHistogram;
    const last = (pairs - 1) * 2;
    js.recordValueWithCount(js.valueFromIndex(sparse[last] ?? 0), sparse[last + 1] ?? 0);
    if (pairs === 1) return;
    js.recordValueWithCount(js.valueFromIndex(sparse[0] ?? 0), sparse[1] ?? 0);
    let between = 0;
    for (let at = 2; at < last; at += 2) {
      const count = sparse[at + 1] ?? 0;
      js.addToCountAtIndex(sparse[at] ?? 0, count);
      between += count;
    }
    js.addToTotalCount(between);
  }

  encode(): EncodedHistogram {
    return this.count === 0 ? '' : hdr.encodeIntoCompressedBase64(this.hdrHistogram);
  }

  reset(): void {
    this.hdrHistogram.reset();
  }
}
