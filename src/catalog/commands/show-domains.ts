/** show domains: the tenant's SIP domains (seed step 3), warning when only .onmicrosoft.com is there. */
import { z } from 'zod';
import { renderCard } from '../../cards/render';
import { defineCommand } from '../command';

export const showDomains = defineCommand({
  id: 'show-domains',
  kind: 'check',
  title: 'SIP domains',
  summary: 'List the tenant\'s SIP domains and whether one can carry Cloud Connector users.',
  usage: 'show domains',
  examples: ['show domains', 'show sip domains', 'domains'],
  patterns: [/^(?:show\s+|list\s+)?(?:sip\s+)?domains$/i],
  input: z.object({}),
  required: [],
  audience: 'everyone',

  async run(ctx) {
    const domains = (await ctx.tenant.run('Get-CsOnlineSipDomain', {})).output;
    const usable = domains.filter((d) => d.Status === 'Enabled' && !/\.onmicrosoft\.com$/i.test(d.Name));
    const facts = domains.map((d) => {
      const onMicrosoft = /\.onmicrosoft\.com$/i.test(d.Name);
      const mark = d.Status !== 'Enabled' ? '⚠️' : onMicrosoft ? 'ℹ️' : '✅';
      const note = d.Status !== 'Enabled' ? 'Disabled: provisioning of its users is blocked' : onMicrosoft ? 'Enabled; the default .onmicrosoft.com domain is not supported as a SIP domain for Cloud Connector' : 'Enabled';
      return { name: `${mark} ${d.Name}`, value: note };
    });
    const warning = usable.length === 0 ? 'The only SIP domain is the default .onmicrosoft.com one, which Cloud Connector does not support: add your own domain to Microsoft 365 (seed step 3, "Update the domain for your tenant") and make sure you can add DNS records for it.' : '';
    return {
      text: usable.length ? `SIP domains: ${domains.map((d) => `${d.Name} (${d.Status})`).join(', ')}. Primary for Cloud Connector: ${usable[0]!.Name}.` : warning,
      card: renderCard('facts', {
        title: 'SIP domains',
        subtitle: 'Get-CsOnlineSipDomain',
        summary: usable.length ? `${usable[0]!.Name} can carry Cloud Connector users` : 'No usable SIP domain',
        summaryColor: usable.length ? 'Good' : 'Attention',
        facts,
        todo: warning ? [{ text: warning }] : [],
        notes: [],
      }),
    };
  },
});
