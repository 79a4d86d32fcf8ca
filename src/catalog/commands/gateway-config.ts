/**
 * gateway config <gateway>: the trunk list to enter on a PSTN gateway, from the inventory: one trunk
 * per Mediation Server of its site (its FQDN or IP, the Mediation component's port TCP 5068 / TLS 5067,
 * the transport, one priority for all), and for TLS what the seed says about MTLS.
 */
import { z } from 'zod';
import { renderCard } from '../../cards/render';
import { Refusal } from '../../errors';
import { defaultTrunkPriority, findGateway, findMediationServer, mediationPort } from '../../model/inventory';
import { defineCommand } from '../command';

export const gatewayConfig = defineCommand<{ gateway: string }>({
  id: 'gateway-config',
  kind: 'check',
  title: 'Gateway configuration',
  summary: 'Print the trunks to enter on a PSTN gateway: one per Mediation Server of its site, same priority, and MTLS for TLS.',
  usage: 'gateway config <gateway>',
  examples: ['gateway config gw1.contoso.com', 'show gateway config for 10.0.1.20', 'gateway configuration gw1.contoso.com', 'gateway config'],
  patterns: [/^(?:show\s+)?(?:the\s+)?(?:pstn\s+)?gateway\s+config(?:uration)?(?:\s+(?:of|for)\b)?(?:\s+(?<gateway>\S+))?$/i],
  input: z.object({ gateway: z.string().trim().toLowerCase().min(1, 'Which gateway?').max(253, 'A gateway address is at most 253 characters.') }),
  required: ['gateway'],
  ask: { gateway: 'Which gateway? Type gateway config and its FQDN or IP, e.g. gateway config gw1.contoso.com (show sites lists them).' },
  audience: 'everyone',

  async run(ctx, input) {
    const sites = await ctx.store.listSites();
    const found = findGateway(sites, input.gateway);
    if (!found) {
      const all = sites.flatMap((s) => s.gateways.map((g) => `${g.address} (${s.name})`));
      throw new Refusal('invalid-input', `There is no gateway ${input.gateway} in the inventory. Gateways: ${all.join(', ') || 'none yet (add gateway <FQDN or IP> to site <site>)'}.`);
    }
    const { site, gateway: g } = found;
    const transport = g.transport.toUpperCase();
    const port = mediationPort[g.transport];
    const priority = g.priority ?? defaultTrunkPriority;
    const trunks = g.mediationServers.map((fqdn, i) => {
      const server = findMediationServer(site, fqdn);
      // TLS checks the certificate against the name, so the trunk uses the FQDN; over TCP the IP also works.
      const to = g.transport === 'tls' || !server?.ip ? fqdn : `${fqdn} (or ${server.ip})`;
      return { text: `Trunk ${i + 1}: ${to}, port ${port}, ${transport}, priority ${priority}` };
    });
    const notes = [
      `The gateway itself listens on ${transport} ${g.port} (its own port, configured on the gateway): the Mediation Servers send calls there.`,
      'Media: the Mediation component uses UDP 49 152 - 57 500 by default (up to 4 ports per call); if you limit that range, configure the same range on the gateway.',
      `PSTN gateways of site ${site.name} connect only to its own Mediation Servers; all trunks at the same priority.`,
    ];
    const mtls = g.transport === 'tls'
      ? [
          'Export the root CA from the Cloud Connector Active Directory computer and import it on the gateway (per the vendor\'s instructions).',
          'Import the root CA of the gateway\'s certificate on the Mediation Servers.',
          `The gateway certificate: Common name in Subject and DNS name in Alternative name = ${g.address}; it may be issued by the CCE AD Certificate Authority (Web Server template, private key exportable). cert request ${g.address} makes its key and CSR; cert import ${g.address} turns the issued certificate into the PFX.`,
        ].map((text) => ({ text }))
      : [];
    return {
      text: [`Trunks to enter on ${g.address} (site ${site.name}):`, ...trunks.map((t) => t.text), ...(g.transport === 'tls' ? ['TLS: configure MTLS (root CAs both ways; gateway certificate CN and SAN ' + g.address + ').'] : [])].join('\n'),
      card: renderCard('gateway-config', {
        heading: `Gateway ${g.address}, site ${site.name}`,
        listening: `${transport} port ${g.port}`,
        trunks,
        notes: notes.map((text) => ({ text })),
        mtls,
      }),
    };
  },
});
