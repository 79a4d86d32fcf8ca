/**
 * show sites: Switchboard's PSTN site inventory next to what the tenant knows (Get-CsHybridPSTNSite):
 * per site its Edge FQDN, Mediation Servers and gateways, whether the tenant has the site yet, and
 * the tenant's sites the inventory lacks.
 */
import { z } from 'zod';
import { renderCard } from '../../cards/render';
import { oneLine } from '../../errors';
import { gatewayText, mediationServersText, sameName, type Site } from '../../model/inventory';
import type { HybridPstnSite } from '../../tenant/cmdlets';
import { TenantError } from '../../tenant/port';
import { defineCommand, type CommandContext } from '../command';

/** Sites are created in the tenant when the first appliance of a site registers (CCE 1.4.1 and later). */
export const autoCreatedNote = 'PSTN sites are created automatically when the first appliance of a site registers';

/** The tenant's PSTN sites, or why they could not be read (a current module may no longer ship the cmdlet). */
export async function readTenantSites(ctx: Pick<CommandContext, 'tenant'>): Promise<{ sites: HybridPstnSite[] } | { error: string }> {
  try {
    return { sites: (await ctx.tenant.run('Get-CsHybridPSTNSite', {})).output };
  } catch (err) {
    if (!(err instanceof TenantError)) throw err;
    return { error: oneLine(`Get-CsHybridPSTNSite: ${err.message}`, 160) };
  }
}

/** How the tenant's view of one inventory site reads. */
export function tenantView(site: Site, tenant: { sites: HybridPstnSite[] } | { error: string }): { known: boolean | undefined; text: string } {
  if ('error' in tenant) return { known: undefined, text: 'not checked: the tenant\'s sites could not be read' };
  const t = tenant.sites.find((s) => sameName(s.Identity, site.name));
  if (!t) return { known: false, text: `not in the tenant yet (${autoCreatedNote})` };
  if (t.EdgeFqdn && !sameName(t.EdgeFqdn, site.edgeFqdn)) return { known: true, text: `in the tenant, but with Edge FQDN ${t.EdgeFqdn}` };
  return { known: true, text: 'in the tenant' };
}

export const showSites = defineCommand({
  id: 'show-sites',
  kind: 'check',
  title: 'PSTN sites',
  summary: 'List the PSTN site inventory (Edge FQDN, Mediation Servers, gateways) next to the tenant\'s PSTN sites.',
  usage: 'show sites',
  examples: ['show sites', 'sites', 'list PSTN sites', 'Show sites.'],
  patterns: [/^(?:(?:show|list)\s+)?(?:(?:the|all)\s+)?(?:pstn\s+)?sites$/i],
  input: z.object({}),
  required: [],
  audience: 'everyone',

  async run(ctx) {
    const sites = await ctx.store.listSites();
    const tenant = await readTenantSites(ctx);
    const rows = sites.map((site) => {
      const view = tenantView(site, tenant);
      return {
        name: site.name,
        mark: view.known === true ? '✅' : '⚠️',
        facts: [
          { name: 'Edge FQDN', value: site.edgeFqdn },
          { name: 'Mediation Servers', value: mediationServersText(site.mediationServers) || '(none)' },
          ...(site.mediationPoolFqdn ? [{ name: 'Mediation pool FQDN', value: site.mediationPoolFqdn }] : []),
          { name: 'Gateways', value: site.gateways.length ? site.gateways.map((g) => `${g.address}: ${gatewayText(g)}`).join('; ') : '(none)' },
          { name: 'Tenant', value: view.text },
        ],
        inTenant: view.text,
      };
    });
    const missing = 'sites' in tenant ? tenant.sites.filter((t) => !sites.some((s) => sameName(s.name, t.Identity))) : [];
    const lacking = missing.map((t) => ({ text: `${t.Identity}${t.EdgeFqdn ? ` (Edge ${t.EdgeFqdn})` : ''}: add site ${t.Identity} edge ${t.EdgeFqdn ?? '<Edge FQDN>'} mediation <FQDN> <IP>, …` }));
    const heading = sites.length
      ? `${sites.length} PSTN site${sites.length === 1 ? '' : 's'} in Switchboard's inventory`
      : 'No PSTN sites in Switchboard\'s inventory yet';
    const text = [
      `${heading}${sites.length ? `: ${rows.map((r) => `${r.name} (${r.inTenant})`).join('; ')}` : ''}.`,
      'error' in tenant ? `The tenant's sites could not be read: ${tenant.error}.` : missing.length ? `The tenant also has ${missing.map((t) => t.Identity).join(', ')}, not in the inventory.` : '',
      sites.length ? '' : 'Add one: add site <name> edge <Edge FQDN> mediation <FQDN> <IP>, …',
    ].filter(Boolean).join(' ');
    return {
      text,
      card: renderCard('sites', {
        heading,
        sites: rows.map(({ name, mark, facts }) => ({ name: `${mark} ${name}`, facts })),
        lacking,
        tenantNote: 'error' in tenant ? `The tenant's PSTN sites could not be read: ${tenant.error}` : '',
      }),
    };
  },
});
