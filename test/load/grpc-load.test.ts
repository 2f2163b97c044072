/**
 * Unary gRPC load against an in-test @grpc/grpc-js server with known delays and status codes: the transport's
 * outcomes call by call, a run's exact counts (gRPC mixed with HTTP), up-front validation naming the field,
 * and the CLI end to end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect, createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { systemClock } from '../../src/core/clock.js';
import { aggregateIntervals } from '../../src/core/run-aggregate.js';
import type { RunFile } from '../../src/core/run-file.js';
import { arrivals } from '../../src/load/arrival-schedule.js';
import { GrpcTransport } from '../../src/load/grpc-transport.js';
import type { SendResult } from '../../src/load/request-sender.js';
import { runLoad } from '../../src/load/run-load.js';
import { normalizeScenario, type ScenarioInput } from '../../src/load/scenario.js';
import { pickValueIndex } from '../../src/load/url-template.js';
import { runCli } from '../helpers/cli.js';
import { ECHO_PROTO, startEchoServer } from '../helpers/grpc-echo-server.js';
import { deadUrl, delayServer } from '../helpers/test-servers.js';
import { assertCleanError } from '../fault/fault-kit.js';

const SERVICE = 'perfloop.test.Echo';
const say = (target: string, message: Record<string, unknown>, extra: Record<string, unknown> = {}): ScenarioInput['requests'][number] =>
  ({ grpc: { target, proto: ECHO_PROTO, service: SERVICE, method: 'Say', message }, ...extra }) as ScenarioInput['requests'][number];
const ONE_PHASE = [{ kind: 'constant' as const, rate: 1, duration: '1s' }];

test('gRPC transport: OK with its delay, a status code as the outcome, deadline → timeout, nothing listening → refused; metadata and templated keys arrive', async () => {
  const server = await startEchoServer();
  const deadTarget = new URL(await deadUrl()).host;
  try {
    const scenario = normalizeScenario({
      requests: [
        {
          name: 'ok',
          vars: { id: { from: 1, to: 5 } },
          grpc: { target: server.target, proto: ECHO_PROTO, service: SERVICE, method: 'Say', message: { key: 'user-{id}', text: 'hi', delay_ms: 20 }, metadata: { 'x-tenant': 't1' } },
        },
        say(server.target, { code: 5 }, { name: 'missing' }),
        say(server.target, { delay_ms: 2000 }, { name: 'slow', timeout: '300ms' }),
        say(deadTarget, {}, { name: 'down' }),
      ],
      phases: ONE_PHASE,
      seed: 9,
    });
    const transport = new GrpcTransport(scenario.requests, systemClock, scenario.seed);
    await transport.warm();
    const traceparents = Array.from({ length: 40 }, (_, n) => `00-${'ab'.repeat(16)}-${n.toString(16).padStart(16, '0')}-01`);
    const results = await new Promise<SendResult[]>((resolve) => {
      const collected: SendResult[] = [];
      let left = 40;
      for (let n = 0; n < 40; n++) {
        transport.send(n, n % 4, traceparents[n]!, undefined, (slot, result) => {
          collected[slot] = result;
          if (--left === 0) resolve(collected);
        }, n);
      }
    });
    await transport.close();
    const of = (kind: number): SendResult[] => results.filter((_, n) => n % 4 === kind);
    for (const result of of(0)) {
      assert.equal(result.grpcStatus, 0);
      assert.equal(result.error, undefined);
      assert.ok(result.written && result.endUs - result.sentUs >= 20_000, `ok after ${(result.endUs - result.sentUs) / 1000} ms`);
      // SayReply { echo: "user-N" }: tag + length + 6 bytes.
      assert.equal(result.bytesReceived, 8);
    }
    for (const result of of(1)) assert.deepEqual([result.grpcStatus, result.error, result.written], [5, undefined, true]);
    for (const result of of(2)) {
      assert.deepEqual([result.grpcStatus, result.error], [4, 'timeout']);
      assert.ok(result.endUs - result.sentUs >= 290_000 && result.endUs - result.sentUs < 1_500_000, `deadline after ${(result.endUs - result.sentUs) / 1000} ms`);
    }
    for (const result of of(3)) assert.deepEqual([result.grpcStatus, result.error, result.written], [14, 'refused', false]);
    // The server saw the 30 calls to it, each with its own traceparent, and the static metadata on 'ok'.
    assert.equal(server.seen.length, 30);
    assert.deepEqual(new Set(server.seen.map((call) => call.traceparent)), new Set(traceparents.filter((_, n) => n % 4 !== 3)));
    const okCalls = server.seen.filter((call) => call.request.text === 'hi');
    assert.equal(okCalls.length, 10);
    assert.ok(okCalls.every((call) => call.metadata['x-tenant'] === 't1'));
    // Keys are the seeded picks of request n (the same function the URL templates use).
    const expectedKeys = Array.from({ length: 10 }, (_, k) => `user-${1 + pickValueIndex(9, 0, 4 * k, 5)}`);
    const keyByTrace = new Map(okCalls.map((call) => [call.traceparent, call.request.key.toString()]));
    assert.deepEqual(
      Array.from({ length: 10 }, (_, k) => keyByTrace.get(traceparents[4 * k]!)),
      expectedKeys,
    );
    assert.ok(new Set(expectedKeys).size > 1);
  } finally {
    await server.close();
  }
});

test('gRPC transport: a connection lost under a call is a reset (UNAVAILABLE, written)', async () => {
  const server = await startEchoServer();
  const [host, port] = server.target.split(':');
  const sockets = new Set<Socket>();
  // A TCP relay in front of the server, so the test can cut the connection while the call waits for its reply.
  const relay = createTcpServer((client) => {
    const upstream = connect(Number(port), host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  try {
    const scenario = normalizeScenario({ requests: [say(`127.0.0.1:${(relay.address() as AddressInfo).port}`, { delay_ms: 1000 }, { timeout: '5s' })], phases: ONE_PHASE });
    const transport = new GrpcTransport(scenario.requests, systemClock, scenario.seed);
    await transport.warm();
    const result = await new Promise<SendResult>((resolve) => {
      transport.send(0, 0, `00-${'ab'.repeat(16)}-${'cd'.repeat(8)}-01`, undefined, (_slot, sent) => resolve(sent), 0);
      // Cut once the server has the call (it then waits 1 s before answering).
      const cut = setInterval(() => {
        if (server.seen.length === 0) return;
        clearInterval(cut);
        for (const socket of sockets) socket.resetAndDestroy();
      }, 5);
    });
    await transport.close();
    assert.deepEqual([result.grpcStatus, result.error, result.written], [14, 'reset', true]);
    assert.ok(result.endUs - result.sentUs < 900_000, `ended after ${(result.endUs - result.sentUs) / 1000} ms, before the reply was due`);
  } finally {
    await new Promise<void>((resolve) => relay.close(() => resolve()));
    await server.close();
  }
});

test('a run mixing gRPC and HTTP: exact counts per request, gRPC statuses as "grpc N", latency from the intended start', async () => {
  const server = await startEchoServer();
  const http = await delayServer(() => 0);
  try {
    // Every assertion holds whether or not the generator kept its schedule (a late send only adds latency),
    // so a busy machine cannot fail this test and no retry is needed.
    const scenario = normalizeScenario({
      requests: [say(server.target, { key: 'k', delay_ms: 25 }, { name: 'say', weight: 2 }), say(server.target, { code: 5 }, { name: 'missing' }), { name: 'http', url: `${http.url}/x` }],
      phases: [{ kind: 'constant', rate: 60, duration: '1s' }],
    });
    // The schedule decides each arrival's request: the exact split is known before the run.
    const expected = [0, 0, 0];
    for (const arrival of arrivals(scenario)) expected[arrival.requestIndex]! += 1;
    {
      const run = await runLoad(scenario);
      const requests = aggregateIntervals(run.intervals).byRequest;
      const sayStats = requests.get('say');
      const missing = requests.get('missing');
      const httpStats = requests.get('http');
      assert.ok(sayStats && missing && httpStats);
      assert.deepEqual([sayStats.count, missing.count, httpStats.count], expected);
      assert.equal(sayStats.count + missing.count + httpStats.count, 60);
      assert.equal(server.seen.length, sayStats.count + missing.count);
      assert.equal(http.count(), httpStats.count);
      assert.deepEqual([sayStats.ok, sayStats.statuses, sayStats.errors], [sayStats.count, { 'grpc 0': sayStats.count }, {}]);
      assert.deepEqual([missing.ok, missing.statuses, missing.errors], [0, { 'grpc 5': missing.count }, { unexpected_status: missing.count }]);
      assert.deepEqual([httpStats.ok, httpStats.statuses], [httpStats.count, { 200: httpStats.count }]);
      // Each 'say' took at least its 25 ms delay from the intended start.
      assert.ok(sayStats.latency.minUs >= 25_000 * 0.999, `min ${sayStats.latency.minUs}`);
    }
  } finally {
    await Promise.all([server.close(), http.close()]);
  }
});

test('gRPC requests are checked up front: every error names its field', () => {
  const target = '127.0.0.1:1';
  const bad = (request: Record<string, unknown>) => () => normalizeScenario({ requests: [request], phases: ONE_PHASE }, 'kv.yaml');
  const grpc = (fields: Record<string, unknown>) => ({ grpc: { target, proto: ECHO_PROTO, service: SERVICE, method: 'Say', ...fields } });
  assert.throws(bad(grpc({ proto: '/nonexistent/x.proto' })), /kv\.yaml: requests\.0\.grpc\.proto: cannot read "\/nonexistent\/x\.proto"/);
  assert.throws(bad(grpc({ service: 'perfloop.test.Nope' })), /requests\.0\.grpc\.service: no service "perfloop\.test\.Nope" .*\(services: perfloop\.test\.Echo\)/);
  assert.throws(bad(grpc({ method: 'Shout' })), /requests\.0\.grpc\.method: no method "Shout" in perfloop\.test\.Echo \(methods: Say, Watch\)/);
  assert.throws(bad(grpc({ method: 'Watch' })), /requests\.0\.grpc\.method: .*only unary/);
  assert.throws(bad(grpc({ target: 'no-port' })), /requests\.0\.grpc\.target: must be host:port/);
  assert.throws(bad(grpc({ message: { kee: 'x' } })), /requests\.0\.grpc\.message\.kee: no field "kee" in perfloop\.test\.SayRequest \(fields: key, text/);
  assert.throws(bad(grpc({ message: { delay_ms: 'soon' } })), /requests\.0\.grpc\.message\.delay_ms: expected int32, got "soon"/);
  assert.throws(bad(grpc({ message: { flag: 1 } })), /requests\.0\.grpc\.message\.flag: expected bool/);
  assert.throws(bad(grpc({ message: { mode: 'MEDIUM' } })), /requests\.0\.grpc\.message\.mode: expected one of FAST, SLOW/);
  assert.throws(bad(grpc({ message: { inner: { tag: 'a' } } })), /requests\.0\.grpc\.message\.inner: expected a list/);
  assert.throws(bad(grpc({ message: { inner: [{ tga: 'a' }] } })), /requests\.0\.grpc\.message\.inner\.0\.tga: no field "tga" in perfloop\.test\.Inner/);
  assert.throws(bad({ ...grpc({ message: { key: '{id}' } }), vars: { other: [1] } }), /requests\.0\.grpc\.message\.key: no values for placeholder \{id\}/);
  // As in bodies: without vars, braces are text.
  assert.doesNotThrow(bad(grpc({ message: { key: '{id}', text: '{literal}' } })));
  assert.throws(bad(grpc({ message: { key: '{value:20MiB}' } })), /requests\.0\.grpc\.message\.key: \{value:20MiB\}: a generated value of 1 byte to 16,777,216 bytes/);
  assert.throws(bad(grpc({ metadata: { 'X-Upper': 'a' } })), /requests\.0\.grpc\.metadata\.X-Upper: metadata keys are lower-case/);
  assert.throws(bad({ ...grpc({}), url: 'http://127.0.0.1:1/' }), /requests\.0\.url: a request has either a url or a grpc block/);
  assert.throws(bad({ ...grpc({}), body: 'x' }), /requests\.0\.body: a gRPC request has its message under grpc\.message/);
  assert.throws(bad({ ...grpc({}), vars: { id: [1] } }), /requests\.0\.vars\.id: not used in the gRPC message/);
  assert.throws(bad({ ...grpc({}), expect: 99 }), /requests\.0\.expect: gRPC status codes are 0\.\.16/);
  assert.throws(bad({ name: 'nothing' }), /requests\.0\.url: a request needs a url \(HTTP\) or a grpc block/);
  // A valid one: camelCase field names are accepted too, 64-bit integers as decimal strings, enums by name.
  const scenario = normalizeScenario({ requests: [grpc({ message: { delayMs: 3, big: '9007199254740993', mode: 'SLOW', inner: [{ tag: 't' }], flag: true } })], phases: ONE_PHASE });
  assert.deepEqual(scenario.requests[0]?.expectStatus, [0]);
  assert.equal(scenario.requests[0]?.name, 'perfloop.test.Echo/Say');
  assert.equal(scenario.requests[0]?.url, `grpc://${target}/perfloop.test.Echo/Say`);
});

test('perfloop run with a gRPC scenario file (proto path relative to the file); a bad method exits 2 naming the field', async () => {
  const server = await startEchoServer();
  const dir = mkdtempSync(join(tmpdir(), 'perfloop-grpc-'));
  try {
    copyFileSync(ECHO_PROTO, join(dir, 'echo.proto'));
    const scenario = (method: string): string =>
      `requests:\n  - name: say\n    grpc:\n      target: ${server.target}\n      proto: echo.proto\n      service: ${SERVICE}\n      method: ${method}\n      message: { key: "k{n}", delay_ms: 5 }\n    vars: { n: { from: 1, to: 3 } }\nphases:\n  - { kind: constant, rate: 20, duration: 1s }\n`;
    writeFileSync(join(dir, 'good.yaml'), scenario('Say'));
    writeFileSync(join(dir, 'bad.yaml'), scenario('Sya'));
    const out = join(dir, 'run.json');
    const result = await runCli(['run', join(dir, 'good.yaml'), '--quiet', '--out', out]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /statuses: grpc 0×20 +errors: none/);
    const run = JSON.parse(readFileSync(out, 'utf8')) as RunFile;
    assert.equal(run.summary.total.count, 20);
    assert.equal(server.seen.length, 20);
    assert.ok(server.seen.every((call) => /^k[123]$/.test(call.request.key.toString())));
    assertCleanError(await runCli(['run', join(dir, 'bad.yaml'), '--quiet', '--out', out]), 2, /bad\.yaml: requests\.0\.grpc\.method: no method "Sya" in perfloop\.test\.Echo/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await server.close();
  }
});
