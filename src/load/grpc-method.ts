/**
 * A unary gRPC method from a .proto file, and the request message a scenario writes for it as YAML/JSON.
 * Everything is checked when the scenario is read (file readable, service and method exist, every message
 * field exists with a value of its type) so a bad scenario fails before any load with the field named.
 * protobufjs parses the file, reflects the types for those checks and encodes the messages; @grpc/grpc-js
 * (grpc-transport.ts) sends the bytes.
 */
import { existsSync } from 'node:fs';
import protobuf from 'protobufjs';
import { badInput } from '../core/errors.js';
import { compileTextTemplate, generatedValueBuffer, hasTemplateTokens, type TextTemplate } from './body-template.js';
import type { VarValues } from './url-template.js';

export interface GrpcMethod {
  /** The HTTP/2 path of the call: `/package.Service/Method`. */
  path: string;
  requestType: protobuf.Type;
}

const loaded = new Map<string, protobuf.Root>();

/** Parses (once per file and thread) and resolves a .proto file; field names stay as written in it. */
function loadRoot(protoPath: string, field: string): protobuf.Root {
  let root = loaded.get(protoPath);
  if (root) return root;
  if (!existsSync(protoPath)) throw badInput(`${field}.proto`, `cannot read "${protoPath}"`);
  try {
    root = new protobuf.Root().loadSync(protoPath, { keepCase: true });
    root.resolveAll();
  } catch (error) {
    throw badInput(`${field}.proto`, `cannot parse "${protoPath}": ${error instanceof Error ? error.message : String(error)}`);
  }
  loaded.set(protoPath, root);
  return root;
}

function servicesIn(namespace: protobuf.NamespaceBase): string[] {
  return namespace.nestedArray.flatMap((nested) => (nested instanceof protobuf.Service ? [nested.fullName.slice(1)] : nested instanceof protobuf.Namespace ? servicesIn(nested) : []));
}

/** Finds `service`.`method` in `protoPath`; `field` is the scenario path of the grpc block. */
export function loadGrpcMethod(protoPath: string, serviceName: string, methodName: string, field: string): GrpcMethod {
  const root = loadRoot(protoPath, field);
  const service = root.lookup(serviceName);
  if (!(service instanceof protobuf.Service)) throw badInput(`${field}.service`, `no service "${serviceName}" in ${protoPath} (services: ${servicesIn(root).join(', ') || 'none'})`);
  const method = service.methods[methodName];
  if (!method) throw badInput(`${field}.method`, `no method "${methodName}" in ${serviceName} (methods: ${Object.keys(service.methods).join(', ')})`);
  if (method.requestStream || method.responseStream) throw badInput(`${field}.method`, `${serviceName}.${methodName} streams; only unary methods are supported`);
  method.resolve();
  if (!method.resolvedRequestType) throw badInput(`${field}.method`, `cannot resolve the request type of ${serviceName}.${methodName}`);
  return { path: `/${service.fullName.slice(1)}/${methodName}`, requestType: method.resolvedRequestType };
}

/** A compiled message part: the same value for every request, or one built per request. */
type Compiled = { constant: true; value: unknown } | { constant: false; build: (requestNumber: number) => unknown };

interface TemplateContext {
  /** As for HTTP bodies: strings are templates when the request declares vars, or for `{value:…}`. */
  templating: boolean;
  vars: Record<string, VarValues>;
  order: readonly string[];
  seed: number;
  used: Set<string>;
}

const INTEGER_TYPES = new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32']);
const LONG_TYPES = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const FLOAT_TYPES = new Set(['double', 'float']);
const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const camel = (name: string): string => name.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());

/** Converts one rendered scalar to the field's type; `undefined` when it cannot be one. */
function scalarOf(text: string, type: string): unknown {
  if (type === 'string') return text;
  if (type === 'bool') return text === 'true' ? true : text === 'false' ? false : undefined;
  if (INTEGER_TYPES.has(type)) return /^-?\d+$/.test(text) && Number.isSafeInteger(Number(text)) ? Number(text) : undefined;
  // 64-bit integers stay decimal strings: protobufjs encodes them without losing precision.
  if (LONG_TYPES.has(type)) return /^-?\d+$/.test(text) ? text : undefined;
  if (FLOAT_TYPES.has(type)) return text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : undefined;
  return undefined;
}

function compileScalar(value: unknown, field: protobuf.Field, path: string, context: TemplateContext): Compiled {
  const expected = field.resolvedType instanceof protobuf.Enum ? `one of ${Object.keys(field.resolvedType.values).join(', ')}` : field.type;
  if (field.resolvedType instanceof protobuf.Enum) {
    const values = field.resolvedType.values;
    if ((typeof value === 'string' && value in values) || (typeof value === 'number' && Number.isInteger(value))) return { constant: true, value };
    throw badInput(path, `expected ${expected}, got ${JSON.stringify(value)}`);
  }
  if (typeof value === 'boolean' || typeof value === 'number') {
    const converted = scalarOf(String(value), field.type);
    if (converted === undefined || (field.type === 'bool') !== (typeof value === 'boolean')) throw badInput(path, `expected ${expected}, got ${JSON.stringify(value)}`);
    return { constant: true, value: converted };
  }
  if (typeof value !== 'string') throw badInput(path, `expected ${expected}, got ${value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value}`);
  const templated = hasTemplateTokens(value) && (context.templating || value.includes('{value:'));
  const template: TextTemplate = templated ? compileTextTemplate(value, context.vars, context.order, context.seed, 'none', path) : { constant: value, render: () => value, vars: [] };
  for (const name of template.vars) context.used.add(name);
  if (field.type === 'bytes') {
    // Bytes written as text are its UTF-8 bytes (a key "user-7"), not base64; a generated value is one shared buffer.
    if (template.generatedBytes !== undefined) return { constant: true, value: generatedValueBuffer(template.generatedBytes) };
    if (template.constant !== undefined) return { constant: true, value: Buffer.from(template.constant, 'utf8') };
    return { constant: false, build: (requestNumber) => Buffer.from(template.render(requestNumber), 'utf8') };
  }
  const sample = scalarOf(template.render(0), field.type);
  if (sample === undefined) throw badInput(path, `expected ${expected}, got ${JSON.stringify(template.render(0))}`);
  if (template.constant !== undefined) return { constant: true, value: sample };
  const type = field.type;
  return { constant: false, build: (requestNumber) => scalarOf(template.render(requestNumber), type) };
}

function compileValue(value: unknown, field: protobuf.Field, path: string, context: TemplateContext): Compiled {
  if (field.resolvedType instanceof protobuf.Type) {
    if (!isPlainObject(value)) throw badInput(path, `expected a ${field.resolvedType.name} message (an object)`);
    return compileObject(value, field.resolvedType, path, context);
  }
  return compileScalar(value, field, path, context);
}

function compileObject(template: Record<string, unknown>, type: protobuf.Type, path: string, context: TemplateContext): Compiled {
  const entries: [string, Compiled][] = [];
  const fields = Object.values(type.fields);
  for (const [key, value] of Object.entries(template)) {
    const field = type.fields[key] ?? fields.find((candidate) => camel(candidate.name) === key);
    const at = `${path}.${key}`;
    if (!field) throw badInput(at, `no field "${key}" in ${type.fullName.slice(1)} (fields: ${fields.map((candidate) => candidate.name).join(', ')})`);
    let compiled: Compiled;
    if (field.map) {
      if (!isPlainObject(value)) throw badInput(at, 'expected a map (an object)');
      compiled = compileEntries(Object.entries(value).map(([mapKey, item]) => [mapKey, compileValue(item, field, `${at}.${mapKey}`, context)]), false);
    } else if (field.repeated) {
      if (!Array.isArray(value)) throw badInput(at, `expected a list of ${field.type}`);
      compiled = compileEntries(value.map((item: unknown, index) => [String(index), compileValue(item, field, `${at}.${index}`, context)]), true);
    } else compiled = compileValue(value, field, at, context);
    entries.push([field.name, compiled]);
  }
  return compileEntries(entries, false);
}

/** An object (or list) whose constant members are shared and whose templated members are built per request. */
function compileEntries(entries: [string, Compiled][], asList: boolean): Compiled {
  if (entries.every(([, compiled]) => compiled.constant)) {
    const values = entries.map(([key, compiled]) => [key, compiled.constant ? compiled.value : undefined] as const);
    return { constant: true, value: asList ? values.map(([, value]) => value) : Object.fromEntries(values) };
  }
  if (asList) {
    return { constant: false, build: (requestNumber) => entries.map(([, compiled]) => (compiled.constant ? compiled.value : compiled.build(requestNumber))) };
  }
  return {
    constant: false,
    build: (requestNumber) => {
      const object: Record<string, unknown> = {};
      for (const [key, compiled] of entries) object[key] = compiled.constant ? compiled.value : compiled.build(requestNumber);
      return object;
    },
  };
}

export interface CompiledMessage {
  /** The encoded message when no field is templated: encoded once, sent as is. */
  constant?: Buffer;
  /** The encoded message of request `requestNumber`. */
  encode(requestNumber: number): Buffer;
  /** Vars the message uses. */
  vars: string[];
}

const toBuffer = (bytes: Uint8Array): Buffer => (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));

/**
 * Checks `template` against the request type and compiles it; `path` is the scenario path of the message
 * (`scenario.yaml: requests.0.grpc.message`). Encoding request 0 is part of the check.
 */
export function compileMessage(template: Record<string, unknown>, type: protobuf.Type, vars: Record<string, VarValues> | undefined, order: readonly string[], seed: number, path: string): CompiledMessage {
  const context: TemplateContext = { templating: vars !== undefined, vars: vars ?? {}, order, seed, used: new Set() };
  const compiled = compileObject(template, type, path, context);
  const encodeObject = (object: unknown): Buffer => toBuffer(type.encode(type.fromObject(object as Record<string, unknown>)).finish());
  let first: Buffer;
  try {
    first = encodeObject(compiled.constant ? compiled.value : compiled.build(0));
  } catch (error) {
    throw badInput(path, `cannot encode as ${type.fullName.slice(1)}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (compiled.constant) return { constant: first, encode: () => first, vars: [...context.used] };
  const build = compiled.build;
  return { encode: (requestNumber) => encodeObject(build(requestNumber)), vars: [...context.used] };
}
