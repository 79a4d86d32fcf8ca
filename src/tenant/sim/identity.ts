/**
 * How the CCE-era cmdlets resolve a user identity (seed: "SIP address, UPN or Active Directory display
 * name, e.g. "Bob Kelly"; "*Smith" returns every user whose display name ends in Smith").
 */
import type { SimUser } from './state';

export const guidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A `*` pattern (as -like and display-name identities use it) as a case-insensitive RegExp. */
export function likePattern(pattern: string): RegExp {
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${escaped}$`, 'i');
}

/** Every user the identity names; empty when none. Only a `*` pattern can name several. */
export function resolveIdentity(users: readonly SimUser[], identity: string): SimUser[] {
  const id = identity.trim();
  const lower = id.toLowerCase();
  if (guidPattern.test(id)) return users.filter((u) => u.Identity.toLowerCase() === lower);
  if (lower.startsWith('sip:')) return users.filter((u) => u.SipAddress.toLowerCase() === lower);
  if (id.includes('*')) {
    const re = likePattern(id);
    return users.filter((u) => re.test(u.DisplayName));
  }
  if (id.includes('@')) return users.filter((u) => u.UserPrincipalName.toLowerCase() === lower || u.SipAddress.toLowerCase() === `sip:${lower}`);
  return users.filter((u) => u.DisplayName.toLowerCase() === lower || u.Alias.toLowerCase() === lower);
}
