/**
 * Fault matrix, the receiver and `perfloop receive`: byte budgets, a second Ctrl-C while saving, a failed save,
 * SIGKILL during a save, bad hosts and ports, the non-loopback warning.
 */
import { afterEach, test } from 'node:test';
import type { ChildProcess } from 'node:child_process';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeOtlpJson } from '../../src/trace/encode-otlp-json.js';
import { decodeOtlpJson } from '../../src/trace/decode-otlp-json.js';
import { decodeTraceFile } from '../../src/trace/decode-file.js';
import { startReceiver } from '../../src/trace/receiver.js';
import { LINE_BYTES, spanLines, writeSpansJsonl } from '../../src/trace/write-spans-jsonl.js';
import type { Span } from '../../src/trace/span.js';
import { buildSpans } from '../trace/trace-builder.js';
import { runCli, startCli } from '../helpers/cli.js';
import { assertCleanError, temporaryFiles } from './fault-kit.js';

/** `count` one-span traces, each with an attribute of `attributeBytes` characters. */
function bigSpans(prefix: string, count: number, attributeBytes: number): Span[] {
  return Array.from({ length: count }, (_, index) =>
    buildSpans(`${prefix}${index}`, [{ id: `S${prefix}${index}`, start: 0, end: 5, kind: 'server', attributes: { 'payload': 'p'.repeat(attributeBytes) } }]),
  ).flat();
}

const postJson = (url: string, spans: readonly Span[]) => fetch(`${url}/v1/traces`, { method: 'POST', body: JSON.stringify(encodeOtlpJson(spans)), headers: { 'content-type': 'application/json' } });

test('held bytes: over the budget requests get 413 (not retried), counted; the spans kept stay', async () => {
  const receiver = await startReceiver({ port: 0, maxHeldBytes: 1024 * 1024 });
  try {
    const statuses: number[] = [];
    // Each request decodes from ~300 KB: three fit in 1 MiB, the fourth would exceed it.
    for (let index = 0; index < 5; index++) statuses.push((await postJson(receiver.url, bigSpans(`h${index}-`, 1, 300_000))).status);
    assert.deepEqual(statuses, [200, 200, 200, 413, 413]);
    assert.equal(receiver.spans().length, 3);
    const budget = receiver.budgetStats();
    assert.equal(budget.requestsOverBudget, 2);
    assert.ok(budget.bytesHeld > 900_000 && budget.bytesHeld <= 1024 * 1024, `held ${budget.bytesHeld}`);
    assert.equal(budget.bytesInFlight, 0);
    assert.equal(receiver.stats().requestsRejected, 2);
  } finally {
    await receiver.close();
  }
});

test('bytes in flight: a second large upload while one is open gets 429 with Retry-After; the first completes', async () => {
  const receiver = await startReceiver({ port: 0, maxInFlightBytes: 1024 * 1024 });
  try {
    const body = Buffer.from(JSON.stringify(encodeOtlpJson(bigSpans('f', 1, 700_000))));
    const { port } = new URL(receiver.url);
    // The first upload declares its length and sends half: its bytes are reserved while it is open.
    const first = httpRequest({ host: '127.0.0.1', port, path: '/v1/traces', method: 'POST', headers: { 'content-type': 'application/json', 'content-length': body.length } });
    const firstStatus = new Promise<number>((resolve, reject) => {
      first.on('response', (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      first.on('error', reject);
    });
    first.write(body.subarray(0, body.length / 2));
    // Wait until the receiver has reserved it (no sleep: poll its own account).
    while (receiver.budgetStats().bytesInFlight === 0) await new Promise((resolve) => setImmediate(resolve));
    const second = await fetch(`${receiver.url}/v1/traces`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    assert.equal(second.status, 429);
    assert.equal(second.headers.get('retry-after'), '1');
    first.end(body.subarray(body.length / 2));
    assert.equal(await firstStatus, 200);
    assert.equal(receiver.spans().length, 1);
    assert.equal(receiver.budgetStats().requestsOverBudget, 1);
    assert.equal(receiver.budgetStats().bytesInFlight, 0);
  } finally {
    await receiver.close();
  }
});

test('span lines stay bounded in bytes (no whole-file or huge-line string), and round-trip', async () => {
  const spans = bigSpans('l', 10, 1024 * 1024);
  const lines = [...spanLines(spans)];
  // 4 MiB of attribute text per line: 1 MiB spans go three to a line (the fourth would pass the bound).
  assert.deepEqual(lines.map((line) => line.length), [3, 3, 3, 1]);
  assert.equal(LINE_BYTES, 4 * 1024 * 1024);
  const dir = await mkdtemp(join(tmpdir(), 'perfloop-fault-'));
  try {
    const path = join(dir, 'spans.jsonl');
    await writeSpansJsonl(path, spans);
    assert.equal(readFileSync(path, 'utf8').split('\n').length, 5);
    assert.deepEqual((await decodeTraceFile(path)).spans, spans);
    assert.deepEqual(temporaryFiles(dir), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

/** Children started by a test; killed after it whatever happened, so a failed test cannot hang the suite. */
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** Starts `perfloop receive` and waits for its URL. */
async function startReceive(args: string[]) {
  const { child, done } = startCli(['receive', '--port', '0', ...args]);
  let stdout = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /at (http:\/\/[^ ]+:\d+)\/v1\/traces/.exec(stdout);
      if (match) resolve(match[1]!);
    });
    void done.then((result) => reject(new Error(`receive exited early: ${result.stderr}`)));
  });
  return { child, done, url };
}

test('receive: Ctrl-C again while saving does not lose spans; a failed save keeps them in a temp file (exit 4)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'perfloop-fault-'));
  try {
    // Repeated Ctrl-C: the save completes, every span is in the file.
    const out = join(dir, 'spans.jsonl');
    const spans = bigSpans('c', 40, 200_000);
    const first = await startReceive(['--out', out]);
    children.push(first.child);
    assert.equal((await postJson(first.url, spans)).status, 200);
    for (let signal = 0; signal < 5; signal++) first.child.kill('SIGINT');
    const saved = await first.done;
    assert.equal(saved.code, 0, saved.stderr);
    assert.doesNotMatch(saved.stderr, /warning/, 'loopback: no exposure warning');
    assert.equal(decodeOtlpJson(readFileSync(out, 'utf8')).length, 40);

    // The output directory disappears while receiving: the spans go to a file in the temp directory instead.
    const gone = join(dir, 'gone');
    const second = await startReceive(['--out', join(gone, 'spans.jsonl')]);
    children.push(second.child);
    assert.equal((await postJson(second.url, spans.slice(0, 7))).status, 200);
    rmSync(gone, { recursive: true });
    writeFileSync(gone, 'now a file');
    second.child.kill('SIGINT');
    const failed = await second.done;
    assert.equal(failed.code, 4, failed.stderr);
    assert.match(failed.stderr, /gone\/spans\.jsonl: cannot write: (a file is in the way|a part of the path is a file)/);
    const fallback = /saved to (\S+perfloop-spans-\S+\.jsonl) instead/.exec(failed.stderr)?.[1];
    assert.ok(fallback, failed.stderr);
    assert.equal(decodeOtlpJson(readFileSync(fallback, 'utf8')).length, 7);
    rmSync(fallback);
    assert.doesNotMatch(failed.stderr, /\n\s+at .+:\d+/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('receive: SIGKILL during the save leaves the old file whole (temp then rename)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'perfloop-fault-'));
  try {
    const out = join(dir, 'spans.jsonl');
    writeFileSync(out, 'OLD CONTENT\n');
    const receive = await startReceive(['--out', out]);
    children.push(receive.child);
    // 12 MB of spans in two requests (each under the 8 MiB body limit): a save that takes a moment.
    const spans = bigSpans('k', 60, 200_000);
    assert.equal((await postJson(receive.url, spans.slice(0, 30))).status, 200);
    assert.equal((await postJson(receive.url, spans.slice(30))).status, 200);
    receive.child.kill('SIGINT');
    // Kill as soon as the save has begun: its temp file exists.
    while (!readdirSync(dir).some((name) => name.endsWith('.tmp')) && receive.child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 1));
    receive.child.kill('SIGKILL');
    await receive.done;
    const content = readFileSync(out, 'utf8');
    // Whatever the moment of the kill: the old file, or the complete new one — never a torn one.
    if (content !== 'OLD CONTENT\n') assert.equal(decodeOtlpJson(content).length, 60);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('receive: an unresolvable --host, a taken --port, an unwritable --out: exit 2/4 naming the right flag; 0.0.0.0 warns', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'perfloop-fault-'));
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  try {
    const out = join(dir, 'spans.jsonl');
    assertCleanError(await runCli(['receive', '--host', 'nonexistent.invalid', '--port', '0', '--out', out]), 2, /--host: cannot resolve "nonexistent\.invalid"/);
    assertCleanError(await runCli(['receive', '--port', String((taken.address() as AddressInfo).port), '--out', out]), 2, /--port: port \d+ is already in use/);
    writeFileSync(join(dir, 'file'), 'x');
    assertCleanError(await runCli(['receive', '--port', '0', '--out', join(dir, 'file', 'spans.jsonl')]), 4, /file\/spans\.jsonl: cannot create directory/);
    const open = await startReceive(['--host', '0.0.0.0', '--out', out]);
    children.push(open.child);
    open.child.kill('SIGINT');
    const result = await open.done;
    assert.equal(result.code, 0);
    assert.match(result.stderr, /warning: listening on 0\.0\.0\.0, not loopback: anyone who can reach this machine on port \d+ can send spans \(there is no authentication\)/);
    assert.ok(existsSync(out));
  } finally {
    taken.close();
    await rm(dir, { recursive: true, force: true });
  }
});
