/**
 * The PSTN site inventory the bot keeps: what the procedure needs to know about each site that the
 * tenant does not hold (Mediation Servers by FQDN and IP, gateways and their trunks), and the rules
 * the procedure states over it, as plain functions every command reads the same way.
 */

export interface MediationServer {
  fqdn: string;
  ip?: string;
}

export interface Gateway {
  /** FQDN or IP address, as the trunk is configured. */
  address: string;
  /** The gateway's own listening port (configured on the gateway; 5060 is the planning doc's example). */
  port: number;
  transport: 'tcp' | 'tls';
  /** The Mediation Server FQDNs of the same site this gateway trunks to (one trunk each). */
  mediationServers: string[];
  /** The one priority every trunk of this gateway has (the seed: "Trunks should be set in the same priority"). */
  priority?: number;
}

export interface Site {
  name: string;
  /** External Access Edge FQDN of the site (ap.<domain> by default). */
  edgeFqdn: string;
  mediationServers: MediationServer[];
  gateways: Gateway[];
  /** The Mediation pool FQDN, kept so a trunk to it can be refused: it is the same for every server of the pool. */
  mediationPoolFqdn?: string;
}

/** Where the Mediation component listens for a gateway's trunk (planning doc, internal firewall: TCP 5068 / TLS 5067). */
export const mediationPort = { tcp: 5068, tls: 5067 } as const;

/** The gateway port most gateways listen on when none is given: 5060 for TCP (the doc's example), 5061 for TLS. */
export const defaultGatewayPort = { tcp: 5060, tls: 5061 } as const;

export const defaultTrunkPriority = 1;

const same = (a: string | undefined, b: string | undefined) => a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();

/** "ms1.contoso.com (10.0.1.11)" */
export function mediationServerText(m: MediationServer): string {
  return m.ip ? `${m.fqdn} (${m.ip})` : m.fqdn;
}

/** The site's Mediation Servers as one line, in FQDN order so the same set always reads the same. */
export function mediationServersText(servers: readonly MediationServer[]): string {
  return [...servers].sort((a, b) => a.fqdn.localeCompare(b.fqdn)).map(mediationServerText).join(', ');
}

/** A gateway's settings as one line, e.g. "TLS port 5061, trunks to ms1.contoso.com, ms2.contoso.com at priority 1". */
export function gatewayText(g: Gateway): string {
  const trunks = [...g.mediationServers].sort().join(', ');
  return `${g.transport.toUpperCase()} port ${g.port}, trunks to ${trunks || '(none)'} at priority ${g.priority ?? defaultTrunkPriority}`;
}

/** The Mediation Server of this site named by its FQDN or its IP address. */
export function findMediationServer(site: Site, nameOrIp: string): MediationServer | undefined {
  return site.mediationServers.find((m) => same(m.fqdn, nameOrIp) || same(m.ip, nameOrIp));
}

/** The site (other than `except`) whose inventory holds this Mediation Server FQDN or IP. */
export function siteOfMediationServer(sites: readonly Site[], nameOrIp: string, except?: string): Site | undefined {
  return sites.find((s) => !same(s.name, except) && findMediationServer(s, nameOrIp));
}

/** The site (other than `except`) whose gateway has this address. */
export function siteOfGateway(sites: readonly Site[], address: string, except?: string): Site | undefined {
  return sites.find((s) => !same(s.name, except) && s.gateways.some((g) => same(g.address, address)));
}

export function findGateway(sites: readonly Site[], address: string): { site: Site; gateway: Gateway } | undefined {
  for (const site of sites) {
    const gateway = site.gateways.find((g) => same(g.address, address));
    if (gateway) return { site, gateway };
  }
  return undefined;
}

export function sameName(a: string, b: string): boolean {
  return same(a, b);
}
