/**
 * Shared by commands: input fields validated where they enter (a user, a phone number, a site, an
 * FQDN), how values read to an admin, and the plan and read-back helpers every change uses.
 */
import type { parsePhoneNumberFromString as ParsePhoneNumber } from 'libphonenumber-js/max';
import { z } from 'zod';
import { Refusal } from '../errors';
import { lazy } from '../lazy';
import type { Expectation, PlannedChange, VerificationItem } from '../model/plan';
import { call, type CmdletCall, type OnlineUser } from '../tenant/cmdlets';
import { filterLiteral } from '../tenant/directory';
import { TenantError } from '../tenant/port';
import type { ReadContext } from './command';

// libphonenumber-js's full metadata is 1.6 MB of live heap: loaded the first time a number is checked.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a load on first use is a require
const parsePhoneNumber = lazy(() => (require('libphonenumber-js/max') as { parsePhoneNumberFromString: typeof ParsePhoneNumber }).parsePhoneNumberFromString);

/** A UPN, SIP address, display name or `*` pattern. Control characters never belong in one. */
/** A form's empty field counts as not given: `z.preprocess(blank, Schema.optional())` reads '' (or spaces) as undefined. */
export const blank = (v: unknown): unknown => (typeof v === 'string' && v.trim() === '' ? undefined : v);

export const UserIdentity = z
  .string({ error: 'Tell me which user: a UPN, SIP address or display name.' })
  .trim()
  .min(1, 'Tell me which user: a UPN, SIP address or display name.')
  .max(256, 'A user name is at most 256 characters.')
  .refine((v) => !/[\u0000-\u001f\u007f\u2028\u2029]/.test(v), 'A user name cannot contain line breaks or control characters.');

/**
 * A phone number in E.164 (+ country code), with an optional extension as the cmdlets document it
 * (`tel:+14255550100;ext=100`), stored as the tel: URI the cmdlets take. Spaces, dots, dashes and
 * brackets that admins type between digits are dropped.
 */
export const TelUri = z
  .string({ error: 'Give a phone number in E.164 form, e.g. +14255550100.' })
  .trim()
  .min(1, 'Give a phone number in E.164 form, e.g. +14255550100.')
  .max(60, 'That phone number is too long.')
  .transform((v, ctx) => {
    const [rawNumber, ...rest] = v.replace(/^tel:/i, '').replace(/[,.]+$/, '').split(/;/);
    const raw = (rawNumber ?? '').trim();
    let ext: string | undefined;
    for (const part of rest) {
      const m = /^\s*ext=(\d{1,10})\s*$/i.exec(part);
      if (!m) {
        ctx.addIssue({ code: 'custom', message: `"${v}" is not a phone number: only ;ext=<digits> may follow it, e.g. tel:+14255550100;ext=100.` });
        return z.NEVER;
      }
      ext = m[1];
    }
    if (!raw.startsWith('+')) {
      ctx.addIssue({ code: 'custom', message: `"${v}" is not in E.164 form: start with + and the country code, e.g. +14255550100.` });
      return z.NEVER;
    }
    if (/[^+\d\s().-]/.test(raw)) {
      ctx.addIssue({ code: 'custom', message: `"${v}" is not a phone number: only digits, spaces, dots, dashes and brackets may follow the +.` });
      return z.NEVER;
    }
    const parsed = parsePhoneNumber()(raw.replace(/[\s().-]/g, ''));
    if (!parsed || !parsed.isValid()) {
      ctx.addIssue({ code: 'custom', message: `"${v}" is not a valid phone number for any country.` });
      return z.NEVER;
    }
    return `tel:${parsed.number}${ext ? `;ext=${ext}` : ''}`;
  });

/** user@domain, not a SIP address or an object id: a typed identity whose PSTN settings can be read before the user lookup answers. */
export const upnLike = /^[^\s@:*]+@[^\s@]+$/;

/** A PSTN site name as the CCE .ini SiteName allows. */
export const SiteName = z
  .string({ error: 'Which PSTN site?' })
  .trim()
  .min(1, 'Which PSTN site?')
  .max(64, 'A site name is at most 64 characters.')
  .regex(/^[\w .-]+$/, 'A PSTN site name has letters, digits, spaces, dots, dashes or underscores only.');

/** A host name as DNS allows (letters, digits, hyphens; dot-separated labels), lower-cased. */
export const Fqdn = z
  .string({ error: 'Give a fully qualified domain name, e.g. ap.contoso.com.' })
  .trim()
  .toLowerCase()
  .transform((v) => v.replace(/\.$/, ''))
  .pipe(
    z
      .string()
      .max(253, 'A domain name is at most 253 characters.')
      .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/, 'That is not a fully qualified domain name (e.g. ap.contoso.com).'),
  );

export const IPv4 = z
  .string()
  .trim()
  .regex(/^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/, 'That is not an IPv4 address (e.g. 192.0.2.10).');

/**
 * How a value reads to an admin, as PowerShell prints it: True/False, (none) for empty, and
 * "not reported" for a property the module in front of us does not return at all.
 */
export function psText(value: unknown): string {
  if (value === undefined) return 'not reported';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (value === null || value === '') return '(none)';
  if (Array.isArray(value)) return value.length ? value.map(psText).join(', ') : '(none)';
  return String(value);
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

export function describeUser(u: OnlineUser): string {
  return `${u.DisplayName} (${u.UserPrincipalName})`;
}

/**
 * The changes between what the tenant has now and what the command wants, plus the read-back list
 * (every wanted property, changed or not, and any extra facts to check).
 */
export function planChanges(observed: Record<string, unknown>, wanted: Record<string, unknown>, extra: Record<string, string> = {}): { changes: PlannedChange[]; expectations: Expectation[] } {
  const changes: PlannedChange[] = [];
  const expectations: Expectation[] = [];
  for (const [property, to] of Object.entries(wanted)) {
    const from = psText(observed[property]);
    if (!same(from, psText(to))) changes.push({ property, from, to: psText(to) });
    expectations.push({ property, value: psText(to) });
  }
  for (const [property, value] of Object.entries(extra)) expectations.push({ property, value });
  return { changes, expectations };
}

/** Checks one read-back property; `undefined` means this module version no longer reports it. */
export function check(property: string, expected: string, actual: unknown): VerificationItem {
  if (actual === undefined) return { property, expected, actual: 'not reported by this module version', result: 'not-reported' };
  const text = psText(actual);
  return { property, expected, actual: text, result: same(text, expected) ? 'pass' : 'fail' };
}

/** Reads the one user an (already resolved) identity names, or refuses. */
export async function readUser(ctx: Pick<ReadContext, 'tenant'>, identity: string): Promise<OnlineUser> {
  let user: OnlineUser | undefined;
  try {
    [user] = (await ctx.tenant.run('Get-CsOnlineUser', { Identity: identity })).output;
  } catch (err) {
    if (!(err instanceof TenantError && err.kind === 'not-found')) throw err;
  }
  if (!user) throw new Refusal('user-not-found', `No user matches "${identity}".`);
  return user;
}

/**
 * The read that finds who holds a number (its extension aside): enable-voice's check that the number is free,
 * made ahead with the user lookup when a request is filed and primed for a whole batch.
 */
export function numberHolders(telUri: string): CmdletCall<'Get-CsOnlineUser'> {
  return call('Get-CsOnlineUser', { Filter: `LineURI -eq ${filterLiteral(telUri.replace(/;ext=.*$/i, ''))}`, ResultSize: 5 });
}

/**
 * The online voice routing policy of a user on Direct Routing, or undefined for a Cloud Connector (or not yet voice)
 * user: granting one is what makes a user's calls go through the tenant's SBCs (cce-and-cmdlets.md 4.1).
 */
export function directRoutingPolicy(u: OnlineUser): string | undefined {
  return typeof u.OnlineVoiceRoutingPolicy === 'string' && u.OnlineVoiceRoutingPolicy ? u.OnlineVoiceRoutingPolicy : undefined;
}

/** Phone System is what a hybrid voice user must be licensed for (E5, or E3 with the add-on). */
export function hasPhoneSystem(u: OnlineUser): boolean {
  return Boolean(u.FeatureTypes?.some((f) => f.toLowerCase() === 'phonesystem'));
}

export const licenceAdvice = 'assign an E5 licence, or the Phone System add-on to E3, in the Microsoft 365 admin center first';

/**
 * The organization's primary SIP domain: the first enabled SIP domain that is not the default
 * .onmicrosoft.com one (which the procedure does not support as a SIP domain), if there is one.
 */
export async function primarySipDomain(ctx: Pick<ReadContext, 'tenant'>): Promise<string | undefined> {
  const domains = (await ctx.tenant.run('Get-CsOnlineSipDomain', {})).output;
  return domains.find((d) => d.Status === 'Enabled' && !/\.onmicrosoft\.com$/i.test(d.Name))?.Name ?? domains[0]?.Name;
}

/**
 * A user's voice properties as the seed's verification reads them: the values a voice change plans
 * against and reads back (undefined: this module version does not report it).
 */
export async function readVoice(ctx: Pick<ReadContext, 'tenant'>, subject: string): Promise<Record<string, unknown>> {
  const user = await readUser(ctx, subject);
  return {
    EnterpriseVoiceEnabled: user.EnterpriseVoiceEnabled ?? null,
    HostedVoiceMail: user.HostedVoiceMail,
    VoicePolicy: user.VoicePolicy,
    OnPremLineURI: user.OnPremLineURI ?? user.LineURI ?? null,
    LineURI: user.LineURI ?? user.OnPremLineURI ?? null,
  };
}
