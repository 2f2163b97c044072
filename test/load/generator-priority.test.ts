import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { runLoad } from '../../src/load/run-load.js';
import { scenarioFromUrl } from '../../src/load/scenario-from-flags.js';
import { delayServer } from '../helpers/test-servers.js';

// Root (or CAP_SYS_NICE) with util-linux's chrt may enter the real-time class; anyone may stay normal.
const privileged = process.getuid?.() === 0 && spawnSync('chrt', ['--version']).status === 0;

test('the generator thread gets the priority asked for, or the nearest permitted, and the run file says which', async () => {
  const server = await delayServer(() => 1);
  try {
    for (const [asked, expected] of [
      ['realtime', privileged ? 'realtime' : undefined],
      ['raised', privileged ? 'raised' : undefined],
      ['normal', 'normal'],
    ] as const) {
      const run = await runLoad(scenarioFromUrl(`${server.url}/`, { ratePerSec: 50, duration: '200ms' }), { priority: asked });
      assert.equal(run.health.scheduled, 10);
      if (expected) assert.equal(run.health.generatorPriority, expected, asked);
      else assert.ok(run.health.generatorPriority === 'raised' || run.health.generatorPriority === 'normal', `${asked}: ${run.health.generatorPriority}`);
    }
    // Real-time threads sharing a core would take turns in 100 ms slices: more workers than cores stay raised.
    const crowded = await runLoad(scenarioFromUrl(`${server.url}/`, { ratePerSec: 50, duration: '200ms' }), { priority: 'realtime', workers: availableParallelism() + 1 });
    assert.notEqual(crowded.health.generatorPriority, 'realtime');
  } finally {
    await server.close();
  }
});
