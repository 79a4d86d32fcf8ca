/**
 * status <user>: every voice property the procedure touches, each judged against what a hybrid
 * (Cloud Connector) user needs, with the command that fixes what is missing. A value the module does
 * not report says so; an empty value says so differently.
 */
import { z } from 'zod';
import { renderCard } from '../../cards/render';
import type { OutgoingMessage } from '../../model/people';
import { call, type OnlineUser } from '../../tenant/cmdlets';
import { TenantError } from '../../tenant/port';
import { defineCommand } from '../command';
import { directRoutingPolicy, hasPhoneSystem, licenceAdvice, psText, readUser, upnLike, UserIdentity } from '../fields';

type Verdict = 'pass' | 'fail' | 'warn' | 'info';
interface Fact { name: string; value: string; verdict: Verdict; fix?: string }

const hybridSettings = call('Get-CsTenantHybridConfiguration', {});
const pstnSettings = (identity: string) => call('Get-CsUserPstnSettings', { Identity: identity });

const marks: Record<Verdict, string> = { pass: '✅', fail: '❌', warn: '⚠️', info: 'ℹ️' };

/** "not reported" for a property this module version does not return; "(none)" for an empty one. */
function shown(value: unknown): string {
  return value === undefined ? 'not reported by this module version' : psText(value);
}

export const status = defineCommand<{ user: string }>({
  id: 'status',
  kind: 'check',
  title: 'Status',
  summary: 'Show a user\'s voice settings as the tenant reports them, judged against what a hybrid voice user needs.',
  usage: 'status <user>',
  examples: ['status Bob Kelly', 'status bob.kelly@contoso.com', 'status of *Smith', 'status'],
  patterns: [/^(?:show\s+)?status(?:\s+(?:(?:of|for)\s+)?(?<user>.+))?$/i],
  input: z.object({ user: UserIdentity }),
  userField: 'user',
  required: ['user'],
  ask: { user: 'Which user? Type status and a UPN, SIP address or display name, e.g. status Bob Kelly.' },
  audience: 'everyone',
  // The hybrid settings are the tenant's; a UPN typed as such also names whose PSTN settings to read.
  reads: (input) => [hybridSettings, ...(upnLike.test(input.user) ? [pstnSettings(input.user)] : [])],

  async run(ctx, input) {
    const user = await readUser(ctx, input.user);
    const upn = user.UserPrincipalName;
    const description = await ctx.tenant.describe();
    const notes: { text: string }[] = [];
    let site: unknown;
    let international: unknown;
    try {
      const read = pstnSettings(upn);
      const [pstn] = (await ctx.tenant.run(read.cmdlet, read.params)).output;
      site = pstn?.HybridPSTNSite ?? null;
      international = pstn?.AllowInternationalCalls ?? null;
    } catch (err) {
      if (!(err instanceof TenantError)) throw err;
      notes.push({ text: `Get-CsUserPstnSettings: ${err.message}` });
    }
    let peer: string | null = null;
    try {
      peer = (await ctx.tenant.run(hybridSettings.cmdlet, hybridSettings.params)).output[0]?.PeerDestination ?? null;
    } catch (err) {
      if (!(err instanceof TenantError)) throw err;
    }
    const voice = user.EnterpriseVoiceEnabled === true;
    const line = user.LineURI ?? user.OnPremLineURI;
    const licence: Fact = hasPhoneSystem(user)
      ? { name: 'Licence', value: `Phone System (${(user.FeatureTypes ?? []).join(', ')})`, verdict: 'pass' }
      : { name: 'Licence', value: user.FeatureTypes?.length ? `${user.FeatureTypes.join(', ')}: no Phone System` : '(none)', verdict: 'fail', fix: `${licenceAdvice[0]!.toUpperCase()}${licenceAdvice.slice(1)}.` };
    // A user granted an online voice routing policy is on Direct Routing: judged by that end state
    // (cce-and-cmdlets.md 4.1: no PSTN site, no legacy VoicePolicy, the policy "has a value").
    const onlinePolicy = directRoutingPolicy(user);
    if (onlinePolicy) {
      const drFacts: Fact[] = [
        licence,
        { name: 'EnterpriseVoiceEnabled', value: shown(user.EnterpriseVoiceEnabled), verdict: voice ? 'pass' : 'fail', ...(voice ? {} : { fix: `assign number <E.164> to ${upn} policy ${onlinePolicy}` }) },
        line ? { name: 'LineURI', value: line, verdict: 'pass' } : { name: 'LineURI', value: '(none): no business number', verdict: 'fail', fix: `assign number <E.164> to ${upn} policy ${onlinePolicy}` },
        { name: 'OnlineVoiceRoutingPolicy', value: onlinePolicy, verdict: 'pass' },
        site === undefined
          ? { name: 'HybridPSTNSite', value: 'could not be read', verdict: 'warn' }
          : site
            ? { name: 'HybridPSTNSite', value: `${String(site)}: still set on a Direct Routing user`, verdict: 'warn', fix: `move ${upn} to direct routing policy ${onlinePolicy}` }
            : { name: 'HybridPSTNSite', value: '(none), as Direct Routing has it', verdict: 'pass' },
      ];
      return answer(user, description.moduleVersion, drFacts, { ready: 'on Direct Routing', goal: 'Direct Routing' }, [...notes, { text: 'Voicemail needs no setting on Direct Routing, and VoicePolicy is a Skype for Business Online property it does not use.' }]);
    }
    const facts: Fact[] = [
      licence,
      { name: 'EnterpriseVoiceEnabled', value: shown(user.EnterpriseVoiceEnabled), verdict: voice ? 'pass' : 'fail', ...(voice ? {} : { fix: `enable voice for ${upn} number <E.164>` }) },
      user.HostedVoiceMail === undefined
        ? { name: 'HostedVoiceMail', value: shown(undefined), verdict: 'info' }
        : { name: 'HostedVoiceMail', value: shown(user.HostedVoiceMail), verdict: user.HostedVoiceMail ? 'pass' : 'fail', ...(user.HostedVoiceMail ? {} : { fix: `enable voice for ${upn} number <E.164>` }) },
      user.VoicePolicy === undefined
        ? { name: 'VoicePolicy', value: shown(undefined), verdict: 'info' }
        : user.VoicePolicy === 'HybridVoice'
          ? { name: 'VoicePolicy', value: 'HybridVoice', verdict: 'pass' }
          : { name: 'VoicePolicy', value: shown(user.VoicePolicy), verdict: 'fail', fix: voice ? 'configure hybrid (the tenant has no hybrid connectivity, so voice users get BusinessVoice)' : `enable voice for ${upn} number <E.164>` },
      line
        ? { name: 'LineURI', value: line, verdict: 'pass' }
        : { name: 'LineURI', value: '(none): no business number', verdict: 'fail', fix: `enable voice for ${upn} number <E.164>` },
      site === undefined
        ? { name: 'HybridPSTNSite', value: 'could not be read', verdict: 'warn' }
        : site
          ? { name: 'HybridPSTNSite', value: String(site), verdict: 'pass' }
          : { name: 'HybridPSTNSite', value: `(none): calls fall back to the PeerDestination ${peer ?? '(not set either)'}`, verdict: 'warn', fix: `assign ${upn} to site <site>` },
      international === undefined
        ? { name: 'International calls', value: 'could not be read', verdict: 'warn' }
        : { name: 'International calls', value: international === true ? 'allowed' : international === false ? 'blocked' : '(none): default policy', verdict: 'info' },
    ];
    return answer(user, description.moduleVersion, facts, { ready: 'ready for hybrid voice', goal: 'hybrid voice' }, notes);
  },
});

/** The one-line answer (the 2nd to 4th facts, then what to fix) and the card, for either end state. */
function answer(user: OnlineUser, moduleVersion: string, facts: Fact[], words: { ready: string; goal: string }, notes: { text: string }[]): OutgoingMessage {
  const failing = facts.filter((f) => f.verdict === 'fail' || f.verdict === 'warn');
  const summary = failing.length ? `to fix: ${failing.map((f) => f.name).join(', ')}` : words.ready;
  return {
    text: `${user.DisplayName}: ${facts.slice(1, 4).map((f) => `${f.name} ${f.value}`).join(', ')} (${summary})`,
    card: renderCard('user-status', {
      target: `${user.DisplayName} (${user.UserPrincipalName})`,
      moduleVersion,
      summary: failing.length ? `${failing.length} item${failing.length === 1 ? '' : 's'} to fix for ${words.goal}` : `${words.ready[0]!.toUpperCase()}${words.ready.slice(1)}`,
      summaryColor: failing.some((f) => f.verdict === 'fail') ? 'Attention' : failing.length ? 'Warning' : 'Good',
      facts: facts.map((f) => ({ name: `${marks[f.verdict]} ${f.name}`, value: f.value })),
      fixes: failing.filter((f) => f.fix).map((f) => ({ text: `${f.name}: ${f.fix}` })),
      notes,
    }),
  };
}
