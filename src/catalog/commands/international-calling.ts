/**
 * Allow or block international calls for a user (seed: "Grant-CsVoiceRoutingPolicy -PolicyName
 * InternationalCallsDisallowed -Identity $user"; InternationalCallsAllowed turns them back on).
 */
import { z } from 'zod';
import { Refusal } from '../../errors';
import { defineCommand, type ChangeCommand } from '../command';
import { describeUser, directRoutingPolicy, hasPhoneSystem, planChanges, readUser, UserIdentity } from '../fields';
import { callStep, makePlan } from '../plans';

const Input = z.object({
  user: UserIdentity,
  mode: z.string().trim().toLowerCase().pipe(z.enum(['allow', 'block', 'disallow'], { error: 'Say allow or block.' })).transform((m) => (m === 'allow' ? 'allow' : 'block')),
});
type Input = z.infer<typeof Input>;

const policyFor = (mode: Input['mode']) => (mode === 'allow' ? 'InternationalCallsAllowed' : 'InternationalCallsDisallowed');

const observe: ChangeCommand<Input>['observe'] = async (ctx, _input, subject) => {
  const [pstn] = (await ctx.tenant.run('Get-CsUserPstnSettings', { Identity: subject })).output;
  return { AllowInternationalCalls: pstn ? (pstn.AllowInternationalCalls ?? null) : undefined };
};

export const internationalCalling = defineCommand<Input>({
  id: 'international-calling',
  kind: 'change',
  title: 'International calling',
  summary: 'Allow or block international calls for a user (say "block international calls for <user>" to block).',
  usage: 'allow international calls for <user>',
  examples: ['allow international calls for Bob Kelly', 'block international calls for bob.smith@contoso.com', 'Disallow international calling for *Smith', 'block international calls'],
  patterns: [/^(?<mode>allow|block|disallow)\s+international\s+call(?:s|ing)(?:\s+for\s+(?<user>.+))?$/i],
  input: Input,
  userField: 'user',
  required: ['user', 'mode'],
  formCard: 'international-calling-form',
  audience: 'everyone',
  risk: 'low',
  timeoutMs: 60_000,

  async formData(_ctx, input) {
    return { user: input.user ?? '', mode: input.mode ?? 'block' };
  },

  observe,

  async plan(ctx, input) {
    const user = await readUser(ctx, input.user);
    // On Direct Routing the CCE policies do nothing: the online policy's PSTN usages decide which numbers route.
    const online = directRoutingPolicy(user);
    if (online) throw new Refusal('invalid-input', `${describeUser(user)} is on Direct Routing: which calls they may make is decided by their online voice routing policy ${online} and its PSTN usages; grant another with "assign number <their number> to ${user.UserPrincipalName} policy <policy>".`);
    const subject = user.UserPrincipalName.toLowerCase();
    const allowed = input.mode === 'allow';
    const { changes, expectations } = planChanges(await observe(ctx, input, subject), { AllowInternationalCalls: allowed });
    if (changes.length === 0) throw new Refusal('nothing-to-change', `${user.DisplayName} already has international calls ${allowed ? 'allowed' : 'blocked'}: nothing to do.`);
    const notes: string[] = [];
    if (!user.EnterpriseVoiceEnabled) notes.push(`${user.DisplayName} is not enabled for voice yet; the policy applies once they are (enable voice for ${user.UserPrincipalName}).`);
    if (!hasPhoneSystem(user)) notes.push(`${user.DisplayName} has no Phone System licence: calls need one before the policy matters.`);
    return makePlan({
      target: describeUser(user),
      subject,
      changes,
      expectations,
      steps: [callStep('Grant-CsVoiceRoutingPolicy', { Identity: user.UserPrincipalName, PolicyName: policyFor(input.mode) }, { title: `${allowed ? 'Allow' : 'Block'} international calls`, repeatSafe: true })],
      // A Direct Routing request for the same user open at once would make this one meaningless.
      extraLocks: [`${subject}|OnlineVoiceRoutingPolicy`],
      notes,
    });
  },
});
