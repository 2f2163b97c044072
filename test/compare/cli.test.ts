/** The CLI shells of compare, check, history and usl: exit statuses and the lines they print. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { logNormalLatencies, syntheticRun } from './synthetic-run.js';

const main = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

function perfloop(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [main, ...args], (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as NodeJS.ErrnoException & { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

test('perfloop check, compare, history and usl fit: exit statuses 0 / 1 / 2 and their output', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'perfloop-cli-'));
  try {
    const runOf = (id: string, scale: number, seed: number) =>
      syntheticRun(id, Array.from({ length: 6 }, (_, i) => ({ latenciesUs: { 'GET /': logNormalLatencies(200, seed * 10 + i, 10_000, 0.3, scale) } })));
    const base = join(dir, 'base.json');
    const slow = join(dir, 'slow.json');
    writeFileSync(base, JSON.stringify(runOf('base', 1, 1)));
    writeFileSync(slow, JSON.stringify(runOf('slow', 1.5, 2)));
    const budget = join(dir, 'budget.yaml');
    writeFileSync(budget, 'limits:\n  - p50 < 12ms\n  - errors < 1%\n');
    const pass = await perfloop(['check', base, '--budget', budget]);
    assert.equal(pass.code, 0, pass.stderr);
    assert.match(pass.stdout, /^PASS {2}p50 < 12ms {2}— {2}p50 = /m);
    assert.match(pass.stdout, /budget: passed/);
    const fail = await perfloop(['check', slow, '--budget', budget]);
    assert.equal(fail.code, 1);
    assert.match(fail.stdout, /^FAIL {2}p50 < 12ms/m);
    assert.match(fail.stdout, /budget: FAILED \(1 of 2 lines\)/);
    writeFileSync(budget, 'limits:\n  - p50 < twelve\n');
    const bad = await perfloop(['check', base, '--budget', budget]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /budget\.yaml: limits\.0/);

    const compare = await perfloop(['compare', base, slow, '--fail-on-regression']);
    assert.equal(compare.code, 1);
    assert.match(compare.stdout, /verdict: regressed/);
    const json = await perfloop(['compare', '--base', base, '--candidate', base, '--json']);
    assert.equal(json.code, 0);
    assert.equal(JSON.parse(json.stdout).verdict, 'no significant change');
    assert.equal((await perfloop(['compare', base])).code, 2);

    const db = join(dir, 'h.db');
    const added = await perfloop(['history', 'add', base, slow, '--db', db]);
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /added 2 run\(s\)/);
    const shown = await perfloop(['history', 'show', '--db', db, '--json']);
    const analyses = JSON.parse(shown.stdout) as { entries: { runId: string }[] }[];
    assert.deepEqual(analyses[0]!.entries.map((entry) => entry.runId), ['base', 'slow']);
    assert.equal((await perfloop(['history', 'show', '--db', db, '--metric', 'p42'])).code, 2);

    const csv = join(dir, 'data.csv');
    writeFileSync(csv, 'N,X\n1,64.9\n18,995.9\n36,1652.4\n72,1853.2\n108,1828.9\n144,1775.0\n216,1702.2\n');
    const fit = await perfloop(['usl', 'fit', csv, '--json']);
    assert.equal(fit.code, 0, fit.stderr);
    assert.ok(Math.abs(JSON.parse(fit.stdout).fit.sigma.value - 0.0277285) < 1e-6);
    writeFileSync(csv, 'N,X\n1,10\n2,x\n');
    const badCsv = await perfloop(['usl', 'fit', csv]);
    assert.equal(badCsv.code, 2);
    assert.match(badCsv.stderr, /data\.csv:3/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
