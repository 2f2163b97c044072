/**
 * Predicted versus measured saving of a fix on its affected population, and where the prediction model is known
 * to be optimistic. The prediction re-times the traces as if fixed (src/trace/predict-saving.ts) and assumes the
 * rest of the system stays as it was; the caveats say when that assumption is known not to hold.
 */

export interface PredictionCheck {
  predictedUs: number;
  measuredUs: number;
  /** Always-valid interval of the measured saving, µs. */
  measuredLowUs: number;
  measuredHighUs: number;
  /** |predicted − measured| ≤ 25% of |measured|. */
  within25Pct: boolean;
  /** The prediction lies inside the measurement's interval (a bounded one: ±∞ checks nothing). */
  insideInterval: boolean;
  agrees: boolean;
  /** predicted / measured (NaN when nothing was measured). */
  ratio: number;
}

export const AGREEMENT_TOLERANCE = 0.25;

export function checkPrediction(predictedUs: number, measured: { savingUs: number; savingLowUs: number; savingHighUs: number }): PredictionCheck {
  const within25Pct = Math.abs(predictedUs - measured.savingUs) <= AGREEMENT_TOLERANCE * Math.abs(measured.savingUs);
  // An interval unbounded on either side contains every prediction: that is no check, so it never counts as one.
  const bounded = Number.isFinite(measured.savingLowUs) && Number.isFinite(measured.savingHighUs);
  const insideInterval = bounded && predictedUs >= measured.savingLowUs && predictedUs <= measured.savingHighUs;
  return {
    predictedUs,
    measuredUs: measured.savingUs,
    measuredLowUs: measured.savingLowUs,
    measuredHighUs: measured.savingHighUs,
    within25Pct,
    insideInterval,
    agrees: within25Pct || insideInterval,
    ratio: measured.savingUs === 0 ? Number.NaN : predictedUs / measured.savingUs,
  };
}

/**
 * What the re-timing model assumes, per detector, and what it leaves out. Shown beside a prediction that misses its
 * measurement (with the direction it missed in: `missDirection`), so the reader knows which assumption broke.
 * Worded without a direction: the same assumption errs either way on the lab (n+1 was over-predicted 1.7× in one
 * demo and under-predicted 2.7× in a probe of the same state).
 */
export const PREDICTION_CAVEATS: Readonly<Record<string, string>> = {
  'sequential-calls':
    'keeps the first call first and overlaps the later ones, as if independent and their servers had spare capacity; calls that share one single-threaded database (PGlite) overlap less',
  'repeated-reads':
    'turns the reads of a hot read (one key read by ≥ 10 requests and ≥ 20% of them; then its every key, through a cold cache) into free hits; other reads the cached value also spares (one never hot itself, such as the customer row), the lookup itself and the lighter load on the database are left out',
  'large-payload':
    'assumes the payload shrinks to a page (16 KiB) and with it each hop\'s own work after its last child and the transfer; the queries that built the payload are left out',
  'pool-saturation': 'removes the waits of this request only; the freed capacity also shortens other requests\' queues',
  'serialisation-point': 'removes the queueing of this request only; the freed capacity also shortens other requests\' queues',
  'slow-query':
    'assumes every execution of the statement takes 1 ms once indexed; on a database serving one statement at a time the waits behind it are replayed away, but requests that finish sooner do not send their next statements sooner',
  'n-plus-one':
    'assumes the repeats become one query as long as a typical (median) one of them and, on a database serving one statement at a time, replays its queue without them; a bottleneck further on (a lock, a pool) can absorb the time saved',
  'connection-per-request': 'assumes the connect and its session setup disappear (from the database\'s queue too, when it serves one statement at a time); a pool acquire (and its waits under load) takes their place',
  'sync-side-effect': 'assumes the call leaves the path entirely; the enqueue in its place costs a little',
};

/** "overstated 1.7×" / "understated 2.7×": which way a missed prediction erred, and by how much. */
export function missDirection(check: PredictionCheck): string {
  if (!(check.measuredUs > 0) || !(check.predictedUs > 0)) return check.predictedUs > check.measuredUs ? 'overstated' : 'understated';
  return check.ratio > 1 ? `overstated ${check.ratio.toFixed(1)}×` : `understated ${(1 / check.ratio).toFixed(1)}×`;
}
