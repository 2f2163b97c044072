/**
 * A common start for segments run by separate processes (`--start-at`): every process begins its
 * schedule — intended time 0 — at the same wall-clock instant, so interval k covers the same second on
 * every machine and the merged intervals line up. Alignment is as good as the machines' clock sync (NTP
 * keeps cluster nodes within milliseconds); the run file records the requested and the actual start so
 * `perfloop merge` can check it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { badInput } from '../core/errors.js';
import type { RunFile } from '../core/run-file.js';

/** Wall clock, epoch ms with sub-ms resolution (the same time axis worker threads map their start onto). */
export const wallClockMs = (): number => performance.timeOrigin + performance.now();

/** How far ahead a start may be: catches a pasted date of the wrong day before a pod idles for a week. */
export const MAX_START_AHEAD_MS = 24 * 3600 * 1000;

const EARLIEST_MS = Date.UTC(2000, 0, 1);
const LATEST_MS = Date.UTC(2100, 0, 1);
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;

/**
 * Parses `--start-at`: ISO 8601 with a time zone (`2026-12-01T14:00:00Z`, `…+01:00`) or epoch
 * milliseconds. A zone is required: pods in different zones would read a bare local time differently.
 */
export function parseStartAt(text: string, flag = '--start-at'): number {
  const trimmed = text.trim();
  let epochMs: number;
  if (/^\d+$/.test(trimmed)) {
    epochMs = Number(trimmed);
    if (epochMs < EARLIEST_MS) throw badInput(flag, `"${text}" is not epoch milliseconds after 2000 (seconds? multiply by 1000)`);
  } else {
    if (!ISO_WITH_ZONE.test(trimmed)) throw badInput(flag, `must be ISO 8601 with a time zone (2026-12-01T14:00:00Z) or epoch milliseconds, got "${text}"`);
    epochMs = Date.parse(trimmed);
    if (!Number.isFinite(epochMs)) throw badInput(flag, `not a valid date: "${text}"`);
  }
  if (epochMs >= LATEST_MS) throw badInput(flag, `"${text}" is after 2100`);
  return epochMs;
}

/**
 * Checks a start against now, before any load: more than `toleranceMs` (one interval) in the past and this
 * process could no longer line up with the others; more than a day ahead is a mistake.
 */
export function checkStartAt(startAtMs: number, nowMs: number, toleranceMs: number, flag = '--start-at'): void {
  const lateMs = nowMs - startAtMs;
  if (lateMs > toleranceMs) {
    throw badInput(flag, `${new Date(startAtMs).toISOString()} is ${formatSeconds(lateMs)} in the past, more than one interval (${formatSeconds(toleranceMs)}): this process could not line up with the others; give a later time`);
  }
  if (-lateMs > MAX_START_AHEAD_MS) throw badInput(flag, `${new Date(startAtMs).toISOString()} is more than 24 h ahead`);
}

/**
 * The wall-clock origin of the schedule: the requested start, or — when that has passed, or none was
 * requested — `minLeadMs` from now (time for the first dispatch to be set up).
 */
export function scheduleOriginMs(requestedMs: number | undefined, minLeadMs: number, nowMs = wallClockMs()): number {
  const earliestMs = nowMs + minLeadMs;
  return requestedMs === undefined ? earliestMs : Math.max(requestedMs, earliestMs);
}

/** The run file's `start` record. */
export function startRecord(requestedMs: number | undefined, originMs: number): NonNullable<RunFile['start']> {
  return {
    ...(requestedMs !== undefined ? { requestedAt: new Date(requestedMs).toISOString() } : {}),
    actualAt: new Date(originMs).toISOString(),
    lateMs: requestedMs === undefined ? 0 : Math.max(0, Math.round((originMs - requestedMs) * 1000) / 1000),
  };
}

/** Sleeps until `untilMs` (wall clock) or until `signal` aborts; true when the time came. */
export async function waitUntil(untilMs: number, signal?: AbortSignal): Promise<boolean> {
  while (!signal?.aborted) {
    const leftMs = untilMs - wallClockMs();
    if (leftMs <= 0) return true;
    try {
      await sleep(Math.min(leftMs, 1000), undefined, signal ? { signal } : {});
    } catch {
      return false;
    }
  }
  return false;
}

export function formatSeconds(ms: number): string {
  const seconds = ms / 1000;
  return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(Math.abs(seconds) >= 10 ? 1 : 3)} s`;
}
