/** What a client call talks to: used to group calls and to recognise retries and side effects. */
import { stringAttribute, type Span } from '../span.js';
import type { SpanNode } from '../span-tree.js';

/** The service that served a client call: its server child's service, else peer.service / server.address / the URL's host. */
export function downstreamService(node: SpanNode): string | undefined {
  for (const child of node.children) if (child.span.kind === 'server' || child.span.kind === 'consumer') return child.span.service;
  const named = stringAttribute(node.span, 'peer.service') ?? stringAttribute(node.span, 'server.address');
  if (named !== undefined) return named;
  const url = stringAttribute(node.span, 'url.full');
  return url === undefined ? undefined : /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/]*@)?(\[[^\]]*\]|[^:/?#]+)/i.exec(url)?.[1];
}

export function statementOf(span: Span): string | undefined {
  return stringAttribute(span, 'db.query.text') ?? stringAttribute(span, 'db.statement');
}

/** A key identifying the exact call target: method + URL, statement, or name + peer. */
export function targetKey(node: SpanNode): string {
  const span = node.span;
  const method = stringAttribute(span, 'http.request.method');
  const url = stringAttribute(span, 'url.full') ?? stringAttribute(span, 'url.path');
  if (method !== undefined || url !== undefined) return `${method ?? ''} ${url ?? span.name} @${downstreamService(node) ?? ''}`;
  const statement = statementOf(span);
  return `${span.name} ${statement ?? ''} @${downstreamService(node) ?? ''}`;
}

/** True for spans that ended in failure: error status or an HTTP 5xx/429. */
export function failed(span: Span): boolean {
  if (span.status === 'error') return true;
  const status = span.attributes['http.response.status_code'];
  return typeof status === 'number' && (status >= 500 || status === 429);
}

/** Waiting for a connection or slot (a pool acquire), not running a statement. */
export function isAcquireSpan(span: Span): boolean {
  return /pool.*connect|acquire|checkout/i.test(span.name);
}

/** A connection being opened (not acquired from a pool). */
export function isConnectSpan(span: Span): boolean {
  return /(^|[.\s_-])connect$/i.test(span.name) && !/pool/i.test(span.name);
}

/** A URL path with its variable segments (numbers, hex ids, UUIDs) replaced, and query keys without values. */
export function pathShape(url: string): string {
  const withoutScheme = url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '');
  const [path = '', query] = withoutScheme.split('?', 2);
  const shape = path
    .split('/')
    .map((segment) => (/^(\d+|[0-9a-f]{8,}|[0-9a-f-]{36})$/i.test(segment) ? ':id' : segment))
    .join('/');
  const keys = query === undefined ? '' : `?${query.split('&').map((pair) => pair.split('=', 1)[0]).sort().join('&')}`;
  return shape + keys;
}

/**
 * What kind of call a client span is, without its keys: the same operation with different ids or query
 * values has one shape ("GET inventory /stock/:id", "redis GetDriver"), so repeated calls that could be one
 * batch, or retries of one operation with different keys, group together.
 */
export function operationShape(node: SpanNode): string {
  const span = node.span;
  const downstream = downstreamService(node) ?? '';
  for (const child of node.children) {
    const route = stringAttribute(child.span, 'http.route');
    if ((child.span.kind === 'server' || child.span.kind === 'consumer') && route !== undefined) return `${span.name} ${downstream} ${route}`;
  }
  const url = stringAttribute(span, 'url.full') ?? stringAttribute(span, 'url.path');
  return url === undefined ? `${span.name} ${downstream}`.trim() : `${stringAttribute(span, 'http.request.method') ?? span.name} ${downstream} ${pathShape(url)}`;
}
