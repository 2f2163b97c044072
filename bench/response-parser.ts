/**
 * Why the generator parses responses itself: http-parser-js (what autocannon uses, and perfloop's first
 * socket transport) against `ResponseParser`, on the responses a load test sees most — nginx's static
 * page, a small JSON API reply, a chunked body. Prints responses parsed per second and garbage collected.
 *
 *   node --expose-gc dist/bench/response-parser.js [responses=300000]
 */
import { HTTPParser, type HeaderInfo } from 'http-parser-js';
import { ParseStep, ResponseParser } from '../src/load/response-parser.js';

const responses = Number(process.argv[2] ?? 300_000);

const SAMPLES: Record<string, Buffer> = {
  'nginx static': Buffer.from(
    'HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Tue, 01 Dec 2026 16:00:00 GMT\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\nok\n',
  ),
  'json api': Buffer.from(`HTTP/1.1 200 OK\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: 120\r\netag: W/"78-abc"\r\ndate: Tue, 01 Dec 2026 16:00:00 GMT\r\nconnection: keep-alive\r\nkeep-alive: timeout=5\r\n\r\n${'x'.repeat(120)}`),
  chunked: Buffer.from(`HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ncontent-type: text/html\r\n\r\n400\r\n${'y'.repeat(1024)}\r\n100\r\n${'z'.repeat(256)}\r\n0\r\n\r\n`),
};

function peer(sample: Buffer): () => number {
  const parser = new HTTPParser(HTTPParser.RESPONSE);
  let body = 0;
  let status = 0;
  parser[HTTPParser.kOnHeadersComplete] = (info: HeaderInfo) => {
    status = info.statusCode;
    return 0;
  };
  parser[HTTPParser.kOnBody] = (_chunk: Buffer, _offset: number, length: number) => {
    body += length;
  };
  parser[HTTPParser.kOnMessageComplete] = () => undefined;
  return () => {
    parser.execute(sample);
    return status + body;
  };
}

function own(sample: Buffer): () => number {
  const parser = new ResponseParser();
  return () => {
    parser.reset(false);
    if (parser.execute(sample, 0, sample.length) !== ParseStep.Complete) throw new Error('incomplete');
    return parser.status + parser.bodyBytes;
  };
}

const gc = (globalThis as { gc?: () => void }).gc;

function rate(parse: () => number): { perSec: number; heapKbPer1k: number } {
  for (let n = 0; n < 20_000; n++) parse();
  gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const started = performance.now();
  let sink = 0;
  for (let n = 0; n < responses; n++) sink += parse();
  const seconds = (performance.now() - started) / 1000;
  const heapKbPer1k = ((process.memoryUsage().heapUsed - heapBefore) / 1024 / responses) * 1000;
  if (sink === 0) throw new Error('nothing parsed');
  return { perSec: responses / seconds, heapKbPer1k };
}

console.log(`response parsing, ${responses.toLocaleString('en-US')} responses each${gc ? '' : ' (run with --expose-gc for the heap column)'}`);
for (const [name, sample] of Object.entries(SAMPLES)) {
  const theirs = rate(peer(sample));
  const ours = rate(own(sample));
  const fmt = (value: { perSec: number; heapKbPer1k: number }): string => `${Math.round(value.perSec).toLocaleString('en-US').padStart(11)}/s (${value.heapKbPer1k.toFixed(0).padStart(5)} KB heap per 1k)`;
  console.log(`  ${name.padEnd(13)} http-parser-js ${fmt(theirs)}   perfloop ${fmt(ours)}   ${(ours.perSec / theirs.perSec).toFixed(1)}x`);
}
