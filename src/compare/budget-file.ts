/**
 * Budget files (YAML): performance limits a run must meet, one readable line each.
 *
 *   limits:                                  # on all requests together
 *     - p99 < 200ms
 *     - errors < 0.1%
 *     - throughput >= 1000/s
 *     - p99 < 300ms over every 10s window    # windowed: every 10-s window of the run, not just the whole
 *     - p99 regression < 5% at 95% confidence   # relative to a baseline run (perfloop check --baseline)
 *   requests:                                # per request name
 *     GET /api/items:
 *       - p99 < 150ms
 *
 * Metrics: p50, p90, p99, p99.9, mean, max (latency, a duration); errors (a percentage of requests); throughput
 * (requests/s). Operators: <, <=, >, >=. Every parse error names the file and the offending line's path.
 */
import { z } from 'zod';
import { parse as parseYaml } from 'yaml';
import { badInput } from '../core/errors.js';
import { msToUs, parseDurationMs } from '../core/units.js';

export const LATENCY_METRICS = ['p50', 'p90', 'p99', 'p99.9', 'mean', 'max'] as const;
export type LatencyMetric = (typeof LATENCY_METRICS)[number];
export type BudgetMetric = LatencyMetric | 'errors' | 'throughput';
export type Comparator = '<' | '<=' | '>' | '>=';

export type BudgetLimit =
  | {
      kind: 'absolute';
      metric: BudgetMetric;
      comparator: Comparator;
      /** µs for latency metrics, a fraction for errors, requests/s for throughput. */
      value: number;
      /** Windowed limit: every window of this length must meet it. */
      windowMs?: number;
    }
  | {
      kind: 'relative';
      metric: LatencyMetric | 'throughput';
      /** Largest tolerated regression, a fraction (0.05 = 5%). */
      maxRegression: number;
      confidenceLevel: number;
    };

export interface BudgetLine {
  /** The line as written. */
  text: string;
  /** `total`, or the request name. */
  scope: string;
  /** Path of the line in the file, for messages (e.g. `limits.2`). */
  field: string;
  limit: BudgetLimit;
}

export interface Budget {
  source: string;
  lines: BudgetLine[];
}

const budgetInputSchema = z
  .object({
    limits: z.array(z.string()).default([]),
    requests: z.record(z.string(), z.array(z.string())).default({}),
  })
  .strict();

const METRIC_PATTERN = '(p50|p90|p99\\.9|p999|p99|mean|max|errors|error-rate|throughput)';

function canonicalMetric(text: string): BudgetMetric {
  const lower = text.toLowerCase();
  if (lower === 'p999') return 'p99.9';
  if (lower === 'error-rate') return 'errors';
  return lower as BudgetMetric;
}

function parsePercent(text: string, field: string): number {
  const match = /^(\d+(?:\.\d+)?)%$/.exec(text);
  if (!match?.[1]) throw badInput(field, `expected a percentage like 0.1%, got "${text}"`);
  return Number(match[1]) / 100;
}

/** Parses one budget line; `field` names it in errors. */
export function parseBudgetLine(text: string, field: string): BudgetLimit {
  const line = text.trim();
  const relative = new RegExp(`^${METRIC_PATTERN}\\s+regression\\s*<\\s*(\\S+)(?:\\s+at\\s+(\\S+)\\s+confidence)?$`, 'i').exec(line);
  if (relative) {
    const metric = canonicalMetric(relative[1] ?? '');
    if (metric === 'errors') throw badInput(field, 'relative limits apply to latency percentiles and throughput; use an absolute errors limit');
    const confidenceLevel = relative[3] === undefined ? 0.95 : parsePercent(relative[3], field);
    if (!(confidenceLevel > 0 && confidenceLevel < 1)) throw badInput(field, `confidence must be between 0% and 100%, got "${relative[3]}"`);
    return { kind: 'relative', metric, maxRegression: parsePercent(relative[2] ?? '', field), confidenceLevel };
  }
  const absolute = new RegExp(`^${METRIC_PATTERN}\\s*(<=|>=|<|>)\\s*(\\S+)(?:\\s+over\\s+every\\s+(\\S+)\\s+window)?$`, 'i').exec(line);
  if (!absolute) throw badInput(field, `cannot read "${text}" (e.g. "p99 < 200ms", "errors < 0.1%", "throughput >= 1000/s", "p99 regression < 5% at 95% confidence")`);
  const metric = canonicalMetric(absolute[1] ?? '');
  const comparator = absolute[2] as Comparator;
  const valueText = absolute[3] ?? '';
  let value: number;
  if (metric === 'errors') value = parsePercent(valueText, field);
  else if (metric === 'throughput') {
    const rate = /^(\d+(?:\.\d+)?)(?:\/s)?$/.exec(valueText);
    if (!rate?.[1]) throw badInput(field, `expected a rate like 1000/s, got "${valueText}"`);
    value = Number(rate[1]);
  } else value = msToUs(parseDurationMs(valueText, field));
  const windowMs = absolute[4] === undefined ? undefined : parseDurationMs(absolute[4], field);
  if (windowMs !== undefined && !(windowMs > 0)) throw badInput(field, 'the window must be longer than 0');
  return { kind: 'absolute', metric, comparator, value, ...(windowMs !== undefined ? { windowMs } : {}) };
}

/** Validates a parsed YAML document as a budget. */
export function parseBudget(document: unknown, source: string): Budget {
  const parsed = budgetInputSchema.safeParse(document ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue ? issue.path.join('.') : '';
    const message = issue?.code === 'unrecognized_keys' ? `unknown field ${issue.keys.map((key) => `"${key}"`).join(', ')} (use limits, requests)` : (issue?.message ?? 'invalid');
    throw badInput(path ? `${source}: ${path}` : source, message);
  }
  const lines: BudgetLine[] = [];
  parsed.data.limits.forEach((text, index) => {
    const field = `${source}: limits.${index}`;
    lines.push({ text, scope: 'total', field, limit: parseBudgetLine(text, field) });
  });
  for (const [name, texts] of Object.entries(parsed.data.requests)) {
    texts.forEach((text, index) => {
      const field = `${source}: requests.${name}.${index}`;
      lines.push({ text, scope: name, field, limit: parseBudgetLine(text, field) });
    });
  }
  if (lines.length === 0) throw badInput(source, 'no limits: add a `limits:` list or a `requests:` map');
  return { source, lines };
}

export function parseBudgetText(text: string, source: string): Budget {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw badInput(source, `invalid YAML: ${error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error)}`);
  }
  return parseBudget(document, source);
}
