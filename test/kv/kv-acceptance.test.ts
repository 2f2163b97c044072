/**
 * Acceptance of the kv case on a real 3-member etcd cluster, through `runKvDemo` (what `perfloop demo kv` runs):
 * the healthy cluster yields no finding; each culprit switched on alone is the top finding, named on the right
 * node (leader kv0, or the app tier); the fix that finding names validates as improved in interleaved blocks and
 * its finding is gone in the fixed blocks; the one-slow-follower control yields no network finding; the all-fixed
 * cluster yields no finding; and the lab leaves no process behind.
 *
 * One allowance for a shared 2-core CI machine, reported with t.diagnostic rather than hidden: the stall fix moves
 * only the tail; three short pairs do not always decide there, so "undecided with the judged percentile lower"
 * passes for stall — never "regressed". The cpu culprit is found from where the leader may run (its one allowed
 * CPU, kept busy by the neighbours) even when the whole machine is saturated, and the gc round's list reads make
 * GOGC=5's cost show on the median: both must validate as improved.
 * Needs etcd (skipped with a message otherwise) and root on cgroup v1 for throttle and the blkio fsync culprit
 * (without them those rounds are reported unavailable and checked as such).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { etcdInstalled } from '../../src/lab-control/kv-lab.js';
import { isProcessAlive } from '../../src/lab-control/supervisor-launch.js';
import { renderKvDemoTable } from '../../src/demo/render-kv-demo.js';
import { runKvDemo } from '../../src/demo/run-kv-demo.js';
import { readRunFile } from '../../src/core/run-file-io.js';
import { rankedFindingsOf } from '../../src/report/ranked-findings.js';

const SKIP = etcdInstalled() ? false : 'etcd/etcdctl not installed (apt-get install etcd-server etcd-client)';

test('kv acceptance: every culprit found on its node, fixed, validated; control and all-fixed clean', { skip: SKIP, timeout: 420_000 }, async (t) => {
  const outDir = mkdtempSync(join(tmpdir(), 'perfloop-kv-acceptance-'));
  const lines: string[] = [];
  try {
    // Diagnosis runs of 3 s (the demo's default is 4 s): with the cpu round now validated too, the test keeps its
    // CI time; every culprit moves its signal well past its threshold within three 1 s intervals.
    const result = await runKvDemo({ ratePerSec: 30, measureMs: 3000, warmupMs: 1000, blockMs: 2000, blockWarmupMs: 500, maxPairs: 3, alpha: 0.05, minEffect: 0.05, outDir, log: (line) => lines.push(line) });
    t.diagnostic(`\n${renderKvDemoTable(result)}`);
    assert.deepEqual(result.baseline.findings.map((finding) => `${finding.culprit} @ ${finding.node}`), [], 'the healthy cluster has no finding');
    assert.deepEqual(result.final.findings.map((finding) => `${finding.culprit} @ ${finding.node}`), [], 'the all-fixed cluster has no finding');
    assert.equal(result.rounds.length, 9);
    for (const round of result.rounds) {
      const label = `${round.culprit}: ${round.top ? `${round.top.culprit} @ ${round.top.node}` : 'no finding'}`;
      if (round.outcome === 'unavailable') {
        assert.ok(round.culprit.startsWith('throttle') || round.culprit.startsWith('fsync') || round.culprit.startsWith('cpu'), `${label}: only cgroup/taskset culprits may be unavailable`);
        assert.match(round.why ?? '', /unavailable here: ./, `${label}: unavailable without saying why`);
        t.diagnostic(`${round.culprit} unavailable here: ${round.why ?? ''}`);
        continue;
      }
      if (round.expect === 'control') {
        assert.equal(round.outcome, 'control ok', label);
        assert.ok(!round.diagnosis.findings.some((finding) => finding.culprit === 'network'), `${label}: a network finding for one slow follower`);
        continue;
      }
      assert.ok(round.correct, `${label}: expected ${round.expect} on ${round.expect === 'lock' || round.expect === 'serialization' ? 'the app tier' : 'leader kv0'}`);
      assert.equal(round.top?.member, round.expect === 'lock' || round.expect === 'serialization' ? undefined : 'kv0', label);
      assert.equal(round.removed, true, `${label}: the finding is still there after ${round.fixedWith ?? '?'}`);
      // The run file keeps the diagnosis: the unified ranking (and the HTML report) lead with it, node named.
      const ranked = rankedFindingsOf(await readRunFile(round.runFile ?? ''))[0];
      assert.deepEqual([ranked?.origin, ranked?.kind, ranked?.where], ['kv', round.top?.culprit, round.top?.node], `${label}: the run file's ranking`);
      const judged = round.comparison?.population.result;
      assert.ok(judged, `${label}: no valid pair (${round.stoppedBecause ?? ''})`);
      if (round.expect === 'stall' && round.verdict === 'undecided') {
        t.diagnostic(`${round.culprit}: undecided, p${judged.percentile} ${(judged.base.estimate / 1000).toFixed(1)} → ${(judged.candidate.estimate / 1000).toFixed(1)} ms`);
        assert.ok(judged.candidate.estimate < judged.base.estimate, `${label}: the fix did not lower p${judged.percentile}`);
      } else {
        assert.equal(round.verdict, 'improved', `${label}: ${round.verdict}, p${judged.percentile} ${(judged.base.estimate / 1000).toFixed(1)} → ${(judged.candidate.estimate / 1000).toFixed(1)} ms`);
      }
    }
    // Nothing of the lab is left: no temp dir of a supervisor that is gone, no app tier.
    const leftovers = readdirSync(tmpdir()).filter((entry) => /^perfloop-kv-\d+-/.test(entry) && !isProcessAlive(Number(entry.split('-')[2])));
    assert.deepEqual(leftovers, []);
  } catch (error) {
    t.diagnostic(lines.join('\n'));
    throw error;
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
});
