/**
 * Templated bodies: `{name}`, `{name|base64}`, `{value:SIZE}` rendered per request, the same values as the
 * URL's placeholders for the same request, generated values shared, and a real server receiving them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { compileTextTemplate, generatedValue, generatedValueBuffer } from '../../src/load/body-template.js';
import { httpTransportFor } from '../../src/load/routed-sender.js';
import { runLoad } from '../../src/load/run-load.js';
import { normalizeScenario } from '../../src/load/scenario.js';
import { compilePathTemplate, pickValueIndex } from '../../src/load/url-template.js';

const ONE_PHASE = [{ kind: 'constant' as const, rate: 1, duration: '1s' }];
const fromBase64 = (text: string): string => Buffer.from(text, 'base64').toString('utf8');

test('a JSON body template: base64 keys, JSON-escaped list values, generated values of an exact size built once', () => {
  const vars = { key: ['k1', 'say "hi"', 'ü'] };
  const template = compileTextTemplate('{"key":"{key|base64}","raw":"{key}","value":"{value:1KiB|base64}","small":"{value:3B}"}', vars, ['key'], 4, 'json', 'body');
  assert.equal(template.constant, undefined);
  assert.deepEqual(template.vars, ['key']);
  const seen = new Set<string>();
  for (let n = 0; n < 300; n++) {
    const body = JSON.parse(template.render(n)) as { key: string; raw: string; value: string; small: string };
    const expected = vars.key[pickValueIndex(4, 0, n, 3)];
    assert.equal(fromBase64(body.key), expected);
    assert.equal(body.raw, expected);
    assert.equal(Buffer.from(body.value, 'base64').length, 1024);
    assert.equal(body.small, 'per');
    seen.add(body.raw);
  }
  assert.equal(seen.size, 3);
  // A lone generated value is reported with its size, so a gRPC bytes field can take the shared buffer.
  assert.equal(compileTextTemplate('{value:0.5KiB}', {}, [], 1, 'none', 'body').generatedBytes, 512);
  assert.equal(compileTextTemplate('x{value:512B}', {}, [], 1, 'none', 'body').generatedBytes, undefined);
  assert.equal(generatedValue(512 * 1024).length, 512 * 1024);
  assert.equal(generatedValueBuffer(512 * 1024), generatedValueBuffer(512 * 1024));
  assert.throws(() => compileTextTemplate('{key|gzip}', vars, ['key'], 1, 'none', 'requests.0.body'), /requests\.0\.body: unknown filter "\|gzip" in \{key\|gzip\} \(filters: base64\)/);
  assert.throws(() => compileTextTemplate('{value:0B}', {}, [], 1, 'none', 'requests.0.body'), /requests\.0\.body: \{value:0B\}: a generated value of 1 byte/);
});

test('URL and body of one request pick the same value; vars used only in the body are accepted; literal braces stay', () => {
  const scenario = normalizeScenario({
    requests: [
      { name: 'put', method: 'POST', url: 'http://127.0.0.1:1/orders/{id}', body: { id: '{id}', customer: '{customer}' }, vars: { id: { from: 1, to: 50 }, customer: ['a', 'b'] } },
      { name: 'literal', method: 'POST', url: 'http://127.0.0.1:1/x', body: '{not-a-template} {abc}' },
      { name: 'sized', method: 'POST', url: 'http://127.0.0.1:1/x', body: '{value:2KiB}' },
    ],
    phases: ONE_PHASE,
    seed: 3,
  });
  const [put, literal, sized] = scenario.requests;
  assert.equal(put?.bodyTemplate, 'json');
  assert.equal(literal?.bodyTemplate, undefined);
  assert.equal(sized?.bodyTemplate, 'none');
  const path = compilePathTemplate('/orders/{id}', put?.vars ?? {}, 3)!;
  const body = compileTextTemplate(put?.body ?? '', put?.vars ?? {}, ['id', 'customer'], 3, 'json', 'body');
  for (let n = 0; n < 500; n++) assert.equal(`/orders/${(JSON.parse(body.render(n)) as { id: string }).id}`, path(n));
  assert.equal(httpTransportFor(scenario, 'socket'), 'undici');
  assert.equal(httpTransportFor({ requests: [literal!] }, 'socket'), 'socket');
  const bad = (request: Record<string, unknown>) => () => normalizeScenario({ requests: [request], phases: ONE_PHASE });
  assert.throws(bad({ url: 'http://127.0.0.1:1/', method: 'POST', body: { k: '{key}' }, vars: { id: [1] } }), /requests\.0\.body: no values for placeholder \{key\}/);
  assert.throws(bad({ url: 'http://127.0.0.1:1/', method: 'POST', body: { k: '{key}' }, vars: { key: [1], other: [2] } }), /requests\.0\.vars\.other: not used in the URL or body/);
  assert.throws(bad({ url: 'http://127.0.0.1:1/', method: 'POST', body: '{value:17MiB}' }), /requests\.0\.body: \{value:17MiB\}: a generated value of 1 byte to 16,777,216 bytes/);
});

test('a large generated value is sent from one shared buffer: chunks per request, the literal never copied', () => {
  const template = compileTextTemplate('{"key":"{key|base64}","value":"{value:512KiB|base64}"}', { key: ['a', 'b'] }, ['key'], 1, 'json', 'body');
  const first = template.renderChunks?.(0);
  const second = template.renderChunks?.(1);
  assert.ok(first && second);
  assert.equal(first.bytes, Buffer.byteLength(template.render(0)));
  assert.equal(Buffer.concat(first.chunks).toString(), template.render(0));
  // The chunk holding the value is the same buffer for every request.
  const largest = (chunks: Buffer[]): Buffer => chunks.reduce((a, b) => (b.length > a.length ? b : a));
  assert.equal(largest(first.chunks), largest(second.chunks));
  // `","value":"` + the base64 of 512 KiB + `"}`: the literals around the value are one chunk with it.
  assert.equal(largest(first.chunks).length, '","value":"'.length + Math.ceil((512 * 1024) / 3) * 4 + '"}'.length);
  assert.equal(first.chunks.length, 3);
  // Small templates stay plain text.
  assert.equal(compileTextTemplate('{"key":"{key}","value":"{value:1KiB}"}', { key: ['a'] }, ['key'], 1, 'json', 'body').renderChunks, undefined);
});

test('a run with templated bodies: the server receives each request with its own key, agreeing with its path; a 512 KiB value arrives whole with its content-length', async () => {
  const received: { url: string; body: string; contentLength: string; chunked: boolean }[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      received.push({ url: request.url ?? '', body, contentLength: request.headers['content-length'] ?? '', chunked: request.headers['transfer-encoding'] !== undefined });
      response.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const run = await runLoad(
      normalizeScenario({
        requests: [{ name: 'put', method: 'POST', url: `${url}/kv/{key}`, body: { key: '{key|base64}', value: '{value:100B|base64}' }, vars: { key: { from: 1, to: 1000 } } }],
        phases: [{ kind: 'constant', rate: 50, duration: '1s' }],
      }),
    );
    assert.equal(run.summary.total.count, 50);
    assert.equal(run.summary.total.ok, 50);
    assert.equal(received.length, 50);
    for (const { url: path, body, contentLength, chunked } of received) {
      assert.equal(Number(contentLength), Buffer.byteLength(body));
      assert.equal(chunked, false);
      const parsed = JSON.parse(body) as { key: string; value: string };
      assert.equal(`/kv/${fromBase64(parsed.key)}`, path);
      assert.equal(Buffer.from(parsed.value, 'base64').length, 100);
    }
    // The keys are the seeded picks of requests 0..49.
    assert.deepEqual(
      received.map(({ url: path }) => Number(path.slice('/kv/'.length))).sort((a, b) => a - b),
      Array.from({ length: 50 }, (_, n) => 1 + pickValueIndex(1, 0, n, 1000)).sort((a, b) => a - b),
    );
    received.length = 0;
    const large = await runLoad(
      normalizeScenario({
        requests: [{ name: 'put-large', method: 'POST', url: `${url}/kv/{key}`, body: { key: '{key|base64}', value: '{value:512KiB|base64}' }, vars: { key: { from: 1, to: 10, prefix: 'big/' } } }],
        phases: [{ kind: 'constant', rate: 10, duration: '1s' }],
      }),
    );
    assert.deepEqual([large.summary.total.count, large.summary.total.ok, received.length], [10, 10, 10]);
    for (const { url: path, body, contentLength, chunked } of received) {
      const parsed = JSON.parse(body) as { key: string; value: string };
      assert.equal(`/kv/${encodeURIComponent(fromBase64(parsed.key))}`, path);
      assert.equal(Buffer.from(parsed.value, 'base64').toString('latin1'), generatedValue(512 * 1024));
      assert.deepEqual([Number(contentLength), chunked], [Buffer.byteLength(body), false]);
    }
  } finally {
    await new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  }
});
