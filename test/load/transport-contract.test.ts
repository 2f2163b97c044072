/**
 * One contract for both transports (the lean socket client and undici): against the same real servers
 * they must report the same statuses, body sizes and outcomes, request for request.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock } from '../../src/core/clock.js';
import { HttpTransport } from '../../src/load/http-transport.js';
import type { RequestSender, SendResult } from '../../src/load/request-sender.js';
import { normalizeScenario } from '../../src/load/scenario.js';
import { SocketTransport } from '../../src/load/socket-transport.js';
import { misbehavingServer } from '../helpers/test-servers.js';

const TRANSPORTS = {
  socket: (requests: ReturnType<typeof normalizeScenario>['requests'], keepAlive = true) => new SocketTransport(requests, { connections: 4, keepAlive }, systemClock),
  undici: (requests: ReturnType<typeof normalizeScenario>['requests'], keepAlive = true) => new HttpTransport(requests, { connections: 4, keepAlive }, systemClock),
};

interface Seen {
  method: string;
  url: string;
  body: string;
  traceparent: string;
  connection: string;
}

async function routedServer(): Promise<{ url: string; seen: Seen[]; close: () => Promise<void> }> {
  const seen: Seen[] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      seen.push({ method: request.method ?? '', url: request.url ?? '', body, traceparent: String(request.headers.traceparent ?? ''), connection: String(request.headers.connection ?? '') });
      if (request.url === '/chunked') {
        response.write('a'.repeat(1000));
        setImmediate(() => response.end('b'.repeat(234)));
      } else if (request.url === '/close') {
        response.setHeader('connection', 'close');
        response.end('bye');
      } else if (request.url === '/eof') {
        // No length, no chunking: the body ends with the connection (HTTP/1.0 style).
        response.socket?.end('HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n' + 'z'.repeat(77));
      } else if (request.url === '/missing') {
        response.statusCode = 404;
        response.end('not here');
      } else if (request.url === '/slow') {
        setTimeout(() => response.end('late'), 2000);
      } else response.end(request.method === 'HEAD' ? undefined : `echo:${body}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function sendAll(transport: RequestSender, count: number, requestIndexOf: (n: number) => number): Promise<SendResult[]> {
  return new Promise((resolve) => {
    const results: SendResult[] = [];
    let left = count;
    for (let n = 0; n < count; n++) {
      transport.send(n, requestIndexOf(n), `00-${'ab'.repeat(16)}-${n.toString(16).padStart(16, '0')}-01`, undefined, (slot, result) => {
        // Copied: a transport may refill the same result object for its next response.
        results[slot] = { ...result };
        if (--left === 0) resolve(results);
      }, n);
    }
  });
}

for (const [kind, make] of Object.entries(TRANSPORTS)) {
  test(`${kind} transport: statuses, body sizes, chunked, HEAD, POST bodies, connection: close, EOF bodies`, async () => {
    const server = await routedServer();
    try {
      const scenario = normalizeScenario({
        requests: [
          { url: `${server.url}/plain` },
          { url: `${server.url}/chunked` },
          { url: `${server.url}/plain`, method: 'HEAD' },
          { url: `${server.url}/post`, method: 'POST', body: { hello: 'wörld' } },
          { url: `${server.url}/close` },
          { url: `${server.url}/missing` },
          { url: `${server.url}/eof` },
        ],
        phases: [{ kind: 'constant', rate: 1, duration: '1s' }],
      });
      const transport = make(scenario.requests);
      const results = await sendAll(transport, 70, (n) => n % 7);
      await transport.close();
      const byIndex = (index: number): SendResult[] => results.filter((_, n) => n % 7 === index);
      const expected: [number, number][] = [[200, 'echo:'.length], [200, 1234], [200, 0], [200, 'echo:{"hello":"wörld"}'.length + 1], [200, 3], [404, 8], [200, 77]];
      expected.forEach(([status, bytes], index) => {
        for (const result of byIndex(index)) {
          assert.equal(result.error, undefined, `request ${index}: ${result.error}`);
          assert.equal(result.status, status, `request ${index}`);
          assert.equal(result.bytesReceived, bytes, `request ${index}`);
          assert.ok(result.written && result.endUs >= result.sentUs);
        }
      });
      assert.equal(server.seen.length, 70);
      const posted = server.seen.filter((request) => request.method === 'POST');
      assert.equal(posted.length, 10);
      assert.ok(posted.every((request) => request.body === '{"hello":"wörld"}'));
      // Every request carries its own traceparent.
      assert.equal(new Set(server.seen.map((request) => request.traceparent)).size, 70);
    } finally {
      await server.close();
    }
  });

  test(`${kind} transport: a timeout, a reset and garbage are each their own error kind`, async () => {
    const server = await routedServer();
    const reset = await misbehavingServer('reset');
    const garbage = await misbehavingServer('garbage');
    try {
      const scenario = normalizeScenario({
        requests: [{ name: 'slow', url: `${server.url}/slow`, timeout: '300ms' }, { name: 'reset', url: `${reset.url}/` }, { name: 'garbage', url: `${garbage.url}/` }],
        phases: [{ kind: 'constant', rate: 1, duration: '1s' }],
      });
      const transport = make(scenario.requests);
      const results = await sendAll(transport, 3, (n) => n);
      await transport.close();
      assert.deepEqual(
        results.map((result) => result.error),
        ['timeout', 'reset', 'bad_response'],
      );
      const timedOut = results[0];
      // Timed out after 300 ms (the sweep checks every 50 ms), well before the 2 s answer.
      assert.ok(timedOut && timedOut.endUs - timedOut.sentUs >= 290_000 && timedOut.endUs - timedOut.sentUs < 1_500_000, `timeout after ${timedOut ? (timedOut.endUs - timedOut.sentUs) / 1000 : NaN} ms`);
    } finally {
      await Promise.all([server.close(), reset.close(), garbage.close()]);
    }
  });

  test(`${kind} transport: keepAlive false asks for and gets a new connection per request`, async () => {
    const server = await routedServer();
    try {
      const scenario = normalizeScenario({ requests: [{ url: `${server.url}/plain` }], phases: [{ kind: 'constant', rate: 1, duration: '1s' }], keepAlive: false });
      const transport = make(scenario.requests, false);
      const results = await sendAll(transport, 12, () => 0);
      await transport.close();
      assert.ok(results.every((result) => result.status === 200 && !result.error));
      assert.ok(server.seen.every((request) => request.connection === 'close'));
    } finally {
      await server.close();
    }
  });
}
