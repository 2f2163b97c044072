/**
 * `--profile NAME=URL` targets: a Go pprof base (`http://host:port/debug/pprof`) or a Node inspector
 * (`inspector://host:port`, a process started with `--inspect=host:port`).
 */
import { badInput } from '../core/errors.js';

export type ProfileTarget = { kind: 'pprof'; baseUrl: string } | { kind: 'inspector'; host: string; port: number };

export function parseProfileTarget(text: string, flag: string): ProfileTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw badInput(flag, `not a URL: "${text}" (http://host:port/debug/pprof or inspector://host:port)`);
  }
  if (url.protocol === 'inspector:') {
    const port = Number(url.port);
    if (!url.hostname || !Number.isInteger(port) || port <= 0) throw badInput(flag, `inspector URL needs host and port, got "${text}"`);
    return { kind: 'inspector', host: url.hostname, port };
  }
  if (url.protocol === 'http:' || url.protocol === 'https:') return { kind: 'pprof', baseUrl: url.href.replace(/\/+$/, '') };
  throw badInput(flag, `expected http://host:port/debug/pprof or inspector://host:port, got "${text}"`);
}

export function describeTarget(target: ProfileTarget): string {
  return target.kind === 'pprof' ? target.baseUrl : `inspector://${target.host}:${target.port}`;
}
