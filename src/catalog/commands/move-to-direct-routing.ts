/**
 * move … to direct routing: takes a Cloud Connector user to Direct Routing as
 * ../shared/reference/cce-and-cmdlets.md 4.1 prescribes, the CCE clean-up first, then the Direct Routing
 * number and policy, keeping the user's number:
 *   Grant-CsVoiceRoutingPolicy -PolicyName $NULL -Identity <UPN>
 *   Set-CsUserPstnSettings -Identity <UPN> -AllowInternationalCalls $false -HybridPSTNSite $null
 *   Set-CsPhoneNumberAssignment -Identity <UPN> -TelephoneNumber <number> -NumberType DirectRouting
 *   Grant-CsOnlineVoiceRoutingPolicy -Identity <UPN> -PolicyName <policy>
 * The end state is the migration doc's table: voice on, the same number, no PSTN site, an online voice
 * routing policy "has a value".
 */
import { z } from 'zod';
import { Refusal } from '../../errors';
import { defineCommand, type ChangeCommand } from '../command';
import { call } from '../../tenant/cmdlets';
import { describeUser, hasPhoneSystem, licenceAdvice, planChanges, readUser, upnLike, UserIdentity } from '../fields';
import { callStep, makePlan, numberLock } from '../plans';
import { directRoutingSteps, findVoiceRoutingPolicy, graphNote, parameterNote, policyNames, PolicyName, readDirectRouting, routingLocks } from './assign-number';

const Input = z.object({ user: UserIdentity, policy: PolicyName });
type Input = z.infer<typeof Input>;

const observe: ChangeCommand<Input>['observe'] = async (ctx, _input, subject) => {
  const [pstn] = (await ctx.tenant.run('Get-CsUserPstnSettings', { Identity: subject })).output;
  return {
    HybridPSTNSite: pstn ? (pstn.HybridPSTNSite ?? null) : undefined,
    AllowInternationalCalls: pstn ? (pstn.AllowInternationalCalls ?? null) : undefined,
    ...(await readDirectRouting(ctx, subject)),
  };
};

export const moveToDirectRouting = defineCommand<Input>({
  id: 'move-to-direct-routing',
  kind: 'change',
  title: 'Move a user to Direct Routing',
  summary: 'Move a Cloud Connector user to Direct Routing with their number: CCE settings cleared, number assigned, policy granted.',
  usage: 'move <user> to direct routing policy <online voice routing policy>',
  examples: ['move Alex Vance to direct routing policy US-Unrestricted', 'migrate alex.vance@contoso.com to direct routing', 'move to direct routing'],
  patterns: [/^(?:move|migrate)(?:\s+(?<user>.+?))?\s+to\s+direct\s+routing(?:\s+(?:with\s+)?(?:online\s+voice\s+routing\s+)?policy\s+(?<policy>\S.*))?$/i],
  input: Input,
  userField: 'user',
  required: ['user', 'policy'],
  formCard: 'move-to-direct-routing-form',
  audience: 'everyone',
  risk: 'high',
  timeoutMs: 60_000,

  async formData(ctx, input) {
    const user = input.user ? await readUser(ctx, input.user) : undefined;
    const policies = await policyNames(ctx);
    return {
      user: user?.UserPrincipalName ?? input.user ?? '',
      number: user ? (user.LineURI ?? user.OnPremLineURI ?? '(none)').replace(/^tel:/, '') : '',
      policy: input.policy ?? policies[0] ?? '',
      policies: policies.map((p) => ({ title: p, value: p })),
      hasPolicies: policies.length > 0,
    };
  },

  observe,

  // What the typed input already names, in the round trip of the user lookup.
  reads: (input) => [
    call('Get-CsOnlineVoiceRoutingPolicy', { Identity: input.policy }),
    ...(upnLike.test(input.user) ? [call('Get-CsUserPstnSettings', { Identity: input.user })] : []),
  ],

  async plan(ctx, input) {
    const user = await readUser(ctx, input.user);
    const subject = user.UserPrincipalName.toLowerCase();
    // Read by the identity the lookup used, so the turn's read cache answers the repeats.
    const observed = await observe(ctx, input, user.UserPrincipalName);
    const number = typeof observed.LineURI === 'string' && observed.LineURI ? observed.LineURI : undefined;
    if (!observed.HybridPSTNSite) {
      if (number && observed.OnlineVoiceRoutingPolicy) throw new Refusal('nothing-to-change', `${describeUser(user)} is not on a Cloud Connector site and already has ${number.replace(/^tel:/, '')} with ${String(observed.OnlineVoiceRoutingPolicy)}: nothing to do.`);
      throw new Refusal('invalid-input', `${describeUser(user)} is not homed on a Cloud Connector site: give them a Direct Routing number with "assign number <E.164> to ${user.UserPrincipalName} policy <policy>".`);
    }
    if (!number) throw new Refusal('invalid-input', `${describeUser(user)} has no number to take along: use "assign number <E.164> to ${user.UserPrincipalName} policy <policy>" after clearing their site (assign them to no site).`);
    // Checked before anything runs: the clean-up cannot be taken back by this command once it has.
    if (!hasPhoneSystem(user)) throw new Refusal('invalid-input', `${describeUser(user)} is not licensed for Phone System, which Set-CsPhoneNumberAssignment needs: ${licenceAdvice}.`);
    const policy = await findVoiceRoutingPolicy(ctx, input.policy);
    // The migration's end state has an online voice routing policy that "has a value": Global is none.
    if (policy.toLowerCase() === 'global') throw new Refusal('invalid-input', `Moving to Direct Routing grants a policy of its own, not Global: name one of ${(await policyNames(ctx)).join(', ') || 'the policies you create with add voice route'}.`);
    // The doc's end state: no CCE voice routing policy ("N/A"), no site, the same number, an online policy.
    const { changes, expectations } = planChanges(observed, { VoiceRoutingPolicy: null, HybridPSTNSite: null, AllowInternationalCalls: false, EnterpriseVoiceEnabled: true, LineURI: number, OnlineVoiceRoutingPolicy: policy });
    return makePlan({
      target: describeUser(user),
      subject,
      changes,
      expectations,
      steps: [
        callStep('Grant-CsVoiceRoutingPolicy', { Identity: user.UserPrincipalName, PolicyName: null }, { title: 'Remove the CCE voice routing policy', repeatSafe: true }),
        callStep('Set-CsUserPstnSettings', { Identity: user.UserPrincipalName, AllowInternationalCalls: false, HybridPSTNSite: null }, { title: `Take ${user.DisplayName} off the PSTN site ${String(observed.HybridPSTNSite)}`, repeatSafe: true }),
        // The number is set again even though it is the same: on Direct Routing it is Set-CsPhoneNumberAssignment's to hold.
        ...directRoutingSteps(user.UserPrincipalName, number, policy, { ...observed, EnterpriseVoiceEnabled: null }),
      ],
      extraLocks: [numberLock(number), ...routingLocks(subject)],
      notes: [
        'The clean-up is the migration doc\'s own (it spells the parameter -AllowInternationCalls; the cmdlet\'s is -AllowInternationalCalls). On Direct Routing, which calls a user may make is decided by the online voice routing policy\'s PSTN usages.',
        `Calls to ${number.replace(/^tel:/, '')} reach ${user.DisplayName} through the SBCs the policy routes to, not the Cloud Connector site, from the moment this runs: have the SBC and its voice routes ready first (show direct routing).`,
        'PSTN sites and hybrid Mediation Server registrations have no Direct Routing counterpart: the site stays in the tenant until its appliances are retired. The Teams client needs TeamsUpgradePolicy Islands or TeamsOnly, which this does not set.',
        `Set-CsPhoneNumberAssignment cannot set a number synchronized from on-premises Active Directory: if ${number.replace(/^tel:/, '')} comes from there, clear it on premises first, or step 3 fails after the clean-up.`,
        ...(await graphNote(ctx)),
        ...(await parameterNote(ctx)),
      ],
    });
  },
});
