// Substitution variables often come from Secrets. Error texts are written not to quote them (they
// name objects, fields and variables), and this is the safety net over every message a failed
// reconcile reports: Git content, the API server (`Invalid value: "…"`) or a library could still
// echo a value back.

export const REDACTED = '***';

/**
 * Values shorter than this are left alone: replacing `3` or `dev` everywhere would garble every
 * message, and a value that short is no secret.
 */
const MIN_REDACTED_LENGTH = 4;

/** `message` with every occurrence of each value (as is, JSON-escaped, and without a leading YAML indicator) replaced. */
export function redactValues(message: string, values: Iterable<string>): string {
  const forms = new Set<string>();
  for (const value of values) {
    for (const form of [value, JSON.stringify(value).slice(1, -1), value.replace(/^[*&!]+/, '')]) {
      if (form.length >= MIN_REDACTED_LENGTH) forms.add(form);
    }
  }
  // Longest first, so that a value containing another is replaced whole.
  let out = message;
  for (const form of [...forms].sort((a, b) => b.length - a.length)) {
    if (out.includes(form)) out = out.split(form).join(REDACTED);
  }
  return out;
}
