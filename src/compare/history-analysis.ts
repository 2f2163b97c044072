/** Change points of each series' metric in a run history. Pure. */
import { detectChangePoints, type ChangePoint, type ChangePointOptions } from './change-points.js';
import type { HistoryEntry, HistoryMetric } from './history-entry.js';

export interface SeriesAnalysis {
  series: string;
  metric: HistoryMetric;
  entries: HistoryEntry[];
  /** Change points with the run where the change first shows. */
  changePoints: (ChangePoint & { runId: string; startedAt: string; relativeChange: number })[];
}

export function analyzeHistory(entries: readonly HistoryEntry[], metric: HistoryMetric, options: ChangePointOptions = {}): SeriesAnalysis[] {
  const bySeries = new Map<string, HistoryEntry[]>();
  for (const entry of entries) bySeries.set(entry.series, [...(bySeries.get(entry.series) ?? []), entry]);
  return [...bySeries].map(([series, members]) => {
    const values = members.map((entry) => entry[metric]);
    const changePoints = detectChangePoints(values, options).map((point) => {
      const at = members[point.index];
      return {
        ...point,
        runId: at?.runId ?? '',
        startedAt: at?.startedAt ?? '',
        relativeChange: point.meanBefore !== 0 ? point.meanAfter / point.meanBefore - 1 : 0,
      };
    });
    return { series, metric, entries: members, changePoints };
  });
}
