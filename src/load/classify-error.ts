/** What every transport shares: its options and the mapping of its errors to the error kinds of run files. */
import type { ErrorKind } from '../core/run-file.js';

export interface TransportOptions {
  /** Connections per origin. */
  connections: number;
  keepAlive: boolean;
}

/** Maps a transport error to the error kinds counted in run files. */
export function classifyError(error: unknown): ErrorKind {
  const { code = '', name = '' } = (error ?? {}) as { code?: string; name?: string };
  // undici's parser errors carry no code, only their class name.
  if (name === 'HTTPParserError') return 'bad_response';
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET' || code === 'UND_ERR_CLOSED') return 'reset';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') return 'timeout';
  if (code.startsWith('HPE_') || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH' || code === 'UND_ERR_INFO') return 'bad_response';
  return 'other';
}
