/**
 * Prometheus text exposition (0.0.4) and OpenMetrics 1.0 text parser.
 *
 * Hand-written on purpose: the one npm parser (parse-prometheus-text-format 1.1.1) drops the labels, `_sum` and
 * `_count` of histograms whose series carry labels besides `le`, does not join OpenMetrics `_total` counters to
 * their family, and accepts garbage as samples with empty values; `bench/prometheus-parse.ts` shows this parser is
 * also faster on the same inputs. Lines that do not parse are counted, never thrown, so one bad line costs one
 * sample rather than the whole scrape.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface PromSample {
  /** The sample's own name (`x_bucket`, `x_sum`, `x_total`, …). */
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface PromFamily {
  name: string;
  type: MetricType;
  help: string;
  samples: PromSample[];
}

export interface ParsedExposition {
  families: PromFamily[];
  /** Lines that were neither comments, blank nor valid samples. */
  badLines: number;
  /** The first bad line (truncated), for the error message. */
  firstBadLine?: string;
}

const TYPES = new Set<string>(['counter', 'gauge', 'histogram', 'summary', 'untyped', 'unknown', 'gaugehistogram', 'stateset', 'info']);
const SUFFIXES: Record<string, readonly string[]> = {
  counter: ['_total', '_created'],
  histogram: ['_bucket', '_sum', '_count', '_created'],
  gaugehistogram: ['_bucket', '_gsum', '_gcount'],
  summary: ['_sum', '_count', '_created'],
  info: ['_info'],
};

function normaliseType(raw: string): MetricType {
  switch (raw) {
    case 'counter':
    case 'gauge':
    case 'histogram':
    case 'summary':
      return raw;
    case 'gaugehistogram':
    case 'stateset':
    case 'info':
      return 'gauge';
    default:
      return 'untyped';
  }
}

export function parseValue(text: string): number {
  switch (text) {
    case '+Inf':
    case 'Inf':
    case '+inf':
    case 'inf':
      return Number.POSITIVE_INFINITY;
    case '-Inf':
    case '-inf':
      return Number.NEGATIVE_INFINITY;
    case 'NaN':
    case 'nan':
      return Number.NaN;
    default: {
      // Number() accepts what the format allows plus '', whitespace and 0b/0o forms; reject those.
      if (text === '' || text.charCodeAt(0) === 48 && (text[1] === 'b' || text[1] === 'o' || text[1] === 'B' || text[1] === 'O')) return Number.NaN;
      return Number(text);
    }
  }
}

function isNameStart(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || code === 95 || code === 58;
}

function isNameChar(code: number): boolean {
  return isNameStart(code) || (code >= 48 && code <= 57);
}

/** Parses one sample line; undefined when it is malformed. Scans char codes: a scrape parses ~2,000 lines. */
export function parseSampleLine(line: string): PromSample | undefined {
  const length = line.length;
  if (!isNameStart(line.charCodeAt(0))) return undefined;
  let index = 1;
  while (index < length && isNameChar(line.charCodeAt(index))) index++;
  const name = line.slice(0, index);
  const labels: Record<string, string> = {};
  if (line.charCodeAt(index) === 123 /* { */) {
    index++;
    for (;;) {
      while (line.charCodeAt(index) === 32 || line.charCodeAt(index) === 44) index++;
      if (line.charCodeAt(index) === 125 /* } */) {
        index++;
        break;
      }
      const keyStart = index;
      if (!isNameStart(line.charCodeAt(index))) return undefined;
      while (index < length && isNameChar(line.charCodeAt(index))) index++;
      const key = line.slice(keyStart, index);
      while (line.charCodeAt(index) === 32) index++;
      if (line.charCodeAt(index) !== 61 /* = */) return undefined;
      index++;
      while (line.charCodeAt(index) === 32) index++;
      if (line.charCodeAt(index) !== 34 /* " */) return undefined;
      index++;
      let value = '';
      for (;;) {
        const quote = line.indexOf('"', index);
        const escape = line.indexOf('\\', index);
        if (quote < 0) return undefined;
        if (escape >= 0 && escape < quote) {
          const next = line[escape + 1];
          value += line.slice(index, escape) + (next === 'n' ? '\n' : (next ?? ''));
          index = escape + 2;
          continue;
        }
        value += line.slice(index, quote);
        index = quote + 1;
        break;
      }
      labels[key] = value;
    }
  }
  if (line.charCodeAt(index) !== 32 && line.charCodeAt(index) !== 9) return undefined;
  while (line.charCodeAt(index) === 32 || line.charCodeAt(index) === 9) index++;
  let end = index;
  while (end < length && line.charCodeAt(end) !== 32 && line.charCodeAt(end) !== 9) end++;
  const valueText = line.slice(index, end);
  const value = parseValue(valueText);
  if (Number.isNaN(value) && valueText !== 'NaN' && valueText !== 'nan') return undefined;
  // What follows (a timestamp, an OpenMetrics exemplar `# {…} v`) is ignored: samples are timed by the scrape.
  return { name, labels, value };
}

/** The family a sample belongs to: declared name, or the sample name less a type suffix. */
function familyNameOf(sampleName: string, declared: Map<string, string>): string {
  if (declared.has(sampleName)) return sampleName;
  for (const suffix of ['_total', '_bucket', '_count', '_sum', '_created', '_gsum', '_gcount', '_info']) {
    if (sampleName.endsWith(suffix)) {
      const base = sampleName.slice(0, -suffix.length);
      const type = declared.get(base);
      if (type !== undefined && (SUFFIXES[type] ?? []).includes(suffix)) return base;
    }
  }
  return sampleName;
}

/** Parses a whole exposition. Never throws. */
export function parseExposition(text: string): ParsedExposition {
  const declared = new Map<string, string>();
  const help = new Map<string, string>();
  const families = new Map<string, PromFamily>();
  // Sample names repeat (every bucket line of a histogram): resolve each to its family once.
  const familyOfSample = new Map<string, string>();
  let badLines = 0;
  let firstBadLine: string | undefined;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    let line = text.slice(start, end);
    start = end + 1;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.length === 0) continue;
    if (line[0] === '#') {
      const match = /^#\s+(TYPE|HELP)\s+([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(.*)$/.exec(line);
      if (match) {
        const [, keyword, name = '', rest = ''] = match;
        if (keyword === 'TYPE') {
          const type = rest.trim().toLowerCase();
          if (TYPES.has(type)) declared.set(name, type);
          else {
            badLines++;
            firstBadLine ??= line.slice(0, 120);
          }
        } else help.set(name, rest);
      }
      continue;
    }
    const sample = parseSampleLine(line);
    if (!sample) {
      badLines++;
      firstBadLine ??= line.slice(0, 120);
      continue;
    }
    let familyName = familyOfSample.get(sample.name);
    if (familyName === undefined) {
      familyName = familyNameOf(sample.name, declared);
      familyOfSample.set(sample.name, familyName);
    }
    // OpenMetrics `_created` samples carry a timestamp, not a measurement.
    if (familyName !== sample.name && sample.name.endsWith('_created')) continue;
    let family = families.get(familyName);
    if (!family) {
      family = { name: familyName, type: normaliseType(declared.get(familyName) ?? 'untyped'), help: help.get(familyName) ?? '', samples: [] };
      families.set(familyName, family);
    }
    family.samples.push(sample);
  }
  return { families: [...families.values()], badLines, ...(firstBadLine !== undefined ? { firstBadLine } : {}) };
}
