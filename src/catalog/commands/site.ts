/**
 * site <name>: one PSTN site of the inventory in detail, with the procedure's rules evaluated over it
 * (the tenant has the site, it has Mediation Servers, each gateway trunks to the Mediation Servers of
 * its own site, all of them, at one priority) and what to do next.
 */
import { z } from 'zod';
import { renderCard } from '../../cards/render';
import { Refusal } from '../../errors';
import { findMediationServer, gatewayText, mediationServerText, sameName, siteOfMediationServer } from '../../model/inventory';
import { defineCommand } from '../command';
import { SiteName } from '../fields';
import { readTenantSites, tenantView } from './show-sites';

type Verdict = 'pass' | 'fail' | 'warn' | 'info';
const marks: Record<Verdict, string> = { pass: '✅', fail: '❌', warn: '⚠️', info: 'ℹ️' };
interface Check { verdict: Verdict; text: string; next?: string }

export const site = defineCommand<{ name: string }>({
  id: 'site',
  kind: 'check',
  title: 'PSTN site',
  summary: 'Show one PSTN site of the inventory with the procedure\'s rules checked and what to do next.',
  usage: 'show site <name>',
  examples: ['site Seattle', 'show site Amsterdam', 'PSTN site New York', 'site'],
  patterns: [/^(?:show\s+)?(?:the\s+)?(?:pstn\s+)?site(?:\s+(?<name>.+))?$/i],
  input: z.object({ name: SiteName }),
  required: ['name'],
  ask: { name: 'Which site? Type site and its name, e.g. site Seattle (show sites lists them).' },
  audience: 'everyone',

  async run(ctx, input) {
    const sites = await ctx.store.listSites();
    const s = sites.find((x) => sameName(x.name, input.name));
    const tenant = await readTenantSites(ctx);
    if (!s) {
      const inTenant = 'sites' in tenant ? tenant.sites.find((t) => sameName(t.Identity, input.name)) : undefined;
      const known = sites.map((x) => x.name).join(', ') || 'none yet';
      throw new Refusal('invalid-input', inTenant
        ? `Site ${inTenant.Identity} is in the tenant but not in Switchboard's inventory: add site ${inTenant.Identity} edge ${inTenant.EdgeFqdn ?? '<Edge FQDN>'} mediation <FQDN> <IP>, … (inventory: ${known}).`
        : `There is no site "${input.name}" in the inventory. Sites: ${known}.`);
    }
    const checks: Check[] = [];
    const view = tenantView(s, tenant);
    if (view.known === undefined) checks.push({ verdict: 'warn', text: `Tenant: ${view.text} (${'error' in tenant ? tenant.error : ''}).` });
    else if (!view.known) checks.push({ verdict: 'warn', text: `Tenant: ${view.text}.`, next: `Register the site's first appliance with SiteName ${s.name} in its CloudConnector.ini.` });
    else if (view.text !== 'in the tenant') checks.push({ verdict: 'warn', text: `Tenant: ${view.text}.`, next: `Make the Edge FQDNs agree: the site's CloudConnector.ini, or add site ${s.name} edge <Edge FQDN>.` });
    else checks.push({ verdict: 'pass', text: `Tenant: has PSTN site ${s.name}, with Edge FQDN ${s.edgeFqdn}.` });
    if (s.mediationServers.length === 0) {
      checks.push({ verdict: 'fail', text: 'No Mediation Servers: gateways have nothing to trunk to, and nothing can be registered.', next: `add site ${s.name} edge ${s.edgeFqdn} mediation <FQDN> <IP>, …` });
    } else {
      checks.push({ verdict: 'pass', text: `${s.mediationServers.length} Mediation Server${s.mediationServers.length === 1 ? '' : 's'}: ${s.mediationServers.map(mediationServerText).join(', ')}.` });
      checks.push({ verdict: 'info', text: `Each Mediation Server is registered online with its site's Edge: Set-CsHybridMediationServer -Fqdn <its FQDN> -AccessProxyExternalFqdn ${s.edgeFqdn}.`, next: `show mediation servers, then register mediation server <FQDN> for each one not registered (${s.mediationServers.map((m) => m.fqdn).join(', ')})` });
      const noIp = s.mediationServers.filter((m) => !m.ip);
      if (noIp.length) checks.push({ verdict: 'info', text: `No IP address recorded for ${noIp.map((m) => m.fqdn).join(', ')}: a gateway that trunks by IP needs it.` });
    }
    if (s.gateways.length === 0) {
      checks.push({ verdict: 'warn', text: 'No PSTN gateways: calls of this site have no way to the PSTN.', next: `add gateway <FQDN or IP> to site ${s.name}` });
    }
    for (const g of s.gateways) {
      const foreign = g.mediationServers.map((t) => ({ t, owner: siteOfMediationServer(sites, t, s.name) })).filter((x) => !findMediationServer(s, x.t));
      const missing = s.mediationServers.filter((m) => !g.mediationServers.some((t) => sameName(t, m.fqdn)));
      if (g.mediationServers.length === 0) {
        checks.push({ verdict: 'fail', text: `Gateway ${g.address} has no trunks.`, next: `add gateway ${g.address} to site ${s.name} (trunks to all its Mediation Servers by default)` });
      } else if (foreign.length) {
        const x = foreign[0]!;
        checks.push({ verdict: 'fail', text: `Gateway ${g.address} trunks to ${x.t}, ${x.owner ? `a Mediation Server of site ${x.owner.name}` : `no longer a Mediation Server of ${s.name}`}: a site's gateways connect only to its own Mediation Servers.`, next: `add gateway ${g.address} to site ${s.name} trunks ${s.mediationServers.map((m) => m.fqdn).join(', ')}` });
      } else if (missing.length) {
        checks.push({ verdict: 'warn', text: `Gateway ${g.address} has no trunk to ${missing.map((m) => m.fqdn).join(', ')}: the procedure sets trunks back to the Mediation Servers of all appliances of the site.`, next: `add gateway ${g.address} to site ${s.name} trunks ${s.mediationServers.map((m) => m.fqdn).join(', ')}` });
      } else {
        checks.push({ verdict: 'pass', text: `Gateway ${g.address}: ${gatewayText(g)} (one per Mediation Server, one priority).`, next: `gateway config ${g.address}` });
      }
      if (g.transport === 'tls') checks.push({ verdict: 'info', text: `Gateway ${g.address} uses TLS: MTLS needs the CCE root CA on the gateway and a gateway certificate with CN and SAN ${g.address}.`, next: `cert request ${g.address}` });
    }
    const failing = checks.filter((c) => c.verdict === 'fail' || c.verdict === 'warn');
    const summary = failing.length ? `${failing.length} item${failing.length === 1 ? '' : 's'} to look at` : 'Ready: every rule the procedure states holds';
    const next = [...new Set(checks.filter((c) => c.next).sort((a, b) => order(a.verdict) - order(b.verdict)).map((c) => c.next!))];
    return {
      text: `Site ${s.name}: Edge ${s.edgeFqdn}, ${s.mediationServers.length} Mediation Server${s.mediationServers.length === 1 ? '' : 's'}, ${s.gateways.length} gateway${s.gateways.length === 1 ? '' : 's'} (${failing.length ? failing.map((c) => c.text.replace(/\.$/, '')).join('; ') : 'ready'}).`,
      card: renderCard('site', {
        name: `Site ${s.name}`,
        summary,
        summaryColor: failing.some((c) => c.verdict === 'fail') ? 'Attention' : failing.length ? 'Warning' : 'Good',
        facts: [
          { name: 'Edge FQDN', value: s.edgeFqdn },
          { name: 'Mediation Servers', value: s.mediationServers.map(mediationServerText).join(', ') || '(none)' },
          { name: 'Mediation pool FQDN', value: s.mediationPoolFqdn ?? '(none recorded)' },
          ...s.gateways.map((g) => ({ name: `Gateway ${g.address}`, value: gatewayText(g) })),
        ],
        checks: checks.map((c) => ({ text: `${marks[c.verdict]} ${c.text}` })),
        next: next.map((text) => ({ text })),
      }),
    };
  },
});

function order(v: Verdict): number {
  return v === 'fail' ? 0 : v === 'warn' ? 1 : 2;
}
