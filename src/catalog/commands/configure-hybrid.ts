/**
 * Set up hybrid connectivity (seed step 5), as one request with both lines read back:
 *   Set-CsTenantHybridConfiguration -PeerDestination <External Access Edge FQDN> -UseOnPremDialPlan $false
 *   Set-CsTenantFederationConfiguration -SharedSipAddressSpace $True
 * The PeerDestination is where users without a PSTN site fall back, so it should be the Edge of a site
 * used only for that.
 */
import { z } from 'zod';
import { Refusal } from '../../errors';
import { TenantError } from '../../tenant/port';
import { defineCommand, type ChangeCommand } from '../command';
import { Fqdn, planChanges, primarySipDomain } from '../fields';
import { callStep, makePlan } from '../plans';

const Input = z.object({ edgeFqdn: Fqdn });
type Input = z.infer<typeof Input>;

const observe: ChangeCommand<Input>['observe'] = async (ctx) => {
  const [hybrid] = (await ctx.tenant.run('Get-CsTenantHybridConfiguration', {})).output;
  const [federation] = (await ctx.tenant.run('Get-CsTenantFederationConfiguration', {})).output;
  return {
    PeerDestination: hybrid ? (hybrid.PeerDestination ?? null) : undefined,
    UseOnPremDialPlan: hybrid ? (hybrid.UseOnPremDialPlan ?? null) : undefined,
    SharedSipAddressSpace: federation ? federation.SharedSipAddressSpace : undefined,
  };
};

export const configureHybrid = defineCommand<Input>({
  id: 'configure-hybrid',
  kind: 'change',
  title: 'Configure hybrid connectivity',
  summary: 'Point the tenant at the Cloud Connector Edge (PeerDestination) and share the SIP address space.',
  usage: 'configure hybrid [edge <External Access Edge FQDN>]',
  examples: ['configure hybrid', 'configure hybrid edge ap.contoso.com', 'Set up hybrid connectivity with ap.contoso.com', 'configure hybrid connectivity peer destination ap2.contoso.com.'],
  patterns: [/^(?:configure|set\s*up|setup)\s+hybrid(?:\s+connectivity)?(?:\s+(?:with|edge|peer\s*destination|to)\s*(?<edgeFqdn>\S+))?$/i],
  input: Input,
  required: ['edgeFqdn'],
  formCard: 'configure-hybrid-form',
  audience: 'everyone',
  risk: 'high',
  timeoutMs: 60_000,

  async formData(ctx, input) {
    const domain = await primarySipDomain(ctx);
    const sites = await ctx.store.listSites();
    const current = (await ctx.tenant.run('Get-CsTenantHybridConfiguration', {})).output[0]?.PeerDestination ?? '';
    return {
      edgeFqdn: input.edgeFqdn ?? (current || (domain ? `ap.${domain}` : '')),
      current: current || '(not set)',
      sites: sites.length ? sites.map((s) => `${s.name}: ${s.edgeFqdn}`).join(', ') : 'none in the inventory yet (add site)',
    };
  },

  observe,

  async plan(ctx, input) {
    const domains = (await ctx.tenant.run('Get-CsOnlineSipDomain', {})).output.map((d) => d.Name.toLowerCase());
    const sipName = domains.find((d) => input.edgeFqdn === `sip.${d}`);
    if (sipName) throw new Refusal('procedure-rule', `${input.edgeFqdn} cannot be the Access Edge: sip.${sipName} belongs to the Office 365 deployment. Use the Edge's own name, by default ap.${sipName}.`);
    let observed: Record<string, unknown>;
    try {
      observed = await observe(ctx, input, 'tenant');
    } catch (err) {
      if (err instanceof TenantError && err.kind === 'not-allowed') throw new Refusal('tenant-refused', `This module has no ${err.message}`);
      throw err;
    }
    const { changes, expectations } = planChanges(observed, { PeerDestination: input.edgeFqdn, UseOnPremDialPlan: false, SharedSipAddressSpace: true });
    if (changes.length === 0) throw new Refusal('nothing-to-change', `Hybrid connectivity is already set: PeerDestination ${input.edgeFqdn}, UseOnPremDialPlan False, SharedSipAddressSpace True. Nothing to do.`);
    const sites = await ctx.store.listSites();
    const site = sites.find((s) => s.edgeFqdn.toLowerCase() === input.edgeFqdn);
    const notes = [
      'The PeerDestination is where calls of users without a PSTN site go: the seed advises the Edge of a site used only as that fallback.',
      site ? `${input.edgeFqdn} is the Edge of site ${site.name} in the inventory.` : `${input.edgeFqdn} is not the Edge of any site in the inventory${sites.length ? ` (${sites.map((s) => `${s.name}: ${s.edgeFqdn}`).join(', ')})` : ''}; check the name.`,
      'Set-CsTenantHybridConfiguration is a Skype for Business Online cmdlet that current Teams modules deprecate; where the module lacks it, the step fails and says so.',
    ];
    if (domains.length && !domains.some((d) => input.edgeFqdn.endsWith(`.${d}`))) notes.push(`${input.edgeFqdn} is in none of the tenant's SIP domains (${domains.join(', ')}).`);
    const hybridChanged = changes.some((c) => c.property !== 'SharedSipAddressSpace');
    const federationChanged = changes.some((c) => c.property === 'SharedSipAddressSpace');
    return makePlan({
      target: 'Tenant hybrid connectivity',
      subject: 'tenant',
      changes,
      expectations,
      steps: [
        ...(hybridChanged ? [callStep('Set-CsTenantHybridConfiguration', { PeerDestination: input.edgeFqdn, UseOnPremDialPlan: false }, { title: 'Set the PeerDestination and the online dial plan', repeatSafe: true })] : []),
        ...(federationChanged ? [callStep('Set-CsTenantFederationConfiguration', { SharedSipAddressSpace: true }, { title: 'Share the SIP address space with on-premises', repeatSafe: true })] : []),
      ],
      notes,
    });
  },
});
