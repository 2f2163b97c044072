/**
 * Transport error → the error kind counted in run files. Pure: looks only at the error's `code`, `name` and
 * its `cause` chain (undici sometimes wraps the socket's error). `dns` and `tls` get their own kinds because
 * each points at a different fix (a wrong host name; https against a plain-http port or a bad certificate)
 * that `other` would hide.
 */
import type { ErrorKind } from '../core/run-file.js';

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL', 'EAI_NODATA', 'EAI_ADDRFAMILY']);
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);
/** OpenSSL certificate verification failures (Node reports them by these codes). */
const CERTIFICATE_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REVOKED',
  'HOSTNAME_MISMATCH',
]);

function kindOfCode(code: string, name: string): ErrorKind | undefined {
  // undici's parser errors carry no code, only their class name.
  if (name === 'HTTPParserError') return 'bad_response';
  if (code === 'ECONNREFUSED') return 'refused';
  if (DNS_CODES.has(code)) return 'dns';
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || code === 'EPROTO' || CERTIFICATE_CODES.has(code)) return 'tls';
  if (RESET_CODES.has(code)) return 'reset';
  if (TIMEOUT_CODES.has(code)) return 'timeout';
  if (code.startsWith('HPE_') || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH' || code === 'UND_ERR_INFO') return 'bad_response';
  return undefined;
}

/** Classifies a transport error (or a bare error code string) as a run-file error kind. */
export function errorKindOf(error: unknown): ErrorKind {
  let current: unknown = error;
  // Follow `cause` a few levels: the outermost error with a known code decides.
  for (let depth = 0; depth < 4 && current !== undefined && current !== null; depth++) {
    const { code = '', name = '' } = typeof current === 'string' ? { code: current } : (current as { code?: unknown; name?: unknown });
    const kind = kindOfCode(typeof code === 'string' ? code : '', typeof name === 'string' ? name : '');
    if (kind) return kind;
    current = typeof current === 'object' ? (current as { cause?: unknown }).cause : undefined;
  }
  return 'other';
}
