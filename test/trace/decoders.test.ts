import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { decodeJaeger } from '../../src/trace/decode-jaeger.js';
import { decodeOtlpJson } from '../../src/trace/decode-otlp-json.js';
import { decodeOtlpProtobuf } from '../../src/trace/decode-otlp-protobuf.js';
import { decodeZipkin } from '../../src/trace/decode-zipkin.js';
import { decodeTraceBuffer, type TraceFormat } from '../../src/trace/decode-file.js';
import { encodeOtlpJson } from '../../src/trace/encode-otlp-json.js';
import { exportTraceServiceRequestType } from '../../src/trace/otlp-proto-root.js';
import { isCacheCall, isDbCall, isHttpClient, isMessaging, kindToOtlp, type Span } from '../../src/trace/span.js';
import { isPerfloopError } from '../../src/core/errors.js';
import { recordNPlusOne, sdkProvider, SDK_BASE_SEC } from './otel-sdk-trace.js';
import { buildSpans } from './trace-builder.js';

/** The reference trace: µs-aligned times and attribute types every format can carry. */
function reference(): Span[] {
  const spans = buildSpans('contract', [
    { id: 'root', name: 'GET /orders', service: 'api', kind: 'server', start: 0, end: 100.123, attributes: { 'http.method': 'GET', 'http.status_code': 200, 'http.route': '/orders' } },
    { id: 'q1', parent: 'root', name: 'SELECT orders', service: 'api', kind: 'client', start: 10.001, end: 20.5, attributes: { 'db.system': 'postgresql', 'db.statement': 'SELECT * FROM orders WHERE id = $1' } },
    { id: 'c1', parent: 'root', name: 'GET', service: 'api', kind: 'client', start: 30, end: 60, status: 'error', attributes: { 'http.request.method': 'GET', 'url.full': 'http://inventory/stock/1', 'http.response.status_code': 503 } },
    { id: 's1', parent: 'c1', name: 'GET /stock/:id', service: 'inventory', kind: 'server', start: 31, end: 59, attributes: { 'http.response.body.size': 300_000 } },
    { id: 'p1', parent: 'root', name: 'orders publish', service: 'api', kind: 'producer', start: 61, end: 62, attributes: { 'messaging.system': 'kafka', 'messaging.destination': 'orders' } },
    { id: 'k1', parent: 'p1', name: 'orders process', service: 'worker', kind: 'consumer', start: 70, end: 150, links: ['root'] },
  ]);
  return spans;
}

const hexToBase64 = (hex: string): string => Buffer.from(hex, 'hex').toString('base64');

function toBase64Ids(request: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(request), (key, value: unknown) =>
    (key === 'traceId' || key === 'spanId' || key === 'parentSpanId') && typeof value === 'string' ? hexToBase64(value) : value,
  ) as Record<string, unknown>;
}

function toProtobuf(request: Record<string, unknown>): Uint8Array {
  const message = exportTraceServiceRequestType.fromObject(toBase64Ids(request));
  return exportTraceServiceRequestType.encode(message).finish();
}

const usOf = (ns: bigint): number => Number(ns / 1000n);

function toJaeger(spans: Span[]): string {
  const services = [...new Set(spans.map((span) => span.service))];
  const tagOf = (key: string, value: unknown) =>
    typeof value === 'number' ? { key, type: Number.isInteger(value) ? 'int64' : 'float64', value } : typeof value === 'boolean' ? { key, type: 'bool', value } : { key, type: 'string', value };
  return JSON.stringify({
    data: [
      {
        traceID: spans[0]!.traceId,
        spans: spans.map((span) => ({
          traceID: span.traceId,
          spanID: span.spanId,
          operationName: span.name,
          references: [
            ...(span.parentSpanId ? [{ refType: 'CHILD_OF', traceID: span.traceId, spanID: span.parentSpanId }] : []),
            ...span.links.map((link) => ({ refType: 'FOLLOWS_FROM', traceID: link.traceId, spanID: link.spanId })),
          ],
          startTime: usOf(span.startNs),
          duration: usOf(span.endNs) - usOf(span.startNs),
          tags: [
            ...Object.entries(rawAttributes(span)).map(([key, value]) => tagOf(key, value)),
            ...(span.kind !== 'internal' ? [tagOf('span.kind', span.kind)] : []),
            ...(span.status === 'error' ? [tagOf('error', true)] : []),
          ],
          processID: `p${services.indexOf(span.service) + 1}`,
        })),
        processes: Object.fromEntries(services.map((service, index) => [`p${index + 1}`, { serviceName: service, tags: [] }])),
      },
    ],
  });
}

function toZipkin(spans: Span[]): string {
  return JSON.stringify(
    spans.map((span) => ({
      traceId: span.traceId,
      id: span.spanId,
      ...(span.parentSpanId ? { parentId: span.parentSpanId } : {}),
      name: span.name,
      ...(span.kind !== 'internal' ? { kind: span.kind.toUpperCase() } : {}),
      timestamp: usOf(span.startNs),
      duration: usOf(span.endNs) - usOf(span.startNs),
      localEndpoint: { serviceName: span.service },
      tags: { ...Object.fromEntries(Object.entries(rawAttributes(span)).map(([key, value]) => [key, String(value)])), ...(span.status === 'error' ? { error: 'true' } : {}) },
    })),
  );
}

/** The attributes as the instrumentation wrote them (before normalisation added current-convention keys). */
function rawAttributes(span: Span): Record<string, unknown> {
  const original = reference().find((candidate) => candidate.spanId === span.spanId)!;
  return Object.fromEntries(Object.entries(original.attributes).filter(([key]) => RAW_KEYS.has(`${span.spanId}:${key}`)));
}
const RAW_KEYS = new Set<string>();

test('decoder contract: the same trace in every format decodes to identical normalised spans', () => {
  const spans = reference();
  // Record which keys were written by the "instrumentation" (before normalisation), for the encoders above.
  const raw = buildSpansRaw();
  for (const span of raw) for (const key of Object.keys(span.attributes)) RAW_KEYS.add(`${span.spanId}:${key}`);
  const otlp = encodeOtlpJson(raw);
  const jsonLines = `${JSON.stringify(encodeOtlpJson(raw.slice(0, 3)))}\n${JSON.stringify(encodeOtlpJson(raw.slice(3)))}\n`;
  const encodings: Array<[string, Span[]]> = [
    ['otlp-json (hex ids)', decodeOtlpJson(JSON.stringify(otlp))],
    ['otlp-json (base64 ids)', decodeOtlpJson(JSON.stringify(toBase64Ids(otlp)))],
    ['otlp-json lines', decodeOtlpJson(jsonLines)],
    ['otlp-protobuf', decodeOtlpProtobuf(toProtobuf(otlp))],
    ['jaeger', decodeJaeger(toJaeger(raw))],
    ['zipkin', decodeZipkin(toZipkin(raw))],
  ];
  const byId = (list: Span[]) => [...list].sort((a, b) => (a.spanId < b.spanId ? -1 : 1));
  for (const [name, decoded] of encodings) {
    // Zipkin has no links; everything else must match exactly.
    const expected = name === 'zipkin' ? spans.map((span) => ({ ...span, links: [] })) : spans;
    assert.deepEqual(byId(decoded), byId(expected), name);
  }
});

function buildSpansRaw(): Span[] {
  // Same as reference() but without normalisation: what an emitter puts on the wire.
  return reference().map((span) => {
    const attributes = { ...span.attributes };
    for (const derived of ['http.request.method', 'http.response.status_code', 'db.query.text', 'db.system.name', 'messaging.destination.name']) {
      const fromOld = { 'http.request.method': 'http.method', 'http.response.status_code': 'http.status_code', 'db.query.text': 'db.statement', 'db.system.name': 'db.system', 'messaging.destination.name': 'messaging.destination' }[derived]!;
      if (attributes[fromOld] !== undefined) delete attributes[derived];
    }
    return { ...span, attributes };
  });
}

test('format detection picks the right decoder for each format, gzip included', () => {
  const raw = buildSpansRaw();
  const otlp = encodeOtlpJson(raw);
  const cases: Array<[TraceFormat, Uint8Array]> = [
    ['otlp-json', Buffer.from(JSON.stringify(otlp))],
    ['otlp-jsonl', Buffer.from(`${JSON.stringify(otlp)}\n${JSON.stringify(otlp)}\n`)],
    ['otlp-protobuf', toProtobuf(otlp)],
    ['jaeger', Buffer.from(toJaeger(raw))],
    ['zipkin', Buffer.from(toZipkin(raw))],
  ];
  for (const [format, body] of cases) {
    const decoded = decodeTraceBuffer(body);
    assert.equal(decoded.format, format);
    assert.equal(decoded.spans.length, format === 'otlp-jsonl' ? 12 : 6, format);
    assert.equal(decodeTraceBuffer(gzipSync(body)).spans.length, decoded.spans.length, `${format} gzip`);
  }
});

test('derived helpers classify spans from either semantic-convention generation', () => {
  const [root, q1, c1, , p1] = reference();
  assert.equal(isDbCall(q1!), true);
  assert.equal(isCacheCall(q1!), false);
  assert.equal(isHttpClient(c1!), true);
  assert.equal(isHttpClient(root!), false);
  assert.equal(isMessaging(p1!), true);
  assert.equal(q1!.attributes['db.query.text'], 'SELECT * FROM orders WHERE id = $1');
  assert.equal(root!.attributes['http.request.method'], 'GET');
  assert.equal(root!.attributes['http.method'], 'GET');
  assert.equal(kindToOtlp('server'), 2);
});

test('real OpenTelemetry SDK spans: JSON and protobuf serialisations decode identically and exactly', async () => {
  const { provider, exporter } = sdkProvider('orders-api');
  recordNPlusOne(provider);
  await provider.forceFlush();
  const finished = exporter.getFinishedSpans();
  assert.equal(finished.length, 8);
  const json = JsonTraceSerializer.serializeRequest(finished)!;
  const protobuf = ProtobufTraceSerializer.serializeRequest(finished)!;
  const fromJson = decodeOtlpJson(Buffer.from(json).toString('utf8'));
  const fromProtobuf = decodeOtlpProtobuf(protobuf);
  assert.deepEqual(fromProtobuf, fromJson);
  const root = fromJson.find((span) => span.name === 'GET /orders')!;
  assert.equal(root.kind, 'server');
  assert.equal(root.service, 'orders-api');
  assert.equal(root.startNs, BigInt(SDK_BASE_SEC) * 1_000_000_000n);
  assert.equal(root.endNs - root.startNs, 100_000_000n);
  assert.equal(root.attributes['http.response.status_code'], 200);
  const notify = fromJson.find((span) => span.name === 'POST')!;
  assert.equal(notify.status, 'error');
  assert.equal(notify.parentSpanId, root.spanId);
  assert.equal(fromJson.filter((span) => isDbCall(span)).length, 6);
  await provider.shutdown();
});

test('decoders reject malformed input with a bad-input error naming the source', () => {
  const cases: Array<() => unknown> = [
    () => decodeOtlpJson('{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "zz", "spanId": "0102030405060708"}]}]}]}'),
    () => decodeOtlpJson('{"nope": 1}'),
    () => decodeOtlpJson('{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "0102030405060708090a0b0c0d0e0f10", "spanId": "0102030405060708", "startTimeUnixNano": "soon"}]}]}]}'),
    () => decodeOtlpProtobuf(Buffer.from([0x0a, 0xff, 0xff, 0xff])),
    () => decodeJaeger('{"data": 3}'),
    () => decodeZipkin('{}'),
    () => decodeTraceBuffer(Buffer.from('hello')),
  ];
  for (const run of cases) assert.throws(run, (error: unknown) => isPerfloopError(error) && error.code === 'BAD_INPUT');
});
