/**
 * Normalised spans → OTLP JSON ExportTraceServiceRequest (hex ids, decimal-string nanoseconds), grouped by
 * service. `perfloop receive --out` writes these as JSON lines, the collector file exporter's format.
 */
import { kindToOtlp, type AttributeValue, type Span } from './span.js';

interface OtlpAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string;
  doubleValue?: number;
  arrayValue?: { values: OtlpAnyValue[] };
}

function anyValue(value: AttributeValue | string | number | boolean): OtlpAnyValue {
  if (Array.isArray(value)) return { arrayValue: { values: (value as Array<string | number | boolean>).map(anyValue) } };
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  return Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value };
}

export function encodeOtlpJson(spans: readonly Span[]): Record<string, unknown> {
  // One resource per service and host (host.name is what tells "one host" from clock skew).
  const byResource = new Map<string, { service: string; host: string | undefined; list: Span[] }>();
  for (const span of spans) {
    const key = `${span.service}\u0000${span.host ?? ''}`;
    const group = byResource.get(key);
    if (group) group.list.push(span);
    else byResource.set(key, { service: span.service, host: span.host, list: [span] });
  }
  return {
    resourceSpans: [...byResource.values()].map(({ service, host, list }) => ({
      resource: {
        attributes: [{ key: 'service.name', value: { stringValue: service } }, ...(host !== undefined ? [{ key: 'host.name', value: { stringValue: host } }] : [])],
      },
      scopeSpans: [
        {
          scope: { name: 'perfloop' },
          spans: list.map((span) => ({
            traceId: span.traceId,
            spanId: span.spanId,
            ...(span.parentSpanId !== undefined ? { parentSpanId: span.parentSpanId } : {}),
            name: span.name,
            kind: kindToOtlp(span.kind),
            startTimeUnixNano: span.startNs.toString(),
            endTimeUnixNano: span.endNs.toString(),
            attributes: Object.entries(span.attributes).map(([key, value]) => ({ key, value: anyValue(value) })),
            links: span.links.map((link) => ({ traceId: link.traceId, spanId: link.spanId })),
            ...(span.events !== undefined
              ? {
                  events: span.events.map((event) => ({
                    timeUnixNano: event.timeNs.toString(),
                    name: event.name,
                    attributes: Object.entries(event.attributes ?? {}).map(([key, value]) => ({ key, value: anyValue(value) })),
                  })),
                }
              : {}),
            status: { code: span.status === 'error' ? 2 : 0 },
          })),
        },
      ],
    })),
  };
}
