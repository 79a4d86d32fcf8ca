/**
 * assign number: Direct Routing's way to give a user their number and route their calls (the successor of
 * the seed's Set-CsUser -OnPremLineURI, ../shared/reference/cce-and-cmdlets.md 4.1):
 *   Set-CsPhoneNumberAssignment -Identity <user> -TelephoneNumber <+E.164> -NumberType DirectRouting
 *   Grant-CsOnlineVoiceRoutingPolicy -Identity <user> -PolicyName <policy>
 * Setting the number also sets EnterpriseVoiceEnabled True; HostedVoiceMail has no successor ("no longer
 * necessary"). A user still homed on a CCE site is moved with "move … to direct routing" instead.
 */
import { z } from 'zod';
import { Refusal } from '../../errors';
import { defineCommand, type ChangeCommand, type ReadContext } from '../command';
import { call } from '../../tenant/cmdlets';
import { blank, describeUser, hasPhoneSystem, licenceAdvice, numberHolders, planChanges, readUser, TelUri, upnLike, UserIdentity } from '../fields';
import { callStep, makePlan, numberLock } from '../plans';
import type { CallStep } from '../../model/plan';
import { TenantError } from '../../tenant/port';

/** An online voice routing policy's name, as Grant-CsOnlineVoiceRoutingPolicy takes it (without "Tag:"). */
export const PolicyName = z
  .string({ error: 'Which online voice routing policy?' })
  .trim()
  .transform((v) => v.replace(/^tag:/i, ''))
  .pipe(z.string().min(1, 'Which online voice routing policy?').max(128, 'A policy name is at most 128 characters.').regex(/^[\w .()-]+$/, 'A policy name has letters, digits, spaces, dots, dashes, brackets or underscores only.'));

const Input = z.object({ user: UserIdentity, number: TelUri, policy: z.preprocess(blank, PolicyName.optional()) });
type Input = z.infer<typeof Input>;

/** What a Direct Routing user's voice reads as: the values assign number and the move plan against and read back. */
export async function readDirectRouting(ctx: Pick<ReadContext, 'tenant'>, subject: string): Promise<Record<string, unknown>> {
  const user = await readUser(ctx, subject);
  return {
    EnterpriseVoiceEnabled: user.EnterpriseVoiceEnabled ?? null,
    LineURI: user.LineURI ?? user.OnPremLineURI ?? null,
    OnlineVoiceRoutingPolicy: user.OnlineVoiceRoutingPolicy === undefined ? undefined : (user.OnlineVoiceRoutingPolicy ?? null),
    // The Cloud Connector policy, where the module still reports it (undefined where it does not).
    VoiceRoutingPolicy: user.VoiceRoutingPolicy === undefined ? undefined : (user.VoiceRoutingPolicy ?? null),
  };
}

/** The tenant's own online voice routing policies by name (Global aside, which every tenant has). */
export async function policyNames(ctx: Pick<ReadContext, 'tenant'>): Promise<string[]> {
  return (await ctx.tenant.run('Get-CsOnlineVoiceRoutingPolicy', {})).output.map((p) => p.Identity.replace(/^tag:/i, '')).filter((n) => n.toLowerCase() !== 'global');
}

/** The policy as the tenant names it, or a refusal that lists the ones there are. */
export async function findVoiceRoutingPolicy(ctx: Pick<ReadContext, 'tenant'>, name: string): Promise<string> {
  try {
    const [found] = (await ctx.tenant.run('Get-CsOnlineVoiceRoutingPolicy', { Identity: name })).output;
    if (found) return found.Identity.replace(/^tag:/i, '');
  } catch (err) {
    if (!(err instanceof TenantError && err.kind === 'not-found')) throw err;
  }
  const all = await policyNames(ctx);
  throw new Refusal('invalid-input', `There is no online voice routing policy named "${name}" (${all.length ? `the tenant has: ${all.join(', ')}` : 'the tenant has none yet'}).`);
}

/** Said on the plan when the tenant port assigns numbers through Graph: the approver reads the cmdlet, Graph carries it out. */
export async function graphNote(ctx: Pick<ReadContext, 'tenant'>): Promise<string[]> {
  const through = (await ctx.tenant.describe()).throughGraph ?? [];
  return through.includes('Set-CsPhoneNumberAssignment')
    ? ['This bot assigns numbers through Microsoft Graph v1.0 (POST /admin/teams/telephoneNumberManagement/numberAssignments/assignNumber, followed to its operation), which does what Set-CsPhoneNumberAssignment above says; the read-back is the same.']
    : [];
}

/**
 * The reference's (current) parameter names are -TelephoneNumber and -NumberType; earlier MicrosoftTeams modules
 * (3.1.0's source, for one) name them -PhoneNumber and -PhoneNumberType, and such a host refuses the new names.
 */
export async function parameterNote(ctx: Pick<ReadContext, 'tenant'>): Promise<string[]> {
  const d = await ctx.tenant.describe();
  if (d.backend !== 'powershell' || d.throughGraph?.includes('Set-CsPhoneNumberAssignment')) return [];
  return [`Set-CsPhoneNumberAssignment is run with the current parameter names -TelephoneNumber and -NumberType; earlier MicrosoftTeams modules call them -PhoneNumber and -PhoneNumberType and refuse these (this host has ${d.moduleVersion}).`];
}

/** The two Direct Routing steps, each only when it changes something. A null policy is Global (granted as $null). */
export function directRoutingSteps(upn: string, telUri: string, policy: string | null | undefined, observed: Record<string, unknown>): CallStep[] {
  const steps: CallStep[] = [];
  if (observed.EnterpriseVoiceEnabled !== true || String(observed.LineURI ?? '').toLowerCase() !== telUri.toLowerCase()) {
    steps.push(callStep('Set-CsPhoneNumberAssignment', { Identity: upn, TelephoneNumber: telUri.replace(/^tel:/, ''), NumberType: 'DirectRouting' }, { title: `Assign ${telUri.replace(/^tel:/, '')} (Direct Routing)`, repeatSafe: true }));
  }
  if (policy !== undefined && String(observed.OnlineVoiceRoutingPolicy ?? '').toLowerCase() !== (policy ?? '').toLowerCase()) {
    steps.push(callStep('Grant-CsOnlineVoiceRoutingPolicy', { Identity: upn, PolicyName: policy }, { title: policy === null ? 'Revert to the Global online voice routing policy' : `Grant online voice routing policy ${policy}`, repeatSafe: true }));
  }
  return steps;
}

const observe: ChangeCommand<Input>['observe'] = async (ctx, _input, subject) => {
  const [pstn] = (await ctx.tenant.run('Get-CsUserPstnSettings', { Identity: subject })).output;
  // Read so the runner sees a PSTN site given meanwhile: a user is on Cloud Connector or on Direct Routing, not both.
  return { ...(await readDirectRouting(ctx, subject)), HybridPSTNSite: pstn ? (pstn.HybridPSTNSite ?? null) : undefined };
};

/**
 * The locks every request that touches a user's voice routing holds, whether it changes them or relies on them:
 * the user's number (either property), their PSTN site and both kinds of voice routing policy, so a Cloud Connector
 * request and a Direct Routing one for the same user are never open at once.
 */
export function routingLocks(subject: string): string[] {
  return ['EnterpriseVoiceEnabled', 'OnPremLineURI', 'LineURI', 'HybridPSTNSite', 'AllowInternationalCalls', 'OnlineVoiceRoutingPolicy'].map((p) => `${subject}|${p}`);
}

export const assignNumber = defineCommand<Input>({
  id: 'assign-number',
  kind: 'change',
  title: 'Assign a number (Direct Routing)',
  summary: 'Give a user a Direct Routing number (Set-CsPhoneNumberAssignment) and, if named, an online voice routing policy.',
  usage: 'assign number <E.164> to <user> [policy <online voice routing policy>]',
  examples: ['assign number +14255550100 to Bob Kelly policy US-Unrestricted', 'assign number +1 425 555 0101 to bob.smith@contoso.com', 'assign direct routing number +31 20 555 0100 to *Smith', 'assign number'],
  patterns: [/^assign\s+(?:a\s+)?(?:direct\s+routing\s+)?(?:phone\s+)?number(?:\s+(?<number>[+\d(tel:][^,]*?))?(?:\s+to\s+(?<user>.+?))?(?:\s+(?:with\s+)?(?:online\s+voice\s+routing\s+)?policy\s+(?<policy>\S.*))?$/i],
  input: Input,
  userField: 'user',
  required: ['user', 'number'],
  formCard: 'assign-number-form',
  audience: 'everyone',
  risk: 'medium',
  timeoutMs: 60_000,

  async formData(ctx, input) {
    const user = input.user ? await readUser(ctx, input.user) : undefined;
    const policies = await policyNames(ctx);
    return {
      user: user?.UserPrincipalName ?? input.user ?? '',
      number: input.number?.replace(/^tel:/, '') ?? '',
      policy: input.policy ?? 'Global',
      policies: [{ title: 'Global (the tenant default)', value: 'Global' }, ...policies.map((p) => ({ title: p, value: p }))],
    };
  },

  observe,

  // Everything the plan reads that the typed input already names, in the round trip of the user lookup.
  reads: (input) => [
    numberHolders(input.number),
    call('Get-CsOnlinePSTNGateway', {}),
    ...(input.policy !== undefined ? [call('Get-CsOnlineVoiceRoutingPolicy', { Identity: input.policy })] : []),
    ...(upnLike.test(input.user) ? [call('Get-CsUserPstnSettings', { Identity: input.user })] : []),
  ],

  async plan(ctx, input) {
    const user = await readUser(ctx, input.user);
    if (!hasPhoneSystem(user)) throw new Refusal('invalid-input', `${describeUser(user)} is not licensed for Phone System: ${licenceAdvice}.`);
    const holder = (await ctx.tenant.run('Get-CsOnlineUser', numberHolders(input.number).params)).output.find((h) => h.Identity !== user.Identity);
    if (holder) throw new Refusal('invalid-input', `${input.number.replace(/^tel:/, '')} is already assigned to ${describeUser(holder)}.`);
    // One identity for every read of the user, so the turn's read cache answers the repeats.
    const identity = user.UserPrincipalName;
    const [pstn] = (await ctx.tenant.run('Get-CsUserPstnSettings', { Identity: identity })).output;
    if (pstn?.HybridPSTNSite) {
      throw new Refusal('invalid-input', `${describeUser(user)} is homed on the Cloud Connector site ${pstn.HybridPSTNSite}: move them with "move ${user.UserPrincipalName} to direct routing", which clears the CCE settings first.`);
    }
    const found = input.policy === undefined ? undefined : await findVoiceRoutingPolicy(ctx, input.policy);
    // Global is the tenant default, which a user has when no policy is granted ($null).
    const policy = found === undefined ? undefined : found.toLowerCase() === 'global' ? null : found;
    const subject = user.UserPrincipalName.toLowerCase();
    const observed = await observe(ctx, input, identity);
    const wanted: Record<string, unknown> = { EnterpriseVoiceEnabled: true, LineURI: input.number, ...(policy !== undefined ? { OnlineVoiceRoutingPolicy: policy } : {}) };
    const { changes, expectations } = planChanges(observed, wanted, { HybridPSTNSite: '(none)' });
    const steps = directRoutingSteps(user.UserPrincipalName, input.number, policy, observed);
    if (steps.length === 0) throw new Refusal('nothing-to-change', `${describeUser(user)} already has ${input.number.replace(/^tel:/, '')}${policy !== undefined ? ` and ${psTextPolicy(policy)}` : ''}: nothing to do.`);
    const notes = ['Voicemail needs no setting on Direct Routing: Set-CsPhoneNumberAssignment has no HostedVoiceMail ("no longer necessary").', ...(await graphNote(ctx)), ...(await parameterNote(ctx))];
    if (policy === undefined) notes.push(`No policy named: ${user.DisplayName} keeps ${psTextPolicy(observed.OnlineVoiceRoutingPolicy)}, and their calls go where its PSTN usages route them.`);
    if ((await ctx.tenant.run('Get-CsOnlinePSTNGateway', {})).output.length === 0) notes.push('No SBC is paired with the tenant yet (add sbc): calls to and from this number have nowhere to go until one is.');
    return makePlan({ target: describeUser(user), subject, changes, expectations, steps, extraLocks: [numberLock(input.number), ...routingLocks(subject)], notes });
  },
});

function psTextPolicy(value: unknown): string {
  return typeof value === 'string' && value ? `the policy ${value}` : 'the Global policy';
}
