/**
 * A small server-side SVG chart: axes with units, ticks, grid, legend, line/step/bar/point series,
 * shaded x bands and hover cells (native <title> tooltips). No JavaScript: the report opens and
 * draws as fast as the browser parses it, from file:// and offline.
 *
 * Colours come from CSS classes (report-styles.ts), so light and dark themes need no second drawing.
 */
import { escapeHtml } from './escape-html.js';
import { linearScale, logScale, logTicks, niceLinearTicks, niceLogCeil, niceLogFloor, type Scale, type Tick } from './chart-scale.js';

export type Point = readonly [x: number, y: number];

export interface ChartSeries {
  label: string;
  /** CSS class that colours the series, e.g. `c-p99`. */
  className: string;
  /**
   * `step` holds each point's y until the next point's x (interval data); NaN y breaks the line.
   * `band` fills, step-wise, between `lowerPoints` and `points` (same x values), e.g. p90…p99.
   */
  kind: 'line' | 'step' | 'bars' | 'points' | 'band';
  lowerPoints?: readonly Point[];
  points: readonly Point[];
  dashed?: boolean;
  /** `step`: where the last step ends; `bars`: bar width, both in x units. */
  stepEndX?: number;
  barWidthX?: number;
  /** `points`: tooltip per point. */
  pointTitles?: readonly string[];
  /** False keeps the series out of the legend (e.g. markers on a line already listed). */
  inLegend?: boolean;
}

export interface ChartAxis {
  /** Axis title, with its unit, e.g. `latency (ms)`. */
  label: string;
  scale: 'linear' | 'log';
  min: number;
  max: number;
  /** Explicit ticks (e.g. the percentile axis); otherwise nice ticks are chosen. */
  ticks?: readonly Tick[];
  format: (value: number) => string;
  /** Keep [min, max] as given (ticks inside only) instead of stretching to the outer nice ticks: for time axes. */
  exact?: boolean;
}

export interface ChartBand {
  from: number;
  to: number;
  label: string;
  className: string;
}

export interface ChartMarker {
  x: number;
  label: string;
  className: string;
}

export interface ChartHoverCell {
  x0: number;
  x1: number;
  text: string;
}

export interface ChartSpec {
  /** Stable id, also the `data-chart` attribute tests and readers look for. */
  id: string;
  title: string;
  heightPx: number;
  x: ChartAxis;
  y: ChartAxis;
  series: readonly ChartSeries[];
  bands?: readonly ChartBand[];
  markers?: readonly ChartMarker[];
  hover?: readonly ChartHoverCell[];
  /** One line under the chart: how to read it. */
  note?: string;
}

const WIDTH = 960;
// The top margin holds band labels (e.g. "warm-up"), so they never sit on a line.
const MARGIN = { left: 72, right: 16, top: 20, bottom: 44 };

const r1 = (value: number): string => (Math.round(value * 10) / 10).toString();

function axisTicks(axis: ChartAxis): { ticks: Tick[]; min: number; max: number } {
  if (axis.ticks) return { ticks: [...axis.ticks], min: axis.min, max: axis.max };
  if (axis.scale === 'log') {
    // Stretch the axis out to the neighbouring 1-2-5 values so both ends carry a labelled tick.
    const min = niceLogFloor(axis.min);
    const max = niceLogCeil(axis.max);
    const values = logTicks(min, max);
    return { ticks: values.map((value) => ({ value, label: axis.format(value) })), min, max };
  }
  const values = niceLinearTicks(axis.min, axis.max, 6);
  if (axis.exact) {
    const inside = values.filter((value) => value >= axis.min - 1e-9 && value <= axis.max + 1e-9);
    return { ticks: inside.map((value) => ({ value, label: axis.format(value) })), min: axis.min, max: axis.max };
  }
  const min = Math.min(axis.min, values[0] ?? axis.min);
  const max = Math.max(axis.max, values[values.length - 1] ?? axis.max);
  return { ticks: values.map((value) => ({ value, label: axis.format(value) })), min, max };
}

function makeScale(axis: ChartAxis, min: number, max: number, range: readonly [number, number]): Scale {
  return axis.scale === 'log' ? logScale([min, max], range) : linearScale([min, max], range);
}

function pathOf(series: ChartSeries, x: Scale, y: Scale): string {
  let d = '';
  let pen = false;
  series.points.forEach(([px, py], index) => {
    if (!Number.isFinite(py)) {
      pen = false;
      return;
    }
    const sx = r1(x.toPx(px));
    const sy = r1(y.toPx(py));
    if (series.kind === 'step') {
      // H/V commands: a step is "down/up to y, across to the next x" — about a third of the bytes of L x y pairs.
      const nextX = series.points[index + 1]?.[0] ?? series.stepEndX ?? px;
      d += `${pen ? `V${sy}` : `M${sx} ${sy}`}H${r1(x.toPx(nextX))}`;
    } else {
      d += `${pen ? 'L' : 'M'}${sx} ${sy}`;
    }
    pen = true;
  });
  return d;
}

/** Closed step-wise outlines between lower and upper, one per run of finite values. */
function bandPath(series: ChartSeries, x: Scale, y: Scale): string {
  const lower = series.lowerPoints ?? [];
  const segments: { x0: number; x1: number; low: number; high: number }[][] = [];
  let current: { x0: number; x1: number; low: number; high: number }[] = [];
  series.points.forEach(([px, high], index) => {
    const low = lower[index]?.[1] ?? Number.NaN;
    if (!Number.isFinite(high) || !Number.isFinite(low)) {
      if (current.length > 0) segments.push(current);
      current = [];
      return;
    }
    const x1 = series.points[index + 1]?.[0] ?? series.stepEndX ?? px;
    current.push({ x0: x.toPx(px), x1: x.toPx(x1), low: y.toPx(low), high: y.toPx(high) });
  });
  if (current.length > 0) segments.push(current);
  return segments
    .map((segment) => {
      const upper = segment.map((step, i) => `${i === 0 ? `M${r1(step.x0)} ${r1(step.high)}` : `V${r1(step.high)}`}H${r1(step.x1)}`).join('');
      const back = [...segment].reverse().map((step) => `V${r1(step.low)}H${r1(step.x0)}`).join('');
      return `${upper}${back}Z`;
    })
    .join('');
}

function renderSeries(series: ChartSeries, x: Scale, y: Scale, yBase: number): string {
  const cls = `series ${series.className}`;
  if (series.kind === 'band') return `<path class="${cls} band-fill" d="${bandPath(series, x, y)}"/>`;
  if (series.kind === 'bars') {
    const width = series.barWidthX ?? 1;
    const rects = series.points
      .filter(([, py]) => Number.isFinite(py) && py > 0)
      .map(([px, py]) => {
        const left = x.toPx(px);
        const top = y.toPx(py);
        return `<rect x="${r1(left)}" y="${r1(top)}" width="${r1(Math.max(1, x.toPx(px + width) - left))}" height="${r1(Math.max(0.5, yBase - top))}"/>`;
      });
    return `<g class="${cls} bars">${rects.join('')}</g>`;
  }
  if (series.kind === 'points') {
    const dots = series.points.map(([px, py], index) => {
      const title = series.pointTitles?.[index];
      return `<circle cx="${r1(x.toPx(px))}" cy="${r1(y.toPx(py))}" r="4">${title ? `<title>${escapeHtml(title)}</title>` : ''}</circle>`;
    });
    return `<g class="${cls} points">${dots.join('')}</g>`;
  }
  return `<path class="${cls} line${series.dashed ? ' dashed' : ''}" d="${pathOf(series, x, y)}"/>`;
}

/** The chart as a `<figure>`: caption, HTML legend, SVG. */
export function renderChart(spec: ChartSpec): string {
  const height = spec.heightPx;
  const plotLeft = MARGIN.left;
  const plotRight = WIDTH - MARGIN.right;
  const plotTop = MARGIN.top;
  const plotBottom = height - MARGIN.bottom;
  const xt = axisTicks(spec.x);
  const yt = axisTicks(spec.y);
  const x = makeScale(spec.x, xt.min, xt.max, [plotLeft, plotRight]);
  const y = makeScale(spec.y, yt.min, yt.max, [plotBottom, plotTop]);
  const parts: string[] = [];

  for (const band of spec.bands ?? []) {
    const left = Math.max(plotLeft, x.toPx(band.from));
    const right = Math.min(plotRight, x.toPx(band.to));
    if (right <= left) continue;
    parts.push(
      `<g class="band ${band.className}"><rect x="${r1(left)}" y="${plotTop}" width="${r1(right - left)}" height="${plotBottom - plotTop}"><title>${escapeHtml(band.label)}</title></rect>` +
        `<text x="${r1((left + right) / 2)}" y="${plotTop - 5}" text-anchor="middle">${escapeHtml(band.label)}</text></g>`,
    );
  }
  const grid = yt.ticks
    .map((tick) => {
      const py = r1(y.toPx(tick.value));
      return `<line class="grid" x1="${plotLeft}" x2="${plotRight}" y1="${py}" y2="${py}"/><text class="tick" x="${plotLeft - 6}" y="${py}" dy="0.32em" text-anchor="end">${escapeHtml(tick.label)}</text>`;
    })
    .join('');
  const xTicks = xt.ticks
    .map((tick) => {
      const px = r1(x.toPx(tick.value));
      return `<line class="grid" x1="${px}" x2="${px}" y1="${plotTop}" y2="${plotBottom}"/><text class="tick" x="${px}" y="${plotBottom + 16}" text-anchor="middle">${escapeHtml(tick.label)}</text>`;
    })
    .join('');
  parts.push(grid, xTicks);
  parts.push(`<rect class="frame" x="${plotLeft}" y="${plotTop}" width="${plotRight - plotLeft}" height="${plotBottom - plotTop}"/>`);
  const clipId = `clip-${spec.id}`;
  parts.push(`<clipPath id="${escapeHtml(clipId)}"><rect x="${plotLeft}" y="${plotTop - 4}" width="${plotRight - plotLeft}" height="${plotBottom - plotTop + 8}"/></clipPath>`);
  parts.push(`<g clip-path="url(#${escapeHtml(clipId)})">${spec.series.map((series) => renderSeries(series, x, y, plotBottom)).join('')}</g>`);
  for (const marker of spec.markers ?? []) {
    const px = r1(x.toPx(marker.x));
    parts.push(
      `<g class="marker ${marker.className}"><line x1="${px}" x2="${px}" y1="${plotTop}" y2="${plotBottom}"/><text x="${px}" y="${plotBottom - 8}" dx="5">${escapeHtml(marker.label)}</text></g>`,
    );
  }
  if (spec.hover && spec.hover.length > 0) {
    const cells = spec.hover
      .map((cell) => {
        const left = x.toPx(cell.x0);
        return `<rect x="${r1(left)}" y="${plotTop}" width="${r1(Math.max(1, x.toPx(cell.x1) - left))}" height="${plotBottom - plotTop}"><title>${escapeHtml(cell.text)}</title></rect>`;
      })
      .join('');
    parts.push(`<g class="hover">${cells}</g>`);
  }
  parts.push(
    `<text class="axis-label" x="${(plotLeft + plotRight) / 2}" y="${height - 6}" text-anchor="middle">${escapeHtml(spec.x.label)}</text>`,
    `<text class="axis-label" transform="translate(14 ${(plotTop + plotBottom) / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(spec.y.label)}</text>`,
  );
  const legend = spec.series
    .filter((series) => series.inLegend !== false)
    .map((series) => `<span class="legend-item"><i class="swatch ${series.className}${series.kind === 'bars' ? ' box' : ''}${series.dashed ? ' dashed' : ''}"></i>${escapeHtml(series.label)}</span>`)
    .join('');
  const id = escapeHtml(spec.id);
  return (
    `<figure class="chart" data-chart="${id}"><figcaption>${escapeHtml(spec.title)}</figcaption>` +
    `<div class="legend">${legend}</div>` +
    `<svg viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${escapeHtml(spec.title)}" preserveAspectRatio="xMidYMid meet">${parts.join('')}</svg>` +
    (spec.note ? `<p class="note">${escapeHtml(spec.note)}</p>` : '') +
    `</figure>`
  );
}
