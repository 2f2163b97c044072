import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_HEAD_BYTES, ParseStep, ResponseParser } from '../../src/load/response-parser.js';

interface Parsed {
  step: ParseStep;
  status: number;
  keepAlive: boolean;
  bodyBytes: number;
  /** Bytes after the response's end in the last piece. */
  left: number;
}

/** Feeds `text` in pieces cut at `cuts`, as reads from a socket would deliver it. */
function parse(text: string | Buffer, cuts: number[] = [], bodyless = false): Parsed {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
  const parser = new ResponseParser();
  parser.reset(bodyless);
  let step: ParseStep = ParseStep.NeedMore;
  let left = 0;
  const edges = [0, ...cuts.filter((cut) => cut > 0 && cut < bytes.length), bytes.length];
  for (let piece = 0; piece + 1 < edges.length; piece++) {
    // Each piece in a buffer of its own that is overwritten afterwards, like the transport's shared read buffer.
    const chunk = Buffer.from(bytes.subarray(edges[piece], edges[piece + 1]));
    step = parser.execute(chunk, 0, chunk.length);
    chunk.fill(0x7e);
    if (step !== ParseStep.NeedMore) {
      left = chunk.length - parser.consumed + (bytes.length - (edges[piece + 1] ?? 0));
      break;
    }
  }
  return { step, status: parser.status, keepAlive: parser.keepAlive, bodyBytes: parser.bodyBytes, left };
}

/** Every way of splitting `text` into two and into three pieces gives the same result as one piece. */
function assertSplitsAgree(text: string, expected: Omit<Parsed, 'left'> & { left?: number }, bodyless = false): void {
  const whole = parse(text, [], bodyless);
  assert.deepEqual(whole, { left: 0, ...expected }, 'whole');
  for (let cut = 1; cut < text.length; cut++) {
    assert.deepEqual(parse(text, [cut], bodyless), whole, `cut at ${cut}`);
    assert.deepEqual(parse(text, [cut, cut + 3], bodyless), whole, `cuts at ${cut}, ${cut + 3}`);
  }
}

test('content-length, chunked (extensions, trailers), HEAD, 204/304 and interim 1xx responses, split anywhere', () => {
  assertSplitsAgree('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nCONTENT-LENGTH:  11 \r\n\r\nhello world', { step: ParseStep.Complete, status: 200, keepAlive: true, bodyBytes: 11 });
  assertSplitsAgree('HTTP/1.1 201 Created\r\ntransfer-encoding: gzip, Chunked\r\n\r\n5;name=value\r\nhello\r\nA\r\n0123456789\r\n0\r\nx-trailer: 1\r\n\r\n', { step: ParseStep.Complete, status: 201, keepAlive: true, bodyBytes: 15 });
  assertSplitsAgree('HTTP/1.1 200 OK\r\ncontent-length: 1234\r\n\r\n', { step: ParseStep.Complete, status: 200, keepAlive: true, bodyBytes: 0 }, true);
  assertSplitsAgree('HTTP/1.1 204 No Content\r\ncontent-length: 5\r\n\r\n', { step: ParseStep.Complete, status: 204, keepAlive: true, bodyBytes: 0 });
  assertSplitsAgree('HTTP/1.1 304 Not Modified\r\n\r\n', { step: ParseStep.Complete, status: 304, keepAlive: true, bodyBytes: 0 });
  assertSplitsAgree('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\ncontent-length: 3\r\n\r\nno!', { step: ParseStep.Complete, status: 404, keepAlive: true, bodyBytes: 3 });
  // A bare LF ends lines too (lenient, as browsers are); a status line without a reason phrase is valid.
  assertSplitsAgree('HTTP/1.1 503\ncontent-length: 2\n\nok', { step: ParseStep.Complete, status: 503, keepAlive: true, bodyBytes: 2 });
});

test('keep-alive: HTTP/1.1 unless "close"; HTTP/1.0 only with "keep-alive"; a body until the end of the connection', () => {
  assert.equal(parse('HTTP/1.1 200 OK\r\nConnection: Close\r\ncontent-length: 0\r\n\r\n').keepAlive, false);
  assert.equal(parse('HTTP/1.0 200 OK\r\ncontent-length: 0\r\n\r\n').keepAlive, false);
  assert.equal(parse('HTTP/1.0 200 OK\r\nconnection: Keep-Alive\r\ncontent-length: 0\r\n\r\n').keepAlive, true);

  const parser = new ResponseParser();
  parser.reset(false);
  const head = Buffer.from('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nfirst ');
  assert.equal(parser.execute(head, 0, head.length), ParseStep.NeedMore);
  const rest = Buffer.from('and last');
  assert.equal(parser.execute(rest, 0, rest.length), ParseStep.NeedMore);
  assert.equal(parser.finish(), true);
  assert.equal(parser.bodyBytes, 14);
  assert.equal(parser.keepAlive, false);

  // Cut short: the end of the connection inside a length-delimited body is not a response.
  parser.reset(false);
  const cut = Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc');
  assert.equal(parser.execute(cut, 0, cut.length), ParseStep.NeedMore);
  assert.equal(parser.finish(), false);
});

test('what follows a response is left over, and parsing resumes cleanly after reset', () => {
  const parsed = parse('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n');
  assert.equal(parsed.step, ParseStep.Complete);
  assert.equal(parsed.left, 17);
  const chunkedThenMore = parse('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\nXY');
  assert.equal(chunkedThenMore.step, ParseStep.Complete);
  assert.equal(chunkedThenMore.left, 2);
  const parser = new ResponseParser();
  for (let n = 0; n < 3; n++) {
    parser.reset(false);
    const bytes = Buffer.from(`HTTP/1.1 20${n} OK\r\ncontent-length: ${n}\r\n\r\n${'x'.repeat(n)}`);
    assert.equal(parser.execute(bytes, 0, bytes.length), ParseStep.Complete);
    assert.equal(parser.status, 200 + n);
    assert.equal(parser.bodyBytes, n);
  }
});

test('garbage, ambiguous lengths, bad chunks and oversized heads are errors', () => {
  for (const text of [
    'HELLO WORLD\r\n\r\n',
    'HTTP/2.0 200 OK\r\n\r\n',
    'HTTP/1.1 2x0 OK\r\n\r\n',
    'HTTP/1.1 200OK\r\n\r\n',
    'HTTP/1.1 200 OK\r\nno colon here\r\n\r\n',
    'HTTP/1.1 200 OK\r\ncontent-length: 12a\r\n\r\n',
    'HTTP/1.1 200 OK\r\ncontent-length: 3\r\ncontent-length: 4\r\n\r\nabcd',
    'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n',
    'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabcXY',
  ]) {
    assert.equal(parse(text).step, ParseStep.Error, JSON.stringify(text));
  }
  const huge = `HTTP/1.1 200 OK\r\n${'x-filler: '.padEnd(1000, 'y')}\r\n`.repeat(1 + Math.ceil(MAX_HEAD_BYTES / 1000));
  assert.equal(parse(huge).step, ParseStep.Error);
  assert.equal(parse(huge, [500, 40_000, 70_000]).step, ParseStep.Error);
  // Same limits when the head arrives a few bytes at a time (a slow-drip server).
  const drip = Array.from({ length: 20_000 }, (_, index) => (index + 1) * 5);
  assert.equal(parse(huge, drip).step, ParseStep.Error);
  // One header line, or one chunk-size line, that never ends: refused once it passes the limit, however dripped.
  const endless = `HTTP/1.1 200 OK\r\nx-endless: ${'z'.repeat(MAX_HEAD_BYTES)}`;
  assert.equal(parse(endless, Array.from({ length: 1000 }, (_, index) => (index + 1) * 100)).step, ParseStep.Error);
  const endlessChunk = `HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n${'0'.repeat(MAX_HEAD_BYTES)}`;
  assert.equal(parse(endlessChunk, Array.from({ length: 1000 }, (_, index) => (index + 1) * 100)).step, ParseStep.Error);
  // Just under the limit, split anywhere, a long header line is fine.
  const long = `HTTP/1.1 200 OK\r\nx-long: ${'q'.repeat(MAX_HEAD_BYTES - 100)}\r\ncontent-length: 0\r\n\r\n`;
  assert.equal(parse(long, [30, 5000, 60_000]).step, ParseStep.Complete);
  // After a complete response, more bytes are a protocol error, not a second response.
  const parser = new ResponseParser();
  parser.reset(false);
  const once = Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n');
  assert.equal(parser.execute(once, 0, once.length), ParseStep.Complete);
  assert.equal(parser.execute(once, 0, once.length), ParseStep.Error);
});
