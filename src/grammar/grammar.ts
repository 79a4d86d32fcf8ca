/**
 * The command grammar: built-in commands plus every action's patterns. A command must match exactly one
 * entry; more than one is a defect in the catalog (a test guards it) and is refused, never resolved by order.
 */
import type { Action } from '../catalog/action';
import { distance } from '../tenant/directory';

export interface BuiltinCommand {
  name: 'help' | 'status' | 'pending' | 'history';
  usage: string;
  summary: string;
  examples: string[];
  patterns: RegExp[];
}

export const builtins: readonly BuiltinCommand[] = [
  { name: 'help', usage: 'help', summary: 'Show what I can do.', examples: ['help', 'Help'], patterns: [/^(?:help|\?)$/i] },
  { name: 'status', usage: 'status <user>', summary: 'Show a user\'s voice settings as the tenant reports them.', examples: ['status Bob Kelly', 'status bob.kelly@contoso.com'], patterns: [/^status\s+(?<user>.+)$/i] },
  { name: 'pending', usage: 'pending', summary: 'List requests waiting for approval.', examples: ['pending'], patterns: [/^pending$/i] },
  { name: 'history', usage: 'history [<user>]', summary: 'Show the audit log, for everyone or one user.', examples: ['history', 'history bob.kelly@contoso.com'], patterns: [/^history(?:\s+(?<user>.+))?$/i] },
];

export type ParsedCommand =
  | { kind: 'builtin'; name: BuiltinCommand['name']; args: Record<string, string> }
  | { kind: 'action'; action: Action; args: Record<string, string> }
  | { kind: 'unknown'; suggestion?: string }
  | { kind: 'ambiguous'; candidates: string[] };

/** Collapses whitespace, drops a leading @mention left as text and trailing sentence punctuation. */
export function normalize(text: string): string {
  return text
    .replace(/<at>[^<]*<\/at>/gi, ' ')
    .replace(/\u00a0/g, ' ')
    .trim()
    .replace(/^@\S+\s+/, '')
    .replace(/[.!]+$/, '')
    .replace(/\s+/g, ' ')
    .trim();
}

function groups(m: RegExpExecArray): Record<string, string> {
  return Object.fromEntries(Object.entries(m.groups ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string').map(([k, v]) => [k, v.trim()]));
}

export function parseCommand(text: string, actions: readonly Action[]): ParsedCommand {
  const t = normalize(text);
  const hits: ParsedCommand[] = [];
  for (const b of builtins) {
    for (const p of b.patterns) {
      const m = p.exec(t);
      if (m) hits.push({ kind: 'builtin', name: b.name, args: groups(m) });
    }
  }
  for (const a of actions) {
    for (const p of a.patterns) {
      const m = p.exec(t);
      if (m) hits.push({ kind: 'action', action: a, args: groups(m) });
    }
  }
  if (hits.length === 1) return hits[0]!;
  if (hits.length > 1) return { kind: 'ambiguous', candidates: hits.map((h) => (h.kind === 'action' ? h.action.id : h.kind === 'builtin' ? h.name : '')) };
  return { kind: 'unknown', ...suggest(t, actions) };
}

/** The usage line whose first words are closest to what was typed. */
function suggest(text: string, actions: readonly Action[]): { suggestion?: string } {
  const usages = [...builtins.map((b) => b.usage), ...actions.map((a) => a.usage)];
  const head = (s: string, n: number) => s.toLowerCase().split(' ').slice(0, n).join(' ');
  let best: { usage: string; d: number } | undefined;
  for (const u of usages) {
    const n = u.split(' ').filter((w) => !w.startsWith('<') && !w.startsWith('[')).length;
    const d = distance(head(text, n), head(u, n));
    if (!best || d < best.d) best = { usage: u, d };
  }
  return best && best.d <= 3 ? { suggestion: best.usage } : {};
}
