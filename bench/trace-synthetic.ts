/** Synthetic traces for the trace benchmarks: ~20 spans each (HTTP calls with server spans, queries, cache). */
import type { Span } from '../src/trace/span.js';

const hex = (value: number, digits: number): string => value.toString(16).padStart(digits, '0');

export function syntheticTraces(traceCount: number): Span[] {
  const spans: Span[] = [];
  let spanCounter = 1;
  const baseNs = 1_700_000_000_000_000_000n;
  for (let t = 0; t < traceCount; t++) {
    const traceId = hex(t + 1, 32);
    const startNs = baseNs + BigInt(t) * 1_000_000n;
    const make = (parent: string | undefined, name: string, service: string, kind: Span['kind'], fromMs: number, toMs: number, attributes: Span['attributes'] = {}): string => {
      const spanId = hex(spanCounter++, 16);
      const span: Span = {
        traceId,
        spanId,
        name,
        kind,
        service,
        startNs: startNs + BigInt(Math.round(fromMs * 1e6)),
        endNs: startNs + BigInt(Math.round(toMs * 1e6)),
        status: 'ok',
        attributes,
        links: [],
      };
      if (parent !== undefined) span.parentSpanId = parent;
      spans.push(span);
      return spanId;
    };
    const root = make(undefined, 'GET /orders/:id', 'gateway', 'server', 0, 60, { 'http.request.method': 'GET' });
    make(root, 'get', 'gateway', 'client', 1, 1.5, { 'db.system': 'redis', 'db.query.text': `get session:${t}` });
    for (const [index, service] of ['orders', 'inventory', 'pricing'].entries()) {
      const from = 2 + index * 18;
      const call = make(root, 'GET', 'gateway', 'client', from, from + 16, { 'http.request.method': 'GET', 'url.full': `http://${service}/x/${t}` });
      const server = make(call, `GET /${service}`, service, 'server', from + 1, from + 15);
      for (let q = 0; q < 3; q++) {
        make(server, 'pg.query:SELECT', service, 'client', from + 2 + q * 4, from + 5 + q * 4, { 'db.system': 'postgresql', 'db.query.text': `SELECT * FROM ${service} WHERE id = $1` });
      }
    }
    make(root, 'serialize', 'gateway', 'internal', 56, 59);
  }
  return spans;
}
