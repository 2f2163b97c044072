/** Fault matrix, trace files: streamed JSON lines, gzip inflated with a limit, corrupt files named without a stack. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { isPerfloopError } from '../../src/core/errors.js';
import { decodeTraceFile } from '../../src/trace/decode-file.js';
import { encodeOtlpJson } from '../../src/trace/encode-otlp-json.js';
import { writeSpansJsonl } from '../../src/trace/write-spans-jsonl.js';
import { buildSpans } from '../trace/trace-builder.js';
import { runCli } from '../helpers/cli.js';
import { assertCleanError, runInProcess } from './fault-kit.js';
import { tracesCommand } from '../../src/cli/commands/traces.js';

const spansOf = (count: number) =>
  Array.from({ length: count }, (_, index) => buildSpans(`t${index}`, [{ id: `A${index}`, start: 0, end: 10, kind: 'server' }, { id: `B${index}`, parent: `A${index}`, start: 1, end: 9 }])).flat();

async function rejects(path: string, maxInflatedBytes: number | undefined, field: string, message: RegExp): Promise<void> {
  await assert.rejects(decodeTraceFile(path, maxInflatedBytes === undefined ? {} : { maxInflatedBytes }), (error: unknown) => {
    assert.ok(isPerfloopError(error), String(error));
    assert.equal(error.code, 'BAD_INPUT');
    assert.equal(error.field, field);
    assert.match(error.message, message);
    return true;
  });
}

test('JSON lines of any length stream line by line; pretty-printed OTLP, gzip and single documents still read', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'perfloop-fault-'));
  try {
    const spans = spansOf(2500);
    const jsonl = join(dir, 'spans.jsonl');
    await writeSpansJsonl(jsonl, spans);
    const lines = await decodeTraceFile(jsonl);
    assert.equal(lines.format, 'otlp-jsonl');
    assert.deepEqual(lines.spans, spans);
    const gz = join(dir, 'spans.jsonl.gz');
    writeFileSync(gz, gzipSync(Buffer.from(JSON.stringify(encodeOtlpJson(spans.slice(0, 10))) + '\n' + JSON.stringify(encodeOtlpJson(spans.slice(10, 30))) + '\n')));
    assert.deepEqual((await decodeTraceFile(gz)).spans, spans.slice(0, 30));
    const pretty = join(dir, 'pretty.json');
    writeFileSync(pretty, `\n${JSON.stringify(encodeOtlpJson(spans.slice(0, 4)), null, 2)}\n`);
    const decoded = await decodeTraceFile(pretty);
    assert.equal(decoded.format, 'otlp-json');
    assert.deepEqual(decoded.spans, spans.slice(0, 4));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('corrupt or bomb-like .gz, a bad line: errors name the file (and line); exit 2 without a stack', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'perfloop-fault-'));
  try {
    const good = gzipSync(Buffer.from(`${JSON.stringify(encodeOtlpJson(spansOf(50)))}\n`));
    const corrupt = join(dir, 'corrupt.json.gz');
    // Flip bytes in the middle of the deflate stream: zlib's "invalid ..." or a CRC failure.
    const damaged = Buffer.from(good);
    for (let index = 20; index < 60; index++) damaged[index] = damaged[index]! ^ 0xff;
    writeFileSync(corrupt, damaged);
    await rejects(corrupt, undefined, corrupt, /corrupt gzip data/);
    const truncated = join(dir, 'truncated.json.gz');
    writeFileSync(truncated, good.subarray(0, good.length - 30));
    await rejects(truncated, undefined, truncated, /corrupt gzip data/);
    // 64 MiB of spaces compress to ~64 KiB; with a 16 MiB limit the inflate stops there, not at 64 MiB.
    const bomb = join(dir, 'bomb.json.gz');
    writeFileSync(bomb, gzipSync(Buffer.concat([Buffer.from('{"resourceSpans":[]}\n'), Buffer.alloc(64 * 1024 * 1024, 0x20)])));
    await rejects(bomb, 16 * 1024 * 1024, bomb, /inflates to more than 16 MiB/);
    const badLine = join(dir, 'bad-line.jsonl');
    writeFileSync(badLine, `${JSON.stringify(encodeOtlpJson(spansOf(1)))}\n\n{"resourceSpans": [\n`);
    await rejects(badLine, undefined, `${badLine}:3`, /not JSON/);

    assertCleanError(await runCli(['traces', 'analyze', corrupt]), 2, new RegExp(`^perfloop traces: ${corrupt.replace(/[/.]/g, '\\$&')}: corrupt gzip data`));
    const bombed = await runInProcess(tracesCommand, ['analyze', '--max-inflate-mib', '16', bomb]);
    assert.equal(bombed.code, 2);
    assert.match(bombed.message, /bomb\.json\.gz: inflates to more than 16 MiB/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
