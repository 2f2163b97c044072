/**
 * Reads a trace file of any supported format, detected from its content: OTLP JSON (one request or JSON
 * lines), OTLP protobuf (binary), Jaeger JSON, Zipkin v2 JSON. Optionally gzip-compressed.
 *
 * Files are streamed, never read into one string: OTLP JSON lines (what `perfloop receive` writes, of any
 * size) are decoded line by line, and gzip is inflated as a stream with a byte limit, so a corrupt or
 * bomb-like `.gz` stops with an error naming the file instead of a zlib stack or gigabytes of RSS. Single
 * JSON documents (Jaeger, Zipkin, pretty-printed OTLP) and protobuf are held whole, up to a size limit.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip, gunzipSync } from 'node:zlib';
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
 * rather than failing the whole file; a buffer in which no span could be used is an error.
 */
export function decodeTraceBuffer(raw: Uint8Array, source = 'trace file', maxInflatedBytes = DEFAULT_MAX_INFLATED_BYTES, report: DecodeReport = newDecodeReport()): { format: TraceFormat; spans: Span[]; report: DecodeReport } {
  return withoutEmptyResult(decodeBody(raw, source, maxInflatedBytes, report), source);
}

/** A trace source in which no span could be used is an error, not an empty analysis. */
function withoutEmptyResult<T extends { spans: Span[]; report: DecodeReport }>(decoded: T, source: string): T {
  if (decoded.spans.length === 0 && decoded.report.rejectedSpans > 0) throw badInput(source, describeRejections(decoded.report));
  return decoded;
}

function decodeBody(raw: Uint8Array, source: string, maxInflatedBytes: number, report: DecodeReport): { format: TraceFormat; spans: Span[]; report: DecodeReport } {
  let body = raw;
  if (isGzip(raw)) {
    try {
      body = gunzipSync(raw, { maxOutputLength: maxInflatedBytes });
    } catch (error) {
      throw gzipError(error, source, maxInflatedBytes);
    }
  }
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

/** Largest inflated size of a `.gz` trace file (a gzip bomb stops here). */
export const DEFAULT_MAX_INFLATED_BYTES = 4 * 1024 ** 3;
/** Largest single JSON document or protobuf message held whole (V8 strings stop near 512 MiB). */
export const MAX_DOCUMENT_BYTES = 500 * 1024 ** 2;
/** Longest JSON line (one OTLP request). */
export const MAX_LINE_BYTES = 500 * 1024 ** 2;

export interface DecodeTraceFileOptions {
  /** Limit on the inflated bytes of a gzip file (default 4 GiB). */
  maxInflatedBytes?: number;
}

const isGzip = (bytes: Uint8Array): boolean => bytes[0] === 0x1f && bytes[1] === 0x8b;
const mib = (bytes: number): string => `${Math.round(bytes / 1024 ** 2)} MiB`;

function gzipError(error: unknown, source: string, maxInflatedBytes: number): Error {
  const { code = '', message = String(error) } = (error ?? {}) as { code?: string; message?: string };
  if (code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) return badInput(source, `inflates to more than ${mib(maxInflatedBytes)} (the limit for .gz trace files)`);
  return badInput(source, `corrupt gzip data (${code || message})`);
}

/** Inflated (when gzip) chunks of a file, with the byte limit enforced as they come. */
async function* fileChunks(path: string, gzip: boolean, maxInflatedBytes: number): AsyncGenerator<Buffer> {
  const file = createReadStream(path);
  if (!gzip) {
    try {
      for await (const chunk of file) yield chunk as Buffer;
    } catch (error) {
      throw badInput(path, `cannot read: ${(error as Error).message}`);
    }
    return;
  }
  const inflater = createGunzip();
  file.on('error', (error) => inflater.destroy(error));
  file.pipe(inflater);
  let total = 0;
  try {
    for await (const chunk of inflater) {
      total += (chunk as Buffer).length;
      if (total > maxInflatedBytes) throw new RangeError('over the limit');
      yield chunk as Buffer;
    }
  } catch (error) {
    throw gzipError(error, path, maxInflatedBytes);
  } finally {
    file.destroy();
    inflater.destroy();
  }
}

/** Splits a byte stream into lines (without the newline), refusing a line longer than `maxLineBytes`. */
async function* lines(chunks: AsyncIterable<Buffer>, source: string, first: Buffer[]): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  async function* all(): AsyncGenerator<Buffer> {
    yield* first;
    yield* chunks;
  }
  let lineNumber = 0;
  for await (const chunk of all()) {
    let start = 0;
    for (let newline = chunk.indexOf(0x0a); newline !== -1; newline = chunk.indexOf(0x0a, start)) {
      const piece = chunk.subarray(start, newline);
      yield pendingBytes === 0 ? piece : Buffer.concat([...pending, piece]);
      lineNumber++;
      pending = [];
      pendingBytes = 0;
      start = newline + 1;
    }
    if (start < chunk.length) {
      pending.push(chunk.subarray(start));
      pendingBytes += chunk.length - start;
      if (pendingBytes > MAX_LINE_BYTES) throw badInput(`${source}:${lineNumber + 1}`, `line longer than ${mib(MAX_LINE_BYTES)}`);
    }
  }
  if (pendingBytes > 0) yield Buffer.concat(pending);
}

const isBlank = (line: Buffer): boolean => {
  for (const byte of line) if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0d) return false;
  return true;
};

/** Reads and decodes a trace file (edge), streaming; errors name the file (and line). */
export async function decodeTraceFile(path: string, options: DecodeTraceFileOptions = {}): Promise<{ format: TraceFormat; spans: Span[]; report: DecodeReport }> {
  const maxInflatedBytes = options.maxInflatedBytes ?? DEFAULT_MAX_INFLATED_BYTES;
  const report = newDecodeReport();
  let magic: Buffer;
  try {
    const handle = await open(path, 'r');
    try {
      magic = Buffer.alloc(2);
      const { bytesRead } = await handle.read(magic, 0, 2, 0);
      magic = magic.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw badInput(path, `cannot read: ${(error as Error).message}`);
  }
  const chunks = fileChunks(path, isGzip(magic), maxInflatedBytes);
  // The head decides the format: enough bytes to see past the first line's start.
  const head: Buffer[] = [];
  let headBytes = 0;
  while (headBytes < 64 * 1024) {
    const next = await chunks.next();
    if (next.done) break;
    head.push(next.value);
    headBytes += next.value.length;
  }
  const headBuffer = Buffer.concat(head);
  const format = detectTraceFormat(headBuffer, path);
  if (format === 'otlp-json' || format === 'otlp-jsonl') {
    const spans: Span[] = [];
    let lineNumber = 0;
    const whole: Buffer[] = [];
    let wholeBytes = 0;
    let linewise = true;
    let sawContent = false;
    let contentLines = 0;
    for await (const line of lines(chunks, path, head)) {
      lineNumber++;
      if (!linewise) {
        wholeBytes += line.length + 1;
        if (wholeBytes > MAX_DOCUMENT_BYTES) throw badInput(path, `a single JSON document larger than ${mib(MAX_DOCUMENT_BYTES)}: write it as JSON lines (one request per line, as perfloop receive does)`);
        whole.push(line, Buffer.from('\n'));
        continue;
      }
      if (isBlank(line)) continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line.toString('utf8'));
      } catch (error) {
        if (!sawContent) {
          // Not one request per line: a pretty-printed document, read whole below.
          linewise = false;
          whole.push(line, Buffer.from('\n'));
          wholeBytes = line.length + 1;
          continue;
        }
        throw badInput(`${path}:${lineNumber}`, `not JSON: ${(error as Error).message}`);
      }
      sawContent = true;
      contentLines++;
      for (const span of decodeOtlpJsonObject(parsed, `${path}:${lineNumber}`, report)) spans.push(span);
    }
    if (linewise) return withoutEmptyResult({ format: (contentLines > 1 ? 'otlp-jsonl' : 'otlp-json') as TraceFormat, spans, report }, path);
    return withoutEmptyResult({ format: 'otlp-json' as const, spans: decodeOtlpJson(Buffer.concat(whole).toString('utf8'), path, report), report }, path);
  }
  const parts = [...head];
  let total = headBytes;
  for await (const chunk of chunks) {
    total += chunk.length;
    if (total > MAX_DOCUMENT_BYTES) throw badInput(path, `a single ${format} document larger than ${mib(MAX_DOCUMENT_BYTES)}`);
    parts.push(chunk);
  }
  return decodeTraceBuffer(Buffer.concat(parts), path, maxInflatedBytes, report);
}
