/**
 * OTLP protobuf (ExportTraceServiceRequest, as OTLP/HTTP application/x-protobuf carries it) → normalised
 * spans. protobufjs decodes the wire format; the decoded message is mapped directly (ids from bytes, times
 * from 64-bit longs) rather than through its JSON object form, which costs about half the receiver's time.
 */
import { badInput } from '../core/errors.js';
import { exportTraceServiceRequestType } from './otlp-proto-root.js';
import { rejectSpan, type DecodeReport } from './decode-report.js';
import { bytesToHex } from './otlp-ids.js';
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

/** A 64-bit integer as protobufjs decodes it (a `long` Long, or a number for small values). */
type LongLike = number | { low: number; high: number; unsigned?: boolean };

interface PbAnyValue {
  /** Name of the oneof member that is set. */
  value?: string;
  stringValue?: string;
  boolValue?: boolean;
  intValue?: LongLike;
  doubleValue?: number;
  arrayValue?: { values: PbAnyValue[] } | null;
  kvlistValue?: { values: PbKeyValue[] } | null;
  bytesValue?: Uint8Array;
}
interface PbKeyValue {
  key: string;
  value?: PbAnyValue | null;
}
interface PbSpan {
  traceId: Uint8Array;
  spanId: Uint8Array;
  parentSpanId: Uint8Array;
  name: string;
  kind: number;
  startTimeUnixNano: LongLike;
  endTimeUnixNano: LongLike;
  attributes: PbKeyValue[];
  links: Array<{ traceId: Uint8Array; spanId: Uint8Array }>;
  events: Array<{ timeUnixNano: LongLike; name: string; attributes: PbKeyValue[] }>;
  status?: { code: number } | null;
}
interface PbRequest {
  resourceSpans: Array<{ resource?: { attributes: PbKeyValue[] } | null; scopeSpans: Array<{ spans: PbSpan[] }> }>;
}

const TWO_32 = 4_294_967_296;

function longToBigInt(value: LongLike): bigint {
  if (typeof value === 'number') return BigInt(value);
  return (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
}

function longToNumber(value: LongLike): number {
  if (typeof value === 'number') return value;
  return (value.unsigned ? value.high >>> 0 : value.high) * TWO_32 + (value.low >>> 0);
}

const TOO_DEEP = '[nested too deep]';

/** An AnyValue as a plain JSON value for kvlist rendering, depth-bounded. */
function plainValue(value: PbAnyValue | null | undefined, depth: number): unknown {
  if (depth > MAX_ATTRIBUTE_DEPTH) return TOO_DEEP;
  if (value === null || value === undefined) return null;
  if (value.value === 'kvlistValue') return Object.fromEntries((value.kvlistValue?.values ?? []).map((entry) => [entry.key, plainValue(entry.value, depth + 1)]));
  if (value.value === 'arrayValue') return (value.arrayValue?.values ?? []).map((item) => plainValue(item, depth + 1));
  return anyValue(value, depth) ?? null;
}

function anyValue(value: PbAnyValue | null | undefined, depth = 0): AttributeValue | undefined {
  if (value === null || value === undefined) return undefined;
  switch (value.value) {
    case 'stringValue':
      return value.stringValue;
    case 'boolValue':
      return value.boolValue;
    case 'intValue':
      return value.intValue === undefined ? undefined : longToNumber(value.intValue);
    case 'doubleValue':
      return value.doubleValue;
    case 'arrayValue': {
      if (depth >= MAX_ATTRIBUTE_DEPTH) return TOO_DEEP;
      const items = (value.arrayValue?.values ?? []).map((item) => anyValue(item, depth + 1));
      if (items.every((item) => typeof item === 'string')) return items as string[];
      if (items.every((item) => typeof item === 'number')) return items as number[];
      if (items.every((item) => typeof item === 'boolean')) return items as boolean[];
      return items.map((item) => (typeof item === 'string' ? item : JSON.stringify(item ?? null)));
    }
    case 'kvlistValue':
      return depth >= MAX_ATTRIBUTE_DEPTH ? TOO_DEEP : JSON.stringify(plainValue(value, depth));
    case 'bytesValue':
      return value.bytesValue === undefined ? undefined : Buffer.from(value.bytesValue).toString('base64');
    default:
      return undefined;
  }
}

function attributes(list: readonly PbKeyValue[], into: Attributes = {}): Attributes {
  for (const entry of list) {
    const value = anyValue(entry.value);
    if (value !== undefined) into[entry.key] = value;
  }
  return into;
}

function events(list: PbSpan['events'] | undefined): SpanEvent[] | undefined {
  if (list === undefined || list.length === 0) return undefined;
  return list.slice(0, MAX_SPAN_EVENTS).map((event) => {
    const eventAttributes = attributes(event.attributes ?? []);
    return { name: event.name, timeNs: longToBigInt(event.timeUnixNano), ...(Object.keys(eventAttributes).length > 0 ? { attributes: eventAttributes } : {}) };
  });
}

/** Decodes an ExportTraceServiceRequest; with `report`, bad spans are skipped and counted, else the first is bad input. */
export function decodeOtlpProtobuf(body: Uint8Array, source = 'otlp-protobuf', report?: DecodeReport): Span[] {
  let request: PbRequest;
  try {
    request = exportTraceServiceRequestType.decode(body) as unknown as PbRequest;
  } catch (error) {
    throw badInput(source, `not an OTLP ExportTraceServiceRequest: ${(error as Error).message}`);
  }
  const spans: Span[] = [];
  for (const resourceSpans of request.resourceSpans) {
    const resource = resourceSpans.resource ? attributes(resourceSpans.resource.attributes) : {};
    const serviceName = resource['service.name'];
    const service = typeof serviceName === 'string' ? serviceName : 'unknown_service';
    const hostName = resource['host.name'];
    const host = typeof hostName === 'string' ? hostName : undefined;
    for (const scopeSpans of resourceSpans.scopeSpans) {
      for (const raw of scopeSpans.spans) {
        const traceId = bytesToHex(raw.traceId, 32);
        const spanId = bytesToHex(raw.spanId, 16);
        if (traceId === undefined || raw.traceId.length !== 16) {
          rejectSpan(report, `${source}.traceId`, 'trace id must be 16 non-zero bytes');
          continue;
        }
        if (spanId === undefined || raw.spanId.length !== 8) {
          rejectSpan(report, `${source}.spanId`, 'span id must be 8 non-zero bytes');
          continue;
        }
        const startNs = longToBigInt(raw.startTimeUnixNano);
        const endNs = longToBigInt(raw.endTimeUnixNano);
        const implausible = unusableTimes(startNs, endNs);
        if (implausible !== undefined) {
          rejectSpan(report, `${source}.span ${JSON.stringify(raw.name)}`, `implausible time: ${implausible}`, true);
          continue;
        }
        const links: SpanLink[] = [];
        for (const link of raw.links) {
          const linkTraceId = bytesToHex(link.traceId, 32);
          const linkSpanId = bytesToHex(link.spanId, 16);
          if (linkTraceId !== undefined && linkSpanId !== undefined) links.push({ traceId: linkTraceId, spanId: linkSpanId });
        }
        const span: Span = {
          traceId,
          spanId,
          name: raw.name,
          kind: kindFromOtlp(raw.kind),
          service,
          startNs,
          endNs,
          status: raw.status?.code === 2 ? 'error' : 'ok',
          attributes: normaliseAttributes(attributes(raw.attributes)),
          links,
        };
        const parentSpanId = bytesToHex(raw.parentSpanId, 16);
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
