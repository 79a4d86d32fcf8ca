/** Resolves the user an action names to exactly one UPN, or a choice card when several match. */
import type { Action } from '../catalog/action';
import { renderCard } from '../cards/render';
import { Refusal } from '../errors';
import { findUsers } from '../tenant/directory';
import type { TenantPort } from '../tenant/port';
import type { CardJson } from './ports';

const maxChoices = 10;

/** "No user matches "Bob Kelley". Closest: Bob Kelly." */
export function noUserMatches(query: string, closest: readonly string[]): Refusal {
  return new Refusal('user-not-found', `No user matches "${query}".${closest.length ? ` Closest: ${closest.join(', ')}.` : ''}`);
}

export async function resolveUserField(
  tenant: TenantPort,
  action: Action,
  fields: Record<string, unknown>,
): Promise<{ kind: 'one'; upn: string } | { kind: 'choice'; card: CardJson }> {
  const field = action.userField!;
  const query = String(fields[field]);
  const identity = action.input.safeParse({ ...fields, [field]: query });
  if (!identity.success) {
    const issue = identity.error.issues.find((i) => i.path[0] === field);
    if (issue) throw new Refusal('invalid-input', issue.message);
  }
  const match = await findUsers(tenant, query);
  if (match.kind === 'one') return { kind: 'one', upn: match.user.UserPrincipalName };
  if (match.kind === 'none') {
    throw noUserMatches(query, match.closest);
  }
  const others = Object.fromEntries(Object.entries(fields).filter(([k, v]) => k !== field && typeof v === 'string'));
  const users = match.users.slice(0, maxChoices).map((u) => {
    const choice = { action: action.id, ...others, [field]: u.UserPrincipalName };
    return { label: `${u.DisplayName} (${u.UserPrincipalName})`, choice, fallbackChoice: { verb: 'chooseUser', ...choice } };
  });
  return { kind: 'choice', card: renderCard('choose-user', { query, count: match.users.length, users }) };
}
