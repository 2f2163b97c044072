/**
 * Scenarios: what to send (requests, weighted) and when (a load profile made of phases).
 * The YAML/JSON form is validated with zod (unknown fields rejected, every error names its field) and
 * normalised into the `Scenario` type, whose fields carry their units.
 */
import { z } from 'zod';
import { parse as parseYaml } from 'yaml';
import { badInput } from '../core/errors.js';
import { parseDurationMs } from '../core/units.js';
import { checkTemplate, placeholders } from './url-template.js';
import {
  formatLimit,
  formatLimitMs,
  MAX_BODY_BYTES,
  MAX_CONNECTIONS,
  MAX_DURATION_MS,
  MAX_HEADER_BYTES,
  MAX_INTERVAL_MS,
  MAX_INTERVALS,
  MAX_RATE_PER_SEC,
  MAX_REQUESTS,
  MAX_THINK_TIME_MS,
  MAX_TIMEOUT_MS,
  MAX_USERS,
  MIN_INTERVAL_MS,
} from './scenario-limits.js';

export interface RequestSpec {
  name: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  /** Statuses that count as success. */
  expectStatus: number[];
  weight: number;
  /** Values of the URL's `{name}` placeholders, when it has any (see url-template.ts). */
  vars?: Record<string, string[]>;
}

interface PhaseBase {
  name: string;
  durationMs: number;
  /** Warm-up phases run but are excluded from results. */
  warmup: boolean;
}

/** Open-model phases: arrivals follow a schedule, independent of responses. */
export type OpenPhase = PhaseBase &
  (
    | { kind: 'constant'; ratePerSec: number }
    | { kind: 'poisson'; ratePerSec: number; seed: number }
    | { kind: 'ramp'; fromRatePerSec: number; toRatePerSec: number }
    | { kind: 'burst'; ratePerSec: number; baseRatePerSec: number; onMs: number; offMs: number }
  );

/** Closed model: `users` loops of send → wait for response → think. */
export type ClosedPhase = PhaseBase & { kind: 'closed'; users: number; thinkTimeMs: number };

export type Phase = OpenPhase | ClosedPhase;

export interface Scenario {
  requests: RequestSpec[];
  phases: Phase[];
  /** Connections per origin per worker (open model). */
  connections: number;
  keepAlive: boolean;
  /** Seed for the weighted request mix (and Poisson phases without their own seed). */
  seed: number;
  intervalMs: number;
}

const duration = z.union([z.string(), z.number()]);
const rateLimit = `at most ${formatLimit(MAX_RATE_PER_SEC)} requests/s`;
const positiveRate = z.number({ invalid_type_error: 'must be a number (requests per second)' }).positive('must be > 0').max(MAX_RATE_PER_SEC, rateLimit);
const rampRate = z.number().nonnegative().max(MAX_RATE_PER_SEC, rateLimit);

const requestInput = z
  .object({
    name: z.string().min(1).optional(),
    method: z.string().regex(/^[A-Za-z]+$/, 'must be an HTTP method').default('GET'),
    url: z.string(),
    headers: z.record(z.string(), z.string()).default({}),
    body: z.union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())]).optional(),
    timeout: duration.optional(),
    expect: z.union([z.number().int(), z.array(z.number().int())]).optional(),
    weight: z.number().positive('must be > 0').default(1),
    /** Values for `{name}` placeholders in the URL: a list, or an integer range. */
    vars: z
      .record(
        z.string(),
        z.union([
          z.array(z.union([z.string(), z.number()])).min(1),
          z.object({ from: z.number().int(), to: z.number().int() }).strict().refine((range) => range.to >= range.from && range.to - range.from < 1_000_000, 'needs from <= to, at most 1,000,000 values'),
        ]),
      )
      .optional(),
  })
  .strict();

const phaseCommon = { name: z.string().optional(), duration, warmup: z.boolean().default(false) };

const phaseInput = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('constant'), rate: positiveRate, ...phaseCommon }).strict(),
  z.object({ kind: z.literal('poisson'), rate: positiveRate, seed: z.number().int().optional(), ...phaseCommon }).strict(),
  z.object({ kind: z.literal('ramp'), from: rampRate, to: rampRate, ...phaseCommon }).strict(),
  z
    .object({
      kind: z.literal('steps'),
      rates: z.array(positiveRate).min(1),
      stepDuration: duration,
      name: z.string().optional(),
      warmup: z.boolean().default(false),
    })
    .strict(),
  z
    .object({ kind: z.literal('burst'), rate: positiveRate, baseRate: rampRate.default(0), on: duration, off: duration, ...phaseCommon })
    .strict(),
  z.object({ kind: z.literal('closed'), users: z.number().int().positive('must be > 0').max(MAX_USERS, `at most ${formatLimit(MAX_USERS)} users`), thinkTime: duration.default(0), ...phaseCommon }).strict(),
]);

export const scenarioInputSchema = z
  .object({
    requests: z.array(requestInput).min(1, 'needs at least one request').max(MAX_REQUESTS, `at most ${formatLimit(MAX_REQUESTS)} requests`),
    phases: z.array(phaseInput).min(1, 'needs at least one phase'),
    connections: z.number().int().positive().max(MAX_CONNECTIONS, `at most ${formatLimit(MAX_CONNECTIONS)} connections per origin per worker`).default(64),
    keepAlive: z.boolean().default(true),
    timeout: duration.default('10s'),
    seed: z.number().int().default(1),
    interval: duration.default('1s'),
  })
  .strict();
export type ScenarioInput = z.input<typeof scenarioInputSchema>;

/** The path of a URL (template placeholders kept as written). */
const pathOf = (url: string): string => url.replace(/^[a-z]+:\/\/[^/?#]*/i, '').replace(/[?#].*$/, '') || '/';

function validateUrl(url: string, field: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw badInput(field, `invalid URL "${url}"`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw badInput(field, `unsupported protocol "${parsed.protocol}" (use http or https)`);
  return parsed.toString();
}

function positiveDurationMs(value: string | number, field: string, maxMs = MAX_DURATION_MS, minMs = 0): number {
  const ms = parseDurationMs(value, field);
  if (ms <= 0) throw badInput(field, 'must be longer than 0');
  if (ms < minMs) throw badInput(field, `at least ${formatLimitMs(minMs)}, got ${formatLimitMs(ms)}`);
  if (ms > maxMs) throw badInput(field, `at most ${formatLimitMs(maxMs)}, got "${value}"`);
  return ms;
}

const byteLength = (text: string): number => Buffer.byteLength(text, 'utf8');

/** Validates and normalises a scenario object; `source` prefixes field names in errors (e.g. the file name). */
export function normalizeScenario(input: unknown, source = 'scenario'): Scenario {
  const parsed = scenarioInputSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue ? issue.path.join('.') : '';
    let message = issue?.message ?? 'invalid';
    if (issue?.code === 'unrecognized_keys') message = `unknown field ${issue.keys.map((key) => `"${key}"`).join(', ')}`;
    throw badInput(path ? `${source}: ${path}` : source, message);
  }
  const raw = parsed.data;
  const defaultTimeoutMs = positiveDurationMs(raw.timeout, `${source}: timeout`, MAX_TIMEOUT_MS);
  const requests: RequestSpec[] = raw.requests.map((request, index) => {
    const field = `${source}: requests.${index}`;
    const vars = request.vars
      ? Object.fromEntries(
          Object.entries(request.vars).map(([name, values]) => [
            name,
            Array.isArray(values) ? values.map(String) : Array.from({ length: values.to - values.from + 1 }, (_, offset) => String(values.from + offset)),
          ]),
        )
      : undefined;
    checkTemplate(request.url, vars ?? {}, field);
    // Placeholders are kept verbatim: URL parsing would percent-encode their braces.
    const url = placeholders(request.url).length > 0 ? (validateUrl(request.url.replace(/\{[A-Za-z_][A-Za-z0-9_]*\}/g, 'x'), `${field}.url`), request.url) : validateUrl(request.url, `${field}.url`);
    const expect = request.expect === undefined ? [] : Array.isArray(request.expect) ? request.expect : [request.expect];
    const body = request.body === undefined ? undefined : typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
    if (body !== undefined && byteLength(body) > MAX_BODY_BYTES) throw badInput(`${field}.body`, `at most ${formatLimit(MAX_BODY_BYTES)} bytes, got ${formatLimit(byteLength(body))}`);
    const headerBytes = Object.entries(request.headers).reduce((sum, [key, value]) => sum + byteLength(key) + byteLength(value) + 4, 0);
    if (headerBytes > MAX_HEADER_BYTES) throw badInput(`${field}.headers`, `at most ${formatLimit(MAX_HEADER_BYTES)} bytes of headers, got ${formatLimit(headerBytes)}`);
    const headers = { ...request.headers };
    if (body !== undefined && typeof request.body !== 'string' && !Object.keys(headers).some((key) => key.toLowerCase() === 'content-type')) {
      headers['content-type'] = 'application/json';
    }
    return {
      name: request.name ?? `${request.method.toUpperCase()} ${pathOf(url)}`,
      method: request.method.toUpperCase(),
      url,
      headers,
      ...(body === undefined ? {} : { body }),
      timeoutMs: request.timeout === undefined ? defaultTimeoutMs : positiveDurationMs(request.timeout, `${field}.timeout`, MAX_TIMEOUT_MS),
      expectStatus: expect.length > 0 ? expect : [200, 201, 202, 204],
      weight: request.weight,
      ...(vars ? { vars } : {}),
    };
  });
  const names = new Set<string>();
  requests.forEach((request, index) => {
    if (names.has(request.name)) throw badInput(`${source}: requests.${index}.name`, `duplicate request name "${request.name}"`);
    names.add(request.name);
  });

  const phases: Phase[] = [];
  raw.phases.forEach((phase, index) => {
    const field = `${source}: phases.${index}`;
    const name = phase.name ?? `${phase.kind}-${index + 1}`;
    if (phase.kind === 'steps') {
      const stepMs = positiveDurationMs(phase.stepDuration, `${field}.stepDuration`);
      phase.rates.forEach((ratePerSec) =>
        phases.push({ kind: 'constant', name: `${name}/${ratePerSec}`, durationMs: stepMs, warmup: phase.warmup, ratePerSec }),
      );
      return;
    }
    const common = { name, durationMs: positiveDurationMs(phase.duration, `${field}.duration`), warmup: phase.warmup };
    switch (phase.kind) {
      case 'constant':
        phases.push({ ...common, kind: 'constant', ratePerSec: phase.rate });
        break;
      case 'poisson':
        phases.push({ ...common, kind: 'poisson', ratePerSec: phase.rate, seed: phase.seed ?? raw.seed + index });
        break;
      case 'ramp':
        if (phase.from === 0 && phase.to === 0) throw badInput(`${field}.to`, 'a ramp from 0 to 0 sends nothing');
        phases.push({ ...common, kind: 'ramp', fromRatePerSec: phase.from, toRatePerSec: phase.to });
        break;
      case 'burst':
        phases.push({
          ...common,
          kind: 'burst',
          ratePerSec: phase.rate,
          baseRatePerSec: phase.baseRate,
          onMs: positiveDurationMs(phase.on, `${field}.on`),
          offMs: positiveDurationMs(phase.off, `${field}.off`),
        });
        break;
      case 'closed':
        {
          const thinkTimeMs = parseDurationMs(phase.thinkTime, `${field}.thinkTime`);
          if (thinkTimeMs > MAX_THINK_TIME_MS) throw badInput(`${field}.thinkTime`, `at most ${formatLimitMs(MAX_THINK_TIME_MS)}, got "${phase.thinkTime}"`);
          phases.push({ ...common, kind: 'closed', users: phase.users, thinkTimeMs });
        }
        break;
    }
  });
  if (phases.every((phase) => phase.warmup)) throw badInput(`${source}: phases`, 'every phase is a warm-up: nothing would be measured');
  const totalMs = phases.reduce((sum, phase) => sum + phase.durationMs, 0);
  if (totalMs > MAX_DURATION_MS) throw badInput(`${source}: phases`, `all phases together at most ${formatLimitMs(MAX_DURATION_MS)}, got ${formatLimitMs(totalMs)}`);
  const intervalMs = positiveDurationMs(raw.interval, `${source}: interval`, MAX_INTERVAL_MS, MIN_INTERVAL_MS);
  const intervals = Math.ceil(totalMs / intervalMs);
  if (intervals > MAX_INTERVALS) {
    throw badInput(
      `${source}: interval`,
      `${formatLimitMs(totalMs)} in ${formatLimitMs(intervalMs)} intervals is ${formatLimit(intervals)} intervals, at most ${formatLimit(MAX_INTERVALS)}: use an interval of at least ${formatLimitMs(Math.ceil(totalMs / MAX_INTERVALS / 1000) * 1000)}`,
    );
  }
  return {
    requests,
    phases,
    connections: raw.connections,
    keepAlive: raw.keepAlive,
    seed: raw.seed,
    intervalMs,
  };
}

/** Parses scenario YAML (or JSON, a YAML subset) text. */
export function parseScenarioText(text: string, source: string): Scenario {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw badInput(source, `invalid YAML: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
  return normalizeScenario(document, source);
}

export const totalDurationMs = (scenario: Pick<Scenario, 'phases'>): number => scenario.phases.reduce((sum, phase) => sum + phase.durationMs, 0);
