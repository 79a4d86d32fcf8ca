/**
 * Assign a user to a PSTN site (seed: "Assign users to PSTN sites", even with a single site):
 *   Set-CsUserPstnSettings -Identity <User Name> -HybridPstnSite <PSTN Site Name>
 * A user without a site falls back to the tenant's PeerDestination, so the plan says which site they leave.
 */
import { z } from 'zod';
import { Refusal } from '../../errors';
import { call } from '../../tenant/cmdlets';
import { renderCall } from '../../tenant/render';
import { defineAction, type ActionContext } from '../action';
import { check, psText, readUser, UserIdentity } from '../fields';

const SiteName = z.string({ error: 'Which PSTN site?' }).trim().min(1, 'Which PSTN site?').max(64, 'A site name is at most 64 characters.').regex(/^[\w .-]+$/, 'A PSTN site name has letters, digits, spaces, dots, dashes or underscores only.');
const Input = z.object({ user: UserIdentity, site: SiteName });
type Input = z.infer<typeof Input>;

async function sites(ctx: ActionContext): Promise<string[]> {
  return (await ctx.tenant.run('Get-CsHybridPSTNSite', {})).output.map((s) => s.Identity);
}

export const assignSite = defineAction<Input>({
  id: 'assign-site',
  title: 'Assign PSTN site',
  summary: 'Assign a user to a hybrid PSTN site, so their calls go through that site\'s Cloud Connector.',
  usage: 'assign <user> to site <site>',
  examples: ['assign Bob Kelly to site Seattle', 'Assign bob.smith@contoso.com to PSTN site Amsterdam', 'assign Bob Kelly'],
  patterns: [/^assign\s+(?<user>.+?)(?:\s+to\s+(?:pstn\s+)?site\s+(?<site>.+))?$/i],
  input: Input,
  userField: 'user',
  required: ['user', 'site'],
  formCard: 'assign-site-form',
  risk: 'medium',
  idempotent: true,
  timeoutMs: 60_000,

  async formData(ctx, input) {
    const list = await sites(ctx);
    return { user: input.user ?? '', site: input.site ?? list[0] ?? '', sites: list.map((s) => ({ title: s, value: s })) };
  },

  async plan(ctx, input) {
    const list = await sites(ctx);
    const site = list.find((s) => s.toLowerCase() === input.site.toLowerCase());
    if (!site) throw new Refusal('invalid-input', `There is no PSTN site "${input.site}". Sites: ${list.join(', ') || 'none'}.`);
    const user = await readUser(ctx, input.user);
    const [pstn] = (await ctx.tenant.run('Get-CsUserPstnSettings', { Identity: user.UserPrincipalName })).output;
    if ((pstn?.HybridPSTNSite ?? '').toLowerCase() === site.toLowerCase()) throw new Refusal('nothing-to-change', `${user.DisplayName} is already assigned to ${site}.`);
    const setSite = call('Set-CsUserPstnSettings', { Identity: user.UserPrincipalName, HybridPSTNSite: site });
    return {
      target: `${user.DisplayName} (${user.UserPrincipalName})`,
      subject: user.UserPrincipalName.toLowerCase(),
      changes: [{ property: 'HybridPSTNSite', from: pstn?.HybridPSTNSite ? psText(pstn.HybridPSTNSite) : '(none: tenant PeerDestination fallback)', to: site }],
      calls: [setSite],
      commands: [renderCall(setSite)],
      notes: user.EnterpriseVoiceEnabled ? [] : [`${user.DisplayName} is not enabled for voice yet; the site applies once they are.`],
    };
  },

  async verify(ctx, _input, plan) {
    const [pstn] = (await ctx.tenant.run('Get-CsUserPstnSettings', { Identity: plan.subject })).output;
    return [check('HybridPSTNSite', plan.changes[0]!.to, pstn?.HybridPSTNSite, true)];
  },
});
