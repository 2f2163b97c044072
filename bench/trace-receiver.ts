/**
 * Receiver ingest throughput: OTLP/HTTP protobuf requests of 1,000 spans posted over keep-alive
 * connections to `startReceiver` on loopback, in spans per second (target ≥ 100k spans/s).
 * The client runs in the same process, so the figure is a lower bound for the receiver alone.
 */
import { Agent, request } from 'undici';
import { encodeOtlpJson } from '../src/trace/encode-otlp-json.js';
import { exportTraceServiceRequestType } from '../src/trace/otlp-proto-root.js';
import { startReceiver } from '../src/trace/receiver.js';
import { syntheticTraces } from './trace-synthetic.js';

const REQUESTS = Number(process.env.REQUESTS ?? 400);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 4);
const spans = syntheticTraces(50); // 1,000 spans
const json = JSON.parse(JSON.stringify(encodeOtlpJson(spans)), (key, value: unknown) =>
  /^(trace|span|parentSpan)Id$/.test(key) && typeof value === 'string' ? Buffer.from(value, 'hex').toString('base64') : value,
) as Record<string, unknown>;
const body = exportTraceServiceRequestType.encode(exportTraceServiceRequestType.fromObject(json)).finish();
const jsonBody = JSON.stringify(encodeOtlpJson(spans));

async function run(label: string, payload: string | Uint8Array, contentType: string): Promise<void> {
  const receiver = await startReceiver({ port: 0, maxSpans: REQUESTS * spans.length * 2 });
  const dispatcher = new Agent({ connections: CONCURRENCY, pipelining: 1 });
  let sent = 0;
  const worker = async (): Promise<void> => {
    while (sent < REQUESTS) {
      sent++;
      const response = await request(`${receiver.url}/v1/traces`, { method: 'POST', body: payload, headers: { 'content-type': contentType }, dispatcher });
      await response.body.arrayBuffer();
      if (response.statusCode !== 200) throw new Error(`status ${response.statusCode}`);
    }
  };
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const stats = receiver.stats();
  console.log(
    `${label.padEnd(10)} ${stats.spansReceived} spans in ${seconds.toFixed(2)} s: ${Math.round(stats.spansReceived / seconds).toLocaleString('en-US')} spans/s ` +
      `(${(payload.length / 1024).toFixed(0)} KiB per 1,000-span request, ${CONCURRENCY} connections)`,
  );
  await dispatcher.close();
  await receiver.close();
}

console.log(`receiver ingest bench: ${REQUESTS} requests × ${spans.length} spans, node ${process.version}`);
await run('protobuf', body, 'application/x-protobuf');
await run('json', jsonBody, 'application/json');
