/** Parses a latency SLO such as `p99<200ms` (and an error-rate limit) for the knee search. */
import { badInput } from '../core/errors.js';
import { msToUs, parseDurationMs } from '../core/units.js';
import type { Slo } from './sweep-file.js';

/** `p99<200ms`, `p99 < 0.2s`, `p99<=200ms`. Only p99 is supported: the knee is defined on the tail. */
export function parseSlo(text: string, maxErrorRate: number, field = '--slo'): Slo {
  const match = /^\s*p99\s*<=?\s*(\S+)\s*$/i.exec(text);
  if (!match?.[1]) throw badInput(field, `expected an SLO like "p99<200ms", got "${text}"`);
  const p99MaxUs = msToUs(parseDurationMs(match[1], field));
  if (!(p99MaxUs > 0)) throw badInput(field, 'the latency limit must be above 0');
  if (!(maxErrorRate >= 0 && maxErrorRate <= 1)) throw badInput('--max-error-rate', `must be between 0% and 100%, got ${maxErrorRate}`);
  return { p99MaxUs, maxErrorRate, text: text.trim() };
}

/** Whether a step's p99 and error rate meet the SLO. */
export const meetsSlo = (slo: Slo, step: { p99Us: number; errorRate: number; count: number }): boolean =>
  step.count > 0 && step.p99Us <= slo.p99MaxUs && step.errorRate <= slo.maxErrorRate;
