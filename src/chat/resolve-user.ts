/** Resolves the user a command names to exactly one UPN, or a choice card when several match. */
import { renderCard } from '../cards/render';
import type { Command } from '../catalog/command';
import { Refusal } from '../errors';
import type { CardJson } from '../model/people';
import { findUsers, firstUserRead } from '../tenant/directory';
import type { TenantPort } from '../tenant/port';
import { ReadCache } from '../tenant/read-cache';

const maxChoices = 10;

/** "No user matches "Bob Kelley". Closest: Bob Kelly." */
export function noUserMatches(query: string, closest: readonly string[]): Refusal {
  return new Refusal('user-not-found', `No user matches "${query}".${closest.length ? ` Closest: ${closest.join(', ')}.` : ''}`);
}

export async function resolveUserField(
  tenant: TenantPort,
  command: Command,
  fields: Record<string, unknown>,
): Promise<{ kind: 'one'; upn: string } | { kind: 'choice'; card: CardJson; count: number }> {
  const field = command.userField!;
  const query = String(fields[field]);
  const identity = command.input.safeParse({ ...fields, [field]: query });
  if (!identity.success) {
    const issue = identity.error.issues.find((i) => i.path[0] === field);
    if (issue) throw new Refusal('invalid-input', issue.message);
  }
  // The reads the command makes whoever the user is go with the lookup: on PowerShell, one round trip for them all.
  const ahead = identity.success ? (command.reads?.(identity.data) ?? []) : [];
  if (ahead.length > 0 && tenant instanceof ReadCache) await tenant.prefetch([firstUserRead(query), ...ahead]);
  const match = await findUsers(tenant, query);
  if (match.kind === 'one') {
    // The command reads this user again by UPN: answered from the lookup just made.
    if (tenant instanceof ReadCache) tenant.prime('Get-CsOnlineUser', { Identity: match.user.UserPrincipalName }, [match.user]);
    return { kind: 'one', upn: match.user.UserPrincipalName };
  }
  if (match.kind === 'none') throw noUserMatches(query, match.closest);
  const others = Object.fromEntries(Object.entries(fields).filter(([k, v]) => k !== field && typeof v === 'string'));
  const users = match.users.slice(0, maxChoices).map((u) => {
    const choice = { action: command.id, ...others, [field]: u.UserPrincipalName };
    return { label: `${u.DisplayName} (${u.UserPrincipalName})`, choice, fallbackChoice: { verb: 'chooseUser', ...choice } };
  });
  const more = match.users.length > maxChoices ? ` Showing the first ${maxChoices}; narrow it with more of the name, a UPN, or a pattern such as "Bob K*".` : ' Pick one, or type a UPN.';
  return { kind: 'choice', count: match.users.length, card: renderCard('choose-user', { query, count: match.users.length, hint: more.trim(), users }) };
}
