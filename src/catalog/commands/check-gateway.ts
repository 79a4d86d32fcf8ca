/**
 * check gateway <fqdn>: TLS (with the bot's client certificate where configured, for MTLS) to a PSTN
 * gateway of the inventory, its certificate against its FQDN, the Cloud Connector root, its dates and key
 * usage, then SIP OPTIONS over the same connection (seed step 2).
 */
import { z } from 'zod';
import { Refusal } from '../../errors';
import { checkGateway } from '../../network/check-gateway';
import { presentItems } from '../../network/present';
import { mergeSites, networkRuntime } from '../../network/runtime';
import { defineCommand } from '../command';

const GatewayAddress = z.string({ error: 'Which gateway?' }).trim().toLowerCase().min(1, 'Which gateway?').max(253).regex(/^[a-z0-9.:-]+$/, 'Give the gateway FQDN as the trunk has it, e.g. gw1.contoso.com.');

export const checkGatewayCommand = defineCommand<{ gateway: string }>({
  id: 'check-gateway',
  kind: 'check',
  title: 'Gateway TLS and SIP',
  summary: 'Check a PSTN gateway: TLS/MTLS, its certificate (name, chain, dates, key usage) and SIP OPTIONS (step 2).',
  usage: 'check gateway <fqdn>',
  examples: ['check gateway gw1.contoso.com', 'check gateway', 'check pstn gateway gw2.contoso.com'],
  patterns: [/^check\s+(?:pstn\s+)?gateway(?:\s+(?<gateway>\S+))?$/i],
  input: z.object({ gateway: GatewayAddress }),
  required: ['gateway'],
  ask: { gateway: 'Which gateway? Type check gateway and its FQDN, e.g. check gateway gw1.contoso.com.' },
  audience: 'everyone',

  async run(ctx, input) {
    const rt = await networkRuntime();
    const gateways = mergeSites(await ctx.store.listSites(), rt.inventory).flatMap((s) => s.gateways.map((g) => ({ site: s.name, g })));
    const found = gateways.find((x) => x.g.fqdn === input.gateway);
    if (!found) throw new Refusal('invalid-input', `There is no gateway "${input.gateway}" in the inventory. Gateways: ${gateways.map((x) => x.g.fqdn).join(', ') || '(none)'}.`);
    const report = await checkGateway(rt.port, found.g, { roots: rt.roots, ...(rt.clientCert ? { clientCert: rt.clientCert } : {}), timeoutMs: rt.gatewayTimeoutMs });
    return presentItems({
      title: `Gateway ${found.g.fqdn} (site ${found.site})`,
      subtitle: `${found.g.transport.toUpperCase()} ${found.g.port} from ${rt.where}${rt.clientCert ? ', presenting the bot\'s client certificate' : ''}`,
      items: report.items,
    });
  },
});
