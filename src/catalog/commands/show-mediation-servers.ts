/** show mediation servers: which of the inventory's Mediation Servers are registered online (seed step 9). */
import { z } from 'zod';
import { renderCard } from '../../cards/render';
import { defineCommand } from '../command';
import { readRegistrations } from './register-mediation-server';

export const showMediationServers = defineCommand({
  id: 'show-mediation-servers',
  kind: 'check',
  title: 'Mediation Servers',
  summary: 'Show which Mediation Servers of the site inventory are registered with Skype for Business Online.',
  usage: 'show mediation servers',
  examples: ['show mediation servers', 'mediation servers', 'list hybrid mediation servers'],
  patterns: [/^(?:show\s+|list\s+)?(?:hybrid\s+)?mediation\s+servers$/i],
  input: z.object({}),
  required: [],
  audience: 'everyone',

  async run(ctx) {
    const sites = await ctx.store.listSites();
    const registrations = await readRegistrations(ctx);
    const facts: { name: string; value: string }[] = [];
    let missing = 0;
    for (const site of sites) {
      for (const m of site.mediationServers) {
        const reg = registrations.find((r) => r.Fqdn?.toLowerCase() === m.fqdn.toLowerCase());
        if (!reg) {
          missing++;
          facts.push({ name: `❌ ${m.fqdn}`, value: `site ${site.name}: not registered (register mediation server ${m.fqdn})` });
        } else if ((reg.AccessProxyExternalFqdn ?? '').toLowerCase() !== site.edgeFqdn.toLowerCase()) {
          missing++;
          facts.push({ name: `⚠️ ${m.fqdn}`, value: `site ${site.name}: registered through ${reg.account} with ${reg.AccessProxyExternalFqdn ?? '(none)'}, but the site's Edge is ${site.edgeFqdn}` });
        } else {
          facts.push({ name: `✅ ${m.fqdn}`, value: `site ${site.name}: registered through ${reg.account} with ${site.edgeFqdn}` });
        }
      }
    }
    for (const r of registrations) {
      if (!sites.some((s) => s.mediationServers.some((m) => m.fqdn.toLowerCase() === (r.Fqdn ?? '').toLowerCase()))) {
        facts.push({ name: `ℹ️ ${r.Fqdn ?? r.account}`, value: `registered through ${r.account} with ${r.AccessProxyExternalFqdn ?? '(none)'}, but in no site of the inventory` });
      }
    }
    const total = sites.reduce((n, s) => n + s.mediationServers.length, 0);
    const summary = total === 0 ? 'No Mediation Servers in the inventory yet (add site)' : missing ? `${missing} of ${total} not registered as the procedure says` : `All ${total} registered`;
    return {
      text: `${summary}.`,
      card: renderCard('facts', {
        title: 'Hybrid Mediation Servers',
        subtitle: 'The site inventory against Get-CsHybridMediationServer for every account with Department HybridMediationServer',
        summary,
        summaryColor: total && !missing ? 'Good' : 'Attention',
        facts,
        todo: [],
        notes: [{ text: 'Each Mediation Server needs its own registration, with the Edge of its own site (multi-site and HA alike).' }],
      }),
    };
  },
});
