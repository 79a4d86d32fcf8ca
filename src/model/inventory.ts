/**
 * The PSTN site inventory the bot keeps: what the procedure needs to know about each site that the
 * tenant does not hold (Mediation Servers by FQDN and IP, gateways and their trunks).
 */

export interface MediationServer {
  fqdn: string;
  ip?: string;
}

export interface Gateway {
  /** FQDN or IP address, as the trunk is configured. */
  address: string;
  port: number;
  transport: 'tcp' | 'tls';
  /** The Mediation Server FQDNs of the same site this gateway trunks to (one trunk each). */
  mediationServers: string[];
}

export interface Site {
  name: string;
  /** External Access Edge FQDN of the site (ap.<domain> by default). */
  edgeFqdn: string;
  mediationServers: MediationServer[];
  gateways: Gateway[];
}
