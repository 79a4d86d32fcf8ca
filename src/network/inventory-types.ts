/**
 * The shapes of a Cloud Connector deployment the network checks need: PSTN sites, each with its Access Edge
 * FQDN, its Mediation Servers and the PSTN gateways whose trunks point at them. Parsed with zod where an
 * inventory enters (configuration file, card data).
 */
import { z } from 'zod';

const fqdn = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/, 'must be a fully qualified domain name');
const ip = z.union([z.ipv4(), z.ipv6()]);

export const MediationServerSchema = z.object({ fqdn, ip: ip.optional() });

export const GatewaySchema = z.object({
  fqdn,
  ip: ip.optional(),
  /** The gateway's SIP port toward the Mediation Servers (the doc's example is 5060 for TCP). */
  port: z.number().int().min(1).max(65535),
  transport: z.enum(['tcp', 'tls']),
  /** FQDNs of the Mediation Servers its trunks point at: each one by FQDN, never the pool FQDN. */
  mediationServers: z.array(fqdn),
});

export const SiteSchema = z.object({
  name: z.string().trim().min(1),
  /** The external Access Edge FQDN of the site (ap.<domain> by default); HA appliances share it. */
  edgeFqdn: fqdn,
  /** The Edge external addresses the site should publish, when known (one per appliance in HA). */
  edgeAddresses: z.array(ip).optional(),
  mediationServers: z.array(MediationServerSchema),
  gateways: z.array(GatewaySchema),
});

export const InventorySchema = z.object({
  sipDomain: fqdn,
  sites: z.array(SiteSchema).min(1),
});

export type MediationServer = z.output<typeof MediationServerSchema>;
export type Gateway = z.output<typeof GatewaySchema>;
export type Site = z.output<typeof SiteSchema>;
export type Inventory = z.output<typeof InventorySchema>;

export { fqdn as FqdnSchema };
