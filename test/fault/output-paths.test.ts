/** Fault matrix, output paths: every writing command refuses an unwritable path before any work, exit 4, no .tmp left. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPerfloopError } from '../../src/core/errors.js';
import { checkOutputPath, writeFileAtomic } from '../../src/core/output-path.js';
import { writeRunFile } from '../../src/core/run-file-io.js';
import { historyCommand } from '../../src/cli/commands/history.js';
import { reportCommand } from '../../src/cli/commands/report.js';
import { runCommand } from '../../src/cli/commands/run.js';
import { sweepCommand } from '../../src/cli/commands/sweep.js';
import { goldenRun } from '../report/synthetic-run.js';
import { runCli } from '../helpers/cli.js';
import { assertCleanError, countingServer, runInProcess, temporaryFiles } from './fault-kit.js';

/** A path the file system refuses even to root: /sys takes no new files (EACCES). */
const READ_ONLY = existsSync('/sys') ? '/sys/perfloop-fault.json' : undefined;

function throwsIo(run: () => unknown, path: string, reason: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(isPerfloopError(error), String(error));
    assert.equal(error.code, 'IO');
    assert.equal(error.field, path);
    assert.match(error.message, reason);
    return true;
  });
}

test('checkOutputPath: file as parent, a directory as target, read-only, missing directories created; no temp file left', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'perfloop-fault-'));
  try {
    const file = join(dir, 'plain-file');
    writeFileSync(file, 'x');
    throwsIo(() => checkOutputPath(join(file, 'run.json')), join(file, 'run.json'), /cannot create directory .*a part of the path is a file|a file is in the way/);
    throwsIo(() => checkOutputPath(join(file, 'deeper', 'run.json')), join(file, 'deeper', 'run.json'), /cannot create directory/);
    mkdirSync(join(dir, 'is-a-dir'));
    throwsIo(() => checkOutputPath(join(dir, 'is-a-dir')), join(dir, 'is-a-dir'), /is a directory/);
    if (READ_ONLY) throwsIo(() => checkOutputPath(READ_ONLY), READ_ONLY, /permission denied \(EACCES\)|read-only/);
    checkOutputPath(join(dir, 'new', 'nested', 'run.json'));
    assert.ok(existsSync(join(dir, 'new', 'nested')));
    assert.deepEqual(temporaryFiles(join(dir, 'new', 'nested')), []);
    assert.deepEqual(temporaryFiles(dir), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('writeFileAtomic: a failed rename removes the temp file and names the path; the old file survives', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'perfloop-fault-'));
  try {
    mkdirSync(join(dir, 'target'));
    writeFileSync(join(dir, 'target', 'keep'), 'x');
    await assert.rejects(writeFileAtomic(join(dir, 'target'), 'data'), (error: unknown) => isPerfloopError(error) && error.code === 'IO' && error.field === join(dir, 'target'));
    assert.deepEqual(temporaryFiles(dir), []);
    writeFileSync(join(dir, 'old.json'), 'old');
    await writeFileAtomic(join(dir, 'old.json'), 'new');
    assert.equal(readFileSync(join(dir, 'old.json'), 'utf8'), 'new');
    assert.deepEqual(temporaryFiles(dir), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('run, report, sweep, history add: an unwritable output fails with exit 4 before any request; no .tmp left', async () => {
  const server = await countingServer();
  const dir = await mkdtemp(join(tmpdir(), 'perfloop-fault-'));
  try {
    const file = join(dir, 'plain-file');
    writeFileSync(file, 'x');
    const runPath = join(dir, 'golden.json');
    await writeRunFile(runPath, goldenRun());
    const blocked = join(file, 'out.json');
    const cases: Array<[{ run(argv: string[]): Promise<number> }, string[]]> = [
      [runCommand, [`${server.url}/`, '--rate', '50', '--duration', '1s', '--quiet', '--out', blocked]],
      [runCommand, [`${server.url}/`, '--rate', '50', '--duration', '1s', '--quiet', '--out', join(dir, 'is-a-dir'), '--report']],
      [reportCommand, [runPath, '-o', blocked]],
      [sweepCommand, [`${server.url}/`, '--concurrency', '1,2', '--step-duration', '1s', '--out', blocked]],
      [historyCommand, ['add', runPath, '--db', blocked]],
    ];
    mkdirSync(join(dir, 'is-a-dir'));
    if (READ_ONLY) cases.push([runCommand, [`${server.url}/`, '--rate', '50', '--duration', '1s', '--quiet', '--out', READ_ONLY]]);
    for (const [command, args] of cases) {
      const result = await runInProcess(command, args);
      assert.equal(result.code, 4, `${args.join(' ')}: ${result.message}`);
      assert.match(result.message, /cannot (create directory|write)/);
    }
    // The real CLI: exit 4, the path named, no stack trace.
    const cli = await runCli(['report', runPath, '-o', blocked]);
    assertCleanError(cli, 4, new RegExp(`^perfloop report: ${blocked.replace(/[/.]/g, '\\$&')}: cannot create directory`));
    assert.equal(server.count(), 0, 'no load ran');
    assert.deepEqual(temporaryFiles(dir), []);
    assert.equal(readFileSync(file, 'utf8'), 'x');
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
});
