/** show hybrid: the tenant's hybrid connectivity as the cmdlets report it, judged against seed step 5. */
import { z } from 'zod';
import { renderCard } from '../../cards/render';
import { defineCommand } from '../command';
import { psText } from '../fields';

export const showHybrid = defineCommand({
  id: 'show-hybrid',
  kind: 'check',
  title: 'Hybrid connectivity',
  summary: 'Show the PeerDestination, dial plan and shared SIP address space the tenant has now.',
  usage: 'show hybrid',
  examples: ['show hybrid', 'hybrid status', 'show hybrid connectivity'],
  patterns: [/^(?:show\s+hybrid(?:\s+(?:connectivity|configuration|config))?|hybrid\s+(?:status|connectivity|configuration))$/i],
  input: z.object({}),
  required: [],
  audience: 'everyone',

  async run(ctx) {
    const [hybrid] = (await ctx.tenant.run('Get-CsTenantHybridConfiguration', {})).output;
    const [federation] = (await ctx.tenant.run('Get-CsTenantFederationConfiguration', {})).output;
    const peer = hybrid?.PeerDestination ?? null;
    const sites = await ctx.store.listSites();
    const facts = [
      { name: `${peer ? '✅' : '❌'} PeerDestination`, value: peer ? `${peer}${sites.find((s) => s.edgeFqdn.toLowerCase() === peer.toLowerCase()) ? ` (Edge of site ${sites.find((s) => s.edgeFqdn.toLowerCase() === peer.toLowerCase())!.name})` : ''}` : '(none): users without a PSTN site cannot reach the PSTN' },
      { name: `${hybrid?.UseOnPremDialPlan === false ? '✅' : '❌'} UseOnPremDialPlan`, value: `${psText(hybrid?.UseOnPremDialPlan ?? null)} (the procedure sets False)` },
      { name: `${federation?.SharedSipAddressSpace ? '✅' : '❌'} SharedSipAddressSpace`, value: `${psText(federation?.SharedSipAddressSpace ?? null)} (the procedure sets True)` },
      { name: 'ℹ️ HybridPSTNSites', value: psText(hybrid?.HybridPSTNSites ?? []) },
    ];
    const ok = Boolean(peer) && hybrid?.UseOnPremDialPlan === false && federation?.SharedSipAddressSpace === true;
    return {
      text: `Hybrid connectivity: PeerDestination ${psText(peer)}, UseOnPremDialPlan ${psText(hybrid?.UseOnPremDialPlan ?? null)}, SharedSipAddressSpace ${psText(federation?.SharedSipAddressSpace ?? null)}${ok ? '' : ' (not set up as the procedure says: configure hybrid)'}.`,
      card: renderCard('facts', {
        title: 'Hybrid connectivity',
        subtitle: 'Get-CsTenantHybridConfiguration and Get-CsTenantFederationConfiguration',
        summary: ok ? 'Set up as the procedure says' : 'Not set up as the procedure says',
        summaryColor: ok ? 'Good' : 'Attention',
        facts,
        todo: ok ? [] : [{ text: `configure hybrid edge ${peer ?? 'ap.<your SIP domain>'}` }],
        notes: [{ text: 'The PeerDestination is the fallback for users without a PSTN site (see users without site).' }],
      }),
    };
  },
});
