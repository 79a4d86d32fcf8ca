import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import type { CmdletName, CmdletParams } from '../src/tenant/cmdlets';
import { TenantError, type RunOptions, type TenantPort } from '../src/tenant/port';
import { demoTenant, generateTenant } from '../src/tenant/sim/demo-tenant';
import { SimulatedTenant } from '../src/tenant/sim/simulated-tenant';
import { admin, admin2, alice, cardOf, cardText, ChatHarness, requestIdIn } from './support/chat';
import { tempDir } from './support/temp-dirs';

const seattle = 'add site Seattle edge ap.contoso.com mediation ms1.contoso.com 10.0.1.11, ms2.contoso.com 10.0.1.12';

/** Approves the request a reply names and waits for it to run; returns what the requester is told. */
async function approveAndSettle(chat: ChatHarness, replyText: string | undefined): Promise<string> {
  const id = requestIdIn(replyText);
  await chat.click(admin, 'approve', { requestId: id });
  await chat.settle();
  return chat.outbox.sent.find((s) => s.message.text?.startsWith(id))?.message.text ?? '';
}

/** A tenant whose module no longer ships the CsHybridPSTNSite cmdlets (they are marked for deprecation). */
function withoutPstnSiteCmdlets(inner: TenantPort): TenantPort {
  return {
    backend: inner.backend,
    run<N extends CmdletName>(cmdlet: N, params: CmdletParams<N>, options?: RunOptions) {
      if (cmdlet === 'Get-CsHybridPSTNSite') return Promise.reject(new TenantError('cmdlet-error', "The term 'Get-CsHybridPSTNSite' is not recognized as a name of a cmdlet."));
      return inner.run(cmdlet, params, options);
    },
    describe: () => inner.describe(),
    close: () => inner.close(),
  };
}

async function nothingStored(chat: ChatHarness): Promise<void> {
  assert.deepEqual(await chat.core.store.listRequests({}), []);
  assert.deepEqual(await chat.core.store.listSites(), []);
}

describe('add site', () => {
  let chat: ChatHarness;
  beforeEach(async () => {
    chat = await ChatHarness.create();
  });
  afterEach(async () => chat.close());

  it('plans the site as current -> new, records it only after approval, and reads it back from the inventory', async () => {
    const [reply] = await chat.say(alice, seattle);
    assert.match(reply!.text ?? '', /^R-[0-9A-Z]{8}: Add PSTN site for Site Seattle is waiting for an approver\.$/);
    const text = cardText(cardOf(reply));
    assert.match(text, /Edge FQDN\n\(none\) → ap\.contoso\.com/);
    assert.match(text, /Mediation Servers\n\(none\) → ms1\.contoso\.com \(10\.0\.1\.11\), ms2\.contoso\.com \(10\.0\.1\.12\)/);
    assert.match(text, /# record site Seattle in Switchboard's site inventory/);
    assert.deepEqual(await chat.core.store.listSites(), [], 'nothing is recorded before approval');

    const notice = await approveAndSettle(chat, reply!.text);
    assert.match(notice, /done and verified for Site Seattle: Edge FQDN ap\.contoso\.com, Mediation Servers ms1\.contoso\.com \(10\.0\.1\.11\), ms2\.contoso\.com \(10\.0\.1\.12\)/);
    assert.deepEqual(await chat.core.store.getSite('seattle'), {
      name: 'Seattle', edgeFqdn: 'ap.contoso.com', gateways: [],
      mediationServers: [{ fqdn: 'ms1.contoso.com', ip: '10.0.1.11' }, { fqdn: 'ms2.contoso.com', ip: '10.0.1.12' }],
    });

    const [sites] = await chat.say(alice, 'show sites');
    assert.equal(sites!.text, '1 PSTN site in Switchboard\'s inventory: Seattle (in the tenant). The tenant also has Amsterdam, not in the inventory.');
    const sitesCard = cardText(cardOf(sites));
    assert.match(sitesCard, /Mediation Servers\nms1\.contoso\.com \(10\.0\.1\.11\), ms2\.contoso\.com \(10\.0\.1\.12\)/);
    assert.match(sitesCard, /Amsterdam \(Edge ap2\.contoso\.com\): add site Amsterdam edge ap2\.contoso\.com/);

    const [one] = await chat.say(alice, 'site seattle');
    assert.match(one!.text ?? '', /^Site Seattle: Edge ap\.contoso\.com, 2 Mediation Servers, 0 gateways \(No PSTN gateways/);
    const oneCard = cardText(cardOf(one));
    assert.match(oneCard, /✅ Tenant: has PSTN site Seattle, with Edge FQDN ap\.contoso\.com\./);
    assert.match(oneCard, /⚠️ No PSTN gateways/);
    assert.match(oneCard, /add gateway <FQDN or IP> to site Seattle/);
  });

  it('shows a form with the Edge FQDN defaulting to ap.<primary SIP domain>, and files what the form sends', async () => {
    const [form] = await chat.say(alice, 'add site');
    const card = JSON.stringify(cardOf(form));
    assert.ok(card.includes('"id":"edge"') && card.includes('"value":"ap.contoso.com"'), card);
    assert.match(cardText(cardOf(form)), /The tenant's PSTN sites: Seattle, Amsterdam/);
    const click = await chat.click(alice, 'submitRequest', { action: 'add-site', name: 'Seattle', edge: 'ap.contoso.com', mediation: 'ms1.contoso.com 10.0.1.11', pool: '' });
    assert.match(String(click.value), /^Request R-[0-9A-Z]{8} sent for approval\.$/);
    const [request] = await chat.core.store.listRequests({});
    assert.equal(request!.command, 'add-site');
    assert.deepEqual(request!.params, { name: 'Seattle', edge: 'ap.contoso.com', mediation: [{ fqdn: 'ms1.contoso.com', ip: '10.0.1.11' }] });
  });

  it('notes, without refusing, that the tenant has no such PSTN site yet', async () => {
    const [reply] = await chat.say(alice, 'add site Berlin edge ap3.contoso.com mediation ms5.contoso.com 10.0.3.11');
    assert.match(cardText(cardOf(reply)), /The tenant has no PSTN site Berlin yet: PSTN sites are created automatically when the first appliance of a site registers/);
    await approveAndSettle(chat, reply!.text);
    const [sites] = await chat.say(alice, 'show sites');
    assert.match(sites!.text ?? '', /Berlin \(not in the tenant yet/);
  });

  it('refuses sip.<domain> as the Edge FQDN, in one line, storing nothing', async () => {
    const [reply] = await chat.say(alice, 'add site Seattle edge sip.contoso.com mediation ms1.contoso.com 10.0.1.11');
    assert.equal(reply!.text, 'sip.contoso.com cannot be the Edge FQDN: sip.<domain> belongs to Office 365. Use another name for the Access Edge, by default ap.contoso.com.');
    await nothingStored(chat);
  });

  it('refuses an Edge FQDN another site already uses, naming that site (multi-site = one External FQDN per site)', async () => {
    await approveAndSettle(chat, (await chat.say(alice, seattle))[0]!.text);
    const [reply] = await chat.say(alice, 'add site Berlin edge AP.contoso.com mediation ms5.contoso.com 10.0.3.11');
    assert.equal(reply!.text, 'ap.contoso.com is already the Edge FQDN of site Seattle: each PSTN site needs its own External Access Edge FQDN (appliances sharing one are one site with HA; add them to Seattle).');
    const [tenantOwned] = await chat.say(alice, 'add site Berlin edge ap2.contoso.com mediation ms5.contoso.com 10.0.3.11');
    assert.equal(tenantOwned!.text, 'ap2.contoso.com is the Edge FQDN of the tenant\'s PSTN site Amsterdam: each PSTN site needs its own External Access Edge FQDN.');
    assert.equal((await chat.core.store.listSites()).length, 1);
  });

  it('refuses a Mediation Server (by FQDN or by IP) that another site already has', async () => {
    await approveAndSettle(chat, (await chat.say(alice, seattle))[0]!.text);
    const [byName] = await chat.say(alice, 'add site Amsterdam edge ap2.contoso.com mediation MS1.contoso.com 10.0.2.11');
    assert.equal(byName!.text, 'ms1.contoso.com is already a Mediation Server of site Seattle: a Mediation Server belongs to one PSTN site only.');
    const [byIp] = await chat.say(alice, 'add site Amsterdam edge ap2.contoso.com mediation ms3.contoso.com 10.0.1.12');
    assert.equal(byIp!.text, '10.0.1.12 is already a Mediation Server of site Seattle: a Mediation Server belongs to one PSTN site only.');
    const [twice] = await chat.say(alice, 'add site Amsterdam edge ap2.contoso.com mediation ms3.contoso.com 10.0.2.11, ms3.contoso.com 10.0.2.12');
    assert.equal(twice!.text, 'ms3.contoso.com is listed twice: give each Mediation Server once, with its own FQDN and IP.');
    assert.deepEqual((await chat.core.store.listSites()).map((s) => s.name), ['Seattle']);
  });

  it('refuses the Mediation pool FQDN given as a Mediation Server', async () => {
    const [reply] = await chat.say(alice, 'add site Seattle edge ap.contoso.com mediation mspool.contoso.com 10.0.1.10 pool mspool.contoso.com');
    assert.equal(reply!.text, 'mspool.contoso.com is the Mediation pool FQDN: give each Mediation Server\'s own FQDN (the pool FQDN is the same for all servers of the pool).');
    await nothingStored(chat);
  });

  it('treats re-adding a site with other values as a change of that site, and the same values as nothing to do', async () => {
    await approveAndSettle(chat, (await chat.say(alice, seattle))[0]!.text);
    const [same] = await chat.say(alice, seattle);
    assert.equal(same!.text, 'Site Seattle is already in the inventory with these values: nothing to do.');
    const [change] = await chat.say(alice, `${seattle}, ms3.contoso.com 10.0.1.13`);
    const text = cardText(cardOf(change));
    assert.match(text, /Mediation Servers\nms1\.contoso\.com \(10\.0\.1\.11\), ms2\.contoso\.com \(10\.0\.1\.12\) → ms1\.contoso\.com \(10\.0\.1\.11\), ms2\.contoso\.com \(10\.0\.1\.12\), ms3\.contoso\.com \(10\.0\.1\.13\)/);
    assert.doesNotMatch(text, /Edge FQDN\n/, 'an unchanged property is not a change');
    assert.match(text, /# record site Seattle/);
    assert.match(await approveAndSettle(chat, change!.text), /done and verified for Site Seattle/);
    assert.equal((await chat.core.store.getSite('Seattle'))!.mediationServers.length, 3);
  });

  it('does not record over an inventory that changed after approval: the request goes stale', async () => {
    const [reply] = await chat.say(alice, seattle);
    await chat.core.store.putSite({ name: 'Seattle', edgeFqdn: 'ap9.contoso.com', mediationServers: [], gateways: [] }, { at: chat.clock.now().toISOString(), actor: 'system', event: 'inventory.site' });
    assert.match(await approveAndSettle(chat, reply!.text), /did not run for Site Seattle/);
    assert.equal((await chat.core.store.getSite('Seattle'))!.edgeFqdn, 'ap9.contoso.com');
    assert.equal((await chat.core.store.listRequests({}))[0]!.status, 'stale');
  });

  it('answers bad input in one line and stores nothing', async () => {
    const cases: [string, string][] = [
      ['add site Seattle edge ap..contoso.com', 'That is not a fully qualified domain name (e.g. ap.contoso.com).'],
      ['add site Seattle edge ap.contoso.com mediation ms1.contoso.com 10.0.1.999', '"ms1.contoso.com 10.0.1.999": "10.0.1.999" is not an IPv4 address. Give each Mediation Server as <FQDN> <IP>, separated by commas, e.g. ms1.contoso.com 10.0.1.11, ms2.contoso.com 10.0.1.12.'],
      ['add site Seattle edge ap.contoso.com mediation 10.0.1.11', '"10.0.1.11": a Mediation Server needs its FQDN. Give each Mediation Server as <FQDN> <IP>, separated by commas, e.g. ms1.contoso.com 10.0.1.11, ms2.contoso.com 10.0.1.12.'],
      ['add site Seat/tle edge ap.contoso.com', 'A PSTN site name has letters, digits, spaces, dots, dashes or underscores only.'],
      ['add site Seattle edge 10.0.0.5', 'The Edge needs its FQDN (the Access Edge\'s DNS A record and certificate name), not the address 10.0.0.5.'],
    ];
    for (const [said, answer] of cases) {
      const replies = await chat.say(alice, said);
      assert.equal(replies.length, 1, said);
      assert.equal(replies[0]!.text, answer, said);
      assert.equal(cardOf(replies[0]), undefined, said);
    }
    await nothingStored(chat);
  });

  it('refuses a second open request for the same site with the first one\'s id', async () => {
    const first = requestIdIn((await chat.say(alice, seattle))[0]!.text);
    const [second] = await chat.say(admin2, 'add site Seattle edge ap.contoso.com mediation ms1.contoso.com 10.0.1.11');
    assert.equal(second!.text, `Edge FQDN of site:seattle is already held by open request ${first} (pending, Site Seattle); decide on that one first, or wait for it to finish.`);
    // A Mediation Server a pending request names is held too, whichever site asks for it.
    const [other] = await chat.say(admin2, 'add site Berlin edge ap3.contoso.com mediation ms2.contoso.com 10.0.3.12');
    assert.match(other!.text ?? '', new RegExp(`^Mediation Server ms2\\.contoso\\.com is already held by open request ${first} \\(pending, Site Seattle\\)`));
    assert.equal((await chat.core.store.listRequests({})).length, 1);
  });
});

describe('show site', () => {
  let chat: ChatHarness;
  beforeEach(async () => {
    chat = await ChatHarness.create();
  });
  afterEach(async () => chat.close());

  it('says how to add a site the tenant has but the inventory lacks, and names the inventory for an unknown one', async () => {
    const [inTenant] = await chat.say(alice, 'site Amsterdam');
    assert.equal(inTenant!.text, 'Site Amsterdam is in the tenant but not in Switchboard\'s inventory: add site Amsterdam edge ap2.contoso.com mediation <FQDN> <IP>, … (inventory: none yet).');
    const [unknown] = await chat.say(alice, 'show site Berlin');
    assert.equal(unknown!.text, 'There is no site "Berlin" in the inventory. Sites: none yet.');
    const [empty] = await chat.say(alice, 'show sites');
    assert.match(empty!.text ?? '', /^No PSTN sites in Switchboard's inventory yet\. The tenant also has Seattle, Amsterdam, not in the inventory\./);
  });

  it('flags a site without Mediation Servers as the thing to fix first', async () => {
    await approveAndSettle(chat, (await chat.say(alice, 'add site Seattle edge ap.contoso.com'))[0]!.text);
    const [reply] = await chat.say(alice, 'site Seattle');
    const text = cardText(cardOf(reply));
    assert.match(text, /❌ No Mediation Servers/);
    assert.match(text, /Next\nadd site Seattle edge ap\.contoso\.com mediation <FQDN> <IP>, …/);
  });
});

describe('sites when the module no longer has Get-CsHybridPSTNSite', () => {
  it('still records and shows the inventory, saying what it could not check', async () => {
    const dataDir = tempDir('sites-nocmdlet');
    const chat = await ChatHarness.create({ dataDir, tenant: withoutPstnSiteCmdlets(new SimulatedTenant({ initial: demoTenant(), dataDir })) });
    try {
      const [reply] = await chat.say(alice, seattle);
      assert.match(cardText(cardOf(reply)), /The tenant's PSTN sites could not be read \(Get-CsHybridPSTNSite: The term 'Get-CsHybridPSTNSite' is not recognized/);
      await approveAndSettle(chat, reply!.text);
      const [sites] = await chat.say(alice, 'show sites');
      assert.match(sites!.text ?? '', /^1 PSTN site in Switchboard's inventory: Seattle \(not checked: the tenant's sites could not be read\)\. The tenant's sites could not be read: Get-CsHybridPSTNSite: /);
      const [one] = await chat.say(alice, 'site Seattle');
      assert.match(cardText(cardOf(one)), /⚠️ Tenant: not checked: the tenant's sites could not be read \(Get-CsHybridPSTNSite: The term/);
    } finally {
      await chat.close();
    }
  });
});

describe('assign a user to a site, asked for the site', () => {
  let chat: ChatHarness;
  beforeEach(async () => {
    chat = await ChatHarness.create();
  });
  afterEach(async () => chat.close());

  it('lists the tenant\'s sites and the inventory\'s, saying which are not in the tenant yet', async () => {
    await approveAndSettle(chat, (await chat.say(alice, 'add site Berlin edge ap3.contoso.com mediation ms5.contoso.com 10.0.3.11'))[0]!.text);
    const [form] = await chat.say(alice, 'assign Bob Kelly');
    const choices = JSON.stringify(cardOf(form));
    for (const title of ['Seattle', 'Amsterdam', 'Berlin (inventory only: not in the tenant yet)']) assert.ok(choices.includes(`"title":"${title}"`), title);
  });
});

describe('users without site', () => {
  it('names the voice-enabled users without a PSTN site and the PeerDestination their calls fall back to', async () => {
    const chat = await ChatHarness.create();
    try {
      const [before] = await chat.say(alice, 'users without site');
      assert.equal(before!.text, 'Every voice-enabled user looked at has a PSTN site. Looked at 1 voice-enabled user.');
      await approveAndSettle(chat, (await chat.say(alice, 'enable voice for Bob Kelly number +14255550100'))[0]!.text);
      const [unset] = await chat.say(alice, 'users without a PSTN site');
      assert.equal(unset!.text, '1 voice-enabled user has no PSTN site: calls fall back to the tenant\'s PeerDestination, which is not set (configure hybrid first): their calls have no hybrid route. Looked at 2 voice-enabled users. Bob Kelly (bob.kelly@contoso.com).');
      await chat.sim.run('Set-CsTenantHybridConfiguration', { PeerDestination: 'ap.contoso.com' });
      const [reply] = await chat.say(alice, 'users without site');
      assert.equal(reply!.text, '1 voice-enabled user has no PSTN site: calls fall back to the tenant\'s PeerDestination ap.contoso.com. Looked at 2 voice-enabled users. Bob Kelly (bob.kelly@contoso.com).');
      assert.match(cardText(cardOf(reply)), /Bob Kelly\nbob\.kelly@contoso\.com: assign bob\.kelly@contoso\.com to site <site>/);
    } finally {
      await chat.close();
    }
  });

  it('caps the work on a big tenant and says so', async () => {
    const dataDir = tempDir('sites-big');
    const initial = generateTenant({ users: 220 });
    for (const u of initial.users) u.EnterpriseVoiceEnabled = true;
    const chat = await ChatHarness.create({ dataDir, tenant: new SimulatedTenant({ initial, dataDir }) });
    try {
      const [reply] = await chat.say(alice, 'users without site');
      assert.match(reply!.text ?? '', /^200 voice-enabled users have no PSTN site: calls fall back to the tenant's PeerDestination sip\.contoso\.com\. Looked at 200 voice-enabled users \(the first 200; the tenant has more, not read to keep this bounded\)\./);
      assert.match(cardText(cardOf(reply)), /and 150 more/);
    } finally {
      await chat.close();
    }
  });
});

describe('docs/commands.md', () => {
  it('documents each sites and gateways command with an example conversation', () => {
    const doc = fs.readFileSync('docs/commands.md', 'utf8');
    for (const heading of ['add site', 'show sites', 'show site', 'users without site', 'add gateway', 'gateway config']) {
      const section = new RegExp(`^## ${heading}\\n([\\s\\S]*?)(?=^## |(?![\\s\\S]))`, 'm').exec(doc)?.[1] ?? '';
      assert.match(section, /```\nyou> /, `## ${heading} needs an example conversation`);
    }
  });
});
