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
  const byService = new Map<string, Span[]>();
  for (const span of spans) {
    const list = byService.get(span.service);
    if (list) list.push(span);
    else byService.set(span.service, [span]);
  }
  return {
    resourceSpans: [...byService].map(([service, list]) => ({
      resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
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
            status: { code: span.status === 'error' ? 2 : 0 },
          })),
        },
      ],
    })),
  };
}
