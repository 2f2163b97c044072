/**
 * Jaeger JSON (the query API / UI "download" format: `{ data: [{ traceID, spans, processes }] }`) →
 * normalised spans. Jaeger keeps microseconds, so times are exact to the microsecond.
 */
import { badInput } from '../core/errors.js';
import { idToHex } from './otlp-ids.js';
import { kindFromOtlp, normaliseAttributes, type AttributeValue, type Attributes, type Span, type SpanLink } from './span.js';

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

function micros(value: unknown, field: string): bigint {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return BigInt(Math.round(value)) * 1000n;
  if (typeof value === 'string' && /^\d+$/.test(value)) return BigInt(value) * 1000n;
  throw badInput(field, `expected microseconds, got ${JSON.stringify(value)}`);
}

/** Decodes a parsed Jaeger JSON document. */
export function decodeJaegerObject(document: unknown, source = 'jaeger'): Span[] {
  if (!isObject(document) || !Array.isArray(document.data)) throw badInput(source, 'expected a Jaeger JSON document { data: [...] }');
  const spans: Span[] = [];
  for (const trace of document.data) {
    if (!isObject(trace)) continue;
    const processes = isObject(trace.processes) ? trace.processes : {};
    for (const raw of asArray(trace.spans)) {
      if (!isObject(raw)) continue;
      const traceId = typeof raw.traceID === 'string' ? idToHex(raw.traceID, 32) : undefined;
      const spanId = typeof raw.spanID === 'string' ? idToHex(raw.spanID, 16) : undefined;
      if (traceId === undefined || spanId === undefined) throw badInput(`${source}.spanID`, `invalid ids in span ${JSON.stringify(raw.spanID)}`);
      const attributes = tags(raw.tags);
      const process = typeof raw.processID === 'string' ? processes[raw.processID] : raw.process;
      const service = isObject(process) && typeof process.serviceName === 'string' ? process.serviceName : 'unknown_service';
      let parentSpanId: string | undefined;
      const links: SpanLink[] = [];
      for (const reference of asArray(raw.references)) {
        if (!isObject(reference) || typeof reference.traceID !== 'string' || typeof reference.spanID !== 'string') continue;
        const refTrace = idToHex(reference.traceID, 32);
        const refSpan = idToHex(reference.spanID, 16);
        if (refTrace === undefined || refSpan === undefined) continue;
        if (reference.refType === 'CHILD_OF' && parentSpanId === undefined && refTrace === traceId) parentSpanId = refSpan;
        else links.push({ traceId: refTrace, spanId: refSpan });
      }
      const spanKind = attributes['span.kind'];
      const startNs = micros(raw.startTime, `${source}.startTime`);
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
        endNs: startNs + micros(raw.duration, `${source}.duration`),
        status,
        attributes: normaliseAttributes(attributes),
        links,
      };
      if (parentSpanId !== undefined) span.parentSpanId = parentSpanId;
      spans.push(span);
    }
  }
  return spans;
}

export function decodeJaeger(text: string, source = 'jaeger'): Span[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw badInput(source, `not JSON: ${(error as Error).message}`);
  }
  return decodeJaegerObject(parsed, source);
}
