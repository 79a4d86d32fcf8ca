/** The checks against real local peers: dnsmasq for DNS, listeners for ports, openssl s_server and sipp for gateways. */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { checkDns } from '../../src/network/check-dns';
import { checkGateway } from '../../src/network/check-gateway';
import { checkPorts } from '../../src/network/check-ports';
import { runNetworkChecklist } from '../../src/network/checklist';
import type { CheckItem } from '../../src/model/check';
import type { Gateway, Site } from '../../src/network/inventory-types';
import { RealNetwork } from '../../src/network/real';
import { tempDir } from '../support/temp-dirs';
import { realLab, type Lab } from './lab';
import { requireTools } from './peers';

function item(items: CheckItem[], check: string): CheckItem {
  const found = items.find((i) => i.check === check);
  assert.ok(found, `no item "${check}" in ${items.map((i) => i.check).join(', ')}`);
  return found;
}

describe('checks against real peers', function () {
  this.timeout(30_000);
  let lab: Lab;
  let network: RealNetwork;
  before(async function () {
    requireTools(this, 'dnsmasq', 'openssl', 'sipp', 'socat');
    lab = await realLab(tempDir('net-checks'));
    network = new RealNetwork({ dnsServers: [lab.dnsServer!], dnsTimeoutMs: 500 });
  });
  after(async () => lab?.stop());

  describe('checkDns against dnsmasq', () => {
    const sites = [
      { name: 'Redmond', edgeFqdn: 'ap.contoso.test', expectedAddresses: ['127.0.0.11', '127.0.0.12'] },
      { name: 'Dublin', edgeFqdn: 'ap2.contoso.test' },
    ];

    it('passes the HA and multi-site Edge records and the SRV records, with what they resolve to', async () => {
      const items = await checkDns(network, { sipDomain: 'contoso.test', sites });
      assert.equal(item(items, 'Edge A record, site Redmond').status, 'pass');
      assert.match(item(items, 'Edge A record, site Redmond').evidence, /HA: 2 Edges/);
      assert.deepEqual(item(items, 'Edge A record, site Dublin'), { check: 'Edge A record, site Dublin', status: 'pass', evidence: 'ap2.contoso.test → 127.0.0.13' });
      assert.deepEqual(item(items, 'SRV _sip._tls.contoso.test'), { check: 'SRV _sip._tls.contoso.test', status: 'pass', evidence: 'sipdir.online.test:443 (priority 100, weight 1) → 127.0.0.14' });
      assert.equal(item(items, 'SRV _sipfederationtls._tcp.contoso.test').status, 'pass');
    });

    it('warns that sip.<domain> points at a Cloud Connector Edge, and says what fixes it', async () => {
      const sip = item(await checkDns(network, { sipDomain: 'contoso.test', sites }), 'sip.contoso.test');
      assert.equal(sip.status, 'warn');
      assert.match(sip.evidence, /127\.0\.0\.11 is the Cloud Connector Edge of site Redmond/);
      assert.match(sip.fix ?? '', /delete the record sip\.contoso\.test/);
    });

    it('fails a site whose Edge FQDN does not exist (NXDOMAIN) or lacks an Edge address', async () => {
      const items = await checkDns(network, { sipDomain: 'contoso.test', sites: [{ name: 'Paris', edgeFqdn: 'ap3.contoso.test' }, { name: 'Redmond', edgeFqdn: 'ap.contoso.test', expectedAddresses: ['127.0.0.11', '127.0.0.12', '127.0.0.19'] }] });
      const paris = item(items, 'Edge A record, site Paris');
      assert.deepEqual([paris.status, paris.evidence], ['fail', 'ap3.contoso.test does not exist (NXDOMAIN)']);
      assert.match(paris.fix ?? '', /add an A record ap3\.contoso\.test/);
      const redmond = item(items, 'Edge A record, site Redmond');
      assert.equal(redmond.status, 'fail');
      assert.match(redmond.evidence, /missing 127\.0\.0\.19/);
    });

    it('fails the SRV records of a domain that has none', async () => {
      const srv = item(await checkDns(network, { sipDomain: 'online.test', sites: [] }), 'SRV _sip._tls.online.test');
      assert.equal(srv.status, 'fail');
      assert.match(srv.fix ?? '', /Microsoft 365 creates this record/);
    });

    it('answers in one line per record, in bounded time, when the DNS server never answers', async () => {
      const mute = dgram.createSocket('udp4');
      await new Promise<void>((r) => mute.bind(0, '127.0.0.1', () => r()));
      try {
        const silentDns = new RealNetwork({ dnsServers: [`127.0.0.1:${mute.address().port}`], dnsTimeoutMs: 400 });
        const started = Date.now();
        const items = await checkDns(silentDns, { sipDomain: 'contoso.test', sites });
        assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
        const edge = item(items, 'Edge A record, site Redmond');
        assert.deepEqual([edge.status, edge.evidence], ['fail', 'the DNS server did not answer for ap.contoso.test A within 400 ms']);
        assert.ok(items.every((i) => !i.evidence.includes('\n')));
      } finally {
        mute.close();
      }
    });
  });

  describe('checkPorts against listeners the test opens', () => {
    const servers: net.Server[] = [];
    let site: Site;
    before(async () => {
      const listen = (host: string, port: number) =>
        new Promise<void>((resolve, reject) => {
          const s = net.createServer((c) => c.destroy());
          s.once('error', reject);
          s.listen(port, host, () => resolve());
          servers.push(s);
        });
      // 127.0.0.12:443 stays closed: the one port the table must show as closed.
      await Promise.all([listen('127.0.0.11', 5061), listen('127.0.0.11', 443), listen('127.0.0.12', 5061), listen('127.0.0.51', 5067)]);
      site = {
        name: 'Redmond',
        edgeFqdn: 'ap.contoso.test',
        edgeAddresses: ['127.0.0.11', '127.0.0.12'],
        mediationServers: [{ fqdn: 'ms1.cce.contoso.test' }],
        gateways: [{ fqdn: 'gw1.contoso.test', port: lab.ports.tls, transport: 'tls', mediationServers: ['ms1.cce.contoso.test'] }],
      };
    });
    after(async () => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));

    it('shows expected vs seen for every TCP port of the tables, and the closed one as closed', async () => {
      const report = await checkPorts(network, site, { timeoutMs: 500 });
      const seen = report.rows.filter((r) => r.expected === 'open').map((r) => `${r.role} ${r.address} ${r.port}: ${r.seen}`);
      assert.deepEqual(seen, [
        'Edge 127.0.0.11 TCP 5061: open',
        'Edge 127.0.0.11 TCP 443: open',
        'Edge 127.0.0.12 TCP 5061: open',
        'Edge 127.0.0.12 TCP 443: closed (connection refused)',
        'Mediation Server 127.0.0.51 TLS 5067: open',
        `gateway 127.0.0.21 TLS ${lab.ports.tls}: open`,
      ]);
      const closed = report.items.find((i) => i.status === 'fail');
      assert.match(closed?.fix ?? '', /open TCP 443 toward ap\.contoso\.test \(127\.0\.0\.12\) in the external firewall/);
    });

    it('lists UDP and media ranges as not verifiable by a probe, with the reason', async () => {
      const report = await checkPorts(network, site, { timeoutMs: 500 });
      const udp = report.rows.filter((r) => r.expected === 'not verifiable by a probe');
      assert.ok(udp.some((r) => r.port === 'UDP 3478' && /UDP has no handshake/.test(r.purpose)));
      assert.ok(udp.some((r) => r.port === 'UDP 49,152-57,500'));
    });
  });

  it('checklist for two sites against the real peers, one of which never answers, takes under 5 s', async () => {
    const inventory = {
      sipDomain: 'contoso.test',
      sites: [
        { name: 'Redmond', edgeFqdn: 'ap.contoso.test', mediationServers: [{ fqdn: 'ms1.cce.contoso.test' }], gateways: [{ fqdn: 'gw4.contoso.test', port: lab.ports.sipTls, transport: 'tls' as const, mediationServers: ['ms1.cce.contoso.test'] }, { fqdn: 'silent.contoso.test', port: lab.ports.silent, transport: 'tls' as const, mediationServers: ['ms1.cce.contoso.test'] }] },
        { name: 'Dublin', edgeFqdn: 'ap2.contoso.test', mediationServers: [{ fqdn: 'ms1.cce.contoso.test' }], gateways: [{ fqdn: 'gw3.contoso.test', port: lab.ports.sipTcp, transport: 'tcp' as const, mediationServers: ['ms1.cce.contoso.test'] }] },
      ],
    };
    const started = Date.now();
    const sections = await runNetworkChecklist(network, inventory, { roots: [lab.certs.ca.certPem], clientCert: lab.certs.bot, timeoutMs: 2500, probeTimeoutMs: 1000 });
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 5000, `took ${elapsed} ms`);
    const gateways = sections.find((s) => s.section === 'gateways')!.items;
    assert.equal(gateways.find((i) => i.check === 'silent.contoso.test: TLS handshake')?.status, 'fail');
    assert.equal(gateways.find((i) => i.check === 'gw4.contoso.test: SIP OPTIONS')?.status, 'pass');
    assert.equal(gateways.find((i) => i.check === 'gw3.contoso.test: SIP OPTIONS')?.status, 'pass');
  });

  describe('checkGateway against openssl s_server and sipp', () => {
    const gw4 = (): Gateway => ({ fqdn: 'gw4.contoso.test', ip: '127.0.0.32', port: lab.ports.sipTls, transport: 'tls', mediationServers: [] });

    it('MTLS gateway: certificate, chain, dates, key usage and SIP OPTIONS all pass', async () => {
      const report = await checkGateway(network, gw4(), { roots: [lab.certs.ca.certPem], clientCert: lab.certs.bot, timeoutMs: 3000 });
      assert.deepEqual(report.items.map((i) => `${i.check}: ${i.status}`), ['TLS handshake: pass', 'subject CN: pass', 'DNS SAN: pass', 'chain: pass', 'validity: pass', 'key usage for MTLS: pass', 'SIP OPTIONS: pass']);
      assert.match(item(report.items, 'SIP OPTIONS').evidence, /^SIP\/2\.0 200 OK in \d+ ms from SIPp UAS$/);
      assert.match(item(report.items, 'TLS handshake').evidence, /the bot presented its client certificate/);
      assert.match(item(report.items, 'chain').evidence, /gw4\.contoso\.test → Contoso Test CCE Root/);
    });

    it('MTLS gateway without a client certificate: the handshake fails and says to configure one', async () => {
      const report = await checkGateway(network, gw4(), { roots: [lab.certs.ca.certPem], timeoutMs: 3000 });
      const hs = item(report.items, 'TLS handshake');
      assert.equal(hs.status, 'fail');
      assert.match(hs.evidence, /certificate required/);
      assert.match(hs.fix ?? '', /MTLS_CLIENT_CERT_FILE/);
    });

    it('a gateway that does not answer SIP: TLS passes, OPTIONS fails with a timeout', async () => {
      const report = await checkGateway(network, { fqdn: 'gw1.contoso.test', ip: '127.0.0.21', port: lab.ports.tls, transport: 'tls', mediationServers: [] }, { roots: [lab.certs.ca.certPem], timeoutMs: 800 });
      assert.equal(item(report.items, 'TLS handshake').status, 'pass');
      const sip = item(report.items, 'SIP OPTIONS');
      assert.equal(sip.status, 'fail');
      assert.match(sip.evidence, /no SIP response to OPTIONS/);
    });

    it('a certificate for another name, from another root, or near its end is reported as such', async () => {
      const wrongName = await checkGateway(network, { fqdn: 'gw9.contoso.test', ip: '127.0.0.21', port: lab.ports.tls, transport: 'tls', mediationServers: [] }, { roots: [lab.certs.rogue.certPem], timeoutMs: 800 });
      assert.deepEqual([item(wrongName.items, 'subject CN').status, item(wrongName.items, 'DNS SAN').status, item(wrongName.items, 'chain').status], ['fail', 'fail', 'fail']);
      assert.match(item(wrongName.items, 'subject CN').fix ?? '', /cert request gw9\.contoso\.test/);
      const soon = await checkGateway(network, gw4(), { roots: [lab.certs.ca.certPem], clientCert: lab.certs.bot, timeoutMs: 3000, now: new Date(Date.now() + 355 * 86_400_000) });
      const validity = item(soon.items, 'validity');
      assert.equal(validity.status, 'warn');
      assert.match(validity.evidence, /\b(8|9|10) days left/);
    });

    it('a TCP gateway: SIP OPTIONS against sipp, no certificate to check', async () => {
      const report = await checkGateway(network, { fqdn: 'gw3.contoso.test', port: lab.ports.sipTcp, transport: 'tcp', mediationServers: [] }, { roots: [], timeoutMs: 2000 });
      assert.deepEqual(report.items.map((i) => `${i.check}: ${i.status}`), ['transport: pass', 'SIP OPTIONS: pass']);
    });
  });
});
