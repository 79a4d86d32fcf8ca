/**
 * Enable a user for Phone System voice and voicemail with their business number (seed: "Enable users
 * for Phone System voice and voicemail services"):
 *   Set-CsUser -Identity "<User name>" -EnterpriseVoiceEnabled $true -HostedVoiceMail $true -OnPremLineURI <tel:+phonenumber>
 * and verify as the seed does: EnterpriseVoiceEnabled True, HostedVoiceMail True, VoicePolicy HybridVoice.
 */
import { z } from 'zod';
import { Refusal } from '../../errors';
import { call } from '../../tenant/cmdlets';
import { renderCall } from '../../tenant/render';
import type { PlannedChange } from '../../workflow/request';
import { defineAction } from '../action';
import { filterLiteral } from '../../tenant/directory';
import { check, describeUser, psText, readUser, TelUri, UserIdentity } from '../fields';

const Input = z.object({ user: UserIdentity, number: TelUri });
type Input = z.infer<typeof Input>;

export const enableVoice = defineAction<Input>({
  id: 'enable-voice',
  title: 'Enable voice',
  summary: 'Enable a user for Phone System voice and voicemail with their business number.',
  usage: 'enable voice for <user> [number <E.164>]',
  examples: ['enable voice for Bob Kelly number +14255550100', 'enable voice for bob.smith@contoso.com', 'Enable Voice for *Smith number +31 20 555 0100'],
  patterns: [/^enable\s+voice\s+for\s+(?<user>.+?)(?:\s+number\s+(?<number>\S+))?$/i],
  input: Input,
  userField: 'user',
  required: ['user', 'number'],
  formCard: 'enable-voice-form',
  risk: 'medium',
  idempotent: true,
  timeoutMs: 60_000,

  async formData(ctx, input) {
    const user = input.user ? await readUser(ctx, input.user) : undefined;
    return {
      user: user?.UserPrincipalName ?? input.user ?? '',
      displayName: user ? describeUser(user) : '',
      number: input.number ?? user?.OnPremLineURI?.replace(/^tel:/, '') ?? '',
    };
  },

  async plan(ctx, input) {
    const user = await readUser(ctx, input.user);
    if (!user.FeatureTypes?.some((f) => f.toLowerCase() === 'phonesystem')) {
      throw new Refusal('invalid-input', `${describeUser(user)} is not licensed for Phone System: assign an E5 licence or the Phone System add-on first.`);
    }
    const holders = (await ctx.tenant.run('Get-CsOnlineUser', { Filter: `LineURI -eq ${filterLiteral(input.number)}`, ResultSize: 5 })).output;
    const holder = holders.find((h) => h.Identity !== user.Identity);
    if (holder) throw new Refusal('invalid-input', `${input.number} is already assigned to ${describeUser(holder)}.`);

    const wanted: [string, unknown, unknown][] = [
      ['EnterpriseVoiceEnabled', user.EnterpriseVoiceEnabled, true],
      // Current modules omit HostedVoiceMail: the plan says so rather than guess.
      ['HostedVoiceMail', user.HostedVoiceMail ?? 'not reported', true],
      ['OnPremLineURI', user.OnPremLineURI, input.number],
    ];
    const changes: PlannedChange[] = wanted
      .filter(([, from, to]) => psText(from).toLowerCase() !== psText(to).toLowerCase())
      .map(([property, from, to]) => ({ property, from: psText(from), to: psText(to) }));
    if (changes.length === 0) throw new Refusal('nothing-to-change', `${describeUser(user)} already has voice, voicemail and ${input.number}.`);

    const setUser = call('Set-CsUser', { Identity: user.UserPrincipalName, EnterpriseVoiceEnabled: true, HostedVoiceMail: true, OnPremLineURI: input.number });
    const notes: string[] = [];
    if ((await ctx.tenant.describe()).backend === 'powershell') {
      notes.push('Current MicrosoftTeams modules deprecate Set-CsUser voice parameters for Teams users (Set-CsPhoneNumberAssignment replaces them) and no longer report HostedVoiceMail or VoicePolicy; verification says so where it cannot read them.');
    }
    return {
      target: describeUser(user),
      subject: user.UserPrincipalName.toLowerCase(),
      changes,
      calls: [setUser],
      commands: [renderCall(setUser)],
      notes,
    };
  },

  async verify(ctx, input, plan) {
    const user = await readUser(ctx, plan.subject);
    const line = user.LineURI ?? user.OnPremLineURI;
    return [
      check('EnterpriseVoiceEnabled', true, user.EnterpriseVoiceEnabled, true),
      check('HostedVoiceMail', true, user.HostedVoiceMail),
      check('VoicePolicy', 'HybridVoice', user.VoicePolicy),
      check('LineURI', input.number, line, true),
    ];
  },
});
