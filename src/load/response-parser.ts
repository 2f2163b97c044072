/**
 * An HTTP/1.x response parser for the generator's hot path. It reads only what a load generator needs —
 * the status, whether the connection stays open, how many body bytes arrived, where the response ends —
 * straight from the bytes, without making a string per header or an object per response. It replaced
 * http-parser-js, whose header strings and objects were a tenth of the generator's CPU and much of its
 * garbage at its ceiling (`bench/response-parser.ts` keeps the comparison).
 * Handles: Content-Length and chunked bodies (extensions, trailers), bodies delimited by the end of the
 * connection, responses without a body (HEAD, 1xx, 204, 304), interim 1xx responses, HTTP/1.0 keep-alive.
 * Bytes may arrive split anywhere. One response at a time (the transport never pipelines).
 */

/** What `execute` found. */
export const enum ParseStep {
  /** Everything given was consumed; the response is not complete yet. */
  NeedMore = 0,
  /** The response is complete (`consumed` says where it ended). */
  Complete = 1,
  /** Not HTTP, or over a limit: the connection cannot be trusted any more. */
  Error = 2,
}

const enum State {
  StatusLine,
  Headers,
  Body,
  ChunkSize,
  ChunkData,
  ChunkDataEnd,
  Trailers,
  UntilClose,
  Done,
}

/** Longest status line + headers accepted (Node's own HTTP server allows 16 KiB; some servers send more). */
export const MAX_HEAD_BYTES = 80 * 1024;

const CR = 13;
const LF = 10;
const SPACE = 32;
const TAB = 9;
const COLON = 58;
const SEMICOLON = 59;
const COMMA = 44;

const lowerBytes = (text: string): Uint8Array => Uint8Array.from(text, (char) => char.charCodeAt(0));
const CONTENT_LENGTH = lowerBytes('content-length');
const TRANSFER_ENCODING = lowerBytes('transfer-encoding');
const CONNECTION = lowerBytes('connection');
const CHUNKED = lowerBytes('chunked');
const CLOSE = lowerBytes('close');
const KEEP_ALIVE = lowerBytes('keep-alive');
const HTTP_1 = lowerBytes('HTTP/1.');

/** Does `bytes[start, end)` equal `lower`, ignoring ASCII case? */
function equalsIgnoringCase(bytes: Uint8Array, start: number, end: number, lower: Uint8Array): boolean {
  if (end - start !== lower.length) return false;
  for (let at = 0; at < lower.length; at++) if (((bytes[start + at] ?? 0) | 0x20) !== lower[at]) return false;
  return true;
}

/** Does the comma-separated list in `bytes[start, end)` contain the token `lower`? */
function listHas(bytes: Uint8Array, start: number, end: number, lower: Uint8Array): boolean {
  let tokenStart = start;
  for (let at = start; at <= end; at++) {
    if (at < end && bytes[at] !== COMMA) continue;
    let from = tokenStart;
    let to = at;
    while (from < to && (bytes[from] === SPACE || bytes[from] === TAB)) from++;
    while (to > from && (bytes[to - 1] === SPACE || bytes[to - 1] === TAB)) to--;
    if (equalsIgnoringCase(bytes, from, to, lower)) return true;
    tokenStart = at + 1;
  }
  return false;
}

export class ResponseParser {
  /** Status of the final response (interim 1xx responses are skipped). */
  status = 0;
  /** Whether the connection may carry the next request once this response is complete. */
  keepAlive = true;
  bodyBytes = 0;
  /** Where in the last buffer given to `execute` the response ended (when it returned Complete). */
  consumed = 0;

  private state = State.StatusLine;
  private bodyless = false;
  private http10 = false;
  private chunked = false;
  private contentLength = -1;
  /** Bytes left in the body or the current chunk. */
  private remaining = 0;
  private headBytes = 0;
  /** A line split across buffers, kept until its end arrives. */
  private partial: Buffer | undefined;

  /** Ready for the next response; `bodyless` for a HEAD request's. */
  reset(bodyless: boolean): void {
    this.status = 0;
    this.keepAlive = true;
    this.bodyBytes = 0;
    this.consumed = 0;
    this.state = State.StatusLine;
    this.bodyless = bodyless;
    this.startHead();
  }

  private startHead(): void {
    this.http10 = false;
    this.chunked = false;
    this.contentLength = -1;
    this.remaining = 0;
    this.headBytes = 0;
    this.partial = undefined;
  }

  /** Parses `bytes[start, end)`. */
  execute(bytes: Buffer, start: number, end: number): ParseStep {
    let at = start;
    while (at < end) {
      switch (this.state) {
        case State.Body:
        case State.ChunkData: {
          const take = Math.min(this.remaining, end - at);
          this.bodyBytes += take;
          this.remaining -= take;
          at += take;
          if (this.remaining > 0) return ParseStep.NeedMore;
          if (this.state === State.Body) return this.complete(at);
          this.state = State.ChunkDataEnd;
          this.remaining = 2;
          break;
        }
        case State.ChunkDataEnd: {
          // The CRLF after a chunk's data (possibly split between buffers).
          const byte = bytes[at++];
          if (byte !== (this.remaining === 2 ? CR : LF)) return ParseStep.Error;
          if (--this.remaining === 0) this.state = State.ChunkSize;
          break;
        }
        case State.UntilClose:
          this.bodyBytes += end - at;
          return ParseStep.NeedMore;
        case State.Done:
          // Bytes after a complete response: the transport never pipelines, so the server broke the protocol.
          return ParseStep.Error;
        default: {
          // A line: status line, header, chunk size or trailer.
          const lineEnd = bytes.indexOf(LF, at);
          if (lineEnd < 0 || lineEnd >= end) {
            if (!this.keepPartial(bytes, at, end)) return ParseStep.Error;
            return ParseStep.NeedMore;
          }
          let step: ParseStep | undefined;
          if (this.partial) {
            const line = Buffer.concat([this.partial, bytes.subarray(at, lineEnd + 1)]);
            this.partial = undefined;
            if (!this.countHead(line.length)) return ParseStep.Error;
            step = this.line(line, 0, line.length - 1, lineEnd + 1);
          } else {
            if (!this.countHead(lineEnd + 1 - at)) return ParseStep.Error;
            step = this.line(bytes, at, lineEnd, lineEnd + 1);
          }
          at = lineEnd + 1;
          if (step !== undefined) return step;
        }
      }
    }
    return ParseStep.NeedMore;
  }

  /** The connection ended: completes a body delimited by the end of the connection; false if the response was cut short. */
  finish(): boolean {
    if (this.state !== State.UntilClose) return false;
    this.state = State.Done;
    this.keepAlive = false;
    return true;
  }

  /** Keeps the start of a line until its end arrives; a line that would outgrow the head limit is an error (in any state: a chunk-size line too). */
  private keepPartial(bytes: Buffer, start: number, end: number): boolean {
    if (this.headBytes + (this.partial?.length ?? 0) + (end - start) > MAX_HEAD_BYTES) return false;
    const piece = bytes.subarray(start, end);
    // Copied: the transport reuses its read buffer.
    this.partial = this.partial ? Buffer.concat([this.partial, piece]) : Buffer.from(piece);
    return true;
  }

  private countHead(length: number): boolean {
    if (this.state !== State.StatusLine && this.state !== State.Headers && this.state !== State.Trailers) return true;
    this.headBytes += length;
    return this.headBytes <= MAX_HEAD_BYTES;
  }

  /** One line `bytes[start, lf)` (lf: the index of its LF); `next` is where parsing resumes in the caller's buffer. */
  private line(bytes: Buffer, start: number, lf: number, next: number): ParseStep | undefined {
    const end = lf > start && bytes[lf - 1] === CR ? lf - 1 : lf;
    switch (this.state) {
      case State.StatusLine:
        return this.statusLine(bytes, start, end);
      case State.Headers:
        return end === start ? this.headersEnd(next) : this.header(bytes, start, end);
      case State.ChunkSize:
        return this.chunkSize(bytes, start, end);
      case State.Trailers:
        return end === start ? this.complete(next) : undefined;
      default:
        return ParseStep.Error;
    }
  }

  private statusLine(bytes: Buffer, start: number, end: number): ParseStep | undefined {
    // "HTTP/1.x NNN reason"
    if (end - start < 12) return ParseStep.Error;
    for (let at = 0; at < HTTP_1.length; at++) if (bytes[start + at] !== HTTP_1[at]) return ParseStep.Error;
    const minor = (bytes[start + 7] ?? 0) - 48;
    if (minor < 0 || minor > 9 || bytes[start + 8] !== SPACE) return ParseStep.Error;
    let status = 0;
    for (let at = start + 9; at < start + 12; at++) {
      const digit = (bytes[at] ?? 0) - 48;
      if (digit < 0 || digit > 9) return ParseStep.Error;
      status = status * 10 + digit;
    }
    if (end > start + 12 && bytes[start + 12] !== SPACE) return ParseStep.Error;
    this.status = status;
    this.http10 = minor === 0;
    this.keepAlive = !this.http10;
    this.state = State.Headers;
    return undefined;
  }

  private header(bytes: Buffer, start: number, end: number): ParseStep | undefined {
    const colon = bytes.indexOf(COLON, start);
    if (colon < 0 || colon >= end || colon === start) return ParseStep.Error;
    let valueStart = colon + 1;
    let valueEnd = end;
    while (valueStart < valueEnd && (bytes[valueStart] === SPACE || bytes[valueStart] === TAB)) valueStart++;
    while (valueEnd > valueStart && (bytes[valueEnd - 1] === SPACE || bytes[valueEnd - 1] === TAB)) valueEnd--;
    if (equalsIgnoringCase(bytes, start, colon, CONTENT_LENGTH)) {
      if (valueEnd === valueStart) return ParseStep.Error;
      let length = 0;
      for (let at = valueStart; at < valueEnd; at++) {
        const digit = (bytes[at] ?? 0) - 48;
        if (digit < 0 || digit > 9) return ParseStep.Error;
        length = length * 10 + digit;
      }
      // Two different lengths make the body's end ambiguous (request smuggling's classic): refuse.
      if (this.contentLength >= 0 && this.contentLength !== length) return ParseStep.Error;
      this.contentLength = length;
    } else if (equalsIgnoringCase(bytes, start, colon, TRANSFER_ENCODING)) {
      this.chunked = listHas(bytes, valueStart, valueEnd, CHUNKED);
    } else if (equalsIgnoringCase(bytes, start, colon, CONNECTION)) {
      if (listHas(bytes, valueStart, valueEnd, CLOSE)) this.keepAlive = false;
      else if (this.http10 && listHas(bytes, valueStart, valueEnd, KEEP_ALIVE)) this.keepAlive = true;
    }
    return undefined;
  }

  private headersEnd(next: number): ParseStep | undefined {
    if (this.status >= 100 && this.status < 200 && this.status !== 101) {
      // An interim response (100 Continue, 103 Early Hints): the final one follows.
      this.state = State.StatusLine;
      this.startHead();
      return undefined;
    }
    if (this.bodyless || this.status === 204 || this.status === 304 || (this.status >= 100 && this.status < 200)) return this.complete(next);
    if (this.chunked) {
      this.state = State.ChunkSize;
      return undefined;
    }
    if (this.contentLength >= 0) {
      if (this.contentLength === 0) return this.complete(next);
      this.remaining = this.contentLength;
      this.state = State.Body;
      return undefined;
    }
    // Neither length nor chunks: the body runs until the server closes the connection.
    this.keepAlive = false;
    this.state = State.UntilClose;
    return undefined;
  }

  private chunkSize(bytes: Buffer, start: number, end: number): ParseStep | undefined {
    let size = 0;
    let digits = 0;
    let at = start;
    for (; at < end; at++) {
      const byte = bytes[at] ?? 0;
      const digit = byte >= 48 && byte <= 57 ? byte - 48 : (byte | 0x20) >= 97 && (byte | 0x20) <= 102 ? (byte | 0x20) - 87 : -1;
      if (digit < 0) break;
      size = size * 16 + digit;
      if (++digits > 12) return ParseStep.Error;
    }
    // After the digits only spaces or chunk extensions (";name=value") may follow.
    while (at < end && (bytes[at] === SPACE || bytes[at] === TAB)) at++;
    if (digits === 0 || (at < end && bytes[at] !== SEMICOLON)) return ParseStep.Error;
    if (size === 0) {
      this.state = State.Trailers;
      this.headBytes = 0;
      return undefined;
    }
    this.remaining = size;
    this.state = State.ChunkData;
    return undefined;
  }

  private complete(next: number): ParseStep {
    this.state = State.Done;
    this.consumed = next;
    return ParseStep.Complete;
  }
}
