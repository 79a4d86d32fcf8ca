/** The bot's stored site inventory (src/model/inventory.ts) in the shape the network checks read. */
import { isIP } from 'node:net';
import type { Site as ModelSite } from '../model/inventory';
import type { Site } from './inventory-types';

export function fromModelSite(site: ModelSite): Site {
  return {
    name: site.name,
    edgeFqdn: site.edgeFqdn.toLowerCase(),
    mediationServers: site.mediationServers.map((m) => ({ fqdn: m.fqdn.toLowerCase(), ...(m.ip ? { ip: m.ip } : {}) })),
    // A trunk configured by IP address has no FQDN for the certificate: the address stands for both.
    gateways: site.gateways.map((g) => ({ fqdn: g.address.toLowerCase(), ...(isIP(g.address) ? { ip: g.address } : {}), port: g.port, transport: g.transport, mediationServers: g.mediationServers.map((m) => m.toLowerCase()) })),
  };
}
