/**
 * Renders a cmdlet call as the PowerShell line an admin would type. Used for the plan shown before
 * approval and for the audit log. The PowerShell backend does not execute this text: it passes values
 * as data (see powershell/script.ts), so this rendering only has to be faithful, and it is also safe.
 */
import type { CmdletCall } from './cmdlets';

/** PowerShell treats ' and the curly quotes U+2018..U+201B alike inside single-quoted strings; each is doubled. */
export function psQuote(value: string): string {
  return `'${value.replace(/['\u2018\u2019\u201A\u201B]/g, (q) => q + q)}'`;
}

const controlChars = /[\u0000-\u001f\u007f\u0085\u2028\u2029]/;

/**
 * A string with control characters renders as a double-quoted string with backtick escapes, so an
 * audit line or card never carries a raw line break or NUL; `$`, backticks and every double-quote
 * form PowerShell knows are escaped so the text still reads as the same literal.
 */
function psEscapedDoubleQuoted(value: string): string {
  const named: Record<string, string> = { '\0': '`0', '\n': '`n', '\r': '`r', '\t': '`t', '\u0007': '`a', '\b': '`b', '\f': '`f', '\v': '`v', '\u001b': '`e' };
  const body = value.replace(/[`$"\u201C\u201D\u201E]|[\u0000-\u001f\u007f\u0085\u2028\u2029]/g, (c) => {
    if (named[c]) return named[c]!;
    if (controlChars.test(c)) return `\`u{${c.codePointAt(0)!.toString(16).toUpperCase()}}`;
    return `\`${c}`;
  });
  return `"${body}"`;
}

export function psValue(value: unknown): string {
  if (value === null || value === undefined) return '$null';
  if (typeof value === 'boolean') return value ? '$true' : '$false';
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return `@(${value.map(psValue).join(', ')})`;
  // A list modifier such as -Usage @{Add='US and Canada'}: keys come from the allow-list's schema, never from input.
  if (typeof value === 'object') return `@{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${k}=${psValue(v)}`).join('; ')}}`;
  const text = String(value);
  return controlChars.test(text) ? psEscapedDoubleQuoted(text) : psQuote(text);
}

export function renderCall(c: CmdletCall): string {
  const parts: string[] = [c.cmdlet];
  for (const [name, value] of Object.entries(c.params as Record<string, unknown>)) {
    if (value === undefined) continue;
    parts.push(`-${name} ${psValue(value)}`);
  }
  return parts.join(' ');
}
