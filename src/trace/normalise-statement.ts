/**
 * Normalises a database statement so queries that differ only in literal values group together:
 * string and numeric literals become `?`, IN-lists collapse to `(?)`, whitespace and case of keywords
 * are folded. Bind placeholders ($1, ?, :name) are kept — they already are the normal form.
 */
export function normaliseStatement(statement: string): string {
  // Parameterised statements repeat endlessly; a bounded memo turns the regex passes into one lookup.
  const cached = memo.get(statement);
  if (cached !== undefined) return cached;
  const normalised = normalise(statement);
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(statement, normalised);
  return normalised;
}

const MEMO_LIMIT = 10_000;
const memo = new Map<string, string>();

function normalise(statement: string): string {
  return statement
    .replace(/'(?:[^']|'')*'/g, '?')
    .replace(/"(?:[^"\\]|\\.)*"(?=\s*(?:[,)=<>]|$|\s+(?:and|or)\b))/gi, '?')
    .replace(/(?<![\w$.:])-?\d+(?:\.\d+)?(?:e[+-]?\d+)?\b/gi, '?')
    .replace(/\(\s*\?(?:\s*,\s*\?)*\s*\)/g, '(?)')
    .replace(/\s+/g, ' ')
    .trim();
}

/** True when the statement has bind placeholders, i.e. its text alone does not say which rows it reads. */
export function hasPlaceholders(statement: string): boolean {
  return /\$\d+|\?|(?<![:\w]):[a-z_]\w*/i.test(statement);
}
