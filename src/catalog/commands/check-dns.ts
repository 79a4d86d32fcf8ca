/**
 * check dns [<sip domain>]: the Edge A record of every site, the _sip._tls and _sipfederationtls._tcp SRV
 * records and the documented mistakes (seed step 4, planning doc "DNS requirements"), looked up from here.
 */
import { z } from 'zod';
import { checkDns } from '../../network/check-dns';
import { presentItems } from '../../network/present';
import { mergeSites, networkRuntime } from '../../network/runtime';
import { TenantError } from '../../tenant/port';
import { defineCommand } from '../command';
import { Fqdn } from '../fields';

export const checkDnsCommand = defineCommand<{ domain?: string }>({
  id: 'check-dns',
  kind: 'check',
  title: 'DNS check',
  summary: 'Check the Edge A records, the _sip._tls and _sipfederationtls SRV records and the sip.<domain> mistake (step 4).',
  usage: 'check dns [<sip domain>]',
  examples: ['check dns contoso.com', 'check dns', 'check DNS for contoso.com'],
  patterns: [/^check\s+dns(?:\s+(?:for\s+)?(?<domain>\S+))?$/i],
  input: z.object({ domain: Fqdn.optional() }),
  required: [],
  audience: 'everyone',

  async run(ctx, input) {
    const rt = await networkRuntime();
    let domain = input.domain;
    if (!domain) {
      try {
        const domains = (await ctx.tenant.run('Get-CsOnlineSipDomain', {})).output;
        domain = domains.find((d) => d.Status === 'Enabled' && !/\.onmicrosoft\.com$/i.test(d.Name))?.Name.toLowerCase();
      } catch (err) {
        if (!(err instanceof TenantError)) throw err;
      }
      domain ??= rt.inventory.sipDomain;
    }
    const sites = mergeSites(await ctx.store.listSites(), rt.inventory).filter((s) => s.edgeFqdn === domain || s.edgeFqdn.endsWith(`.${domain}`));
    const items = await checkDns(rt.port, { sipDomain: domain, sites: sites.map((s) => ({ name: s.name, edgeFqdn: s.edgeFqdn, ...(s.edgeAddresses ? { expectedAddresses: s.edgeAddresses } : {}) })) });
    return presentItems({
      title: `DNS for ${domain}`,
      subtitle: `Looked up from ${rt.where}; ${sites.length} site${sites.length === 1 ? '' : 's'} with an Edge in ${domain}`,
      items,
      notes: sites.length ? [] : [`No site has its Edge FQDN in ${domain}: only the SRV and sip.${domain} records were checked.`],
    });
  },
});
