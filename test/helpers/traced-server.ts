/**
 * A loopback HTTP server instrumented with the real OpenTelemetry SDK: it continues the caller's
 * traceparent, and each request runs `queries` sequential "SELECT … WHERE id = n" client spans of
 * ~`queryMs` (an N+1 shape), exported over OTLP/HTTP to `otlpUrl`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

export async function tracedServer(otlpUrl: string, queries: number, queryMs: number): Promise<{ url: string; close(): Promise<void> }> {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'orders' }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${otlpUrl}/v1/traces` }), { scheduledDelayMillis: 100 })],
  });
  const tracer = provider.getTracer('perfloop-test');
  const propagator = new W3CTraceContextPropagator();
  const server = createServer((request, response) => {
    const parentContext = propagator.extract(context.active(), request.headers, { get: (carrier, key) => carrier[key] as string | undefined, keys: (carrier) => Object.keys(carrier) });
    const span = tracer.startSpan('GET /orders/:id', { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'GET', 'http.route': '/orders/:id' } }, parentContext);
    const spanContext = trace.setSpan(parentContext, span);
    const runQuery = (n: number): void => {
      if (n === queries) {
        span.setAttribute('http.response.status_code', 200);
        response.end('ok');
        span.end();
        return;
      }
      const query = tracer.startSpan('pg.query:SELECT', { kind: SpanKind.CLIENT, attributes: { 'db.system': 'postgresql', 'db.statement': `SELECT * FROM order_lines WHERE id = ${n + 1}` } }, spanContext);
      setTimeout(() => {
        query.end();
        runQuery(n + 1);
      }, queryMs);
    };
    runQuery(0);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      await provider.forceFlush();
      await provider.shutdown();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
