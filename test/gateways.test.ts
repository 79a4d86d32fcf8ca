import { strict as assert } from 'node:assert';
import { admin, admin2, alice, cardOf, cardText, ChatHarness, requestIdIn } from './support/chat';

async function approveAndSettle(chat: ChatHarness, replyText: string | undefined): Promise<string> {
  const id = requestIdIn(replyText);
  await chat.click(admin, 'approve', { requestId: id });
  await chat.settle();
  return chat.outbox.sent.find((s) => s.message.text?.startsWith(id))?.message.text ?? '';
}

/** Seattle (two Mediation Servers and their pool) and Amsterdam (one), recorded through approved requests. */
async function twoSites(chat: ChatHarness): Promise<void> {
  for (const said of [
    'add site Seattle edge ap.contoso.com mediation ms1.contoso.com 10.0.1.11, ms2.contoso.com 10.0.1.12 pool mspool.contoso.com',
    'add site Amsterdam edge ap2.contoso.com mediation ms3.contoso.com 10.0.2.11',
  ]) {
    assert.match(await approveAndSettle(chat, (await chat.say(alice, said))[0]!.text), /done and verified/, said);
  }
}

describe('add gateway and gateway config', () => {
  let chat: ChatHarness;
  let filed: number;
  beforeEach(async () => {
    chat = await ChatHarness.create();
    await twoSites(chat);
    filed = (await chat.core.store.listRequests({})).length;
  });
  afterEach(async () => chat.close());

  /** A refusal is one line, no card, and files nothing; the inventory's gateways are unchanged. */
  async function refused(said: string, answer: string | RegExp): Promise<void> {
    const replies = await chat.say(alice, said);
    assert.equal(replies.length, 1, said);
    assert.equal(cardOf(replies[0]), undefined, said);
    if (typeof answer === 'string') assert.equal(replies[0]!.text, answer, said);
    else assert.match(replies[0]!.text ?? '', answer, said);
    assert.ok(!(replies[0]!.text ?? '').includes('\n'), 'one line');
    assert.equal((await chat.core.store.listRequests({})).length, filed, `${said}: nothing filed`);
    for (const s of await chat.core.store.listSites()) assert.deepEqual(s.gateways, [], `${said}: nothing recorded`);
  }

  it('records a TLS gateway after approval and prints one trunk per Mediation Server, TLS 5067, one priority, with MTLS', async () => {
    const [reply] = await chat.say(alice, 'add gateway gw1.contoso.com to site Seattle tls port 5061 trunks ms1.contoso.com, ms2.contoso.com');
    const card = cardText(cardOf(reply));
    assert.match(card, /Gateway gw1\.contoso\.com\n\(none\) → TLS port 5061, trunks to ms1\.contoso\.com, ms2\.contoso\.com at priority 1/);
    assert.match(card, /Port 5061 is the gateway's own listening port \(set on the gateway\); its trunks reach each Mediation Server on TLS 5067\./);
    assert.match(card, /MTLS[\s\S]*export the CCE root CA and import it on the gateway[\s\S]*CN and SAN are gw1\.contoso\.com\. cert request gw1\.contoso\.com makes its key and CSR, cert import gw1\.contoso\.com the PFX/);
    assert.deepEqual((await chat.core.store.getSite('Seattle'))!.gateways, [], 'nothing recorded before approval');

    assert.match(await approveAndSettle(chat, reply!.text), /done and verified for Gateway gw1\.contoso\.com of site Seattle: Gateway gw1\.contoso\.com TLS port 5061, trunks to ms1\.contoso\.com, ms2\.contoso\.com at priority 1\.$/);
    assert.deepEqual((await chat.core.store.getSite('Seattle'))!.gateways, [{ address: 'gw1.contoso.com', port: 5061, transport: 'tls', mediationServers: ['ms1.contoso.com', 'ms2.contoso.com'], priority: 1 }]);

    const [config] = await chat.say(alice, 'gateway config gw1.contoso.com');
    assert.equal(config!.text, [
      'Trunks to enter on gw1.contoso.com (site Seattle):',
      'Trunk 1: ms1.contoso.com, port 5067, TLS, priority 1',
      'Trunk 2: ms2.contoso.com, port 5067, TLS, priority 1',
      'TLS: configure MTLS (root CAs both ways; gateway certificate CN and SAN gw1.contoso.com).',
    ].join('\n'));
    const configCard = cardText(cardOf(config));
    assert.match(configCard, /Export the root CA from the Cloud Connector Active Directory computer and import it on the gateway/);
    assert.match(configCard, /Common name in Subject and DNS name in Alternative name = gw1\.contoso\.com/);
    assert.match(configCard, /The gateway itself listens on TLS 5061/);

    const [site] = await chat.say(alice, 'site Seattle');
    assert.match(cardText(cardOf(site)), /✅ Gateway gw1\.contoso\.com: TLS port 5061, trunks to ms1\.contoso\.com, ms2\.contoso\.com at priority 1/);
    const [sites] = await chat.say(alice, 'show sites');
    assert.match(cardText(cardOf(sites)), /Gateways\ngw1\.contoso\.com: TLS port 5061/);
  });

  it('defaults to TCP on the gateway\'s port 5060 with a trunk to every Mediation Server of the site, TCP 5068', async () => {
    const [reply] = await chat.say(alice, 'add gateway 10.0.1.20 to site Seattle');
    assert.match(cardText(cardOf(reply)), /Gateway 10\.0\.1\.20\n\(none\) → TCP port 5060, trunks to ms1\.contoso\.com, ms2\.contoso\.com at priority 1/);
    await approveAndSettle(chat, reply!.text);
    const [config] = await chat.say(alice, 'show gateway config for 10.0.1.20');
    assert.match(config!.text ?? '', /Trunk 1: ms1\.contoso\.com \(or 10\.0\.1\.11\), port 5068, TCP, priority 1\nTrunk 2: ms2\.contoso\.com \(or 10\.0\.1\.12\), port 5068, TCP, priority 1$/);
  });

  it('shows a form listing the sites, and files what it sends with the defaults filled in', async () => {
    const [form] = await chat.say(alice, 'add gateway');
    const json = JSON.stringify(cardOf(form));
    assert.ok(json.includes('"value":"Seattle"') && json.includes('"value":"Amsterdam"'), json);
    assert.ok(json.includes('"label":"The gateway\'s own listening port (empty: 5060 for TCP, 5061 for TLS)"'), json);
    const click = await chat.click(alice, 'submitRequest', { action: 'add-gateway', site: 'Amsterdam', address: 'gw3.contoso.com', transport: 'tls', port: '', trunks: '' });
    assert.match(String(click.value), /^Request R-[0-9A-Z]{8} sent for approval\.$/);
    const [request] = await chat.core.store.listRequests({ statuses: ['pending'] });
    assert.equal(request!.plan.changes[0]!.to, 'TLS port 5061, trunks to ms3.contoso.com at priority 1');
  });

  it('refuses a trunk to a Mediation Server of another site, naming that site', async () => {
    await refused('add gateway gw2.contoso.com to site Seattle trunks ms1.contoso.com, ms3.contoso.com',
      'ms3.contoso.com is a Mediation Server of site Amsterdam: a gateway of site Seattle trunks only to Seattle\'s Mediation Servers (ms1.contoso.com, ms2.contoso.com).');
    await refused('add gateway gw2.contoso.com to site Seattle trunks 10.0.2.11', /^10\.0\.2\.11 is a Mediation Server of site Amsterdam/);
  });

  it('refuses the pool FQDN as a trunk, because it is the same for all servers of the pool', async () => {
    await refused('add gateway gw2.contoso.com to site Seattle trunks mspool.contoso.com',
      'mspool.contoso.com is the Mediation pool FQDN of site Seattle: each trunk points to one Mediation Server\'s FQDN or IP, never the pool FQDN, because the pool FQDN is the same for all servers of the pool.');
  });

  it('refuses trunks at differing priorities, and says why', async () => {
    await refused('add gateway gw2.contoso.com to site Seattle trunks ms1.contoso.com priority 1, ms2.contoso.com priority 2',
      'All trunks of a gateway have the same priority (you gave 1 for ms1.contoso.com and 2 for ms2.contoso.com): the procedure sets them equal so calls are shared by all Mediation Servers of the site.');
    await refused('add gateway gw2.contoso.com to site Seattle priority 3 trunks ms1.contoso.com, ms2.contoso.com priority 1', /^All trunks of a gateway have the same priority \(you gave 3 for ms1\.contoso\.com and 1 for ms2\.contoso\.com\)/);
  });

  it('refuses an unknown Mediation Server with the site\'s list, and two trunks to one server', async () => {
    await refused('add gateway gw2.contoso.com to site Seattle trunks ms9.contoso.com',
      'ms9.contoso.com is not a Mediation Server of site Seattle; its Mediation Servers: ms1.contoso.com (10.0.1.11), ms2.contoso.com (10.0.1.12).');
    await refused('add gateway gw2.contoso.com to site Seattle trunks ms1.contoso.com, 10.0.1.11', '10.0.1.11 names ms1.contoso.com again: one trunk per Mediation Server.');
  });

  it('refuses TLS to a gateway known only by IP, a site not in the inventory, and bad input, each in one line', async () => {
    await refused('add gateway 10.0.1.20 to site Seattle tls', 'TLS needs the gateway\'s FQDN, not 10.0.1.20: the gateway certificate\'s CN and SAN are its FQDN.');
    await refused('add gateway gw2.contoso.com to site Berlin', 'There is no site "Berlin" in the inventory: add site Berlin first. Sites: Amsterdam, Seattle.');
    await refused('add gateway gw2.contoso.com to site Seattle port 70000', 'The gateway\'s port is 1-65535.');
    await refused('add gateway gw_2 to site Seattle', '"gw_2" is not an FQDN or IPv4 address (e.g. gw1.contoso.com or 10.0.1.20).');
    await refused('add gateway gw2.contoso.com to site Seattle trunks ms1.contoso.com priority high', /^"ms1\.contoso\.com priority high" is not a trunk/);
    await refused('gateway config gw9.contoso.com', 'There is no gateway gw9.contoso.com in the inventory. Gateways: none yet (add gateway <FQDN or IP> to site <site>).');
  });

  it('keeps a gateway in one site, and a gateway\'s Mediation Servers in its site', async () => {
    await approveAndSettle(chat, (await chat.say(alice, 'add gateway gw1.contoso.com to site Seattle'))[0]!.text);
    const [elsewhere] = await chat.say(alice, 'add gateway gw1.contoso.com to site Amsterdam');
    assert.equal(elsewhere!.text, 'gw1.contoso.com is already a gateway of site Seattle: a site\'s gateways connect only to that site\'s Mediation Servers.');
    const [same] = await chat.say(alice, 'add gateway gw1.contoso.com to site Seattle');
    assert.equal(same!.text, 'Gateway gw1.contoso.com of site Seattle already has these settings: nothing to do.');
    const [drop] = await chat.say(alice, 'add site Seattle edge ap.contoso.com mediation ms1.contoso.com 10.0.1.11');
    assert.equal(drop!.text, 'Gateway gw1.contoso.com trunks to ms2.contoso.com, which this would remove from Seattle: change that gateway\'s trunks first (add gateway gw1.contoso.com to site Seattle trunks …).');
  });

  it('says on the site which Mediation Server a gateway has no trunk to', async () => {
    const [reply] = await chat.say(alice, 'add gateway gw4.contoso.com to site Seattle trunks ms1.contoso.com');
    assert.match(cardText(cardOf(reply)), /No trunk to ms2\.contoso\.com: the procedure sets trunks back to the Mediation Servers of all appliances of the site\./);
    await approveAndSettle(chat, reply!.text);
    const [site] = await chat.say(alice, 'site Seattle');
    assert.match(cardText(cardOf(site)), /⚠️ Gateway gw4\.contoso\.com has no trunk to ms2\.contoso\.com/);
    assert.match(cardText(cardOf(site)), /add gateway gw4\.contoso\.com to site Seattle trunks ms1\.contoso\.com, ms2\.contoso\.com/);
  });

  it('refuses a second open request for the same site with the first one\'s id', async () => {
    const first = requestIdIn((await chat.say(alice, 'add gateway gw1.contoso.com to site Seattle'))[0]!.text);
    const [gateway] = await chat.say(admin2, 'add gateway gw2.contoso.com to site Seattle');
    assert.equal(gateway!.text, `PSTN site seattle is already held by open request ${first} (pending, Gateway gw1.contoso.com of site Seattle); decide on that one first, or wait for it to finish.`);
    const [site] = await chat.say(admin2, 'add site Seattle edge ap.contoso.com mediation ms1.contoso.com 10.0.1.11, ms2.contoso.com 10.0.1.12, ms4.contoso.com 10.0.1.14');
    assert.match(site!.text ?? '', new RegExp(`already held by open request ${first}`));
    const [sameGateway] = await chat.say(admin2, 'add gateway gw1.contoso.com to site Amsterdam');
    assert.match(sameGateway!.text ?? '', new RegExp(`^Gateway gw1\\.contoso\\.com is already held by open request ${first}`));
    // Another site is free.
    assert.match((await chat.say(admin2, 'add gateway gw5.contoso.com to site Amsterdam'))[0]!.text ?? '', /is waiting for an approver/);
  });
});
