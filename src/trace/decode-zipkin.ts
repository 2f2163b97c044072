/**
 * Zipkin v2 JSON (an array of spans, as /api/v2/spans accepts and /api/v2/trace returns) → normalised spans.
 * Zipkin tags are all strings; values of the numeric semantic-convention keys are turned back into numbers
 * so the same span decodes identically from every format.
 */
import { badInput } from '../core/errors.js';
import { idToHex } from './otlp-ids.js';
import { kindFromOtlp, normaliseAttributes, type Attributes, type Span } from './span.js';

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

function micros(value: unknown, field: string): bigint {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return BigInt(Math.round(value)) * 1000n;
  if (typeof value === 'string' && /^\d+$/.test(value)) return BigInt(value) * 1000n;
  throw badInput(field, `expected microseconds, got ${JSON.stringify(value)}`);
}

export function decodeZipkinObject(document: unknown, source = 'zipkin'): Span[] {
  if (!Array.isArray(document)) throw badInput(source, 'expected a Zipkin v2 JSON array of spans');
  const spans: Span[] = [];
  for (const raw of document) {
    if (!isObject(raw)) continue;
    const traceId = typeof raw.traceId === 'string' ? idToHex(raw.traceId, 32) : undefined;
    const spanId = typeof raw.id === 'string' ? idToHex(raw.id, 16) : undefined;
    if (traceId === undefined || spanId === undefined) throw badInput(`${source}.id`, `invalid ids in span ${JSON.stringify(raw.id)}`);
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
    const startNs = micros(raw.timestamp ?? 0, `${source}.timestamp`);
    const parentSpanId = typeof raw.parentId === 'string' ? idToHex(raw.parentId, 16) : undefined;
    const span: Span = {
      traceId,
      spanId,
      name: typeof raw.name === 'string' ? raw.name : '',
      kind: kindFromOtlp(typeof raw.kind === 'string' ? raw.kind : undefined),
      service: typeof localEndpoint.serviceName === 'string' ? localEndpoint.serviceName : 'unknown_service',
      startNs,
      endNs: startNs + micros(raw.duration ?? 0, `${source}.duration`),
      status: error ? 'error' : 'ok',
      attributes: normaliseAttributes(attributes),
      links: [],
    };
    if (parentSpanId !== undefined) span.parentSpanId = parentSpanId;
    spans.push(span);
  }
  return spans;
}

export function decodeZipkin(text: string, source = 'zipkin'): Span[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw badInput(source, `not JSON: ${(error as Error).message}`);
  }
  return decodeZipkinObject(parsed, source);
}
