/**
 * The command grammar: every command's patterns over the normalized text. A command must match exactly
 * one entry; more than one is a defect in the catalog (a test guards it) and is refused, never resolved
 * by order. What admins type is forgiven: @mentions, spacing, trailing commas and full stops.
 */
import type { Command } from '../catalog/command';
import { distance } from '../tenant/directory';

export type ParsedCommand =
  | { kind: 'command'; command: Command; args: Record<string, string> }
  | { kind: 'unknown'; suggestion?: Command }
  | { kind: 'ambiguous'; candidates: string[] };

/** Collapses whitespace, drops a leading @mention left as text and trailing sentence punctuation. */
export function normalize(text: string): string {
  return text
    .replace(/<at>[^<]*<\/at>/gi, ' ')
    .replace(/\u00a0/g, ' ')
    .trim()
    .replace(/^@\S+\s+/, '')
    .replace(/[\s.,;:!]+$/, '')
    .replace(/\s+/g, ' ')
    .trim();
}

function groups(m: RegExpExecArray): Record<string, string> {
  return Object.fromEntries(
    Object.entries(m.groups ?? {})
      .filter((e): e is [string, string] => typeof e[1] === 'string')
      .map(([k, v]) => [k, v.trim().replace(/[,;]+$/, '')] as [string, string])
      .filter(([, v]) => v !== ''),
  );
}

export function parseCommand(text: string, commands: readonly Command[]): ParsedCommand {
  const t = normalize(text);
  const hits: { command: Command; args: Record<string, string> }[] = [];
  for (const c of commands) {
    for (const p of c.patterns) {
      const m = p.exec(t);
      if (m) {
        hits.push({ command: c, args: groups(m) });
        break;
      }
    }
  }
  if (hits.length === 1) return { kind: 'command', ...hits[0]! };
  if (hits.length > 1) return { kind: 'ambiguous', candidates: hits.map((h) => h.command.id) };
  const suggestion = suggest(t, commands);
  return suggestion ? { kind: 'unknown', suggestion } : { kind: 'unknown' };
}

/** The command whose first (literal) words are closest to what was typed. */
function suggest(text: string, commands: readonly Command[]): Command | undefined {
  const head = (s: string, n: number) => s.toLowerCase().split(' ').slice(0, n).join(' ');
  let best: { command: Command; d: number } | undefined;
  for (const c of commands) {
    const literal = c.usage.split(' ').filter((w) => !w.startsWith('<') && !w.startsWith('[')).map((w) => w.split('|')[0]!);
    const n = Math.min(literal.length, 3);
    const d = distance(head(text, n), literal.slice(0, n).join(' ').toLowerCase());
    if (!best || d < best.d) best = { command: c, d };
  }
  return best && best.d <= 3 ? best.command : undefined;
}
