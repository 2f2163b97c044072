/**
 * Spare histograms for reuse. A fresh HdrHistogram allocates and then grows its counts array as values
 * arrive; on the paths that fill and empty histograms every interval (the generator's recorder, the main
 * thread's interval assembly), reusing them keeps that work and its garbage out of the run.
 */
import { LatencyHistogram } from './latency-histogram.js';

export class HistogramPool {
  private readonly spare: LatencyHistogram[] = [];

  take(): LatencyHistogram {
    return this.spare.pop() ?? LatencyHistogram.empty();
  }

  /** Empties `histogram` and keeps it for the next `take`; the caller must not use it again. */
  give(histogram: LatencyHistogram): void {
    histogram.reset();
    this.spare.push(histogram);
  }
}
