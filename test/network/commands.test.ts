/** The network commands as a user types them, on the demo tenant and the demo network (the default). */
import { strict as assert } from 'node:assert';
import { X509Certificate } from 'node:crypto';
import { alice, cardOf, cardText, ChatHarness } from '../support/chat';

describe('network commands in chat (demo network)', function () {
  this.timeout(20_000);
  let chat: ChatHarness;
  before(async () => {
    chat = await ChatHarness.create();
  });
  after(async () => chat.close());

  it('check dns: answers at once, the wrong sip. record first, each item with its evidence', async () => {
    const [reply] = await chat.say(alice, 'check dns contoso.com');
    assert.equal(reply!.text, 'DNS for contoso.com: 1 to look at, 4 passed. sip.contoso.com: sip.contoso.com → 203.0.113.10: 203.0.113.10 is the Cloud Connector Edge of site Seattle Fix: delete the record sip.contoso.com that points at the Edge: this name belongs to Microsoft 365 (planning doc, DNS requirements)');
    const text = cardText(cardOf(reply));
    assert.match(text, /✅ Edge A record, site Seattle\nap\.contoso\.com → 203\.0\.113\.10, 203\.0\.113\.11 \(HA: 2 Edges\)/);
    assert.match(text, /✅ SRV _sipfederationtls\._tcp\.contoso\.com\nsipfed\.online\.lync\.com:5061/);
    assert.equal(chat.outbox.sent.length, 0, 'a check sends no approval card');
  });

  it('check dns without a domain uses the tenant\'s SIP domain', async () => {
    const [reply] = await chat.say(alice, 'check dns');
    assert.match(reply!.text ?? '', /^DNS for contoso\.com: /);
  });

  it('check ports <site>: the closed port of the Amsterdam Edge, with the firewall to open', async () => {
    const [reply] = await chat.say(alice, 'check ports Amsterdam');
    assert.match(reply!.text ?? '', /^Firewall ports, site Amsterdam: 1 to fix, 0 to look at, 4 passed\. Edge ap2\.contoso\.com \(198\.51\.100\.20\) TCP 443: /);
    const text = cardText(cardOf(reply));
    assert.match(text, /❌ Edge ap2\.contoso\.com \(198\.51\.100\.20\) TCP 443\nmedia relay over TCP from Microsoft 365 and clients: expected open, seen closed \(connection refused\)\nFix: open TCP 443 toward ap2\.contoso\.com \(198\.51\.100\.20\) in the external firewall/);
    assert.match(text, /not verifiable by a probe/);
  });

  it('check ports: an unknown site is refused in one line naming the sites; no site asks which', async () => {
    const [unknown] = await chat.say(alice, 'check ports Berlin');
    assert.equal(unknown!.text, 'There is no PSTN site "Berlin" in the inventory. Sites: Seattle, Amsterdam.');
    const [ask] = await chat.say(alice, 'check ports');
    assert.match(ask!.text ?? '', /Which site\?/);
  });

  it('check gateway <fqdn>: MTLS handshake, certificate and SIP OPTIONS; gw2 expires in 12 days', async () => {
    const [reply] = await chat.say(alice, 'check gateway gw2.contoso.com');
    assert.match(reply!.text ?? '', /^Gateway gw2\.contoso\.com \(site Seattle\): 1 to look at, 6 passed\. validity: valid .*: 12 days left Fix: renew it: `cert request gw2\.contoso\.com`, then `cert import gw2\.contoso\.com`$/);
    const text = cardText(cardOf(reply));
    assert.match(text, /✅ TLS handshake\nTLSv1\.3, TLS_AES_256_GCM_SHA384 with gw2\.contoso\.com:5067 \(10\.10\.1\.51\); the bot presented its client certificate \(MTLS\)/);
    assert.match(text, /✅ SIP OPTIONS\nSIP\/2\.0 200 OK in \d+ ms from Contoso SBC 7\.2/);
    const [unknown] = await chat.say(alice, 'check gateway gw9.contoso.com');
    assert.equal(unknown!.text, 'There is no gateway "gw9.contoso.com" in the inventory. Gateways: gw1.contoso.com, gw2.contoso.com, gw3.contoso.com.');
  });

  it('cert root: the root CA as a PEM file, with its fingerprint in the text', async () => {
    const [reply] = await chat.say(alice, 'cert root');
    const file = reply!.attachments?.find((a) => a.name === 'cce-root.cer');
    assert.ok(file, JSON.stringify(reply!.attachments?.map((a) => a.name)));
    const root = new X509Certificate(String(file.content));
    assert.equal(root.ca, true);
    assert.equal(reply!.text, `Cloud Connector root CA CN=Contoso CCE Root, O=Switchboard lab, SHA-256 ${root.fingerprint256}: attached as cce-root.cer.`);
  });

  it('help lists the network commands', async () => {
    const [reply] = await chat.say(alice, 'help');
    const text = cardText(cardOf(reply));
    for (const usage of ['check dns [<sip domain>]', 'check ports <site>', 'check gateway <fqdn>', 'cert root']) assert.ok(text.includes(usage), usage);
  });
});
