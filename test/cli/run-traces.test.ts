import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRunFile } from '../../src/core/run-file-io.js';
import { traceAnalysisSchema } from '../../src/trace/trace-analysis.js';
import { runCli } from '../helpers/cli.js';
import { tracedServer } from '../helpers/traced-server.js';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('run --traces: client latency joins server traces and the N+1 is the top finding', async () => {
  const port = await freePort();
  const server = await tracedServer(`http://127.0.0.1:${port}`, 8, 2);
  const dir = await mkdtemp(join(tmpdir(), 'perfloop-traces-'));
  try {
    const out = join(dir, 'traced.json');
    const result = await runCli(['run', `${server.url}/orders/1`, '--rate', '20', '--duration', '2s', '--traces', '--otlp-port', String(port), '--out', out, '--quiet']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /n-plus-one|N\+1/i);
    const run = await readRunFile(out);
    assert.equal(run.traces?.samples.length, 40);
    const analysis = traceAnalysisSchema.parse(run.traces?.analysis);
    // Every one of the 40 requests produced a server trace joined to its client latency.
    assert.equal(analysis.traceCount, 40);
    assert.equal(analysis.tracesWithClientLatency, 40);
    assert.equal(analysis.spanCount, 40 * 9);
    const top = analysis.findings[0];
    assert.equal(top?.detector, 'n-plus-one');
    assert.equal(top?.shareOfRequests, 1);
  } finally {
    await server.close();
  }
});
