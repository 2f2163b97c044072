/**
 * Reads a trace file of any supported format, detected from its content: OTLP JSON (one request or JSON
 * lines), OTLP protobuf (binary), Jaeger JSON, Zipkin v2 JSON. Optionally gzip-compressed.
 */
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { badInput } from '../core/errors.js';
import { decodeJaegerObject } from './decode-jaeger.js';
import { describeRejections, newDecodeReport, type DecodeReport } from './decode-report.js';
import { decodeOtlpJson, decodeOtlpJsonObject } from './decode-otlp-json.js';
import { decodeOtlpProtobuf } from './decode-otlp-protobuf.js';
import { decodeZipkinObject } from './decode-zipkin.js';
import type { Span } from './span.js';

export type TraceFormat = 'otlp-json' | 'otlp-jsonl' | 'otlp-protobuf' | 'jaeger' | 'zipkin';

/** Detects the format of a buffer; throws bad input when it is none of the supported ones. */
export function detectTraceFormat(body: Uint8Array, source = 'trace file'): TraceFormat {
  let first = 0;
  while (first < body.length && (body[first] === 0x20 || body[first] === 0x0a || body[first] === 0x0d || body[first] === 0x09)) first++;
  const byte = body[first];
  if (byte === 0x5b /* [ */) return 'zipkin';
  if (byte === 0x7b /* { */) {
    const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
    if (/"resourceSpans"/.test(text.slice(0, 4096))) {
      const firstLine = text.trim().split('\n', 1)[0] ?? '';
      try {
        JSON.parse(text);
        return 'otlp-json';
      } catch {
        return firstLine.length < text.trim().length ? 'otlp-jsonl' : 'otlp-json';
      }
    }
    if (/"data"\s*:/.test(text.slice(0, 4096))) return 'jaeger';
    throw badInput(source, 'JSON but neither OTLP (resourceSpans), Jaeger ({data}) nor Zipkin (array)');
  }
  if (byte === 0x0a || byte === undefined) throw badInput(source, 'empty');
  // Anything else is taken as protobuf: field 1 (resource_spans), wire type 2 → 0x0a.
  if (body[0] === 0x0a) return 'otlp-protobuf';
  throw badInput(source, 'unrecognised trace format (expected OTLP JSON/protobuf, Jaeger JSON or Zipkin JSON)');
}

/**
 * Decodes a buffer of any supported format. Bad spans (ids, times) are skipped and counted in `report`
 * rather than failing the whole file.
 */
export function decodeTraceBuffer(raw: Uint8Array, source = 'trace file', report: DecodeReport = newDecodeReport()): { format: TraceFormat; spans: Span[]; report: DecodeReport } {
  const decoded = decodeBody(raw, source, report);
  // A file in which no span could be used is an error, not an empty analysis.
  if (decoded.spans.length === 0 && report.rejectedSpans > 0) throw badInput(source, describeRejections(report));
  return decoded;
}

function decodeBody(raw: Uint8Array, source: string, report: DecodeReport): { format: TraceFormat; spans: Span[]; report: DecodeReport } {
  const body = raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw;
  const format = detectTraceFormat(body, source);
  if (format === 'otlp-protobuf') return { format, spans: decodeOtlpProtobuf(body, source, report), report };
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  if (format === 'otlp-jsonl' || format === 'otlp-json') return { format, spans: decodeOtlpJson(text, source, report), report };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw badInput(source, `not JSON: ${(error as Error).message}`);
  }
  if (format === 'jaeger') return { format, spans: decodeJaegerObject(parsed, source, report), report };
  if (Array.isArray(parsed) && parsed.length > 0 && typeof parsed[0] === 'object' && parsed[0] !== null && 'resourceSpans' in parsed[0]) {
    return { format: 'otlp-json', spans: parsed.flatMap((request, index) => decodeOtlpJsonObject(request, `${source}[${index}]`, report)), report };
  }
  return { format, spans: decodeZipkinObject(parsed, source, report), report };
}

/** Reads and decodes a trace file (edge). */
export async function decodeTraceFile(path: string): Promise<{ format: TraceFormat; spans: Span[]; report: DecodeReport }> {
  let raw: Buffer;
  try {
    raw = await readFile(path);
  } catch (error) {
    throw badInput(path, `cannot read: ${(error as Error).message}`);
  }
  return decodeTraceBuffer(raw, path);
}
