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
 * Where the re-timing model is known to overstate (or understate) a fix's saving, per detector. Shown beside a
 * prediction that misses its measurement, so the reader knows which assumption broke.
 */
export const PREDICTION_CAVEATS: Readonly<Record<string, string>> = {
  'sequential-calls':
    'keeps the first call first and assumes the later ones are independent and their servers have spare capacity; calls that share one single-threaded database (PGlite) overlap less than the model says — it overstates',
  'repeated-reads': 'assumes every repeated read becomes a free cache hit; cold entries, misses after invalidation and the lookup itself cost time — it overstates',
  'large-payload': 'shrinks only the span\'s own path time in proportion to the bytes trimmed; the query, transfer and parsing behind the payload shrink too — it understates',
  'pool-saturation': 'removes the waits of this request only; the freed capacity also shortens other requests\' queues — it can understate under load',
  'serialisation-point': 'removes the queueing of this request only; under load the freed capacity shortens other requests too — it can understate',
  'slow-query': 'assumes the statement takes 1 ms once fixed; on a single-threaded database it also unblocks every other query — it understates under load',
  'n-plus-one': 'assumes one query as long as the longest of the repeats (summed over every place the switch fixes); round trips and connections saved on a busy database are worth more — it can understate under load',
  'connection-per-request': 'assumes the connect disappears; a pool acquire (and its waits under load) takes its place — it can overstate',
  'sync-side-effect': 'assumes the call leaves the path entirely; the enqueue in its place costs a little — it slightly overstates',
};
