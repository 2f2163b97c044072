/** Test helper: compact span descriptions (ms offsets, short ids) → normalised spans. */
import { normaliseAttributes, type Attributes, type Span, type SpanKind } from '../../src/trace/span.js';

export interface SpanSpec {
  id: string;
  parent?: string;
  name?: string;
  service?: string;
  kind?: SpanKind;
  /** ms after the trace base time. */
  start: number;
  end: number;
  status?: 'ok' | 'error';
  attributes?: Attributes;
  links?: string[];
}

export const BASE_NS = 1_700_000_000_000_000_000n;

/** A stable 16-hex-digit id for a short name. */
export function hexId(name: string): string {
  return Buffer.from(name, 'utf8').toString('hex').padStart(16, '0').slice(-16);
}

export function traceIdFor(name: string): string {
  return Buffer.from(name, 'utf8').toString('hex').padStart(32, '0').slice(-32);
}

export function msToNs(ms: number): bigint {
  return BigInt(Math.round(ms * 1_000_000));
}

export function buildSpans(trace: string, specs: readonly SpanSpec[], baseNs: bigint = BASE_NS): Span[] {
  const traceId = traceIdFor(trace);
  return specs.map((spec) => {
    const span: Span = {
      traceId,
      spanId: hexId(spec.id),
      name: spec.name ?? spec.id,
      kind: spec.kind ?? 'internal',
      service: spec.service ?? 'svc',
      startNs: baseNs + msToNs(spec.start),
      endNs: baseNs + msToNs(spec.end),
      status: spec.status ?? 'ok',
      attributes: normaliseAttributes({ ...(spec.attributes ?? {}) }),
      links: (spec.links ?? []).map((id) => ({ traceId, spanId: hexId(id) })),
    };
    if (spec.parent !== undefined) span.parentSpanId = hexId(spec.parent);
    return span;
  });
}

/** One request per trace: a 100 ms root and one database statement from `start` to `end` ms (queueing tests). */
export function dbRequest(trace: string, start: number, end: number, statement = 'SELECT * FROM items WHERE id = 1'): Span[] {
  return buildSpans(trace, [
    { id: 'root', name: 'GET /', service: 'api', kind: 'server', start: 0, end: 100 },
    { id: 'q', parent: 'root', name: 'pg.query:SELECT', service: 'api', kind: 'client', start, end, attributes: { 'db.system': 'postgresql', 'db.statement': statement } },
  ]);
}
