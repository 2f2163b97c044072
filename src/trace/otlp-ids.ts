/**
 * Trace and span ids arrive as hex (OTLP JSON, Zipkin, Jaeger), base64 (protobuf bytes rendered as JSON,
 * some emitters' JSON) or raw bytes (protobuf). Everything is normalised to lowercase hex.
 */

const HEX = /^[0-9a-fA-F]+$/;

/** Normalises an id given as hex or base64 text to lowercase hex of `hexLength` digits (left-padded). */
export function idToHex(value: string, hexLength: 16 | 32): string | undefined {
  if (value === '') return undefined;
  let hex: string;
  // Unambiguous by length: 16 bytes are 32 hex digits or 24 base64 characters; 8 bytes are 16 or 12.
  if (HEX.test(value) && value.length <= hexLength) {
    hex = value.toLowerCase();
  } else {
    const bytes = Buffer.from(value, 'base64');
    if (bytes.length === 0) return undefined;
    hex = bytes.toString('hex');
  }
  if (hex.length > hexLength) return undefined;
  hex = hex.padStart(hexLength, '0');
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
