/**
 * etcd speaks gRPC: the lab's scenario files (lab/kv/*.yaml) against a real etcd member — Put over gRPC through
 * the CLI, templated JSON-gateway puts, and a gRPC read/write mix — with exact counts and the keys read back
 * through the gateway. Skipped with a message when etcd is not installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunFile } from '../../src/core/run-file.js';
import { aggregateIntervals } from '../../src/core/run-aggregate.js';
import { arrivals } from '../../src/load/arrival-schedule.js';
import { generatedValue } from '../../src/load/body-template.js';
import { runLoad } from '../../src/load/run-load.js';
import { parseScenarioText, type Scenario } from '../../src/load/scenario.js';
import { pickValueIndex } from '../../src/load/url-template.js';
import { KV_SCENARIO_DIR, kvScenarioText } from '../../src/lab-control/kv-scenarios.js';
import { runCli } from '../helpers/cli.js';
import { etcdInstalled, startEtcdMember, type EtcdMember } from '../helpers/etcd-member.js';

const LAB_KV = KV_SCENARIO_DIR;
const SKIP = 'etcd is not installed (apt-get install etcd-server)';

const pointedAt = (file: string, member: EtcdMember, ratePerSec: number, duration: string): string => kvScenarioText(file, { target: member.target, ratePerSec, duration });

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

/** Keys under `prefix` (read through the JSON gateway, linearizable), with their values. */
async function keysUnder(member: EtcdMember, prefix: string): Promise<Map<string, string>> {
  const rangeEnd = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
  const response = await fetch(`${member.clientUrl}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key: b64(prefix), range_end: b64(rangeEnd) }) });
  assert.equal(response.status, 200);
  const body = (await response.json()) as { kvs?: { key: string; value: string }[] };
  return new Map((body.kvs ?? []).map((kv) => [Buffer.from(kv.key, 'base64').toString('utf8'), Buffer.from(kv.value, 'base64').toString('latin1')]));
}

/** The keys request `requestIndex` of `scenario` wrote: its seeded picks over the schedule's arrivals. */
function expectedKeys(scenario: Scenario, requestIndex: number): Set<string> {
  const values = scenario.requests[requestIndex]?.vars?.key ?? [];
  const keys = new Set<string>();
  for (const arrival of arrivals(scenario, { index: 0, count: 1 })) {
    if (arrival.requestIndex === requestIndex) keys.add(values[pickValueIndex(scenario.seed, 0, arrival.index, values.length)] ?? '');
  }
  return keys;
}

test('the lab/kv scenario files are valid; the follower example once the lab fills in a follower (lab kv scenario)', () => {
  for (const file of ['put.yaml', 'put-grpc.yaml', 'put-gateway.yaml', 'read-write-mix.yaml', 'put-large-gateway.yaml', 'put-large-grpc.yaml']) {
    const scenario = parseScenarioText(readFileSync(join(LAB_KV, file), 'utf8'), file, LAB_KV);
    assert.ok(scenario.requests.length > 0, file);
  }
  assert.throws(() => parseScenarioText(readFileSync(join(LAB_KV, 'read-follower.yaml'), 'utf8'), 'read-follower.yaml', LAB_KV), /read-follower\.yaml: requests\.1\.grpc\.target: port must be 1\.\.65535, got 0/);
  const filled = parseScenarioText(kvScenarioText('read-follower.yaml', { target: '127.0.0.1:2379', follower: '127.0.0.1:41237' }), 'read-follower.yaml');
  assert.deepEqual(filled.requests.map((request) => request.grpc?.target), ['127.0.0.1:2379', '127.0.0.1:41237', '127.0.0.1:41237']);
  assert.equal(filled.phases.length, 2, "the file's own phases are kept");
  assert.throws(() => kvScenarioText('read-follower.yaml', { target: '127.0.0.1:2379' }), /read-follower\.yaml: reads from a follower: give its address/);
});

test('etcd speaks gRPC: lab/kv/put-grpc.yaml through the CLI against a real member — every put OK, the keys and their 96-byte values exist', { timeout: 90_000 }, async (t) => {
  if (!etcdInstalled()) {
    t.skip(SKIP);
    return;
  }
  const member = await startEtcdMember();
  const dir = mkdtempSync(join(tmpdir(), 'perfloop-etcd-grpc-'));
  try {
    const text = pointedAt('put-grpc.yaml', member, 40, '2s');
    writeFileSync(join(dir, 'put-grpc.yaml'), text);
    const out = join(dir, 'run.json');
    const result = await runCli(['run', join(dir, 'put-grpc.yaml'), '--quiet', '--out', out]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /statuses: grpc 0×80 +errors: none/);
    const run = JSON.parse(readFileSync(out, 'utf8')) as RunFile;
    assert.deepEqual([run.summary.total.count, run.summary.total.ok], [80, 80]);
    const keys = await keysUnder(member, 'perfloop/kv/');
    assert.deepEqual(new Set(keys.keys()), expectedKeys(parseScenarioText(text, 'put-grpc.yaml'), 0));
    assert.ok(keys.size > 70, `distinct keys ${keys.size}`);
    for (const value of keys.values()) assert.equal(value, generatedValue(96));
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await member.stop();
  }
});

test('templated JSON-gateway puts (base64 keys and values) and a gRPC read/write mix (linearizable and serializable Range) against a real member', { timeout: 90_000 }, async (t) => {
  if (!etcdInstalled()) {
    t.skip(SKIP);
    return;
  }
  const member = await startEtcdMember();
  try {
    const gateway = parseScenarioText(pointedAt('put-gateway.yaml', member, 40, '1s'), 'put-gateway.yaml', LAB_KV);
    const gatewayRun = await runLoad(gateway);
    assert.deepEqual([gatewayRun.summary.total.count, gatewayRun.summary.total.ok], [40, 40]);
    const written = await keysUnder(member, 'perfloop/kv/');
    assert.deepEqual(new Set(written.keys()), expectedKeys(gateway, 0));
    for (const value of written.values()) assert.equal(value, generatedValue(96));

    const mix = parseScenarioText(pointedAt('read-write-mix.yaml', member, 60, '1s'), 'read-write-mix.yaml', LAB_KV);
    const mixRun = await runLoad(mix);
    const byName = aggregateIntervals(mixRun.intervals).byRequest;
    const counts = ['put', 'get-linearizable', 'get-serializable'].map((name) => byName.get(name)?.count ?? 0);
    assert.equal(counts.reduce((sum, count) => sum + count, 0), 60);
    assert.ok(counts.every((count) => count > 0), `counts ${counts.join(', ')}`);
    for (const [name, stats] of byName) assert.deepEqual([stats.ok, stats.statuses, stats.errors], [stats.count, { 'grpc 0': stats.count }, {}], name);
    // The puts of the mix added exactly their own keys to the gateway's.
    const after = await keysUnder(member, 'perfloop/kv/');
    assert.deepEqual(new Set(after.keys()), new Set([...expectedKeys(gateway, 0), ...expectedKeys(mix, 0)]));
  } finally {
    await member.stop();
  }
});
