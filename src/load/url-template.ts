/**
 * Parameterised URLs: `http://host/orders/{id}?customer={customer}` with a list or range of values per
 * variable. Each request's values are picked by a stateless hash of (seed, request number), so every
 * segment and worker picks the same values for the same request and runs stay reproducible.
 */
import { badInput } from '../core/errors.js';
import { hashUniform } from './random.js';

export type VarValues = readonly string[];

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** The scheme://host:port prefix of a URL as written (placeholders never appear in it). */
export const originPrefix = (url: string): string => /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(url)?.[0] ?? '';

/** Names of the placeholders in a URL, in order of first appearance. */
export function placeholders(url: string): string[] {
  return [...new Set([...url.matchAll(PLACEHOLDER)].map((match) => match[1] ?? ''))];
}

/**
 * Checks that placeholders sit in the path or query only and that each has values. `usedElsewhere` are the
 * vars a body or gRPC message uses; a var used nowhere is an error (a typo would otherwise go unnoticed).
 */
export function checkTemplate(url: string, vars: Record<string, VarValues>, field: string, usedElsewhere: readonly string[] = []): void {
  const names = placeholders(url);
  const originEnd = url.indexOf('/', url.indexOf('//') + 2);
  if (url.slice(0, originEnd === -1 ? url.length : originEnd).includes('{')) throw badInput(`${field}.url`, 'placeholders may only appear in the path or query, not the host');
  for (const name of names) if (!vars[name]?.length) throw badInput(`${field}.vars`, `no values for placeholder {${name}}`);
  for (const name of Object.keys(vars)) if (!names.includes(name) && !usedElsewhere.includes(name)) throw badInput(`${field}.vars.${name}`, usedElsewhere.length > 0 ? 'not used in the URL or body' : `not used in the URL`);
}

/**
 * The order that gives each var its own pick stream: the URL's placeholders first (as they always were, so
 * URL picks are unchanged), then the request's other vars as declared. A var's position — not where it
 * appears — decides its value, so `{key}` in the URL and in the body of one request agree.
 */
export const templateVarOrder = (url: string, vars: Record<string, VarValues>): string[] => [...new Set([...placeholders(url), ...Object.keys(vars)])];

/** Index of the value of the var at `position` (in `templateVarOrder`) for request `requestNumber`. */
export const pickValueIndex = (seed: number, position: number, requestNumber: number, count: number): number => Math.floor(hashUniform(seed + 7919 * position, requestNumber) * count);

/** Compiles a path template into a renderer: request number → concrete path. */
export function compilePathTemplate(pathTemplate: string, vars: Record<string, VarValues>, seed: number): ((requestNumber: number) => string) | undefined {
  const names = placeholders(pathTemplate);
  if (names.length === 0) return undefined;
  const parts = pathTemplate.split(PLACEHOLDER);
  // split() with a capture group alternates literal text and placeholder names.
  return (requestNumber) => {
    let path = '';
    for (let index = 0; index < parts.length; index++) {
      const part = parts[index] ?? '';
      if (index % 2 === 0) path += part;
      else {
        const values = vars[part] ?? [''];
        const pick = pickValueIndex(seed, names.indexOf(part), requestNumber, values.length);
        path += encodeURIComponent(values[pick] ?? '');
      }
    }
    return path;
  };
}
