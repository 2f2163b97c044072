/**
 * Repeated identical reads: the same SELECT (same text and bound values) or the same GET URL read by many
 * requests — a cacheable hot read — or read several times within one request. Reads whose text has bind
 * placeholders but no captured values are skipped: their text does not say which rows they read.
 * Live data is not a cacheable repeat: when the same read returns different results across requests
 * (its response size or row count varies), the data changes between reads and a cache would serve stale
 * values, so no across-requests finding is made. Fix prediction: cached reads cost ~0.
 */
import { notAwaited } from '../span-tree.js';
import { isDbCall, numberAttribute, stringAttribute, type Span } from '../span.js';
import { hasPlaceholders } from '../normalise-statement.js';
import { nodesOf, type Detector, type DetectorContext, type Finding } from './detector.js';
import { FindingBuilder } from './finding-builder.js';
import { statementOf } from './span-target.js';

function readKey(span: Span): string | undefined {
  if (span.kind !== 'client') return undefined;
  if (isDbCall(span)) {
    const statement = statementOf(span);
    const operation = stringAttribute(span, 'db.operation.name');
    if (statement === undefined || !(/^\s*select\b/i.test(statement) || operation?.toUpperCase() === 'SELECT')) return undefined;
    if (!hasPlaceholders(statement)) return `db ${span.service} ${statement}`;
    const parameters = Object.keys(span.attributes)
      .filter((key) => key.startsWith('db.query.parameter.') || key === 'db.postgresql.values' || key === 'db.statement.parameters')
      .sort()
      .map((key) => `${key}=${JSON.stringify(span.attributes[key])}`);
    return parameters.length === 0 ? undefined : `db ${span.service} ${statement} ${parameters.join(' ')}`;
  }
  if (stringAttribute(span, 'http.request.method') === 'GET') {
    const url = stringAttribute(span, 'url.full');
    return url === undefined ? undefined : `http ${span.service} GET ${url}`;
  }
  return undefined;
}

function resultSize(span: Span): number | undefined {
  return numberAttribute(span, 'http.response.body.size') ?? numberAttribute(span, 'db.response.returned_rows') ?? numberAttribute(span, 'db.rows_affected');
}

export const repeatedReadsDetector: Detector = {
  name: 'repeated-reads',
  detect(context: DetectorContext): Finding[] {
    interface Read {
      span: Span;
      traces: Map<string, string[]>;
      /** Distinct result sizes seen (response bytes or rows): more than one means live data. */
      results: Set<number>;
    }
    const reads = new Map<string, Read>();
    for (const trace of context.traces) {
      for (const node of nodesOf(trace.tree)) {
        if (notAwaited(node)) continue;
        const key = readKey(node.span);
        if (key === undefined) continue;
        let read = reads.get(key);
        if (read === undefined) {
          read = { span: node.span, traces: new Map(), results: new Set() };
          reads.set(key, read);
        }
        const result = resultSize(node.span);
        if (result !== undefined && read.results.size < 2) read.results.add(result);
        const spanIds = read.traces.get(trace.tree.traceId);
        if (spanIds) spanIds.push(node.span.spanId);
        else read.traces.set(trace.tree.traceId, [node.span.spanId]);
      }
    }
    const findings: Finding[] = [];
    const total = context.traces.length;
    const { repeatedReadMinTraces, repeatedReadMinShare } = context.thresholds;
    for (const read of reads.values()) {
      const what = statementOf(read.span) ?? stringAttribute(read.span, 'url.full') ?? read.span.name;
      const live = read.results.size > 1;
      const acrossTraces = !live && read.traces.size >= repeatedReadMinTraces && read.traces.size / total >= repeatedReadMinShare;
      const withinTraces = [...read.traces].filter(([, spanIds]) => spanIds.length >= 2);
      const withinTrace = withinTraces.length >= repeatedReadMinTraces && withinTraces.length / total >= repeatedReadMinShare;
      if (!acrossTraces && !withinTrace) continue;
      const builder = new FindingBuilder('repeated-reads', read.span.service, read.span.name, context);
      builder.details.read = what;
      builder.details.scope = acrossTraces ? 'across requests' : 'within requests';
      let reads = 0;
      for (const [traceId, spanIds] of acrossTraces ? read.traces : withinTraces) {
        builder.hit(traceId, spanIds[0]!);
        reads += spanIds.length;
        builder.max('maxPerRequest', spanIds.length);
        const plan = builder.plan(traceId);
        // Across requests every read becomes a cache hit; within one request the first read stays.
        for (const spanId of acrossTraces ? spanIds : spanIds.slice(1)) plan.remove.add(spanId);
      }
      builder.add('reads', reads);
      findings.push(
        builder.build(context, {
          title: acrossTraces
            ? `Identical read repeated by ${read.traces.size} requests: ${what}`
            : `Identical read repeated within ${withinTraces.length} requests: ${what}`,
          fix: acrossTraces
            ? 'Cache the result (in process with lru-cache, or Redis) with a TTL or invalidation on write.'
            : 'Read once per request and pass the result along (request-scoped memoisation).',
          tradeOff: 'Cached data can be stale for up to the TTL; the cache needs memory and an invalidation story.',
        },
        !acrossTraces
          ? { level: 'high', because: [`read again within the same request in ${withinTraces.length} requests`] }
          : read.results.size === 1
            ? { level: 'high', because: [`the same read returned the same result size in ${read.traces.size} requests`] }
            : { level: 'medium', because: [`the same read in ${read.traces.size} requests; its result size is not recorded, so whether the data changes between reads is unknown`] },
        ),
      );
    }
    return findings;
  },
};
