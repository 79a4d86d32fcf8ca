/**
 * Allow or block international calls for a user (seed: "Grant-CsVoiceRoutingPolicy -PolicyName
 * InternationalCallsDisallowed -Identity $user"; InternationalCallsAllowed turns them back on).
 */
import { z } from 'zod';
import { Refusal } from '../../errors';
import { call } from '../../tenant/cmdlets';
import { renderCall } from '../../tenant/render';
import { defineAction } from '../action';
import { check, psText, readUser, UserIdentity } from '../fields';

const Input = z.object({
  user: UserIdentity,
  mode: z.string().trim().toLowerCase().pipe(z.enum(['allow', 'block', 'disallow'], { error: 'Say allow or block.' })).transform((m) => (m === 'allow' ? 'allow' : 'block')),
});
type Input = z.infer<typeof Input>;

const policyFor = (mode: Input['mode']) => (mode === 'allow' ? 'InternationalCallsAllowed' : 'InternationalCallsDisallowed');

export const internationalCalling = defineAction<Input>({
  id: 'international-calling',
  title: 'International calling',
  summary: 'Allow or block international calls for a user (say "block international calls for <user>" to block).',
  usage: 'allow international calls for <user>',
  examples: ['allow international calls for Bob Kelly', 'block international calls for bob.smith@contoso.com', 'Disallow international calling for *Smith'],
  patterns: [/^(?<mode>allow|block|disallow)\s+international\s+call(?:s|ing)\s+for\s+(?<user>.+)$/i],
  input: Input,
  userField: 'user',
  required: ['user', 'mode'],
  formCard: 'international-calling-form',
  risk: 'low',
  idempotent: true,
  timeoutMs: 60_000,

  async formData(_ctx, input) {
    return { user: input.user ?? '', mode: input.mode ?? 'block' };
  },

  async plan(ctx, input) {
    const user = await readUser(ctx, input.user);
    const [pstn] = (await ctx.tenant.run('Get-CsUserPstnSettings', { Identity: user.UserPrincipalName })).output;
    const allowed = input.mode === 'allow';
    if (pstn?.AllowInternationalCalls === allowed) throw new Refusal('nothing-to-change', `${user.DisplayName} already has international calls ${allowed ? 'allowed' : 'blocked'}.`);
    const grant = call('Grant-CsVoiceRoutingPolicy', { Identity: user.UserPrincipalName, PolicyName: policyFor(input.mode) });
    return {
      target: `${user.DisplayName} (${user.UserPrincipalName})`,
      subject: user.UserPrincipalName.toLowerCase(),
      changes: [{ property: 'AllowInternationalCalls', from: psText(pstn?.AllowInternationalCalls), to: psText(allowed) }],
      calls: [grant],
      commands: [renderCall(grant)],
      notes: [],
    };
  },

  async verify(ctx, input, plan) {
    const [pstn] = (await ctx.tenant.run('Get-CsUserPstnSettings', { Identity: plan.subject })).output;
    return [check('AllowInternationalCalls', input.mode === 'allow', pstn?.AllowInternationalCalls)];
  },
});
