/** The network commands in chat with the real network runtime, against the real local peers of lab.ts. */
import { strict as assert } from 'node:assert';
import { RealNetwork } from '../../src/network/real';
import { useNetworkRuntime } from '../../src/network/runtime';
import { alice, ChatHarness } from '../support/chat';
import { tempDir } from '../support/temp-dirs';
import { realLab, type Lab } from './lab';
import { requireTools } from './peers';

describe('network commands against real peers', function () {
  this.timeout(30_000);
  let lab: Lab;
  let chat: ChatHarness;
  before(async function () {
    requireTools(this, 'dnsmasq', 'openssl', 'sipp', 'socat');
    lab = await realLab(tempDir('net-commands'));
    const ms1 = 'ms1.cce.contoso.test';
    useNetworkRuntime({
      port: new RealNetwork({ dnsServers: [lab.dnsServer!], dnsTimeoutMs: 500 }),
      inventory: {
        sipDomain: 'contoso.test',
        sites: [{ name: 'Lab', edgeFqdn: 'ap.contoso.test', mediationServers: [{ fqdn: ms1 }], gateways: [{ fqdn: 'gw4.contoso.test', port: lab.ports.sipTls, transport: 'tls', mediationServers: [ms1] }] }],
      },
      roots: [lab.certs.ca.certPem],
      clientCert: lab.certs.bot,
      probeTimeoutMs: 500,
      gatewayTimeoutMs: 2000,
      where: 'this host (test peers)',
    });
    chat = await ChatHarness.create();
  });
  after(async () => {
    useNetworkRuntime(undefined);
    await chat?.close();
    await lab?.stop();
  });

  it('check dns <domain> reads dnsmasq: the sip. record at the Edge is the one warning', async () => {
    const [reply] = await chat.say(alice, 'check dns contoso.test');
    assert.equal(reply!.text, 'DNS for contoso.test: 1 to look at, 3 passed. sip.contoso.test: sip.contoso.test → 127.0.0.11: 127.0.0.11 is the Cloud Connector Edge of site Lab Fix: delete the record sip.contoso.test that points at the Edge: this name belongs to Microsoft 365 (planning doc, DNS requirements)');
  });

  it('check gateway <fqdn> does MTLS and SIP OPTIONS with socat and sipp: all pass', async () => {
    const [reply] = await chat.say(alice, 'check gateway gw4.contoso.test');
    assert.equal(reply!.text, 'Gateway gw4.contoso.test (site Lab): all 7 passed.');
  });
});
