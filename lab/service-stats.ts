/** Counters each lab service keeps and serves at GET /admin/stats, so tests can count work per request. */
export interface ServiceStats {
  requests: number;
  dbQueries: number;
  dbConnects: number;
  cacheHits: number;
  cacheMisses: number;
  notificationsSent: number;
  lockWaits: number;
  /** Most downstream calls one request had in flight at once (gateway): 1 sequential, 2 with `parallel`. */
  peakCallsInFlight: number;
}

export function emptyStats(): ServiceStats {
  return { requests: 0, dbQueries: 0, dbConnects: 0, cacheHits: 0, cacheMisses: 0, notificationsSent: 0, lockWaits: 0, peakCallsInFlight: 0 };
}
