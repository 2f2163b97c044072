import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { SpanKind } from '@opentelemetry/api';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { startReceiver } from '../../src/trace/receiver.js';
import { encodeOtlpJson } from '../../src/trace/encode-otlp-json.js';
import { exportTraceServiceRequestType } from '../../src/trace/otlp-proto-root.js';
import { analyzeTraces } from '../../src/trace/analyze-traces.js';
import { renderFindings } from '../../src/trace/render-findings.js';
import { traceAnalysisSchema } from '../../src/trace/trace-analysis.js';
import { buildSpans } from './trace-builder.js';
import { hr, recordNPlusOne, sdkProvider } from './otel-sdk-trace.js';

const threeSpans = () =>
  encodeOtlpJson(
    buildSpans('recv', [
      { id: 'A', start: 0, end: 10, kind: 'server' },
      { id: 'B', parent: 'A', start: 1, end: 2 },
      { id: 'C', parent: 'A', start: 3, end: 4 },
    ]),
  );

const post = (url: string, body: string | Uint8Array, headers: Record<string, string>) => fetch(`${url}/v1/traces`, { method: 'POST', body, headers });

test('receiver accepts OTLP JSON, protobuf and gzip, and caps stored spans', async () => {
  const receiver = await startReceiver({ port: 0, maxSpans: 7 });
  try {
    const json = JSON.stringify(threeSpans());
    let response = await post(receiver.url, json, { 'content-type': 'application/json' });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), {});
    const protobuf = exportTraceServiceRequestType.encode(exportTraceServiceRequestType.fromObject(JSON.parse(json, (key, value: unknown) => (/^(trace|span|parentSpan)Id$/.test(key) && typeof value === 'string' ? Buffer.from(value, 'hex').toString('base64') : value)))).finish();
    response = await post(receiver.url, protobuf, { 'content-type': 'application/x-protobuf' });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/x-protobuf');
    response = await post(receiver.url, gzipSync(json), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    assert.equal(response.status, 200);
    // 9 spans offered, 7 kept: the last request is a partial success with 2 rejected.
    assert.deepEqual(await response.json(), { partialSuccess: { rejectedSpans: '2', errorMessage: 'span limit of 7 reached' } });
    assert.equal(receiver.spans().length, 7);
    assert.deepEqual(receiver.stats(), { spansReceived: 9, spansDropped: 2, spansRejected: 0, requestsAccepted: 3, requestsRejected: 0 });
  } finally {
    await receiver.close();
  }
});

test('receiver rejects bad requests with 4xx and keeps serving', async () => {
  const receiver = await startReceiver({ port: 0, maxBodyBytes: 64 * 1024 });
  try {
    const cases: Array<[string, () => Promise<Response>, number]> = [
      ['malformed JSON', () => post(receiver.url, '{"resourceSpans": [', { 'content-type': 'application/json' }), 400],
      ['not OTLP', () => post(receiver.url, '{"hello": 1}', { 'content-type': 'application/json' }), 400],
      ['bad protobuf', () => post(receiver.url, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f]), { 'content-type': 'application/x-protobuf' }), 400],
      ['bad gzip', () => post(receiver.url, 'not gzip', { 'content-type': 'application/json', 'content-encoding': 'gzip' }), 400],
      ['oversized', () => post(receiver.url, Buffer.alloc(200 * 1024, 0x20), { 'content-type': 'application/json' }), 413],
      // 10 MiB of zeros compresses to ~10 KiB: under the body limit, far over it once inflated.
      ['gzip bomb', () => post(receiver.url, gzipSync(Buffer.alloc(10 * 1024 * 1024)), { 'content-type': 'application/json', 'content-encoding': 'gzip' }), 413],
      ['wrong type', () => post(receiver.url, 'x', { 'content-type': 'text/plain' }), 415],
      ['wrong encoding', () => post(receiver.url, 'x', { 'content-type': 'application/json', 'content-encoding': 'br' }), 415],
      ['wrong path', () => fetch(`${receiver.url}/v1/metrics`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } }), 404],
      ['wrong method', () => fetch(`${receiver.url}/v1/traces`), 405],
    ];
    for (const [name, send, status] of cases) {
      const response = await send();
      assert.equal(response.status, status, name);
      const body = (await response.json()) as { message: string };
      assert.equal(typeof body.message, 'string', name);
    }
    assert.equal(receiver.stats().requestsRejected, cases.length);
    const ok = await post(receiver.url, JSON.stringify(threeSpans()), { 'content-type': 'application/json' });
    assert.equal(ok.status, 200);
    assert.equal(receiver.spans().length, 3);
  } finally {
    await receiver.close();
  }
});

for (const [name, Exporter] of [
  ['protobuf', ProtoExporter],
  ['JSON', JsonExporter],
] as const) {
  test(`end to end: the OpenTelemetry SDK exports OTLP/HTTP ${name} to the receiver and the analysis finds the N+1`, async () => {
    const receiver = await startReceiver({ port: 0 });
    const exporter = new Exporter({ url: `${receiver.url}/v1/traces` });
    const { provider } = sdkProvider('orders-api', new BatchSpanProcessor(exporter, { scheduledDelayMillis: 10 }));
    try {
      for (let request = 0; request < 4; request++) recordNPlusOne(provider, request * 1000);
      const tracer = provider.getTracer('perfloop-test');
      tracer.startSpan('GET /health', { kind: SpanKind.SERVER, startTime: hr(5000) }).end(hr(5001));
      await provider.forceFlush();
      assert.equal(receiver.spans().length, 33);
      const analysis = analyzeTraces(receiver.spans());
      assert.doesNotThrow(() => traceAnalysisSchema.parse(JSON.parse(JSON.stringify(analysis))));
      assert.equal(analysis.traceCount, 5);
      assert.equal(analysis.spanCount, 33);
      const nPlusOne = analysis.findings.find((finding) => finding.detector === 'n-plus-one')!;
      assert.deepEqual(nPlusOne.evidence.counts, { maxRepeats: 6, queries: 24, traces: 4 });
      assert.equal(nPlusOne.shareOfRequests, 4 / 5);
      // Five 10 ms queries leave each N+1 trace (100 → 50 ms). p99 cohort = the slowest trace alone.
      assert.equal(nPlusOne.predictedSavingUs.p99, 50_000);
      const sideEffect = analysis.findings.find((finding) => finding.detector === 'sync-side-effect')!;
      assert.equal(sideEffect.evidence.counts.calls, 4);
      assert.deepEqual(
        analysis.findings.map((finding) => finding.detector),
        ['n-plus-one', 'sync-side-effect'],
      );
      const text = renderFindings(analysis);
      assert.match(text, /1\. \[n-plus-one\] N\+1 queries: "SELECT \* FROM items WHERE order_id = \?" repeated up to 6 times/);
      assert.equal(analysis.exemplar!.spans.length, 8);
    } finally {
      await provider.shutdown();
      await receiver.close();
    }
  });
}
