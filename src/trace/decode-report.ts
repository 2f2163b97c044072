/**
 * What a decoder could not use. With a report, a bad span is skipped and counted (the receiver answers
 * with OTLP partial success; a file keeps its good spans); without one, the first bad span is bad input.
 */
import { badInput } from '../core/errors.js';

export interface DecodeReport {
  /** Spans skipped: bad ids, unparseable or implausible times. */
  rejectedSpans: number;
  /** Of those, spans with times after 2100 or ending before they start. */
  implausibleSpans: number;
  /** The first few reasons, for the error message. */
  messages: string[];
}

const MAX_MESSAGES = 5;

export function newDecodeReport(): DecodeReport {
  return { rejectedSpans: 0, implausibleSpans: 0, messages: [] };
}

/** Records a rejected span, or throws bad input when no report collects them. */
export function rejectSpan(report: DecodeReport | undefined, field: string, message: string, implausible = false): void {
  if (report === undefined) throw badInput(field, message);
  report.rejectedSpans++;
  if (implausible) report.implausibleSpans++;
  if (report.messages.length < MAX_MESSAGES) report.messages.push(`${field}: ${message}`);
}

/** One line for the rejected spans: "3 spans rejected (…; …)". */
export function describeRejections(report: DecodeReport): string {
  return `${report.rejectedSpans} span${report.rejectedSpans === 1 ? '' : 's'} rejected (${report.messages.join('; ')}${report.rejectedSpans > report.messages.length ? '; …' : ''})`;
}
