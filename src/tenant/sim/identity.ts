/**
 * How the CCE-era cmdlets read an identity (seed: "SIP address, UPN or Active Directory display
 * name, e.g. "Bob Kelly"; "*Smith" returns every user whose display name ends in Smith"). The lookup
 * itself is SimStore.resolve (store.ts), over the indexes.
 */

export const guidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A `*` pattern (as -like and display-name identities use it) as a case-insensitive RegExp. */
export function likePattern(pattern: string): RegExp {
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${escaped}$`, 'i');
}
