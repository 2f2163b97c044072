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

const hex16 = (value: number): string => value.toString(16).padStart(16, '0');
// The span id only has to be unique within its trace and not all zeros.
const spanHex = (runTraceId: string, requestNumber: number): string => `${runTraceId.slice(0, 8)}${((requestNumber + 1) >>> 0).toString(16).padStart(8, '0')}`;

export function requestTraceIds(runTraceId: string, requestNumber: number): RequestTraceIds {
  return { traceId: `${runTraceId}${hex16(requestNumber)}`, spanId: spanHex(runTraceId, requestNumber) };
}

// The parts of a traceparent that are the same for a whole run, made once per run rather than per request.
let partsOf = { runTraceId: '', head: '', spanHead: '' };

/** The `traceparent` value of request `requestNumber`, built in one pass (it is on every request's path). */
export function traceparentFor(runTraceId: string, requestNumber: number, sampled: boolean): string {
  if (partsOf.runTraceId !== runTraceId) partsOf = { runTraceId, head: `00-${runTraceId}`, spanHead: `-${runTraceId.slice(0, 8)}` };
  return `${partsOf.head}${hex16(requestNumber)}${partsOf.spanHead}${((requestNumber + 1) >>> 0).toString(16).padStart(8, '0')}${sampled ? '-01' : '-00'}`;
}
