/**
 * OTLP JSON (ExportTraceServiceRequest as the OTLP/HTTP JSON encoding and the collector's file exporter
 * write it) → normalised spans. Accepts hex or base64 ids, string or number nanosecond times, the
 * pre-1.0 `instrumentationLibrarySpans` name, and JSON lines (one request per line).
 */
import { badInput } from '../core/errors.js';
import { rejectSpan, type DecodeReport } from './decode-report.js';
import { idToHex } from './otlp-ids.js';
import {
  unusableTimes,
  kindFromOtlp,
  MAX_ATTRIBUTE_DEPTH,
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

/** A nested value cut at MAX_ATTRIBUTE_DEPTH (iterative callers are not needed: the depth is bounded). */
const TOO_DEEP = '[nested too deep]';

/** An AnyValue as a plain JSON value for kvlist rendering, depth-bounded. */
function plainValue(value: unknown, depth: number): unknown {
  if (depth > MAX_ATTRIBUTE_DEPTH) return TOO_DEEP;
  if (!isObject(value)) return null;
  if (isObject(value.kvlistValue)) {
    const object: Record<string, unknown> = {};
    for (const entry of asArray(value.kvlistValue.values)) if (isObject(entry) && typeof entry.key === 'string') object[entry.key] = plainValue(entry.value, depth + 1);
    return object;
  }
  if (isObject(value.arrayValue)) return asArray(value.arrayValue.values).map((item) => plainValue(item, depth + 1));
  return anyValue(value, depth) ?? null;
}

function anyValue(value: unknown, depth = 0): AttributeValue | undefined {
  if (!isObject(value)) return undefined;
  if (typeof value.stringValue === 'string') return value.stringValue;
  if (typeof value.boolValue === 'boolean') return value.boolValue;
  if (value.intValue !== undefined && value.intValue !== null) return Number(value.intValue);
  if (value.doubleValue !== undefined && value.doubleValue !== null) return Number(value.doubleValue);
  if (depth >= MAX_ATTRIBUTE_DEPTH) return TOO_DEEP;
  if (isObject(value.arrayValue)) {
    const items = asArray(value.arrayValue.values).map((item) => anyValue(item, depth + 1));
    if (items.every((item) => typeof item === 'string')) return items as string[];
    if (items.every((item) => typeof item === 'number')) return items as number[];
    if (items.every((item) => typeof item === 'boolean')) return items as boolean[];
    return items.map((item) => (typeof item === 'string' ? item : JSON.stringify(item ?? null)));
  }
  if (isObject(value.kvlistValue)) return JSON.stringify(plainValue(value, depth));
  if (typeof value.bytesValue === 'string') return value.bytesValue;
  return undefined;
}

/** Appends OTLP KeyValue[] to `into`. */
export function otlpAttributes(list: unknown, into: Attributes = {}): Attributes {
  for (const entry of asArray(list)) {
    if (!isObject(entry) || typeof entry.key !== 'string') continue;
    const value = anyValue(entry.value);
    if (value !== undefined) into[entry.key] = value;
  }
  return into;
}

function nanos(value: unknown): bigint | undefined {
  if (typeof value === 'string' && /^\d{1,40}$/.test(value)) return BigInt(value);
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return BigInt(Math.round(value));
  if (typeof value === 'bigint') return value;
  return undefined;
}

function events(list: unknown): SpanEvent[] | undefined {
  const raw = asArray(list);
  if (raw.length === 0) return undefined;
  const kept: SpanEvent[] = [];
  for (const event of raw) {
    if (kept.length >= MAX_SPAN_EVENTS) break;
    if (!isObject(event)) continue;
    const timeNs = nanos(event.timeUnixNano);
    if (timeNs === undefined) continue;
    const attributes = otlpAttributes(event.attributes);
    kept.push({ name: typeof event.name === 'string' ? event.name : '', timeNs, ...(Object.keys(attributes).length > 0 ? { attributes } : {}) });
  }
  return kept.length > 0 ? kept : undefined;
}

function statusOf(status: unknown): 'ok' | 'error' {
  if (!isObject(status)) return 'ok';
  return status.code === 2 || status.code === 'STATUS_CODE_ERROR' ? 'error' : 'ok';
}

/**
 * Decodes one ExportTraceServiceRequest object (already parsed). With `report`, bad spans are skipped and
 * counted there; without it, the first bad span is bad input.
 */
export function decodeOtlpJsonObject(request: unknown, source = 'otlp-json', report?: DecodeReport): Span[] {
  if (!isObject(request)) throw badInput(source, 'expected an OTLP ExportTraceServiceRequest object');
  if (!Array.isArray(request.resourceSpans)) throw badInput(source, 'missing resourceSpans array');
  const spans: Span[] = [];
  for (const resourceSpans of request.resourceSpans) {
    if (!isObject(resourceSpans)) continue;
    const resourceAttributes = otlpAttributes(isObject(resourceSpans.resource) ? resourceSpans.resource.attributes : undefined);
    const serviceName = resourceAttributes['service.name'];
    const service = typeof serviceName === 'string' ? serviceName : 'unknown_service';
    const hostName = resourceAttributes['host.name'];
    const host = typeof hostName === 'string' ? hostName : undefined;
    const scopes = asArray(resourceSpans.scopeSpans ?? resourceSpans.instrumentationLibrarySpans);
    for (const scope of scopes) {
      if (!isObject(scope)) continue;
      for (const raw of asArray(scope.spans)) {
        if (!isObject(raw)) continue;
        const traceId = typeof raw.traceId === 'string' ? idToHex(raw.traceId, 32) : undefined;
        const spanId = typeof raw.spanId === 'string' ? idToHex(raw.spanId, 16) : undefined;
        if (traceId === undefined) {
          rejectSpan(report, `${source}.traceId`, `invalid trace id ${JSON.stringify(raw.traceId)}`);
          continue;
        }
        if (spanId === undefined) {
          rejectSpan(report, `${source}.spanId`, `invalid span id ${JSON.stringify(raw.spanId)}`);
          continue;
        }
        const startNs = nanos(raw.startTimeUnixNano);
        const endNs = nanos(raw.endTimeUnixNano);
        if (startNs === undefined || endNs === undefined) {
          const [field, value] = startNs === undefined ? ['startTimeUnixNano', raw.startTimeUnixNano] : ['endTimeUnixNano', raw.endTimeUnixNano];
          rejectSpan(report, `${source}.${field}`, `expected nanoseconds as a decimal string or number, got ${JSON.stringify(value)}`);
          continue;
        }
        const implausible = unusableTimes(startNs, endNs);
        if (implausible !== undefined) {
          rejectSpan(report, `${source}.span ${JSON.stringify(raw.name ?? '')}`, `implausible time: ${implausible}`, true);
          continue;
        }
        const parentSpanId = typeof raw.parentSpanId === 'string' ? idToHex(raw.parentSpanId, 16) : undefined;
        const links: SpanLink[] = [];
        for (const link of asArray(raw.links)) {
          if (!isObject(link) || typeof link.traceId !== 'string' || typeof link.spanId !== 'string') continue;
          const linkTraceId = idToHex(link.traceId, 32);
          const linkSpanId = idToHex(link.spanId, 16);
          if (linkTraceId !== undefined && linkSpanId !== undefined) links.push({ traceId: linkTraceId, spanId: linkSpanId });
        }
        const span: Span = {
          traceId,
          spanId,
          name: typeof raw.name === 'string' ? raw.name : '',
          kind: kindFromOtlp(typeof raw.kind === 'number' || typeof raw.kind === 'string' ? raw.kind : undefined),
          service,
          startNs,
          endNs,
          status: statusOf(raw.status),
          attributes: normaliseAttributes(otlpAttributes(raw.attributes)),
          links,
        };
        if (parentSpanId !== undefined) span.parentSpanId = parentSpanId;
        const spanEvents = events(raw.events);
        if (spanEvents !== undefined) span.events = spanEvents;
        if (host !== undefined) span.host = host;
        spans.push(span);
      }
    }
  }
  return spans;
}

/** Decodes OTLP JSON text: one request, or JSON lines of requests (the collector file exporter's format). */
export function decodeOtlpJson(text: string, source = 'otlp-json', report?: DecodeReport): Span[] {
  const trimmed = text.trim();
  try {
    return decodeOtlpJsonObject(JSON.parse(trimmed), source, report);
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
  }
  const spans: Span[] = [];
  const lines = trimmed.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]?.trim();
    if (!line) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (error) {
      throw badInput(`${source}:${index + 1}`, `not JSON: ${(error as Error).message}`);
    }
    for (const span of decodeOtlpJsonObject(parsed, `${source}:${index + 1}`, report)) spans.push(span);
  }
  return spans;
}
