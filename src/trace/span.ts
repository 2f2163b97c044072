/**
 * The normalised span every decoder produces and every analysis consumes. Times are exact bigint
 * nanoseconds since the Unix epoch; attribute keys are mapped onto the current OpenTelemetry semantic
 * conventions (the raw keys are kept too, so nothing a user searches for disappears).
 */
export type SpanKind = 'server' | 'client' | 'internal' | 'producer' | 'consumer';
export type SpanStatus = 'ok' | 'error';
export type AttributeValue = string | number | boolean | string[] | number[] | boolean[];
export type Attributes = Record<string, AttributeValue>;

export interface SpanLink {
  traceId: string;
  spanId: string;
}

/** A timestamped annotation inside a span (OTLP event, Jaeger log, Zipkin annotation). */
export interface SpanEvent {
  name: string;
  timeNs: bigint;
  attributes?: Attributes;
}

export interface Span {
  /** 32 lowercase hex digits. */
  traceId: string;
  /** 16 lowercase hex digits. */
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: SpanKind;
  service: string;
  startNs: bigint;
  endNs: bigint;
  status: SpanStatus;
  attributes: Attributes;
  links: SpanLink[];
  /** Events inside the span (at most MAX_SPAN_EVENTS kept); absent when there are none. */
  events?: SpanEvent[];
  /** The host the span was recorded on (resource host.name, Jaeger process hostname), when known. */
  host?: string;
}

/** Events kept per span: enough for lock/queue annotations, bounded so a chatty span cannot hold memory. */
export const MAX_SPAN_EVENTS = 32;

/** Attribute values nested deeper than this are cut (rendered as a marker), so hostile input cannot overflow the stack. */
export const MAX_ATTRIBUTE_DEPTH = 16;

/** Plausible span times: 2000-01-01 to 2100-01-01 UTC, ns since the epoch. */
export const MIN_PLAUSIBLE_NS = 946_684_800_000_000_000n;
export const MAX_PLAUSIBLE_NS = 4_102_444_800_000_000_000n;

/**
 * Why a span's times cannot be used (after 2100, or ending before it starts), or undefined. Times before
 * 2000 are kept — hand-written and test traces count from zero (the Jaeger UI's reference traces start at
 * 1 µs) — and counted by `isBefore2000`.
 */
export function unusableTimes(startNs: bigint, endNs: bigint): string | undefined {
  if (startNs >= MAX_PLAUSIBLE_NS) return `start ${startNs} ns is after 2100`;
  if (endNs >= MAX_PLAUSIBLE_NS) return `end ${endNs} ns is after 2100`;
  if (endNs < startNs) return `negative duration (ends ${startNs - endNs} ns before it starts)`;
  return undefined;
}

export function isBefore2000(span: Span): boolean {
  return span.startNs < MIN_PLAUSIBLE_NS;
}

/** Old semantic-convention key → current key. Both stay on the span; the current one wins when both exist. */
const RENAMED_KEYS: ReadonlyArray<readonly [string, string]> = [
  ['db.statement', 'db.query.text'],
  ['db.system', 'db.system.name'],
  ['db.operation', 'db.operation.name'],
  ['db.name', 'db.namespace'],
  ['http.method', 'http.request.method'],
  ['http.status_code', 'http.response.status_code'],
  ['http.url', 'url.full'],
  ['http.target', 'url.path'],
  ['http.route', 'http.route'],
  ['net.peer.name', 'server.address'],
  ['net.peer.port', 'server.port'],
  ['http.host', 'server.address'],
  ['http.response_content_length', 'http.response.body.size'],
  ['http.request_content_length', 'http.request.body.size'],
  ['messaging.destination', 'messaging.destination.name'],
  ['messaging.message_payload_size_bytes', 'messaging.message.body.size'],
  ['messaging.message.payload_size_bytes', 'messaging.message.body.size'],
  ['messaging.operation', 'messaging.operation.type'],
];

const RENAMES = new Map<string, string>(RENAMED_KEYS);

/** Adds the current-convention keys for any old-convention keys present; returns the same object. */
export function normaliseAttributes(attributes: Attributes): Attributes {
  // Walk the span's few keys rather than every rename: this runs once per received span.
  for (const key of Object.keys(attributes)) {
    const newKey = RENAMES.get(key);
    if (newKey !== undefined && newKey !== key && attributes[newKey] === undefined) attributes[newKey] = attributes[key]!;
  }
  return attributes;
}

export function stringAttribute(span: Span, key: string): string | undefined {
  const value = span.attributes[key];
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
}

export function numberAttribute(span: Span, key: string): number | undefined {
  const value = span.attributes[key];
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

/** The database system (postgresql, redis, …), whichever convention the instrumentation used. */
export function dbSystem(span: Span): string | undefined {
  const value = span.attributes['db.system.name'] ?? span.attributes['db.system'];
  return typeof value === 'string' ? value : undefined;
}

const CACHE_SYSTEMS = new Set(['redis', 'memcached', 'valkey']);

export function isCacheCall(span: Span): boolean {
  const system = dbSystem(span);
  return system !== undefined && CACHE_SYSTEMS.has(system.toLowerCase());
}

/** A database call that is not a cache call. */
export function isDbCall(span: Span): boolean {
  return dbSystem(span) !== undefined && !isCacheCall(span);
}

export function isMessaging(span: Span): boolean {
  return span.kind === 'producer' || span.kind === 'consumer' || span.attributes['messaging.system'] !== undefined;
}

export function isHttpClient(span: Span): boolean {
  return span.kind === 'client' && span.attributes['http.request.method'] !== undefined;
}

export function durationNs(span: Span): bigint {
  return span.endNs - span.startNs;
}

const KINDS: readonly SpanKind[] = ['internal', 'server', 'client', 'producer', 'consumer'];

/** OTLP SpanKind enum value (1..5; 0 = unspecified → internal) → kind. */
export function kindFromOtlp(value: number | string | undefined): SpanKind {
  if (typeof value === 'string') {
    const lower = value.toLowerCase().replace(/^span_kind_/, '');
    return (KINDS as readonly string[]).includes(lower) ? (lower as SpanKind) : 'internal';
  }
  if (value === undefined || value < 1 || value > 5) return 'internal';
  return KINDS[value - 1] ?? 'internal';
}

export function kindToOtlp(kind: SpanKind): number {
  return KINDS.indexOf(kind) + 1;
}
