/**
 * Disable voice for a user: the reverse of enabling (seed step 7), and the CCE clean-up before a move:
 *   Set-CsUser -Identity <user> -EnterpriseVoiceEnabled $false -HostedVoiceMail $false -OnPremLineURI $null
 * The number is freed (the plan says which), so another user may be given it once this is verified.
 */
import { z } from 'zod';
import { Refusal } from '../../errors';
import { defineCommand, type ChangeCommand } from '../command';
import { describeUser, directRoutingPolicy, planChanges, readUser, readVoice, UserIdentity } from '../fields';
import { callStep, makePlan } from '../plans';

const Input = z.object({ user: UserIdentity });
type Input = z.infer<typeof Input>;

const observe: ChangeCommand<Input>['observe'] = (ctx, _input, subject) => readVoice(ctx, subject);

export const disableVoice = defineCommand<Input>({
  id: 'disable-voice',
  kind: 'change',
  title: 'Disable voice',
  summary: 'Turn off Enterprise Voice and hosted voicemail for a user and free their number.',
  usage: 'disable voice for <user>',
  examples: ['disable voice for Alex Vance', 'Disable voice for alex.vance@contoso.com.', 'disable voice'],
  patterns: [/^(?:disable|turn\s+off|remove)\s+(?:enterprise\s+)?voice(?:\s+(?:for|from)\s+(?<user>.+))?$/i],
  input: Input,
  userField: 'user',
  required: ['user'],
  ask: { user: 'Which user? e.g. disable voice for alex.vance@contoso.com' },
  audience: 'everyone',
  risk: 'high',
  timeoutMs: 60_000,

  observe,

  async plan(ctx, input) {
    const user = await readUser(ctx, input.user);
    const subject = user.UserPrincipalName.toLowerCase();
    const observed = await observe(ctx, input, subject);
    const { changes, expectations } = planChanges(observed, { EnterpriseVoiceEnabled: false, HostedVoiceMail: false, OnPremLineURI: null });
    const real = changes.filter((c) => c.from !== 'not reported');
    if (real.length === 0) throw new Refusal('nothing-to-change', `${describeUser(user)} has no voice, voicemail or number: nothing to do.`);
    const number = typeof observed.OnPremLineURI === 'string' ? observed.OnPremLineURI : undefined;
    const notes = [
      ...(number ? [`${number} is freed; calls to it stop reaching ${user.DisplayName}.`] : []),
      'The user keeps their PSTN site and voice routing policy; assign them again when voice comes back.',
      ...(directRoutingPolicy(user) ? [`${user.DisplayName} is on Direct Routing: current modules free such a number with Remove-CsPhoneNumberAssignment, which is not in Switchboard's reference; Set-CsUser -OnPremLineURI $null is the procedure's way, and the read-back shows whether the number is gone. The online voice routing policy ${directRoutingPolicy(user)} stays.`] : []),
    ];
    return makePlan({
      target: describeUser(user),
      subject,
      changes,
      expectations,
      steps: [callStep('Set-CsUser', { Identity: user.UserPrincipalName, EnterpriseVoiceEnabled: false, HostedVoiceMail: false, OnPremLineURI: null }, { title: 'Disable voice and voicemail, free the number', repeatSafe: true })],
      notes,
    });
  },
});
