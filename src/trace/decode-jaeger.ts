/**
 * Jaeger JSON (the query API / UI "download" format: `{ data: [{ traceID, spans, processes }] }`) →
 * normalised spans. Jaeger keeps microseconds, so times are exact to the microsecond.
 */
import { badInput } from '../core/errors.js';
import { rejectSpan, type DecodeReport } from './decode-report.js';
import { idToHex } from './otlp-ids.js';
import {
  unusableTimes,
  kindFromOtlp,
  MAX_SPAN_EVENTS,
  normaliseAttributes,
  type AttributeValue,
  type Attributes,
  type Span,
  type SpanEvent,
  type SpanLink,
} from './span.js';

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

function tagValue(tag: Json): AttributeValue | undefined {
  const value = tag.value;
  switch (tag.type) {
    case 'int64':
    case 'float64':
      return Number(value);
    case 'bool':
      return value === true || value === 'true';
    default:
      return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? value : undefined;
  }
}

function tags(list: unknown): Attributes {
  const attributes: Attributes = {};
  for (const tag of asArray(list)) {
    if (!isObject(tag) || typeof tag.key !== 'string') continue;
    const value = tagValue(tag);
    if (value !== undefined) attributes[tag.key] = value;
  }
  return attributes;
}

function micros(value: unknown): bigint | undefined {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return BigInt(Math.round(value)) * 1000n;
  if (typeof value === 'string' && /^\d{1,40}$/.test(value)) return BigInt(value) * 1000n;
  return undefined;
}

/** Jaeger logs → span events: the `event` (or `message`) field names the event. */
function logsToEvents(list: unknown): SpanEvent[] | undefined {
  const events: SpanEvent[] = [];
  for (const log of asArray(list)) {
    if (events.length >= MAX_SPAN_EVENTS) break;
    if (!isObject(log)) continue;
    const timeNs = micros(log.timestamp);
    if (timeNs === undefined) continue;
    const fields = tags(log.fields);
    const named = fields.event ?? fields.message ?? fields.msg;
    const name = typeof named === 'string' ? named : Object.values(fields).filter((value) => typeof value === 'string').join(' ');
    events.push({ name, timeNs, ...(Object.keys(fields).length > 0 ? { attributes: fields } : {}) });
  }
  return events.length > 0 ? events : undefined;
}

function hostOf(process: unknown): string | undefined {
  if (!isObject(process)) return undefined;
  const processTags = tags(process.tags);
  const host = processTags.hostname ?? processTags['host.name'] ?? processTags.ip;
  return typeof host === 'string' ? host : undefined;
}

/**
 * Decodes a parsed Jaeger JSON document. Ids may be any string (the Jaeger UI's own test traces use
 * "span-A"); spans and references without a traceID belong to their trace's. With `report`, bad spans are
 * skipped and counted; without it, the first is bad input.
 */
export function decodeJaegerObject(document: unknown, source = 'jaeger', report?: DecodeReport): Span[] {
  if (!isObject(document) || !Array.isArray(document.data)) throw badInput(source, 'expected a Jaeger JSON document { data: [...] }');
  const spans: Span[] = [];
  for (const trace of document.data) {
    if (!isObject(trace)) continue;
    const processes = isObject(trace.processes) ? trace.processes : {};
    for (const raw of asArray(trace.spans)) {
      if (!isObject(raw)) continue;
      const rawTraceId = typeof raw.traceID === 'string' ? raw.traceID : trace.traceID;
      const traceId = typeof rawTraceId === 'string' ? idToHex(rawTraceId, 32) : undefined;
      const spanId = typeof raw.spanID === 'string' ? idToHex(raw.spanID, 16) : undefined;
      if (traceId === undefined || spanId === undefined) {
        rejectSpan(report, `${source}.spanID`, `invalid ids in span ${JSON.stringify(raw.spanID)}`);
        continue;
      }
      const startNs = micros(raw.startTime);
      const lengthNs = micros(raw.duration);
      if (startNs === undefined || lengthNs === undefined) {
        const [field, value] = startNs === undefined ? ['startTime', raw.startTime] : ['duration', raw.duration];
        rejectSpan(report, `${source}.${field}`, `expected microseconds, got ${JSON.stringify(value)}`);
        continue;
      }
      const unusable = unusableTimes(startNs, startNs + lengthNs);
      if (unusable !== undefined) {
        rejectSpan(report, `${source}.span ${JSON.stringify(raw.operationName ?? '')}`, `implausible time: ${unusable}`, true);
        continue;
      }
      const attributes = tags(raw.tags);
      const process = typeof raw.processID === 'string' ? processes[raw.processID] : raw.process;
      const service = isObject(process) && typeof process.serviceName === 'string' ? process.serviceName : 'unknown_service';
      let parentSpanId: string | undefined;
      const links: SpanLink[] = [];
      for (const reference of asArray(raw.references)) {
        if (!isObject(reference) || typeof reference.spanID !== 'string') continue;
        const refTrace: string | undefined = typeof reference.traceID === 'string' ? idToHex(reference.traceID, 32) : traceId;
        const refSpan = idToHex(reference.spanID, 16);
        if (refTrace === undefined || refSpan === undefined) continue;
        if (reference.refType === 'CHILD_OF' && parentSpanId === undefined && refTrace === traceId) parentSpanId = refSpan;
        else links.push({ traceId: refTrace, spanId: refSpan });
      }
      const spanKind = attributes['span.kind'];
      const status =
        attributes.error === true || attributes.error === 'true' || attributes['otel.status_code'] === 'ERROR' ? 'error' : 'ok';
      // Jaeger-specific bookkeeping tags are not span attributes in OTel terms.
      delete attributes['span.kind'];
      delete attributes['otel.status_code'];
      delete attributes['internal.span.format'];
      if (typeof attributes.error === 'boolean') delete attributes.error;
      const span: Span = {
        traceId,
        spanId,
        name: typeof raw.operationName === 'string' ? raw.operationName : '',
        kind: kindFromOtlp(typeof spanKind === 'string' ? spanKind : undefined),
        service,
        startNs,
        endNs: startNs + lengthNs,
        status,
        attributes: normaliseAttributes(attributes),
        links,
      };
      if (parentSpanId !== undefined) span.parentSpanId = parentSpanId;
      const events = logsToEvents(raw.logs);
      if (events !== undefined) span.events = events;
      const host = hostOf(process);
      if (host !== undefined) span.host = host;
      spans.push(span);
    }
  }
  return spans;
}

export function decodeJaeger(text: string, source = 'jaeger', report?: DecodeReport): Span[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw badInput(source, `not JSON: ${(error as Error).message}`);
  }
  return decodeJaegerObject(parsed, source, report);
}
