/**
 * Templated request bodies and gRPC message strings: `{name}` takes the request's value of a var (the same
 * seeded pick as the URL's, see url-template.ts), `{name|base64}` its base64 (etcd's JSON gateway maps
 * bytes to base64), `{value:512KiB}` a generated value of that many bytes (`|base64` works there too).
 * A template compiles once into literal parts and value tables; per request it only picks and joins.
 */
import { badInput } from '../core/errors.js';
import { MAX_BODY_BYTES, formatLimit } from './scenario-limits.js';
import { pickValueIndex, type VarValues } from './url-template.js';

const TOKEN = /\{(?:([A-Za-z_][A-Za-z0-9_]*)|value:([0-9]+(?:\.[0-9]+)?)\s*(B|KB|KiB|MB|MiB)?)(?:\|([A-Za-z0-9]+))?\}/g;
const SIZE_UNITS: Record<string, number> = { B: 1, KB: 1000, KiB: 1024, MB: 1_000_000, MiB: 1024 * 1024 };
const FILTERS = ['base64'] as const;
type Filter = (typeof FILTERS)[number];

/** How inserted text is escaped: `json` when the template is JSON text (a body written as an object). */
export type TemplateEscape = 'none' | 'json';

/** One compiled template: either constant text, or parts joined per request. */
export interface TextTemplate {
  /** Set when the template has no placeholder: the text to send every time. */
  constant?: string;
  /** The text for request `requestNumber` (also defined for constant templates). */
  render(requestNumber: number): string;
  /** When the whole template is one generated value without a filter: its size in bytes (a gRPC bytes field takes the shared buffer). */
  generatedBytes?: number;
  /** Vars the template uses. */
  vars: string[];
  /**
   * Set when the template holds a large literal (a generated value): request `requestNumber`'s body as the
   * shared literal buffers plus its own small pieces, so a 512 KiB value is never copied per request.
   */
  renderChunks?: (requestNumber: number) => RenderedChunks;
}

export interface RenderedChunks {
  chunks: Buffer[];
  bytes: number;
}

/** Literal text from this size on is sent from a shared buffer rather than joined into each request's text. */
const CHUNKED_LITERAL_BYTES = 16 * 1024;

/** Whether a text uses template syntax (a var placeholder or a generated value). */
export const hasTemplateTokens = (text: string): boolean => new RegExp(TOKEN.source).test(text);

/** Names of the var placeholders in a text (generated values excluded). */
export function templateVars(text: string): string[] {
  return [...new Set([...text.matchAll(TOKEN)].flatMap((match) => (match[1] ? [match[1]] : [])))];
}

const generatedText = new Map<number, string>();
const generatedBuffers = new Map<number, Buffer>();
const PATTERN = 'perfloop-value-0123456789abcdefghijklmnopqrstuvwxyz-';

/** A generated value of `bytes` ASCII bytes, built once per size and shared by every request (and template). */
export function generatedValue(bytes: number): string {
  let text = generatedText.get(bytes);
  if (text === undefined) {
    text = PATTERN.repeat(Math.ceil(bytes / PATTERN.length)).slice(0, bytes);
    generatedText.set(bytes, text);
  }
  return text;
}

/** The same generated value as bytes, one buffer per size (gRPC bytes fields send it without a copy per request). */
export function generatedValueBuffer(bytes: number): Buffer {
  let buffer = generatedBuffers.get(bytes);
  if (!buffer) {
    buffer = Buffer.from(generatedValue(bytes), 'latin1');
    generatedBuffers.set(bytes, buffer);
  }
  return buffer;
}

const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const escapeJson = (text: string): string => JSON.stringify(text).slice(1, -1);

type Part = string | { position: number; values: readonly string[] };

/**
 * Compiles `template`. `order` is the request's var order (`templateVarOrder`), `field` names the template in
 * errors; every placeholder must have values in `vars`.
 */
export function compileTextTemplate(template: string, vars: Record<string, VarValues>, order: readonly string[], seed: number, escape: TemplateEscape, field: string): TextTemplate {
  const parts: Part[] = [];
  const used: string[] = [];
  let last = 0;
  let only: number | undefined;
  let tokens = 0;
  const finish = (text: string): string => (escape === 'json' ? escapeJson(text) : text);
  // Tables are built once per (var, filter) and shared by the placeholders that use them.
  const tables = new Map<string, readonly string[]>();
  for (const match of template.matchAll(TOKEN)) {
    const [whole, name, size, unit, filterName] = match;
    const at = match.index;
    if (at > last) parts.push(template.slice(last, at));
    last = at + whole.length;
    tokens++;
    if (filterName !== undefined && !(FILTERS as readonly string[]).includes(filterName)) throw badInput(field, `unknown filter "|${filterName}" in ${whole} (filters: ${FILTERS.join(', ')})`);
    const filter = filterName as Filter | undefined;
    if (name !== undefined) {
      const values = vars[name];
      if (!values?.length) throw badInput(field, `no values for placeholder {${name}} (declare it under vars)`);
      if (!used.includes(name)) used.push(name);
      const key = `${name}|${filter ?? ''}`;
      let table = tables.get(key);
      if (!table) {
        table = values.map((value) => finish(filter === 'base64' ? base64(value) : value));
        tables.set(key, table);
      }
      parts.push({ position: order.indexOf(name), values: table });
    } else {
      const bytes = Math.round(Number(size) * (SIZE_UNITS[unit ?? 'B'] ?? 1));
      if (!(bytes > 0) || bytes > MAX_BODY_BYTES) throw badInput(field, `${whole}: a generated value of 1 byte to ${formatLimit(MAX_BODY_BYTES)} bytes, got ${formatLimit(bytes)}`);
      if (filter === undefined) only = bytes;
      // Base64 and JSON escaping of the pattern are computed once here, not per request.
      parts.push(finish(filter === 'base64' ? base64(generatedValue(bytes)) : generatedValue(bytes)));
    }
  }
  if (last < template.length) parts.push(template.slice(last));
  // Adjacent literals (text around a generated value) become one part: fewer joins, fewer chunks.
  for (let index = parts.length - 1; index > 0; index--) {
    const [before, part] = [parts[index - 1], parts[index]];
    if (typeof before === 'string' && typeof part === 'string') parts.splice(index - 1, 2, before + part);
  }
  const generatedBytes = tokens === 1 && only !== undefined && parts.length === 1 && parts[0] === generatedValue(only) ? only : undefined;
  if (parts.every((part) => typeof part === 'string')) {
    const constant = parts.join('');
    return { constant, render: () => constant, vars: used, ...(generatedBytes === undefined ? {} : { generatedBytes }) };
  }
  const valueOf = (part: Exclude<Part, string>, requestNumber: number): string => part.values[pickValueIndex(seed, part.position, requestNumber, part.values.length)] ?? '';
  const render = (requestNumber: number): string => {
    let text = '';
    for (const part of parts) text += typeof part === 'string' ? part : valueOf(part, requestNumber);
    return text;
  };
  if (!parts.some((part) => typeof part === 'string' && part.length >= CHUNKED_LITERAL_BYTES)) return { render, vars: used };
  const chunkParts = parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'utf8') : part));
  return {
    render,
    vars: used,
    renderChunks: (requestNumber) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      for (const part of chunkParts) {
        const chunk = Buffer.isBuffer(part) ? part : Buffer.from(valueOf(part, requestNumber), 'utf8');
        chunks.push(chunk);
        bytes += chunk.length;
      }
      return { chunks, bytes };
    },
  };
}
