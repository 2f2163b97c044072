/**
 * Trace and span ids arrive as hex (OTLP JSON, Zipkin, Jaeger), base64 (protobuf bytes rendered as JSON,
 * some emitters' JSON), raw bytes (protobuf) — or as any string at all (hand-written and test traces use
 * "span-A", "G"). Everything is normalised to lowercase hex of the full width, and distinct inputs stay
 * distinct: hex of the full width is kept as is; a 64-bit (16-digit) trace id is left-padded, the
 * standard widening of Zipkin/Jaeger 64-bit trace ids; canonical base64 of exactly the right byte count
 * is decoded; every other string goes through a stable hash, so "span-A" … "span-P" never merge and a
 * short id is not zero-padded into a collision with another ("abc" vs "0abc").
 */
import { createHash } from 'node:crypto';

const HEX = /^[0-9a-fA-F]+$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Stable hex digest of an id string that is neither full-width hex nor base64 of the right size. */
function hashedId(value: string, hexLength: 16 | 32): string {
  return createHash('sha256').update('perfloop-id\u0000').update(value).digest('hex').slice(0, hexLength);
}

/** Normalises an id given as text to lowercase hex of `hexLength` digits; undefined for empty or all-zero ids. */
export function idToHex(value: string, hexLength: 16 | 32): string | undefined {
  if (value === '') return undefined;
  let hex: string;
  if (HEX.test(value) && (value.length === hexLength || (hexLength === 32 && value.length === 16))) {
    hex = value.toLowerCase().padStart(hexLength, '0');
  } else if (value.length === (hexLength === 32 ? 24 : 12) && BASE64.test(value)) {
    // Unambiguous by length: 16 bytes are 24 base64 characters, 8 bytes are 12.
    const bytes = Buffer.from(value, 'base64');
    hex = bytes.length * 2 === hexLength && bytes.toString('base64') === value ? bytes.toString('hex') : hashedId(value, hexLength);
  } else {
    if (/^0+$/.test(value)) return undefined;
    hex = hashedId(value, hexLength);
  }
  return /^0+$/.test(hex) ? undefined : hex;
}

export function bytesToHex(bytes: Uint8Array, hexLength: 16 | 32): string | undefined {
  if (bytes.length === 0 || bytes.length * 2 > hexLength) return undefined;
  let zero = true;
  for (let index = 0; index < bytes.length; index++) {
    if (bytes[index] !== 0) {
      zero = false;
      break;
    }
  }
  if (zero) return undefined;
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
  return hex.length === hexLength ? hex : hex.padStart(hexLength, '0');
}
