/**
 * OTLP protobuf (ExportTraceServiceRequest, as OTLP/HTTP application/x-protobuf carries it) → normalised spans.
 * protobufjs decodes the wire format; its object form (longs as decimal strings, bytes as base64) is the
 * OTLP JSON shape, so one mapping serves both encodings.
 */
import { badInput } from '../core/errors.js';
import { decodeOtlpJsonObject } from './decode-otlp-json.js';
import { exportTraceServiceRequestType } from './otlp-proto-root.js';
import type { Span } from './span.js';

export function decodeOtlpProtobuf(body: Uint8Array, source = 'otlp-protobuf'): Span[] {
  let message;
  try {
    message = exportTraceServiceRequestType.decode(body);
  } catch (error) {
    throw badInput(source, `not an OTLP ExportTraceServiceRequest: ${(error as Error).message}`);
  }
  const object = exportTraceServiceRequestType.toObject(message, { longs: String, bytes: String, arrays: true });
  return decodeOtlpJsonObject(object, source);
}
