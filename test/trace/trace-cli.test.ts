import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeOtlpJson } from '../../src/trace/encode-otlp-json.js';
import { decodeOtlpJson } from '../../src/trace/decode-otlp-json.js';
import { traceAnalysisSchema } from '../../src/trace/trace-analysis.js';
import { buildSpans, dbRequest, type SpanSpec } from './trace-builder.js';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.js');

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const slowTrace = (index: number): SpanSpec[] => [
  { id: 'root', name: 'GET /search', service: 'api', kind: 'server', start: 0, end: 200 },
  { id: 'q', parent: 'root', name: 'pg.query:SELECT', service: 'api', kind: 'client', start: 20, end: 140, attributes: { 'db.system': 'postgresql', 'db.statement': `SELECT * FROM orders WHERE email = 'u${index}@x'` } },
];

test('perfloop traces analyze: text and --json output from an OTLP JSON lines file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'perfloop-traces-'));
  try {
    const file = join(dir, 'spans.jsonl');
    const lines = [0, 1, 2].map((index) => JSON.stringify(encodeOtlpJson(buildSpans(`t${index}`, slowTrace(index)))));
    await writeFile(file, `${lines.join('\n')}\n`);
    const text = await runCli(['traces', 'analyze', file]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /Traces: 3 \(6 spans\)/);
    assert.match(text.stdout, /1\. \[slow-query\] Slow query \(up to 120 ms\): SELECT \* FROM orders WHERE email = \?/);
    const json = await runCli(['traces', 'analyze', '--json', '--slow-query-ms', '150', file]);
    assert.equal(json.code, 0, json.stderr);
    const analysis = traceAnalysisSchema.parse(JSON.parse(json.stdout));
    assert.equal(analysis.traceCount, 3);
    // At a 150 ms threshold the 120 ms query still dominates the path (60% of 200 ms).
    assert.deepEqual(analysis.findings.map((finding) => finding.detector), ['slow-query']);
    const missing = await runCli(['traces', 'analyze', join(dir, 'missing.json')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('perfloop traces analyze --serial-database: the slow query\'s fix also frees the request queued behind it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'perfloop-traces-'));
  try {
    const file = join(dir, 'spans.jsonl');
    // x's 60 ms scan; y's lookup arrived at 10 ms and waited behind it until 65 ms (as serial-database.test.ts).
    const spans = [...dbRequest('x', 0, 60, 'SELECT * FROM orders WHERE email = 1'), ...dbRequest('y', 10, 65)];
    await writeFile(file, `${JSON.stringify(encodeOtlpJson(spans))}\n`);
    const saving = async (flags: string[]) => {
      const result = await runCli(['traces', 'analyze', '--json', ...flags, file]);
      assert.equal(result.code, 0, result.stderr);
      return traceAnalysisSchema.parse(JSON.parse(result.stdout)).findings.find((finding) => finding.detector === 'slow-query')?.predictedSavingUs;
    };
    assert.deepEqual(await saving([]), { p50: 29_500, p99: 29_500 });
    assert.deepEqual(await saving(['--serial-database']), { p50: 54_500, p99: 54_500 });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('perfloop traces analyze --payload-target-kib: the predicted saving follows the page size the user names', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'perfloop-traces-'));
  try {
    const file = join(dir, 'report.jsonl');
    const report: SpanSpec[] = [
      { id: 'root', name: 'GET /report', service: 'api', kind: 'server', start: 0, end: 100, attributes: { 'http.response.body.size': 1024 * 1024 } },
      { id: 'q', parent: 'root', name: 'pg.query:SELECT', service: 'api', kind: 'client', start: 10, end: 50, attributes: { 'db.system': 'postgresql', 'db.statement': 'SELECT * FROM sales' } },
    ];
    await writeFile(file, `${JSON.stringify(encodeOtlpJson(buildSpans('r', report)))}\n`);
    const savingUs = async (...flags: string[]): Promise<number | undefined> => {
      const result = await runCli(['traces', 'analyze', '--json', ...flags, file]);
      assert.equal(result.code, 0, result.stderr);
      return traceAnalysisSchema.parse(JSON.parse(result.stdout)).findings.find((finding) => finding.detector === 'large-payload')?.predictedSavingUs.p50;
    };
    // The 50 ms after the query: to 16 KiB (default) all but 1/64 of it goes; to 512 KiB half.
    assert.equal(await savingUs(), 49_219);
    assert.equal(await savingUs('--payload-target-kib', '512'), 25_000);
    const bad = await runCli(['traces', 'analyze', '--payload-target-kib', 'lots', file]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--payload-target-kib/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('perfloop receive: receives spans, and on SIGINT writes OTLP JSON lines and a summary', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'perfloop-receive-'));
  const out = join(dir, 'out.jsonl');
  const child = spawn(process.execPath, [CLI, 'receive', '--port', '0', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let stdout = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const match = /at (http:\/\/127\.0\.0\.1:\d+)\/v1\/traces/.exec(stdout);
        if (match) resolve(match[1]!);
      });
      child.on('exit', () => reject(new Error(`receiver exited: ${stdout}`)));
    });
    const spans = buildSpans('cli', slowTrace(0));
    const response = await fetch(`${url}/v1/traces`, { method: 'POST', body: JSON.stringify(encodeOtlpJson(spans)), headers: { 'content-type': 'application/json' } });
    assert.equal(response.status, 200);
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.kill('SIGINT');
    assert.equal(await exited, 0);
    assert.match(stdout, /received 2 spans in 1 requests \(0 dropped, 0 requests rejected\); wrote 2 spans/);
    assert.match(stdout, /\[slow-query\]/);
    assert.deepEqual(decodeOtlpJson(await readFile(out, 'utf8')), spans);
  } finally {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
});
