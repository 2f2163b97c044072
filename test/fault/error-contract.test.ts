/**
 * Fault matrix, the error contract: a taken or invalid --otlp-port, a corrupt history database, `history show`
 * creating nothing, control characters escaped in terminal output, DNS and TLS failures as their own kinds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { existsSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Pool } from 'undici';
import { writeRunFile } from '../../src/core/run-file-io.js';
import { terminalSafe, terminalSafeName } from '../../src/core/terminal-safe.js';
import { compareRuns } from '../../src/compare/compare-runs.js';
import { renderComparison } from '../../src/compare/render-comparison.js';
import { errorKindOf } from '../../src/load/error-kind.js';
import { renderRunSummary } from '../../src/report/terminal-summary.js';
import { analyzeTraces } from '../../src/trace/analyze-traces.js';
import { renderFindings } from '../../src/trace/render-findings.js';
import { historyCommand } from '../../src/cli/commands/history.js';
import { runCommand } from '../../src/cli/commands/run.js';
import { goldenRun, syntheticRun } from '../report/synthetic-run.js';
import { buildSpans } from '../trace/trace-builder.js';
import { runCli } from '../helpers/cli.js';
import { assertCleanError, countingServer, runInProcess } from './fault-kit.js';

const OSC_TITLE = '\u001b]0;pwned\u0007';
const CLEAR = '\u001b[2J';

test('run --traces: a taken or invalid --otlp-port is exit 2 naming the flag, before any request', async () => {
  const server = await countingServer();
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const dir = await mkdtemp(join(tmpdir(), 'perfloop-fault-'));
  try {
    const port = String((taken.address() as AddressInfo).port);
    const out = join(dir, 'run.json');
    const takenResult = await runInProcess(runCommand, [`${server.url}/`, '--rate', '10', '--duration', '1s', '--traces', '--otlp-port', port, '--out', out, '--quiet']);
    assert.equal(takenResult.code, 2);
    assert.match(takenResult.message, new RegExp(`^--otlp-port: port ${port} is already in use`));
    for (const bad of ['0', '65536', '43x']) {
      const result = await runInProcess(runCommand, [`${server.url}/`, '--traces', '--otlp-port', bad, '--out', out, '--quiet']);
      assert.equal(result.code, 2, bad);
      assert.match(result.message, /^--otlp-port: must be a port number 1–65535/);
    }
    assertCleanError(await runCli(['run', `${server.url}/`, '--traces', '--otlp-port', port, '--out', out, '--quiet']), 2, /--otlp-port: port \d+ is already in use/);
    assert.equal(server.count(), 0);
    assert.equal(existsSync(out), false);
  } finally {
    taken.close();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('history: a corrupt database is exit 2 naming it; show never creates a database file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'perfloop-fault-'));
  try {
    const corrupt = join(dir, 'corrupt.db');
    writeFileSync(corrupt, 'this is not sqlite '.repeat(200));
    const show = await runInProcess(historyCommand, ['show', '--db', corrupt]);
    assert.equal(show.code, 2);
    assert.match(show.message, /corrupt\.db: not a perfloop history database \(file is not a database\)/);
    const runPath = join(dir, 'run.json');
    await writeRunFile(runPath, goldenRun());
    const add = await runInProcess(historyCommand, ['add', runPath, '--db', corrupt]);
    assert.equal(add.code, 2);
    assert.match(add.message, /not a perfloop history database/);
    assertCleanError(await runCli(['history', 'show', '--db', corrupt]), 2, /^perfloop history: .*corrupt\.db: not a perfloop history database/);
    // A real SQLite file, but not ours.
    const foreign = join(dir, 'foreign.db');
    const other = new Database(foreign);
    other.exec('CREATE TABLE notes (text TEXT)');
    other.close();
    const foreignShow = await runInProcess(historyCommand, ['show', '--db', foreign]);
    assert.equal(foreignShow.code, 2);
    assert.match(foreignShow.message, /foreign\.db: not a perfloop history database \(no such table: runs\)/);

    const missing = join(dir, 'missing', 'history.db');
    const empty = await runInProcess(historyCommand, ['show', '--db', missing, '--json']);
    assert.equal(empty.code, 0);
    assert.equal(existsSync(missing), false);
    assert.equal(existsSync(join(dir, 'missing')), false);
    // And add then show still works (show opens read-only).
    const db = join(dir, 'history.db');
    assert.equal((await runInProcess(historyCommand, ['add', runPath, '--db', db])).code, 0);
    assert.equal((await runInProcess(historyCommand, ['show', '--db', db, '--json'])).code, 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('control characters in names are escaped in every terminal renderer', () => {
  assert.equal(terminalSafeName(`a${OSC_TITLE}b\nc`), 'a\\e]0;pwned\\x07b\\nc');
  assert.equal(terminalSafe(`line1\n\tline2${CLEAR}\u009b\u202e`), 'line1\n\tline2\\e[2J\\x9b\\u202e');

  const latencies = Array.from({ length: 50 }, (_, index) => 1000 + index * 10);
  const run = (id: string, scale: number) =>
    syntheticRun({ id, intervals: Array.from({ length: 5 }, () => ({ requests: { 'GET /a': { latenciesUs: latencies.map((v) => v * scale) }, [`GET /${OSC_TITLE}`]: { latenciesUs: latencies } } })) });
  const summary = renderRunSummary(run('hostile', 1));
  assert.ok(summary.includes('GET /\\e]0;pwned\\x07'), summary);
  const comparison = renderComparison(compareRuns([run('base', 1)], [run('candidate', 2)]));
  assert.ok(comparison.includes('GET /\\e]0;pwned\\x07'));

  const spans = [0, 1, 2].flatMap((index) =>
    buildSpans(`hostile${index}`, [
      { id: `R${index}`, start: 0, end: 100, kind: 'server', service: `svc${CLEAR}`, name: `GET ${OSC_TITLE}` },
      { id: `Q${index}`, parent: `R${index}`, start: 5, end: 95, kind: 'client', service: `svc${CLEAR}`, name: 'SELECT', attributes: { 'db.system': 'postgresql', 'db.statement': `SELECT 1 /* ${OSC_TITLE} */` } },
    ]),
  );
  const findings = renderFindings(analyzeTraces(spans, { thresholds: { slowQueryMs: 10 } }));
  assert.match(findings, /svc\\e\[2J/);
  // eslint-disable-next-line no-control-regex -- the point: no raw control character may remain
  for (const text of [summary, comparison, findings]) assert.doesNotMatch(text, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
});

test('error kinds: DNS failures and https to a plain-http port are dns and tls, from real failures', async () => {
  assert.equal(errorKindOf({ code: 'ENOTFOUND' }), 'dns');
  assert.equal(errorKindOf({ code: 'EAI_AGAIN' }), 'dns');
  assert.equal(errorKindOf({ code: 'ERR_SSL_WRONG_VERSION_NUMBER' }), 'tls');
  assert.equal(errorKindOf({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }), 'tls');
  assert.equal(errorKindOf(Object.assign(new Error('fetch failed'), { cause: { code: 'ENOTFOUND' } })), 'dns');
  assert.equal(errorKindOf({ code: 'ECONNREFUSED' }), 'refused');
  assert.equal(errorKindOf({ code: 'UND_ERR_HEADERS_TIMEOUT' }), 'timeout');
  assert.equal(errorKindOf({ code: 'ECONNRESET' }), 'reset');
  assert.equal(errorKindOf({ name: 'HTTPParserError' }), 'bad_response');
  assert.equal(errorKindOf('EPROTO'), 'tls');
  assert.equal(errorKindOf(new Error('something else')), 'other');
  assert.equal(errorKindOf(undefined), 'other');

  const plain = createHttpServer((_request, response) => response.end('ok'));
  await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
  try {
    const failureOf = async (origin: string): Promise<unknown> => {
      const pool = new Pool(origin, { connections: 1, connectTimeout: 5000 });
      try {
        await pool.request({ path: '/', method: 'GET' });
        return undefined;
      } catch (error) {
        return error;
      } finally {
        await pool.close().catch(() => undefined);
      }
    };
    assert.equal(errorKindOf(await failureOf('http://nonexistent.invalid')), 'dns');
    assert.equal(errorKindOf(await failureOf(`https://127.0.0.1:${(plain.address() as AddressInfo).port}`)), 'tls');
  } finally {
    plain.close();
  }
});
