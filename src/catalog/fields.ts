/** Input fields shared by actions: a user identity and a phone number, validated where they enter. */
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { z } from 'zod';
import { Refusal } from '../errors';
import type { OnlineUser } from '../tenant/cmdlets';
import type { ActionContext } from './action';
import type { VerificationItem } from '../workflow/request';

/** A UPN, SIP address, display name or `*` pattern. Control characters never belong in one. */
export const UserIdentity = z
  .string({ error: 'Tell me which user: a UPN, SIP address or display name.' })
  .trim()
  .min(1, 'Tell me which user: a UPN, SIP address or display name.')
  .max(256, 'A user name is at most 256 characters.')
  .refine((v) => !/[\u0000-\u001f\u007f\u2028\u2029]/.test(v), 'A user name cannot contain line breaks or control characters.');

/** A phone number in E.164 (+ country code), stored as the tel: URI the cmdlets take. */
export const TelUri = z
  .string({ error: 'Give a phone number in E.164 form, e.g. +14255550100.' })
  .trim()
  .min(1, 'Give a phone number in E.164 form, e.g. +14255550100.')
  .max(40, 'That phone number is too long.')
  .transform((v, ctx) => {
    const raw = v.replace(/^tel:/i, '');
    if (!raw.startsWith('+')) {
      ctx.addIssue({ code: 'custom', message: `"${v}" is not in E.164 form: start with + and the country code, e.g. +14255550100.` });
      return z.NEVER;
    }
    if (/[^+\d\s().-]/.test(raw)) {
      ctx.addIssue({ code: 'custom', message: `"${v}" is not a phone number: only digits, spaces, dots, dashes and brackets may follow the +.` });
      return z.NEVER;
    }
    const parsed = parsePhoneNumberFromString(raw);
    if (!parsed || !parsed.isValid()) {
      ctx.addIssue({ code: 'custom', message: `"${v}" is not a valid phone number for any country.` });
      return z.NEVER;
    }
    return `tel:${parsed.number}`;
  });

/** PowerShell prints booleans as True/False; admins compare against that. */
export function psText(value: unknown): string {
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (value === null || value === undefined || value === '') return '(none)';
  return String(value);
}

export function describeUser(u: OnlineUser): string {
  return `${u.DisplayName} (${u.UserPrincipalName})`;
}

/** Checks one property read back from the tenant; absent means this module version no longer reports it. */
export function check(property: string, expected: unknown, actual: unknown, reported = actual !== undefined && actual !== null): VerificationItem {
  if (!reported) return { property, expected: psText(expected), actual: 'not reported by this module version', result: 'not-reported' };
  const pass = typeof expected === 'string' && typeof actual === 'string' ? expected.toLowerCase() === actual.toLowerCase() : expected === actual;
  return { property, expected: psText(expected), actual: psText(actual), result: pass ? 'pass' : 'fail' };
}

/** Reads the one user an (already resolved) identity names, or refuses. */
export async function readUser(ctx: ActionContext, identity: string): Promise<OnlineUser> {
  const [user] = (await ctx.tenant.run('Get-CsOnlineUser', { Identity: identity })).output;
  if (!user) throw new Refusal('user-not-found', `No user matches "${identity}".`);
  return user;
}
