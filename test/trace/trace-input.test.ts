/**
 * Trace input that was lost or mis-read before: non-hex ids, short ids, implausible times, batches with a
 * few bad spans, deeply nested attributes, span events; and the Jaeger UI's critical-path cases with their
 * ids as given.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeJaeger, decodeJaegerObject } from '../../src/trace/decode-jaeger.js';
import { decodeOtlpJson } from '../../src/trace/decode-otlp-json.js';
import { decodeOtlpProtobuf } from '../../src/trace/decode-otlp-protobuf.js';
import { decodeZipkin } from '../../src/trace/decode-zipkin.js';
import { decodeTraceBuffer } from '../../src/trace/decode-file.js';
import { newDecodeReport } from '../../src/trace/decode-report.js';
import { encodeOtlpJson } from '../../src/trace/encode-otlp-json.js';
import { idToHex } from '../../src/trace/otlp-ids.js';
import { exportTraceServiceRequestType } from '../../src/trace/otlp-proto-root.js';
import { startReceiver } from '../../src/trace/receiver.js';
import { buildTraceTree } from '../../src/trace/span-tree.js';
import { criticalPath } from '../../src/trace/critical-path.js';
import { isPerfloopError } from '../../src/core/errors.js';
import { analyzeTraces } from '../../src/trace/analyze-traces.js';
import { renderFindings } from '../../src/trace/render-findings.js';
import { buildSpans } from './trace-builder.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../../test/trace/fixtures');

test('ids: non-hex strings map to distinct stable ids; short ids are not zero-padded into collisions', () => {
  const letters = 'ABCDEFGHIJKLMNOP'.split('').map((letter) => `span-${letter}`);
  const ids = letters.map((id) => idToHex(id, 16));
  assert.equal(new Set(ids).size, 16);
  for (const id of ids) assert.match(id!, /^[0-9a-f]{16}$/);
  assert.equal(idToHex('span-A', 16), ids[0]);
  assert.notEqual(idToHex('abc', 16), idToHex('0abc', 16));
  assert.notEqual(idToHex('G', 16), idToHex('g', 16));
  // Full-width hex is kept; a 64-bit trace id is widened the standard way; base64 of 8 bytes is decoded.
  assert.equal(idToHex('00f067aa0ba902b7', 16), '00f067aa0ba902b7');
  assert.equal(idToHex('4BF92F3577B34DA6A3CE929D0E0E4736', 32), '4bf92f3577b34da6a3ce929d0e0e4736');
  assert.equal(idToHex('a3ce929d0e0e4736', 32), '0000000000000000a3ce929d0e0e4736');
  assert.equal(idToHex(Buffer.from('00f067aa0ba902b7', 'hex').toString('base64'), 16), '00f067aa0ba902b7');
  assert.equal(idToHex('0000000000000000', 16), undefined);
});

test('Jaeger JSON with string ids: three spans stay three spans in one trace, two traces stay two', () => {
  const document = {
    data: [
      { traceID: 'trace-one', spans: ['span-A', 'span-B', 'span-C'].map((id, index) => ({ spanID: id, operationName: id, startTime: 10 + index, duration: 1, references: index === 0 ? [] : [{ refType: 'CHILD_OF', spanID: 'span-A' }], processID: 'p1' })), processes: { p1: { serviceName: 's' } } },
      { traceID: 'trace-two', spans: [{ spanID: 'span-A', operationName: 'x', startTime: 5, duration: 1, references: [], processID: 'p1' }], processes: { p1: { serviceName: 's' } } },
    ],
  };
  const spans = decodeJaegerObject(document);
  assert.equal(spans.length, 4);
  assert.equal(new Set(spans.map((span) => span.traceId)).size, 2);
  const tree = buildTraceTree(spans.slice(0, 3));
  assert.equal(tree.duplicateSpans, 0);
  assert.equal(tree.roots.length, 1);
  assert.equal(tree.roots[0]!.children.length, 2);
});

interface JaegerCase {
  case: string;
  description: string;
  trace: { traceID: string; spans: Array<{ spanID: string }> };
  expectedPathUs: Array<[string, number, number]>;
}

const cases = (JSON.parse(readFileSync(join(FIXTURES, 'jaeger-ui/critical-path-cases.json'), 'utf8')) as { cases: JaegerCase[] }).cases;

test('the Jaeger UI critical-path cases: 9 of 9 agree with ids as given, none rejected', () => {
  assert.equal(cases.length, 9);
  const disagreements: string[] = [];
  for (const jaegerCase of cases) {
    const report = newDecodeReport();
    const spans = decodeJaeger(JSON.stringify({ data: [jaegerCase.trace] }), `case ${jaegerCase.case}`, report);
    assert.equal(report.rejectedSpans, 0, `case ${jaegerCase.case}`);
    assert.equal(spans.length, jaegerCase.trace.spans.length);
    const tree = buildTraceTree(spans);
    assert.equal(tree.duplicateSpans, 0);
    const byHex = new Map(jaegerCase.trace.spans.map((span) => [idToHex(span.spanID, 16), span.spanID]));
    const path = criticalPath(tree);
    const actual = path.sections.map((section) => [byHex.get(section.spanId), Number(path.originNs + BigInt(section.startNs)) / 1e3, Number(path.originNs + BigInt(section.endNs)) / 1e3]);
    if (JSON.stringify(actual) !== JSON.stringify(jaegerCase.expectedPathUs)) disagreements.push(`case ${jaegerCase.case}: ${JSON.stringify(actual)}`);
  }
  assert.deepEqual(disagreements, []);
});

test('overlap tolerance only for coarse clocks: a 5 µs overlap of 25 µs spans is parallel when timestamps are µs-exact', () => {
  const at = (us: number): bigint => 1_700_000_000_000_000_123n + BigInt(us) * 1000n;
  const base = { traceId: 'a'.repeat(32), kind: 'internal' as const, service: 'svc', status: 'ok' as const, attributes: {}, links: [] };
  const spans = [
    { ...base, spanId: '1'.repeat(16), name: 'root', startNs: at(0), endNs: at(100) },
    { ...base, spanId: '2'.repeat(16), parentSpanId: '1'.repeat(16), name: 'B', startNs: at(10), endNs: at(35) },
    { ...base, spanId: '3'.repeat(16), parentSpanId: '1'.repeat(16), name: 'C', startNs: at(30), endNs: at(55) },
  ];
  const fine = criticalPath(buildTraceTree(spans));
  assert.deepEqual(fine.sections.map((section) => section.operation), ['root', 'C', 'root']);
  // The same shape in whole milliseconds (an SDK with ms-granular starts): 0.2 ms overlap of 1 ms spans is sequential.
  const coarse = buildSpans('coarse', [
    { id: 'root', start: 0, end: 10 },
    { id: 'B', parent: 'root', start: 1, end: 2.2 },
    { id: 'C', parent: 'root', start: 2, end: 3 },
  ]);
  assert.deepEqual(criticalPath(buildTraceTree(coarse)).sections.map((section) => section.operation), ['root', 'B', 'C', 'root']);
});

test('a server span that starts inside its client span and ends after it is not clock skew', () => {
  const spans = buildSpans('outlive', [
    { id: 'R', start: 0, end: 100, kind: 'server', service: 'front' },
    { id: 'C', parent: 'R', start: 10, end: 50, kind: 'client', service: 'front' },
    { id: 'S', parent: 'C', start: 12, end: 53, kind: 'server', service: 'back' },
  ]);
  const tree = buildTraceTree(spans);
  assert.deepEqual(tree.skewAdjustments, []);
  assert.equal(tree.outlivingServerSpans, 1);
  // On one host even a server span outside its client span is not shifted.
  const sameHost = buildSpans('host', [
    { id: 'C', start: 10, end: 50, kind: 'client', service: 'front' },
    { id: 'S', parent: 'C', start: 60, end: 70, kind: 'server', service: 'back' },
  ]).map((span) => ({ ...span, host: 'box-1' }));
  assert.deepEqual(buildTraceTree(sameHost).skewAdjustments, []);
  const otherHosts = sameHost.map((span, index) => ({ ...span, host: `box-${index}` }));
  assert.equal(buildTraceTree(otherHosts).skewAdjustments.length, 1);
});

const otlpSpan = (spanId: string, startNs: string, endNs: string) => ({ traceId: 'ab'.repeat(16), spanId, name: `op ${spanId}`, startTimeUnixNano: startNs, endTimeUnixNano: endNs });
const otlpBatch = (spans: unknown[]) => ({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] }, scopeSpans: [{ spans }] }] });
const GOOD_NS = '1700000000000000000';

test('implausible times: a span ending at 1e30 ns or ending before it starts is rejected and counted; before 2000 is kept and counted', () => {
  const report = newDecodeReport();
  const spans = decodeOtlpJson(
    JSON.stringify(
      otlpBatch([
        otlpSpan('01'.repeat(8), GOOD_NS, '1000000000000000000000000000000'),
        otlpSpan('02'.repeat(8), GOOD_NS, '1699999999000000000'),
        otlpSpan('03'.repeat(8), GOOD_NS, '1700000000005000000'),
        otlpSpan('04'.repeat(8), '5000', '9000'),
      ]),
    ),
    'batch',
    report,
  );
  assert.deepEqual(spans.map((span) => span.spanId), ['03'.repeat(8), '04'.repeat(8)]);
  assert.equal(report.rejectedSpans, 2);
  assert.equal(report.implausibleSpans, 2);
  assert.match(report.messages[0]!, /after 2100/);
  assert.match(report.messages[1]!, /negative duration/);
  // The span dated 1970 is analysed and reported as implausible, not silently used.
  const analysis = analyzeTraces(spans);
  assert.equal(analysis.implausibleTimeSpans, 1);
  assert.match(renderFindings(analysis), /1 with implausible times/);
  // Without a report the first bad span is bad input naming the field.
  assert.throws(() => decodeOtlpJson(JSON.stringify(otlpBatch([otlpSpan('01'.repeat(8), GOOD_NS, '1'.padEnd(31, '0'))]))), (error: unknown) => isPerfloopError(error) && /after 2100/.test(error.message));
  // Zipkin and Jaeger: a duration that runs past 2100 is rejected the same way.
  const zipkinReport = newDecodeReport();
  assert.equal(decodeZipkin(JSON.stringify([{ traceId: 'ab'.repeat(8), id: 'cd'.repeat(8), timestamp: 1_700_000_000_000_000, duration: 1e20 }]), 'z', zipkinReport).length, 0);
  assert.equal(zipkinReport.implausibleSpans, 1);
  // A file of only unusable spans is an error, not an empty analysis.
  assert.throws(() => decodeTraceBuffer(Buffer.from(JSON.stringify(otlpBatch([otlpSpan('01'.repeat(8), GOOD_NS, '1'.padEnd(31, '0'))]))), 'f.json'), /f\.json: 1 span rejected/);
});

function nestedKvlist(depth: number): unknown {
  let value: unknown = { stringValue: 'leaf' };
  for (let level = 0; level < depth; level++) value = { kvlistValue: { values: [{ key: 'k', value }] } };
  return value;
}

/** The JSON text of a kvlist nested `depth` deep, built as text (JSON.stringify itself recurses). */
function nestedKvlistText(depth: number): string {
  return '{"kvlistValue":{"values":[{"key":"k","value":'.repeat(depth) + '{"stringValue":"leaf"}' + '}]}}'.repeat(depth);
}

test('an attribute nested 50,000 deep is cut, not a stack overflow', () => {
  const span = { ...otlpSpan('01'.repeat(8), GOOD_NS, '1700000000001000000'), attributes: [{ key: 'deep', value: 'DEEP' }, { key: 'ok', value: { intValue: '7' } }] };
  const [decoded] = decodeOtlpJson(JSON.stringify(otlpBatch([span])).replace('"DEEP"', nestedKvlistText(50_000)));
  assert.equal(decoded!.attributes.ok, 7);
  assert.match(String(decoded!.attributes.deep), /nested too deep/);
  assert.ok(String(decoded!.attributes.deep).length < 1000);
  // Protobuf: 20 levels decode, cut at the limit.
  const shallow = { ...span, traceId: Buffer.from('ab'.repeat(16), 'hex').toString('base64'), spanId: Buffer.from('01'.repeat(8), 'hex').toString('base64'), attributes: [{ key: 'deep', value: nestedKvlist(20) }] };
  const body = exportTraceServiceRequestType.encode(exportTraceServiceRequestType.fromObject(otlpBatch([shallow]))).finish();
  assert.match(String(decodeOtlpProtobuf(body)[0]!.attributes.deep), /nested too deep/);
});

test('span events and host are decoded from OTLP JSON, protobuf, Jaeger logs and Zipkin annotations, and written back', () => {
  const waiting = { timeUnixNano: '1700000000000500000', name: 'Waiting for lock behind 3 transactions', attributes: [{ key: 'queue', value: { intValue: '3' } }] };
  const request = otlpBatch([{ ...otlpSpan('01'.repeat(8), GOOD_NS, '1700000000001000000'), events: [waiting] }]);
  (request.resourceSpans[0]!.resource.attributes as unknown[]).push({ key: 'host.name', value: { stringValue: 'box-1' } });
  const [fromJson] = decodeOtlpJson(JSON.stringify(request));
  assert.deepEqual(fromJson!.events, [{ name: 'Waiting for lock behind 3 transactions', timeNs: 1_700_000_000_000_500_000n, attributes: { queue: 3 } }]);
  assert.equal(fromJson!.host, 'box-1');
  const [roundTrip] = decodeOtlpJson(JSON.stringify(encodeOtlpJson([fromJson!])));
  assert.deepEqual(roundTrip!.events, fromJson!.events);
  assert.equal(roundTrip!.host, 'box-1');
  const asProto = JSON.parse(JSON.stringify(request), (key, value: unknown) => ((key === 'traceId' || key === 'spanId') && typeof value === 'string' ? Buffer.from(value, 'hex').toString('base64') : value)) as Record<string, unknown>;
  const [fromProto] = decodeOtlpProtobuf(exportTraceServiceRequestType.encode(exportTraceServiceRequestType.fromObject(asProto)).finish());
  assert.deepEqual(fromProto!.events, fromJson!.events);
  const [fromJaeger] = decodeJaeger(
    JSON.stringify({ data: [{ traceID: 't', spans: [{ spanID: 's', operationName: 'q', startTime: 1_700_000_000_000_000, duration: 1000, logs: [{ timestamp: 1_700_000_000_000_500, fields: [{ key: 'event', type: 'string', value: 'Waiting for lock behind 3 transactions' }] }], processID: 'p1' }], processes: { p1: { serviceName: 'mysql', tags: [{ key: 'hostname', type: 'string', value: 'box-1' }] } } }] }),
  );
  assert.equal(fromJaeger!.events?.[0]?.name, 'Waiting for lock behind 3 transactions');
  assert.equal(fromJaeger!.events?.[0]?.timeNs, 1_700_000_000_000_500_000n);
  assert.equal(fromJaeger!.host, 'box-1');
  const [fromZipkin] = decodeZipkin(JSON.stringify([{ traceId: 'ab'.repeat(8), id: 'cd'.repeat(8), timestamp: 1_700_000_000_000_000, duration: 1000, annotations: [{ timestamp: 1_700_000_000_000_500, value: 'Acquired lock' }] }]));
  assert.deepEqual(fromZipkin!.events, [{ name: 'Acquired lock', timeNs: 1_700_000_000_000_500_000n }]);
});

test('receiver: a batch with bad spans keeps the good ones and answers 200 with partialSuccess', async () => {
  const receiver = await startReceiver({ port: 0 });
  try {
    const good = Array.from({ length: 998 }, (_, index) => otlpSpan((index + 1).toString(16).padStart(16, '0'), GOOD_NS, '1700000000001000000'));
    const batch = otlpBatch([...good, otlpSpan('', GOOD_NS, GOOD_NS), otlpSpan('ff'.repeat(8), GOOD_NS, '1000000000000000000000000000000')]);
    let response = await fetch(`${receiver.url}/v1/traces`, { method: 'POST', body: JSON.stringify(batch), headers: { 'content-type': 'application/json' } });
    assert.equal(response.status, 200);
    const body = (await response.json()) as { partialSuccess: { rejectedSpans: string; errorMessage: string } };
    assert.equal(body.partialSuccess.rejectedSpans, '2');
    assert.match(body.partialSuccess.errorMessage, /2 spans rejected .*invalid span id.*after 2100/);
    assert.equal(receiver.spans().length, 998);
    assert.equal(receiver.stats().spansRejected, 2);
    // Protobuf: the partial success is in the protobuf response.
    const proto = JSON.parse(JSON.stringify(otlpBatch([otlpSpan('01'.repeat(8), GOOD_NS, '1700000000001000000'), otlpSpan('02'.repeat(8), GOOD_NS, '1')])), (key, value: unknown) => ((key === 'traceId' || key === 'spanId') && typeof value === 'string' ? Buffer.from(value, 'hex').toString('base64') : value)) as Record<string, unknown>;
    response = await fetch(`${receiver.url}/v1/traces`, { method: 'POST', body: exportTraceServiceRequestType.encode(exportTraceServiceRequestType.fromObject(proto)).finish(), headers: { 'content-type': 'application/x-protobuf' } });
    assert.equal(response.status, 200);
    const { exportTraceServiceResponseType } = await import('../../src/trace/otlp-proto-root.js');
    const decoded = exportTraceServiceResponseType.toObject(exportTraceServiceResponseType.decode(new Uint8Array(await response.arrayBuffer())), { longs: Number }) as { partialSuccess?: { rejectedSpans: number } };
    assert.equal(decoded.partialSuccess?.rejectedSpans, 1);
    // Nothing usable: 400 with the reasons.
    response = await fetch(`${receiver.url}/v1/traces`, { method: 'POST', body: JSON.stringify(otlpBatch([otlpSpan('', GOOD_NS, GOOD_NS)])), headers: { 'content-type': 'application/json' } });
    assert.equal(response.status, 400);
    assert.match(((await response.json()) as { message: string }).message, /1 span rejected/);
  } finally {
    await receiver.close();
  }
});
