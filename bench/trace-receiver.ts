/**
 * Receiver ingest throughput: OTLP/HTTP protobuf (and JSON) requests of 900 spans posted over keep-alive
 * connections to `startReceiver` on loopback, in spans per second (target ≥ 100k spans/s protobuf).
 * The load client runs in a child process, so the receiver's own CPU time (process.cpuUsage of this
 * process) gives a per-core figure that a shared, busy machine does not distort as much as wall time.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { encodeOtlpJson } from '../src/trace/encode-otlp-json.js';
import { exportTraceServiceRequestType } from '../src/trace/otlp-proto-root.js';
import { startReceiver } from '../src/trace/receiver.js';
import { syntheticTraces } from './trace-synthetic.js';

const REQUESTS = Number(process.env.REQUESTS ?? 400);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 4);
const spans = syntheticTraces(50);

function payload(kind: 'protobuf' | 'json'): { body: string | Uint8Array; contentType: string } {
  const json = encodeOtlpJson(spans);
  if (kind === 'json') return { body: JSON.stringify(json), contentType: 'application/json' };
  const base64Ids = JSON.parse(JSON.stringify(json), (key, value: unknown) =>
    /^(trace|span|parentSpan)Id$/.test(key) && typeof value === 'string' ? Buffer.from(value, 'hex').toString('base64') : value,
  ) as Record<string, unknown>;
  return { body: exportTraceServiceRequestType.encode(exportTraceServiceRequestType.fromObject(base64Ids)).finish(), contentType: 'application/x-protobuf' };
}

/** Child process: posts REQUESTS bodies to the URL it is given, then exits. */
async function client(url: string, kind: 'protobuf' | 'json'): Promise<void> {
  const { body, contentType } = payload(kind);
  const dispatcher = new Agent({ connections: CONCURRENCY, pipelining: 1 });
  let sent = 0;
  const worker = async (): Promise<void> => {
    while (sent < REQUESTS) {
      sent++;
      const response = await request(`${url}/v1/traces`, { method: 'POST', body, headers: { 'content-type': contentType }, dispatcher });
      await response.body.arrayBuffer();
      if (response.statusCode !== 200) throw new Error(`status ${response.statusCode}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  await dispatcher.close();
}

async function run(kind: 'protobuf' | 'json'): Promise<void> {
  const receiver = await startReceiver({ port: 0, maxSpans: REQUESTS * spans.length * 2 });
  const started = process.hrtime.bigint();
  const cpuStarted = process.cpuUsage();
  const child = fork(fileURLToPath(import.meta.url), [], { env: { ...process.env, TRACE_BENCH_CLIENT: `${receiver.url} ${kind}` } });
  await new Promise<void>((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`client exited ${code}`)))));
  const cpu = process.cpuUsage(cpuStarted);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const stats = receiver.stats();
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const { body } = payload(kind);
  console.log(
    `${kind.padEnd(9)} ${stats.spansReceived} spans: ${Math.round(stats.spansReceived / seconds).toLocaleString('en-US')} spans/s wall, ` +
      `${Math.round(stats.spansReceived / cpuSeconds).toLocaleString('en-US')} spans per receiver CPU-s ` +
      `(${(body.length / 1024).toFixed(0)} KiB per ${spans.length}-span request, ${CONCURRENCY} connections)`,
  );
  await receiver.close();
}

const clientArgs = process.env.TRACE_BENCH_CLIENT;
if (clientArgs !== undefined) {
  const [url, kind] = clientArgs.split(' ');
  await client(url!, kind === 'json' ? 'json' : 'protobuf');
} else {
  console.log(`receiver ingest bench: ${REQUESTS} requests × ${spans.length} spans, node ${process.version}`);
  await run('protobuf');
  await run('json');
}
