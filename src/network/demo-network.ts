/**
 * The demo network for contoso.com: two PSTN sites as the CCE docs describe them, with the realistic mix an
 * admin meets. Seattle is an HA site (two appliances, one Access Edge FQDN with two addresses, two
 * Mediation Servers, two TLS gateways with MTLS); Amsterdam is a second site (its own Edge FQDN, one Mediation
 * Server, one TCP gateway). What is wrong, on purpose:
 *  - sip.contoso.com points at the Seattle Edge (the planning doc: that name belongs to Microsoft 365);
 *  - gw2.contoso.com's certificate expires in 12 days;
 *  - TCP 443 on the Amsterdam Edge is closed.
 * The certificates are real (a lab "Contoso CCE Root" CA), made once per process.
 */
import { createKeyAndCsr, createLabRoot, issueFromCsr, type CaMaterial } from '../certs/authority';
import type { Inventory } from './inventory-types';
import type { ClientCertificate } from './port';
import { SimulatedNetwork, type SimNetworkState } from './sim';

export interface DemoNetwork {
  network: SimulatedNetwork;
  state: SimNetworkState;
  inventory: Inventory;
  /** The lab CA playing the Cloud Connector CA (root certificate and key). */
  ca: CaMaterial;
  /** The certificate the bot presents to the gateways (MTLS), issued by the same CA. */
  clientCert: ClientCertificate;
}

export const demoInventory: Inventory = {
  sipDomain: 'contoso.com',
  sites: [
    {
      name: 'Seattle',
      edgeFqdn: 'ap.contoso.com',
      edgeAddresses: ['203.0.113.10', '203.0.113.11'],
      mediationServers: [
        { fqdn: 'ms1.cce.contoso.com', ip: '10.10.1.21' },
        { fqdn: 'ms2.cce.contoso.com', ip: '10.10.1.22' },
      ],
      gateways: [
        { fqdn: 'gw1.contoso.com', ip: '10.10.1.50', port: 5067, transport: 'tls', mediationServers: ['ms1.cce.contoso.com', 'ms2.cce.contoso.com'] },
        { fqdn: 'gw2.contoso.com', ip: '10.10.1.51', port: 5067, transport: 'tls', mediationServers: ['ms1.cce.contoso.com', 'ms2.cce.contoso.com'] },
      ],
    },
    {
      name: 'Amsterdam',
      edgeFqdn: 'ap2.contoso.com',
      edgeAddresses: ['198.51.100.20'],
      mediationServers: [{ fqdn: 'ms3.cce.contoso.com', ip: '10.20.1.21' }],
      gateways: [{ fqdn: 'gw3.contoso.com', ip: '10.20.1.50', port: 5060, transport: 'tcp', mediationServers: ['ms3.cce.contoso.com'] }],
    },
  ],
};

let made: Promise<DemoNetwork> | undefined;

/** The demo network; certificates are generated on first use (a few hundred ms) and shared after. */
export function demoNetwork(): Promise<DemoNetwork> {
  made ??= build();
  return made;
}

async function issue(fqdn: string, ca: CaMaterial, days: number): Promise<{ certPem: string; keyPem: string }> {
  const { keyPem, csrPem } = await createKeyAndCsr(fqdn);
  return { certPem: issueFromCsr(csrPem, ca, { days }), keyPem };
}

async function build(): Promise<DemoNetwork> {
  const ca = await createLabRoot('Contoso CCE Root');
  const [gw1, gw2, bot] = await Promise.all([issue('gw1.contoso.com', ca, 365), issue('gw2.contoso.com', ca, 12.5), issue('ms1.cce.contoso.com', ca, 365)]);
  const sbc = (chain: string[], latencyMs: number) => ({ chain, requireClientCert: true, trustedClientRoots: [ca.certPem], sip: { code: 200, reason: 'OK', latencyMs, server: 'Contoso SBC 7.2' } });
  const state: SimNetworkState = {
    latencyMs: 2,
    dns: {
      'ap.contoso.com': { A: ['203.0.113.10', '203.0.113.11'] },
      'ap2.contoso.com': { A: ['198.51.100.20'] },
      'sip.contoso.com': { A: ['203.0.113.10'] },
      '_sip._tls.contoso.com': { SRV: [{ name: 'sipdir.online.lync.com', port: 443, priority: 100, weight: 1 }] },
      '_sipfederationtls._tcp.contoso.com': { SRV: [{ name: 'sipfed.online.lync.com', port: 5061, priority: 100, weight: 1 }] },
      'sipdir.online.lync.com': { A: ['52.112.196.40'] },
      'sipfed.online.lync.com': { A: ['52.112.196.41'] },
      'gw1.contoso.com': { A: ['10.10.1.50'] },
      'gw2.contoso.com': { A: ['10.10.1.51'] },
      'gw3.contoso.com': { A: ['10.20.1.50'] },
      'ms1.cce.contoso.com': { A: ['10.10.1.21'] },
      'ms2.cce.contoso.com': { A: ['10.10.1.22'] },
      'ms3.cce.contoso.com': { A: ['10.20.1.21'] },
    },
    hosts: {
      '203.0.113.10': { ports: { 5061: 'open', 443: 'open' } },
      '203.0.113.11': { ports: { 5061: 'open', 443: 'open' } },
      '198.51.100.20': { ports: { 5061: 'open' } },
      '10.10.1.21': { ports: { 5067: 'open' } },
      '10.10.1.22': { ports: { 5067: 'open' } },
      '10.20.1.21': { ports: { 5068: 'open' } },
      '10.10.1.50': { ports: { 5067: 'open' }, tls: { 5067: sbc([gw1.certPem, ca.certPem], 9) } },
      '10.10.1.51': { ports: { 5067: 'open' }, tls: { 5067: sbc([gw2.certPem, ca.certPem], 14) } },
      '10.20.1.50': { ports: { 5060: 'open' }, sip: { 5060: { code: 200, reason: 'OK', latencyMs: 11, server: 'Contoso SBC 6.8' } } },
    },
  };
  return { network: new SimulatedNetwork(state), state, inventory: demoInventory, ca, clientCert: { certPem: bot.certPem, keyPem: bot.keyPem } };
}
