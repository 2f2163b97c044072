/**
 * W3C trace context for generated requests. Trace ids are unique within a run and across its segments
 * and workers: 8 bytes of run id followed by 8 bytes of the request's global number.
 */
import { randomBytes } from 'node:crypto';

export const newRunTraceId = (): string => randomBytes(8).toString('hex');

export interface RequestTraceIds {
  traceId: string;
  spanId: string;
}

export function requestTraceIds(runTraceId: string, requestNumber: number): RequestTraceIds {
  const number = requestNumber.toString(16).padStart(16, '0');
  // The span id only has to be unique within its trace; it must not be all zeros.
  return { traceId: `${runTraceId}${number}`, spanId: `${runTraceId.slice(0, 8)}${((requestNumber + 1) >>> 0).toString(16).padStart(8, '0')}` };
}

export const traceparentHeader = (ids: RequestTraceIds, sampled: boolean): string => `00-${ids.traceId}-${ids.spanId}-${sampled ? '01' : '00'}`;
