/**
 * A lab service's stderr, passed on without Node's inspector notices. Node announces every inspector a service
 * opens for a profile ("Debugger listening on ws://…", "For help, see: …") on stderr; in `perfloop demo` those lines
 * said nothing to the reader and broke the round lines. Everything else a service writes is kept.
 */
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

const INSPECTOR_NOTICE = /^(Debugger (listening on|attached\.|ending on)|For help, see: https:\/\/nodejs\.org\/en\/docs\/inspector)/;

export function forwardStderr(stream: Readable, out: Writable = process.stderr): void {
  createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
    if (!INSPECTOR_NOTICE.test(line)) out.write(`${line}\n`);
  });
}
