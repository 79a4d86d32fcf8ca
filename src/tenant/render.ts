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

export function psValue(value: unknown): string {
  if (value === null || value === undefined) return '$null';
  if (typeof value === 'boolean') return value ? '$true' : '$false';
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return `@(${value.map(psValue).join(', ')})`;
  return psQuote(String(value));
}

export function renderCall(c: CmdletCall): string {
  const parts: string[] = [c.cmdlet];
  for (const [name, value] of Object.entries(c.params as Record<string, unknown>)) {
    if (value === undefined) continue;
    parts.push(`-${name} ${psValue(value)}`);
  }
  return parts.join(' ');
}
