/**
 * Scenarios: what to send (requests, weighted) and when (a load profile made of phases).
 * The YAML/JSON form is validated with zod (unknown fields rejected, every error names its field) and
 * normalised into the `Scenario` type, whose fields carry their units.
 */
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { parse as parseYaml } from 'yaml';
import { badInput } from '../core/errors.js';
import { parseDurationMs } from '../core/units.js';
import { compileTextTemplate, hasTemplateTokens, type TemplateEscape } from './body-template.js';
import { compileMessage, loadGrpcMethod } from './grpc-method.js';
import { checkTemplate, placeholders, templateVarOrder } from './url-template.js';
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
  /** Values of the `{name}` placeholders of the URL, body or gRPC message (see url-template.ts). */
  vars?: Record<string, string[]>;
  /** Set when the body is a template (body-template.ts); `json` escapes inserted values (a body written as an object). */
  bodyTemplate?: TemplateEscape;
  /** A unary gRPC call instead of HTTP; `url` is then `grpc://target/Service/Method`, for display only. */
  grpc?: GrpcCallSpec;
}

/** A unary gRPC call (grpc-transport.ts); `expectStatus` holds gRPC status codes (default [0], OK). */
export interface GrpcCallSpec {
  /** host:port, plaintext. */
  target: string;
  /** Absolute path of the .proto file. */
  proto: string;
  /** Fully qualified: `etcdserverpb.KV`. */
  service: string;
  method: string;
  /** The request message as written (field names as in the .proto; placeholders allowed in strings). */
  message: Record<string, unknown>;
  metadata: Record<string, string>;
  /** HTTP/2 connections per worker; calls are multiplexed on them round-robin. */
  channels: number;
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

const grpcInput = z
  .object({
    target: z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'must be host:port'),
    proto: z.string().min(1),
    service: z.string().min(1),
    method: z.string().min(1),
    message: z.record(z.string(), z.unknown()).default({}),
    metadata: z.record(z.string(), z.string()).default({}),
    channels: z.number().int().positive().max(64, 'at most 64 channels').default(1),
  })
  .strict();

const requestInput = z
  .object({
    name: z.string().min(1).optional(),
    method: z.string().regex(/^[A-Za-z]+$/, 'must be an HTTP method').optional(),
    url: z.string().optional(),
    /** A unary gRPC call instead of `url`. */
    grpc: grpcInput.optional(),
    headers: z.record(z.string(), z.string()).default({}),
    body: z.union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())]).optional(),
    timeout: duration.optional(),
    expect: z.union([z.number().int(), z.array(z.number().int())]).optional(),
    weight: z.number().positive('must be > 0').default(1),
    /** Values for `{name}` placeholders in the URL, body or gRPC message: a list, or an integer range (with an optional prefix: `kv/1`, `kv/2`, …). */
    vars: z
      .record(
        z.string(),
        z.union([
          z.array(z.union([z.string(), z.number()])).min(1),
          z.object({ from: z.number().int(), to: z.number().int(), prefix: z.string().optional() }).strict().refine((range) => range.to >= range.from && range.to - range.from < 1_000_000, 'needs from <= to, at most 1,000,000 values'),
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

/**
 * Validates and normalises a scenario object; `source` prefixes field names in errors (e.g. the file name);
 * relative .proto paths are resolved against `baseDir` (the scenario file's directory).
 */
export function normalizeScenario(input: unknown, source = 'scenario', baseDir = process.cwd()): Scenario {
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
            Array.isArray(values) ? values.map(String) : Array.from({ length: values.to - values.from + 1 }, (_, offset) => `${values.prefix ?? ''}${values.from + offset}`),
          ]),
        )
      : undefined;
    const expect = request.expect === undefined ? [] : Array.isArray(request.expect) ? request.expect : [request.expect];
    if (request.grpc) return normalizeGrpcRequest(request, request.grpc, vars, expect, defaultTimeoutMs, raw.seed, field, baseDir);
    if (request.url === undefined) throw badInput(`${field}.url`, 'a request needs a url (HTTP) or a grpc block');
    const body = request.body === undefined ? undefined : typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
    // A body is a template when the request declares vars or asks for a generated value.
    const bodyTemplate: TemplateEscape | undefined = body !== undefined && hasTemplateTokens(body) && (vars !== undefined || body.includes('{value:')) ? (typeof request.body === 'string' ? 'none' : 'json') : undefined;
    const renderedBody = body !== undefined && bodyTemplate ? compileTextTemplate(body, vars ?? {}, templateVarOrder(request.url, vars ?? {}), raw.seed, bodyTemplate, `${field}.body`) : undefined;
    checkTemplate(request.url, vars ?? {}, field, renderedBody?.vars ?? []);
    // Placeholders are kept verbatim: URL parsing would percent-encode their braces.
    const url = placeholders(request.url).length > 0 ? (validateUrl(request.url.replace(/\{[A-Za-z_][A-Za-z0-9_]*\}/g, 'x'), `${field}.url`), request.url) : validateUrl(request.url, `${field}.url`);
    // A template's size is that of its first request's body.
    const sizedBody = renderedBody ? renderedBody.render(0) : body;
    if (sizedBody !== undefined && byteLength(sizedBody) > MAX_BODY_BYTES) throw badInput(`${field}.body`, `at most ${formatLimit(MAX_BODY_BYTES)} bytes, got ${formatLimit(byteLength(sizedBody))}`);
    const headerBytes = Object.entries(request.headers).reduce((sum, [key, value]) => sum + byteLength(key) + byteLength(value) + 4, 0);
    if (headerBytes > MAX_HEADER_BYTES) throw badInput(`${field}.headers`, `at most ${formatLimit(MAX_HEADER_BYTES)} bytes of headers, got ${formatLimit(headerBytes)}`);
    const headers = { ...request.headers };
    if (body !== undefined && typeof request.body !== 'string' && !Object.keys(headers).some((key) => key.toLowerCase() === 'content-type')) {
      headers['content-type'] = 'application/json';
    }
    const method = request.method ?? 'GET';
    return {
      name: request.name ?? `${method.toUpperCase()} ${pathOf(url)}`,
      method: method.toUpperCase(),
      url,
      headers,
      ...(body === undefined ? {} : { body }),
      timeoutMs: request.timeout === undefined ? defaultTimeoutMs : positiveDurationMs(request.timeout, `${field}.timeout`, MAX_TIMEOUT_MS),
      expectStatus: expect.length > 0 ? expect : [200, 201, 202, 204],
      weight: request.weight,
      ...(vars ? { vars } : {}),
      ...(bodyTemplate ? { bodyTemplate } : {}),
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

type RequestInput = z.output<typeof requestInput>;

/** A request with a `grpc` block: the method is looked up and the message checked against its type now. */
function normalizeGrpcRequest(
  request: RequestInput,
  grpc: z.output<typeof grpcInput>,
  vars: Record<string, string[]> | undefined,
  expect: number[],
  defaultTimeoutMs: number,
  seed: number,
  field: string,
  baseDir: string,
): RequestSpec {
  for (const key of ['url', 'method', 'body'] as const) {
    if (request[key] !== undefined) throw badInput(`${field}.${key}`, key === 'body' ? 'a gRPC request has its message under grpc.message' : `a request has either a url or a grpc block, not both`);
  }
  if (Object.keys(request.headers).length > 0) throw badInput(`${field}.headers`, 'a gRPC request has its metadata under grpc.metadata');
  const grpcField = `${field}.grpc`;
  const port = Number(grpc.target.slice(grpc.target.lastIndexOf(':') + 1));
  if (port < 1 || port > 65535) throw badInput(`${grpcField}.target`, `port must be 1..65535, got ${port}`);
  const proto = isAbsolute(grpc.proto) ? grpc.proto : resolve(baseDir, grpc.proto);
  const method = loadGrpcMethod(proto, grpc.service, grpc.method, grpcField);
  const message = compileMessage(grpc.message, method.requestType, vars, templateVarOrder('', vars ?? {}), seed, `${grpcField}.message`);
  for (const name of Object.keys(vars ?? {})) if (!message.vars.includes(name)) throw badInput(`${field}.vars.${name}`, 'not used in the gRPC message');
  const encodedBytes = message.encode(0).length;
  if (encodedBytes > MAX_BODY_BYTES) throw badInput(`${grpcField}.message`, `at most ${formatLimit(MAX_BODY_BYTES)} bytes encoded, got ${formatLimit(encodedBytes)}`);
  const metadataBytes = Object.entries(grpc.metadata).reduce((sum, [key, value]) => sum + byteLength(key) + byteLength(value) + 4, 0);
  if (metadataBytes > MAX_HEADER_BYTES) throw badInput(`${grpcField}.metadata`, `at most ${formatLimit(MAX_HEADER_BYTES)} bytes of metadata, got ${formatLimit(metadataBytes)}`);
  for (const key of Object.keys(grpc.metadata)) if (!/^[0-9a-z_.-]+$/.test(key) || key.endsWith('-bin')) throw badInput(`${grpcField}.metadata.${key}`, 'metadata keys are lower-case ASCII (0-9 a-z _ . -), text values only');
  for (const code of expect) if (code < 0 || code > 16) throw badInput(`${field}.expect`, `gRPC status codes are 0..16, got ${code}`);
  return {
    name: request.name ?? `${grpc.service}/${grpc.method}`,
    method: 'POST',
    url: `grpc://${grpc.target}${method.path}`,
    headers: {},
    timeoutMs: request.timeout === undefined ? defaultTimeoutMs : positiveDurationMs(request.timeout, `${field}.timeout`, MAX_TIMEOUT_MS),
    expectStatus: expect.length > 0 ? expect : [0],
    weight: request.weight,
    ...(vars ? { vars } : {}),
    grpc: { target: grpc.target, proto, service: grpc.service, method: grpc.method, message: grpc.message, metadata: grpc.metadata, channels: grpc.channels },
  };
}

/** Parses scenario YAML (or JSON, a YAML subset) text; relative .proto paths resolve against `baseDir`. */
export function parseScenarioText(text: string, source: string, baseDir?: string): Scenario {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw badInput(source, `invalid YAML: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
  return normalizeScenario(document, source, baseDir);
}

export const totalDurationMs = (scenario: Pick<Scenario, 'phases'>): number => scenario.phases.reduce((sum, phase) => sum + phase.durationMs, 0);
