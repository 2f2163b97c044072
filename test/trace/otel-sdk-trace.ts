/** Test helper: a small trace made with the real OpenTelemetry SDK (manual spans, exact hrtime timestamps). */
import { context, SpanKind, SpanStatusCode, trace, type HrTime, type Span as ApiSpan } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-base';

/** Seconds part of the base time of SDK traces (2023-11-14T22:13:20Z). */
export const SDK_BASE_SEC = 1_700_000_000;

export const hr = (ms: number): HrTime => [SDK_BASE_SEC + Math.floor(ms / 1000), Math.round((ms % 1000) * 1e6)];

export function sdkProvider(service: string, processor?: SpanProcessor): { provider: BasicTracerProvider; exporter: InMemorySpanExporter } {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [processor ?? new SimpleSpanProcessor(exporter)],
  });
  return { provider, exporter };
}

/**
 * An N+1 shaped trace: GET /orders (server, 0–100 ms) → 6 × SELECT (10 ms each, 10–70 ms) plus one
 * failing POST to notifications (70–90 ms). Times in ms after the base.
 */
export function recordNPlusOne(provider: BasicTracerProvider, offsetMs = 0): void {
  const tracer = provider.getTracer('perfloop-test');
  const root = tracer.startSpan('GET /orders', { kind: SpanKind.SERVER, startTime: hr(offsetMs), attributes: { 'http.method': 'GET', 'http.status_code': 200 } });
  const parent = trace.setSpan(context.active(), root);
  for (let i = 0; i < 6; i++) {
    const query: ApiSpan = tracer.startSpan(
      'pg.query:SELECT',
      { kind: SpanKind.CLIENT, startTime: hr(offsetMs + 10 + 10 * i), attributes: { 'db.system': 'postgresql', 'db.statement': `SELECT * FROM items WHERE order_id = ${i + 1}` } },
      parent,
    );
    query.end(hr(offsetMs + 20 + 10 * i));
  }
  const notify = tracer.startSpan('POST', { kind: SpanKind.CLIENT, startTime: hr(offsetMs + 70), attributes: { 'http.request.method': 'POST', 'url.full': 'http://notifications/send', 'http.response.status_code': 500 } }, parent);
  notify.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
  notify.end(hr(offsetMs + 90));
  root.end(hr(offsetMs + 100));
}

export type { ReadableSpan };
