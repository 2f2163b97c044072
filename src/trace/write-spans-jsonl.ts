/**
 * Writes spans as OTLP JSON lines (edge), the format `perfloop receive` saves and `traces analyze` reads.
 *
 * Streamed line by line into a temp file beside the target, then renamed: memory stays at one line, a file
 * of any size can be written (no whole-file string, which V8 caps at ~512 MiB), and a crash or SIGKILL
 * mid-save leaves the previous file untouched. Lines hold at most `SPANS_PER_LINE` spans and about
 * `LINE_BYTES` of attribute text, so a few huge attributes cannot make one line exceed the string limit.
 */
import { open, rename, unlink } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { ioErrorFor, temporaryPathFor } from '../core/output-path.js';
import { encodeOtlpJson } from './encode-otlp-json.js';
import type { Span } from './span.js';

/** Spans per JSON line, like the collector's file exporter batches. */
export const SPANS_PER_LINE = 1000;
/** Approximate attribute text per line before a new line starts. */
export const LINE_BYTES = 4 * 1024 * 1024;

/** A cheap upper-bound estimate of a span's encoded size (its strings dominate). */
function approximateBytes(span: Span): number {
  let bytes = 300 + span.name.length + span.service.length;
  for (const [key, value] of Object.entries(span.attributes)) {
    bytes += key.length + 40;
    if (typeof value === 'string') bytes += value.length;
    else if (Array.isArray(value)) for (const item of value) bytes += typeof item === 'string' ? item.length + 20 : 30;
  }
  return bytes;
}

/** Groups spans into lines of bounded size. */
export function* spanLines(spans: readonly Span[]): Generator<readonly Span[]> {
  let start = 0;
  let bytes = 0;
  for (let index = 0; index < spans.length; index++) {
    const size = approximateBytes(spans[index]!);
    if (index > start && (index - start >= SPANS_PER_LINE || bytes + size > LINE_BYTES)) {
      yield spans.slice(start, index);
      start = index;
      bytes = 0;
    }
    bytes += size;
  }
  if (start < spans.length) yield spans.slice(start);
}

/**
 * Encodes one line; if it is still too long for a string (RangeError), splits it in halves until each fits.
 * A single span too large to encode at all is a RangeError for the caller to report.
 */
function* encodeLines(spans: readonly Span[]): Generator<string> {
  let text: string;
  try {
    text = `${JSON.stringify(encodeOtlpJson(spans))}\n`;
  } catch (error) {
    if (!(error instanceof RangeError) || spans.length < 2) throw error;
    const half = Math.ceil(spans.length / 2);
    yield* encodeLines(spans.slice(0, half));
    yield* encodeLines(spans.slice(half));
    return;
  }
  yield text;
}

/** Writes the spans to `path` (temp file, then rename); returns the bytes written. IO errors name the path. */
export async function writeSpansJsonl(path: string, spans: readonly Span[]): Promise<number> {
  const target = resolve(path);
  const temporary = temporaryPathFor(target);
  let written = 0;
  try {
    await mkdir(dirname(target), { recursive: true });
    const handle = await open(temporary, 'w');
    try {
      for (const line of spanLines(spans)) {
        for (const text of encodeLines(line)) {
          await handle.write(text);
          written += Buffer.byteLength(text);
        }
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, target);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw ioErrorFor(path, error);
  }
  return written;
}
