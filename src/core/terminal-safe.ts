/**
 * Escaping for terminal output. Service, request and span names come from scenario files and from spans
 * anyone on the network may send; raw, an ESC or OSC sequence in one could set the terminal title, move the
 * cursor or hide lines. Every terminal renderer passes names (or whole rendered text) through here; the HTML
 * report has its own escaping.
 */

// C0 controls (but tab and newline, which the renderers use themselves), DEL, C1 controls, and the Unicode
// line/paragraph separators and bidi overrides that reorder what a terminal shows.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex
const UNSAFE_IN_NAME = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const escape = (character: string): string => {
  const code = character.charCodeAt(0);
  if (code === 0x1b) return '\\e';
  if (code === 0x0d) return '\\r';
  if (code === 0x0a) return '\\n';
  if (code === 0x09) return '\\t';
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
};

/** Escapes control characters in rendered text (keeps the tabs and newlines that lay it out). */
export const terminalSafe = (text: string): string => text.replace(UNSAFE, escape);

/** Escapes every control character in one name, newlines and tabs too (a name is one line). */
export const terminalSafeName = (name: string): string => name.replace(UNSAFE_IN_NAME, escape);
