/**
 * OpenTelemetry setup for one lab service: a Node tracer provider exporting OTLP/HTTP protobuf in batches,
 * with the http, pg and ioredis instrumentations. Must run before `pg`, `ioredis` or `http` are required.
 */
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';

export interface Telemetry {
  /** Flushes pending spans (bounded by the exporter timeout) and stops the provider. */
  shutdown(): Promise<void>;
}

/** Starts tracing for `serviceName`, exporting to `${otlpEndpoint}/v1/traces`. */
export function startTelemetry(serviceName: string, otlpEndpoint: string): Telemetry {
  // Both old and stable semantic-convention attribute names, so any detector vintage can read them.
  process.env.OTEL_SEMCONV_STABILITY_OPT_IN ??= 'http/dup,database/dup';
  const exporter = new OTLPTraceExporter({
    url: `${otlpEndpoint.replace(/\/+$/, '')}/v1/traces`,
    // When no receiver listens the export fails fast (connection refused); the timeout bounds a hung one.
    timeoutMillis: 1000,
  });
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName, 'service.namespace': 'perfloop-lab' }),
    // A short delay keeps spans flowing to the receiver while a load run is still going.
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 200, maxQueueSize: 8192, maxExportBatchSize: 1024 })],
  });
  provider.register();
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        // Health and admin traffic is control plane, not workload: keep it out of the traces.
        ignoreIncomingRequestHook: (request) => /^\/(health|admin)/.test(request.url ?? ''),
      }),
      // Only database work inside a request (or the worker's own span) is interesting; idle polling is not.
      // Bound values are recorded (ids only in this lab) so identical hot reads can be told from different ones.
      new PgInstrumentation({ requireParentSpan: true, enhancedDatabaseReporting: true }),
      new IORedisInstrumentation({ requireParentSpan: true }),
    ],
  });
  return {
    async shutdown() {
      await provider.forceFlush().catch(() => undefined);
      await provider.shutdown().catch(() => undefined);
    },
  };
}
