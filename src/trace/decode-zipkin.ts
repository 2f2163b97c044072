/**
 * Zipkin v2 JSON (an array of spans, as /api/v2/spans accepts and /api/v2/trace returns) → normalised spans.
 * Zipkin tags are all strings; values of the numeric semantic-convention keys are turned back into numbers
 * so the same span decodes identically from every format.
 */
import { badInput } from '../core/errors.js';
import { rejectSpan, type DecodeReport } from './decode-report.js';
import { idToHex } from './otlp-ids.js';
import { kindFromOtlp, MAX_SPAN_EVENTS, normaliseAttributes, unusableTimes, type Attributes, type Span, type SpanEvent } from './span.js';

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

const NUMERIC_KEYS = new Set([
  'http.status_code',
  'http.response.status_code',
  'http.response.body.size',
  'http.request.body.size',
  'http.response_content_length',
  'http.request_content_length',
  'net.peer.port',
  'server.port',
  'messaging.message.body.size',
  'messaging.message_payload_size_bytes',
  'db.response.returned_rows',
]);

function micros(value: unknown): bigint | undefined {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return BigInt(Math.round(value)) * 1000n;
  if (typeof value === 'string' && /^\d{1,40}$/.test(value)) return BigInt(value) * 1000n;
  return undefined;
}

function annotations(list: unknown): SpanEvent[] | undefined {
  if (!Array.isArray(list)) return undefined;
  const events: SpanEvent[] = [];
  for (const annotation of list) {
    if (events.length >= MAX_SPAN_EVENTS) break;
    if (!isObject(annotation) || typeof annotation.value !== 'string') continue;
    const timeNs = micros(annotation.timestamp);
    if (timeNs !== undefined) events.push({ name: annotation.value, timeNs });
  }
  return events.length > 0 ? events : undefined;
}

/** Decodes a parsed Zipkin v2 document; with `report`, bad spans are skipped and counted, else the first is bad input. */
export function decodeZipkinObject(document: unknown, source = 'zipkin', report?: DecodeReport): Span[] {
  if (!Array.isArray(document)) throw badInput(source, 'expected a Zipkin v2 JSON array of spans');
  const spans: Span[] = [];
  for (const raw of document) {
    if (!isObject(raw)) continue;
    const traceId = typeof raw.traceId === 'string' ? idToHex(raw.traceId, 32) : undefined;
    const spanId = typeof raw.id === 'string' ? idToHex(raw.id, 16) : undefined;
    if (traceId === undefined || spanId === undefined) {
      rejectSpan(report, `${source}.id`, `invalid ids in span ${JSON.stringify(raw.id)}`);
      continue;
    }
    const startNs = micros(raw.timestamp ?? 0);
    const lengthNs = micros(raw.duration ?? 0);
    if (startNs === undefined || lengthNs === undefined) {
      const [field, value] = startNs === undefined ? ['timestamp', raw.timestamp] : ['duration', raw.duration];
      rejectSpan(report, `${source}.${field}`, `expected microseconds, got ${JSON.stringify(value)}`);
      continue;
    }
    const unusable = unusableTimes(startNs, startNs + lengthNs);
    if (unusable !== undefined) {
      rejectSpan(report, `${source}.span ${JSON.stringify(raw.name ?? '')}`, `implausible time: ${unusable}`, true);
      continue;
    }
    const attributes: Attributes = {};
    let error = false;
    if (isObject(raw.tags)) {
      for (const [key, value] of Object.entries(raw.tags)) {
        if (typeof value !== 'string') continue;
        if (key === 'error') {
          error = true;
          continue;
        }
        if (key === 'otel.status_code') {
          error ||= value === 'ERROR';
          continue;
        }
        attributes[key] = NUMERIC_KEYS.has(key) && value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : value;
      }
    }
    const localEndpoint = isObject(raw.localEndpoint) ? raw.localEndpoint : {};
    const parentSpanId = typeof raw.parentId === 'string' ? idToHex(raw.parentId, 16) : undefined;
    const span: Span = {
      traceId,
      spanId,
      name: typeof raw.name === 'string' ? raw.name : '',
      kind: kindFromOtlp(typeof raw.kind === 'string' ? raw.kind : undefined),
      service: typeof localEndpoint.serviceName === 'string' ? localEndpoint.serviceName : 'unknown_service',
      startNs,
      endNs: startNs + lengthNs,
      status: error ? 'error' : 'ok',
      attributes: normaliseAttributes(attributes),
      links: [],
    };
    if (parentSpanId !== undefined) span.parentSpanId = parentSpanId;
    const events = annotations(raw.annotations);
    if (events !== undefined) span.events = events;
    const ipv4 = localEndpoint.ipv4 ?? localEndpoint.ipv6;
    if (typeof ipv4 === 'string') span.host = ipv4;
    spans.push(span);
  }
  return spans;
}

export function decodeZipkin(text: string, source = 'zipkin', report?: DecodeReport): Span[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw badInput(source, `not JSON: ${(error as Error).message}`);
  }
  return decodeZipkinObject(parsed, source, report);
}
