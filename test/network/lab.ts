/**
 * One lab, two faces: the same zone, certificates and peers, started for real (dnsmasq, openssl s_server,
 * sipp, socat, TCP listeners on 127.0.0.x) or described to the simulated network. The contract suite runs
 * the same assertions over both.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createKeyAndCsr, createLabRoot, issueFromCsr, type CaMaterial } from '../../src/certs/authority';
import type { ClientCertificate } from '../../src/network/port';
import type { SimNetworkState } from '../../src/network/sim';
import { freePort, openListener, silentListener, start, startDnsmasq, stopAll, waitForTcp, writeSippScenario, type ZoneRecords } from './peers';

export interface LabCerts {
  ca: CaMaterial;
  /** Another CA, trusted by nobody. */
  rogue: CaMaterial;
  gw1: ClientCertificate;
  gwm: ClientCertificate;
  gw4: ClientCertificate;
  bot: ClientCertificate;
  rogueBot: ClientCertificate;
}

let certs: Promise<LabCerts> | undefined;

async function issued(fqdn: string, ca: CaMaterial, days = 365): Promise<ClientCertificate> {
  const { keyPem, csrPem } = await createKeyAndCsr(fqdn);
  return { certPem: issueFromCsr(csrPem, ca, { days }), keyPem };
}

/** Certificates made by the project, once per test run. */
export function labCerts(): Promise<LabCerts> {
  certs ??= (async () => {
    const [ca, rogue] = await Promise.all([createLabRoot('Contoso Test CCE Root'), createLabRoot('Fabrikam Rogue Root')]);
    const [gw1, gwm, gw4, bot, rogueBot] = await Promise.all([issued('gw1.contoso.test', ca), issued('gwm.contoso.test', ca), issued('gw4.contoso.test', ca), issued('ms1.cce.contoso.test', ca), issued('ms1.cce.contoso.test', rogue)]);
    return { ca, rogue, gw1, gwm, gw4, bot, rogueBot };
  })();
  return certs;
}

export const zone: ZoneRecords = {
  local: ['contoso.test', 'online.test'],
  a: {
    'ap.contoso.test': ['127.0.0.11', '127.0.0.12'],
    'ap2.contoso.test': ['127.0.0.13'],
    'sip.contoso.test': ['127.0.0.11'],
    'sipdir.online.test': ['127.0.0.14'],
    'sipfed.online.test': ['127.0.0.15'],
    'gw1.contoso.test': ['127.0.0.21'],
    'gwm.contoso.test': ['127.0.0.22'],
    'gw3.contoso.test': ['127.0.0.31'],
    'gw4.contoso.test': ['127.0.0.32'],
    'silent.contoso.test': ['127.0.0.41'],
    'ms1.cce.contoso.test': ['127.0.0.51'],
  },
  srv: {
    '_sip._tls.contoso.test': [{ name: 'sipdir.online.test', port: 443, priority: 100, weight: 1 }],
    '_sipfederationtls._tcp.contoso.test': [{ name: 'sipfed.online.test', port: 5061, priority: 100, weight: 1 }],
  },
  cname: { 'alias.contoso.test': 'ap2.contoso.test' },
  deadZones: ['slow.test'],
};

export interface LabPorts {
  /** openssl s_server, gw1 certificate, no client certificate asked. */
  tls: number;
  /** openssl s_server requiring a client certificate from the lab CA. */
  mtls: number;
  /** sipp over TCP. */
  sipTcp: number;
  /** socat (TLS, client certificate required) in front of sipp. */
  sipTls: number;
  /** Accepts and never answers. */
  silent: number;
  /** A listener on ms1 (127.0.0.51); `closed` is a port nothing listens on there. */
  open: number;
  closed: number;
}

export interface Lab {
  certs: LabCerts;
  ports: LabPorts;
  /** The DNS server (real lab), "127.0.0.1:port". */
  dnsServer?: string;
  stop(): Promise<void>;
}

/** The simulated face of the lab: the same records, ports, certificates and answers. */
export async function simulatedLab(dnsTimeoutMs: number): Promise<{ state: SimNetworkState; lab: Lab }> {
  const c = await labCerts();
  const ports: LabPorts = { tls: 15001, mtls: 15002, sipTcp: 15003, sipTls: 15004, silent: 15005, open: 15006, closed: 15007 };
  const dns: SimNetworkState['dns'] = {};
  for (const [n, a] of Object.entries(zone.a)) dns[n] = { A: a };
  for (const [n, s] of Object.entries(zone.srv)) dns[n] = { SRV: s };
  for (const [n, t] of Object.entries(zone.cname)) dns[n] = { CNAME: [t] };
  dns['x.slow.test'] = { fail: 'timeout' };
  const sip = { code: 200, reason: 'OK', latencyMs: 1, server: 'SIPp UAS' };
  const state: SimNetworkState = {
    dnsTimeoutMs,
    dns,
    hosts: {
      '127.0.0.21': { ports: { [ports.tls]: 'open' }, tls: { [ports.tls]: { chain: [c.gw1.certPem, c.ca.certPem] } } },
      '127.0.0.22': { ports: { [ports.mtls]: 'open' }, tls: { [ports.mtls]: { chain: [c.gwm.certPem, c.ca.certPem], requireClientCert: true, trustedClientRoots: [c.ca.certPem] } } },
      '127.0.0.31': { ports: { [ports.sipTcp]: 'open' }, sip: { [ports.sipTcp]: sip } },
      '127.0.0.32': { ports: { [ports.sipTls]: 'open' }, tls: { [ports.sipTls]: { chain: [c.gw4.certPem, c.ca.certPem], requireClientCert: true, trustedClientRoots: [c.ca.certPem], sip } } },
      // Accepts TCP, never completes TLS or answers SIP.
      '127.0.0.41': { ports: { [ports.silent]: 'open' }, tls: { [ports.silent]: { chain: [], silent: true } } },
      '127.0.0.51': { ports: { [ports.open]: 'open' } },
    },
  };
  return { state, lab: { certs: c, ports, stop: async () => undefined } };
}

/** The real face: starts every peer; stop() kills them all (call it from `after`). */
export async function realLab(dir: string): Promise<Lab> {
  const c = await labCerts();
  const write = (name: string, text: string): string => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text, { mode: 0o600 });
    return file;
  };
  const caFile = write('ca.pem', c.ca.certPem);
  const stops: Array<() => Promise<void>> = [];
  try {
    const [tls, mtls, sipTcp, sipTls, closed] = await Promise.all([freePort('127.0.0.21'), freePort('127.0.0.22'), freePort('127.0.0.31'), freePort('127.0.0.32'), freePort('127.0.0.51')]);
    const silent = await silentListener('127.0.0.41');
    stops.push(silent.close);
    const open = await openListener('127.0.0.51');
    stops.push(open.close);
    const dnsmasq = await startDnsmasq(zone);
    const sTls = start('openssl', ['s_server', '-quiet', '-accept', `127.0.0.21:${tls}`, '-cert', write('gw1.pem', c.gw1.certPem), '-key', write('gw1.key', c.gw1.keyPem), '-cert_chain', caFile, '-naccept', '1000']);
    const sMtls = start('openssl', ['s_server', '-quiet', '-accept', `127.0.0.22:${mtls}`, '-cert', write('gwm.pem', c.gwm.certPem), '-key', write('gwm.key', c.gwm.keyPem), '-cert_chain', caFile, '-Verify', '2', '-verify_return_error', '-CAfile', caFile, '-naccept', '1000']);
    const sipp = start('sipp', ['-sf', writeSippScenario(dir), '-t', 't1', '-i', '127.0.0.31', '-p', String(sipTcp), '-nostdin', '-max_socket', '100'], { cwd: dir });
    const gw4 = write('gw4-chain.pem', c.gw4.certPem + c.ca.certPem);
    const socat = start('socat', [`OPENSSL-LISTEN:${sipTls},bind=127.0.0.32,reuseaddr,fork,cert=${gw4},key=${write('gw4.key', c.gw4.keyPem)},cafile=${caFile},verify=1`, `TCP:127.0.0.31:${sipTcp}`]);
    await Promise.all([waitForTcp(sTls, '127.0.0.21', tls), waitForTcp(sMtls, '127.0.0.22', mtls), waitForTcp(sipp, '127.0.0.31', sipTcp), waitForTcp(socat, '127.0.0.32', sipTls)]);
    return {
      certs: c,
      ports: { tls, mtls, sipTcp, sipTls, silent: silent.port, open: open.port, closed },
      dnsServer: dnsmasq.server,
      stop: async () => {
        await Promise.all(stops.map((s) => s()));
        await stopAll();
      },
    };
  } catch (err) {
    await Promise.all(stops.map((s) => s()));
    await stopAll();
    throw err;
  }
}
