/** The checks on the demo network (what `npm start` shows) and the mistakes the planning doc names. */
import assert from 'node:assert/strict';
import { checkDns } from '../../src/network/check-dns';
import { checkGateway } from '../../src/network/check-gateway';
import { checkPorts } from '../../src/network/check-ports';
import { runNetworkChecklist, type ChecklistProgress } from '../../src/network/checklist';
import type { CheckItem } from '../../src/model/check';
import { demoNetwork, type DemoNetwork } from '../../src/network/demo-network';
import type { Site } from '../../src/network/inventory-types';
import { SimulatedNetwork } from '../../src/network/sim';

const statuses = (items: CheckItem[]): string[] => items.map((i) => `${i.check}: ${i.status}`);

describe('checks on the demo network', function () {
  this.timeout(20_000);
  let demo: DemoNetwork;
  before(async () => {
    demo = await demoNetwork();
  });
  const dnsInput = () => ({ sipDomain: demo.inventory.sipDomain, sites: demo.inventory.sites.map((s) => ({ name: s.name, edgeFqdn: s.edgeFqdn, expectedAddresses: s.edgeAddresses ?? [] })) });

  it('check dns: the Edge and SRV records pass, sip.contoso.com at the Seattle Edge is a warning', async () => {
    const items = await checkDns(demo.network, dnsInput());
    assert.deepEqual(statuses(items), ['Edge A record, site Seattle: pass', 'Edge A record, site Amsterdam: pass', 'SRV _sip._tls.contoso.com: pass', 'SRV _sipfederationtls._tcp.contoso.com: pass', 'sip.contoso.com: warn']);
    assert.equal(items.at(-1)?.evidence, 'sip.contoso.com → 203.0.113.10: 203.0.113.10 is the Cloud Connector Edge of site Seattle');
  });

  it('check ports Amsterdam: TCP 443 on the Edge is closed', async () => {
    const report = await checkPorts(demo.network, demo.inventory.sites[1]!);
    assert.deepEqual(report.items.filter((i) => i.status !== 'pass').map((i) => i.check), ['Edge ap2.contoso.com (198.51.100.20) TCP 443']);
  });

  it('check gateway gw2: its certificate expires in 12 days, everything else passes', async () => {
    const gw2 = demo.inventory.sites[0]!.gateways[1]!;
    const report = await checkGateway(demo.network, gw2, { roots: [demo.ca.certPem], clientCert: demo.clientCert });
    assert.deepEqual(report.items.filter((i) => i.status !== 'pass').map((i) => [i.check, i.status]), [['validity', 'warn']]);
    assert.match(report.items.find((i) => i.check === 'validity')?.fix ?? '', /cert request gw2\.contoso\.com/);
  });

  it('the network sections of checklist: in procedure order, a mix of pass, warn and fail, each non-pass with its fix', async () => {
    const progress: ChecklistProgress[] = [];
    const sections = await runNetworkChecklist(demo.network, demo.inventory, { roots: [demo.ca.certPem], clientCert: demo.clientCert }, (p) => progress.push(p));
    assert.deepEqual(sections.map((s) => s.title), ['1. Firewall (ports and protocols)', '2. PSTN gateways and MTLS', '4. DNS records for the Edge']);
    const all = sections.flatMap((s) => s.items);
    assert.deepEqual(all.filter((i) => i.status !== 'pass').map((i) => `${i.status} ${i.check}`), ['fail Amsterdam: Edge ap2.contoso.com (198.51.100.20) TCP 443', 'warn gw2.contoso.com: validity', 'warn sip.contoso.com']);
    assert.ok(all.filter((i) => i.status !== 'pass').every((i) => i.fix && i.evidence));
    assert.deepEqual(progress.map((p) => p.done), [1, 2, 3, 4, 5, 6]);
    assert.ok(progress.every((p) => p.total === 6));
  });

  it('checklist <site>: only that site', async () => {
    const sections = await runNetworkChecklist(demo.network, demo.inventory, { roots: [demo.ca.certPem], clientCert: demo.clientCert, site: 'amsterdam' });
    assert.ok(sections[1]!.items.every((i) => i.check.startsWith('gw3.contoso.com')));
    assert.ok(!sections[2]!.items.some((i) => i.check.includes('Seattle')));
  });
});

describe('checks: the documented mistakes', () => {
  const net = new SimulatedNetwork({
    dnsTimeoutMs: 100,
    dns: {
      'ap.fabrikam.onmicrosoft.com': { A: ['192.0.2.1'] },
      'sip.contoso.com': { A: ['192.0.2.9'] },
      'edge.contoso.com': { A: ['192.0.2.10'] },
      'sip.northwind.com': { CNAME: ['ap.northwind.com'] },
      'ap.northwind.com': { A: ['192.0.2.20'] },
      '_sip._tls.northwind.com': { fail: 'servfail' },
    },
    hosts: {},
  });

  it('warns on an .onmicrosoft.com SIP domain', async () => {
    const items = await checkDns(net, { sipDomain: 'fabrikam.onmicrosoft.com', sites: [] });
    assert.deepEqual([items[0]?.check, items[0]?.status], ['SIP domain', 'warn']);
    assert.match(items[0]?.evidence ?? '', /does not support as SIP domain/);
  });

  it('fails an Edge named sip.<domain>, and two sites sharing one Edge FQDN', async () => {
    const items = await checkDns(net, { sipDomain: 'contoso.com', sites: [{ name: 'A', edgeFqdn: 'sip.contoso.com' }, { name: 'B', edgeFqdn: 'edge.contoso.com' }, { name: 'C', edgeFqdn: 'edge.contoso.com' }] });
    assert.equal(items.find((i) => i.check === 'Edge A record, site A')?.status, 'fail');
    const shared = items.find((i) => i.check === 'Edge FQDN per site');
    assert.match(shared?.evidence ?? '', /sites B, C share edge\.contoso\.com/);
  });

  it('warns on sip.<domain> as an alias of the Edge, and fails a SERVFAIL with a one-line answer', async () => {
    const items = await checkDns(net, { sipDomain: 'northwind.com', sites: [{ name: 'N', edgeFqdn: 'ap.northwind.com' }] });
    assert.match(items.find((i) => i.check === 'sip.northwind.com')?.evidence ?? '', /alias of ap\.northwind\.com, the Cloud Connector Edge/);
    const srv = items.find((i) => i.check === 'SRV _sip._tls.northwind.com');
    assert.deepEqual([srv?.status, srv?.evidence], ['fail', 'the DNS server failed to answer for _sip._tls.northwind.com SRV (SERVFAIL)']);
  });

  it('check ports stays inside its time budget when peers never answer, and says what it did not probe', async () => {
    const hosts: Record<string, { ports: Record<number, 'filtered'> }> = {};
    const site: Site = { name: 'Slow', edgeFqdn: 'ap.slow.com', edgeAddresses: [], mediationServers: [], gateways: [] };
    for (let i = 1; i <= 20; i += 1) {
      hosts[`192.0.2.${i}`] = { ports: { 5060: 'filtered' } };
      site.gateways.push({ fqdn: `gw${i}.slow.com`, ip: `192.0.2.${i}`, port: 5060, transport: 'tcp', mediationServers: [] });
    }
    const slow = new SimulatedNetwork({ dns: { 'ap.slow.com': { A: ['192.0.2.100'] } }, hosts });
    const started = Date.now();
    const report = await checkPorts(slow, site, { timeoutMs: 300, concurrency: 4, budgetMs: 1000 });
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 1500, `took ${elapsed} ms`);
    const gateways = report.rows.filter((r) => r.role === 'gateway');
    assert.ok(gateways.some((r) => r.seen === 'not probed: the time budget ran out'));
    assert.ok(gateways.some((r) => /^no answer in \d+ ms/.test(r.seen)));
  });
});
