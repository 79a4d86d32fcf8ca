/**
 * Assign a user to a PSTN site (seed: "Assign users to PSTN sites", even with a single site):
 *   Set-CsUserPstnSettings -Identity <User Name> -HybridPstnSite <PSTN Site Name>
 * A user without a site falls back to the tenant's PeerDestination, so the plan says which site they leave.
 */
import { z } from 'zod';
import { Refusal } from '../../errors';
import { call } from '../../tenant/cmdlets';
import { defineCommand, type ChangeCommand, type CommandContext } from '../command';
import { describeUser, directRoutingPolicy, hasPhoneSystem, planChanges, readUser, SiteName, UserIdentity } from '../fields';
import { callStep, makePlan } from '../plans';

const Input = z.object({ user: UserIdentity, site: SiteName });
type Input = z.infer<typeof Input>;

/** Every hybrid PSTN site of the tenant: read whoever the user is. */
const sitesRead = call('Get-CsHybridPSTNSite', {});

async function tenantSites(ctx: Pick<CommandContext, 'tenant'>): Promise<string[]> {
  return (await ctx.tenant.run(sitesRead.cmdlet, sitesRead.params)).output.map((s) => s.Identity);
}

const observe: ChangeCommand<Input>['observe'] = async (ctx, _input, subject) => {
  const [pstn] = (await ctx.tenant.run('Get-CsUserPstnSettings', { Identity: subject })).output;
  return { HybridPSTNSite: pstn ? (pstn.HybridPSTNSite ?? null) : undefined };
};

export const assignSite = defineCommand<Input>({
  id: 'assign-site',
  kind: 'change',
  title: 'Assign PSTN site',
  summary: 'Assign a user to a hybrid PSTN site, so their calls go through that site\'s Cloud Connector.',
  usage: 'assign <user> to site <site>',
  examples: ['assign Bob Kelly to site Seattle', 'Assign bob.smith@contoso.com to PSTN site Amsterdam', 'assign Bob Kelly'],
  patterns: [/^assign\s+(?!(?:a\s+)?(?:direct\s+routing\s+)?(?:phone\s+)?number\b)(?!.*\bsite\b.*\bto\b)(?<user>.+?)(?:\s+to\s+(?:the\s+)?(?:pstn\s+)?site\s+(?<site>.+))?$/i],
  input: Input,
  userField: 'user',
  required: ['user', 'site'],
  formCard: 'assign-site-form',
  audience: 'everyone',
  risk: 'medium',
  timeoutMs: 60_000,

  async formData(ctx, input) {
    const list = await tenantSites(ctx);
    // The inventory's sites too: one the tenant lacks yet is named as such, so the choice explains itself.
    const inventoryOnly = (await ctx.store.listSites()).map((s) => s.name).filter((n) => !list.some((t) => t.toLowerCase() === n.toLowerCase()));
    const sites = [...list.map((s) => ({ title: s, value: s })), ...inventoryOnly.map((s) => ({ title: `${s} (inventory only: not in the tenant yet)`, value: s }))];
    return { user: input.user ?? '', site: input.site ?? list[0] ?? '', sites, known: [...list, ...inventoryOnly].join(', ') || 'none yet' };
  },

  observe,

  reads: () => [sitesRead],

  async plan(ctx, input) {
    const list = await tenantSites(ctx);
    const site = list.find((s) => s.toLowerCase() === input.site.toLowerCase());
    if (!site) throw new Refusal('invalid-input', `There is no PSTN site "${input.site}". Sites: ${list.join(', ') || 'none'}.`);
    const user = await readUser(ctx, input.user);
    const online = directRoutingPolicy(user);
    if (online) throw new Refusal('invalid-input', `${describeUser(user)} is on Direct Routing (online voice routing policy ${online}): a PSTN site is Cloud Connector's, and would not route their calls.`);
    const subject = user.UserPrincipalName.toLowerCase();
    const observed = await observe(ctx, input, subject);
    const { changes, expectations } = planChanges(observed, { HybridPSTNSite: site });
    if (changes.length === 0) throw new Refusal('nothing-to-change', `${user.DisplayName} is already assigned to ${site}: nothing to do.`);
    const notes: string[] = [];
    if (changes.some((c) => c.from === '(none)')) notes.push(`${user.DisplayName} has no PSTN site today: their calls fall back to the tenant's PeerDestination until this runs.`);
    if (!user.EnterpriseVoiceEnabled) notes.push(`${user.DisplayName} is not enabled for voice yet; the site applies once they are.`);
    if (!hasPhoneSystem(user)) notes.push(`${user.DisplayName} has no Phone System licence yet.`);
    return makePlan({
      target: describeUser(user),
      subject,
      changes,
      expectations,
      steps: [callStep('Set-CsUserPstnSettings', { Identity: user.UserPrincipalName, HybridPSTNSite: site }, { title: `Assign to site ${site}`, repeatSafe: true })],
      // A Direct Routing request for the same user open at once would leave them on both.
      extraLocks: [`${subject}|OnlineVoiceRoutingPolicy`],
      notes,
    });
  },
});
