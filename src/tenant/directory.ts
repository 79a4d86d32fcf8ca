/**
 * Finding the user an operator means: an exact UPN, SIP address or display name; a `*` pattern on
 * display names; or, failing those, the display names that contain every word typed. When nothing
 * matches, the closest display names are offered.
 */
import { call, type CmdletCall, type OnlineUser } from './cmdlets';
import { TenantError, type TenantPort } from './port';

export type UserMatch =
  | { kind: 'one'; user: OnlineUser }
  | { kind: 'many'; users: OnlineUser[] }
  | { kind: 'none'; closest: string[] };

/** OPATH filter literals double their single quotes; the value stays data for the filter parser. */
export function filterLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

const addressLike = /^(sip:)?[^\s@]+@[^\s@]+$|^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The reads a query takes: an address by -Identity, a pattern or a name by -Filter, and for a name that is
 * not exact, the display names that contain every word typed.
 */
function lookup(query: string): { first: CmdletCall<'Get-CsOnlineUser'>; widen?: CmdletCall<'Get-CsOnlineUser'> } {
  const q = query.trim();
  if (addressLike.test(q)) return { first: exactUserRead(q) };
  if (q.includes('*')) return { first: byFilter(`DisplayName -like ${filterLiteral(q)}`) };
  const first = exactUserRead(q);
  const words = q.split(/\s+/).filter(Boolean);
  return {
    first,
    widen: byFilter(words.map((w) => `DisplayName -like ${filterLiteral(`*${w.replace(/\*/g, '')}*`)}`).join(' -and ')),
  };
}

/**
 * The read of exactly the users a text names: an address (UPN, SIP address, object id) by -Identity, anything
 * else as a whole display name (-eq; a `*` in it is a character, not a pattern). A batch row reads this only.
 */
export function exactUserRead(query: string): CmdletCall<'Get-CsOnlineUser'> {
  const q = query.trim();
  return addressLike.test(q) ? call('Get-CsOnlineUser', { Identity: q }) : byFilter(`DisplayName -eq ${filterLiteral(q)}`);
}

/** The read findUsers makes first for a query (often the only one), so it can be made ahead with others (ReadCache.prefetch). */
export function firstUserRead(query: string): CmdletCall<'Get-CsOnlineUser'> {
  return lookup(query).first;
}

function byFilter(filter: string): CmdletCall<'Get-CsOnlineUser'> {
  return call('Get-CsOnlineUser', { Filter: filter, ResultSize: 50 });
}

/** The users a read finds; an identity that does not exist finds none. */
export async function readUsers(tenant: TenantPort, { params }: CmdletCall<'Get-CsOnlineUser'>): Promise<OnlineUser[]> {
  try {
    return (await tenant.run('Get-CsOnlineUser', params)).output;
  } catch (err) {
    if (params.Identity !== undefined && err instanceof TenantError && err.kind === 'not-found') return [];
    throw err;
  }
}

export async function findUsers(tenant: TenantPort, query: string): Promise<UserMatch> {
  const q = query.trim();
  const { first, widen } = lookup(q);
  let users = await readUsers(tenant, first);
  if (users.length === 0 && widen) users = await readUsers(tenant, widen);
  if (users.length === 1) return { kind: 'one', user: users[0]! };
  if (users.length > 1) return { kind: 'many', users };
  return { kind: 'none', closest: await closestNames(tenant, q) };
}

/** Levenshtein distance, case-insensitive. */
export function distance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let prev = Array.from({ length: t.length + 1 }, (_, i) => i);
  for (let i = 1; i <= s.length; i++) {
    const cur = [i];
    for (let j = 1; j <= t.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (s[i - 1] === t[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[t.length]!;
}

/** The closest display names in the first 2,000 users of the directory (bounded for large tenants). */
async function closestNames(tenant: TenantPort, query: string, count = 3): Promise<string[]> {
  const q = query.replace(/\*/g, '').toLowerCase();
  if (!q) return [];
  const all = (await tenant.run('Get-CsOnlineUser', { ResultSize: 2000 })).output;
  const score = (u: OnlineUser) =>
    Math.min(distance(q, u.DisplayName), ...u.DisplayName.split(/\s+/).map((w) => distance(q, w) + 1), distance(q, u.UserPrincipalName.split('@')[0] ?? ''));
  return all
    .map((u) => ({ name: u.DisplayName, score: score(u) }))
    .filter((c) => c.score <= Math.max(2, Math.floor(q.length / 2)))
    .sort((a, b) => a.score - b.score || a.name.localeCompare(b.name))
    .slice(0, count)
    .map((c) => c.name);
}
