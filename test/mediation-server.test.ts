/**
 * Registering a hybrid Mediation Server (seed step 9) as durable steps: the wait for the account is
 * real (the simulated tenant syncs it after a delay, on the harness clock), parked between polls, and
 * the later steps run once, with the display name bound from the wait's output.
 */
import { strict as assert } from 'node:assert';
import { demoTenant } from '../src/tenant/sim/demo-tenant';
import { SimulatedTenant } from '../src/tenant/sim/simulated-tenant';
import { ManualClock } from '../src/clock';
import { admin, alice, cardOf, cardText, ChatHarness, requestIdIn } from './support/chat';
import { tempDir } from './support/temp-dirs';

const seattle = {
  name: 'Seattle',
  edgeFqdn: 'ap.contoso.com',
  mediationServers: [{ fqdn: 'ms1.contoso.com', ip: '10.0.1.11' }, { fqdn: 'ms2.contoso.com', ip: '10.0.1.12' }],
  gateways: [],
};
const amsterdam = { name: 'Amsterdam', edgeFqdn: 'ap2.contoso.com', mediationServers: [{ fqdn: 'ms3.contoso.com' }], gateways: [] };

async function harness(): Promise<ChatHarness> {
  const dataDir = tempDir('mediation');
  const clock = new ManualClock(new Date('2026-11-26T09:00:00Z'));
  const chat = await ChatHarness.create({ dataDir, clock, tenant: new SimulatedTenant({ initial: demoTenant(clock.now()), dataDir, clock }) });
  for (const site of [seattle, amsterdam]) await chat.core.store.putSite(site, { at: clock.now().toISOString(), actor: 'system', event: 'inventory.site' });
  return chat;
}

const register = (fqdn: string, site: string, name: string, upn: string) => ({ action: 'register-mediation-server', fqdn, site, displayName: name, upn });

describe('registering a hybrid Mediation Server', () => {
  let chat: ChatHarness;
  beforeEach(async () => {
    chat = await harness();
  });
  afterEach(async () => chat.close());

  it('asks with a form that knows the sites, then plans the three steps with the display name bound from step 1', async () => {
    const [form] = await chat.say(alice, 'register mediation server ms1.contoso.com');
    assert.match(JSON.stringify(cardOf(form)), /"value":"Seattle"/);
    const click = await chat.click(alice, 'submitRequest', register('ms1.contoso.com', 'Seattle', 'MediationServer1', 'mediationserver1@contoso.com'));
    assert.match(click.value as string, /^Request R-[0-9A-Z]{8} sent for approval\.$/);
    const card = cardText(cardOf(click.replies[0]));
    assert.match(card, /# wait until Get-CsOnlineUser -Identity 'mediationserver1@contoso\.com' returns the object \(polled with backoff, up to 60 min\)/);
    assert.match(card, /Set-MsolUser -UserPrincipalName 'mediationserver1@contoso\.com' -Department 'HybridMediationServer'/);
    assert.match(card, /Set-CsHybridMediationServer -Fqdn 'ms1\.contoso\.com' -AccessProxyExternalFqdn 'ap\.contoso\.com' -Identity <from step 1: DisplayName>/);
    assert.match(card, /remove the licence/);
  });

  it('registers an account that has synced, and show mediation servers says which are registered', async () => {
    const click = await chat.click(alice, 'submitRequest', register('ms1.contoso.com', 'Seattle', 'MediationServer1', 'mediationserver1@contoso.com'));
    const id = requestIdIn(click.replies[0]!.text);
    await chat.click(admin, 'approve', { requestId: id });
    await chat.settle();
    const r = (await chat.core.store.getRequest(id))!;
    assert.equal(r.status, 'verified', JSON.stringify(r.outcome));
    assert.equal(r.steps[2]!.bound, "Set-CsHybridMediationServer -Identity 'MediationServer1' -Fqdn 'ms1.contoso.com' -AccessProxyExternalFqdn 'ap.contoso.com'");
    const [shown] = await chat.say(alice, 'show mediation servers');
    assert.equal(shown!.text, '2 of 3 not registered as the procedure says.');
    assert.match(cardText(cardOf(shown)), /✅ ms1\.contoso\.com\nsite Seattle: registered through MediationServer1 with ap\.contoso\.com/);
  });

  it('waits for an account that has not synced yet, polls with backoff, and finishes once it appears', async () => {
    chat.sim.createDirectoryAccount({ upn: 'ms-two@contoso.com', displayName: 'MS Two', licenses: ['ENTERPRISEPREMIUM'], syncDelayMs: 20 * 60_000 });
    const click = await chat.click(alice, 'submitRequest', register('ms2.contoso.com', 'Seattle', 'MS Two', 'ms-two@contoso.com'));
    const id = requestIdIn(click.replies[0]!.text);
    await chat.click(admin, 'approve', { requestId: id });
    await chat.settle();
    let r = (await chat.core.store.getRequest(id))!;
    assert.equal(r.status, 'waiting');
    assert.equal(r.steps[0]!.polls, 1);
    assert.ok(chat.outbox.sent.some((s) => s.message.text?.startsWith(`${id}: waiting for account ms-two@contoso.com`)), 'progress posted in the conversation');
    assert.match(cardText(chat.outbox.updated.at(-1)!.message.card), /checked 1 time, next at 2026-11-26 09:00:15 UTC, gives up at 2026-11-26 10:00:00 UTC/);

    // 15 s, 30 s, 60 s, … : each due poll runs on maintenance, none early.
    chat.clock.advance(10_000);
    await chat.core.maintain();
    await chat.settle();
    assert.equal((await chat.core.store.getRequest(id))!.steps[0]!.polls, 1, 'no poll before it is due');
    let polls = 1;
    while ((await chat.core.store.getRequest(id))!.status === 'waiting' && polls < 20) {
      chat.clock.set(new Date((await chat.core.store.getRequest(id))!.nextRunAt!));
      await chat.core.maintain();
      await chat.settle();
      polls++;
    }
    r = (await chat.core.store.getRequest(id))!;
    assert.equal(r.status, 'verified', JSON.stringify(r.outcome));
    // 0 s, 15 s, 45 s, 1m45, 3m45, 7m45, 12m45, 17m45, 22m45: nine looks over twenty minutes, not eighty.
    assert.equal(r.steps[0]!.polls, 9);
    const audit = await chat.core.store.listAudit({ requestId: id, limit: 200 });
    const writes = audit.filter((e) => e.event === 'cmdlet.run' && /^Set-/.test(String(e.detail?.command))).reverse();
    assert.deepEqual(writes.map((e) => String(e.detail?.command).split(' ')[0]), ['Set-MsolUser', 'Set-CsHybridMediationServer']);
  });

  it('gives up at the deadline with a clear message', async () => {
    chat.sim.createDirectoryAccount({ upn: 'ms-late@contoso.com', displayName: 'MS Late', licenses: ['ENTERPRISEPREMIUM'], syncDelayMs: 3 * 3_600_000 });
    const click = await chat.click(alice, 'submitRequest', register('ms2.contoso.com', 'Seattle', 'MS Late', 'ms-late@contoso.com'));
    const id = requestIdIn(click.replies[0]!.text);
    await chat.click(admin, 'approve', { requestId: id });
    await chat.settle();
    for (let i = 0; i < 40 && (await chat.core.store.getRequest(id))!.status === 'waiting'; i++) {
      chat.clock.set(new Date((await chat.core.store.getRequest(id))!.nextRunAt!));
      await chat.core.maintain();
      await chat.settle();
    }
    const r = (await chat.core.store.getRequest(id))!;
    assert.equal(r.status, 'failed');
    assert.equal(r.outcome?.error, 'ms-late@contoso.com did not reach Skype for Business Online within 60 min. Check it exists, is licensed and is in the contoso.com domain, then register again.');
  });

  it('refuses the seed\'s mistakes before anything is filed', async () => {
    const refusals = [
      [register('ms3.contoso.com', 'Seattle', 'MediationServer1', 'mediationserver1@contoso.com'), /^ms3\.contoso\.com is a Mediation Server of site Amsterdam, not Seattle/],
      [register('ms9.contoso.com', 'Seattle', 'MediationServer1', 'mediationserver1@contoso.com'), /^ms9\.contoso\.com is not a Mediation Server of site Seattle/],
      [register('ms1.contoso.com', 'Berlin', 'MediationServer1', 'mediationserver1@contoso.com'), /^There is no site "Berlin" in the inventory \(sites: Amsterdam, Seattle\)/],
      [register('ms1.contoso.com', 'Seattle', 'MediationServer1', 'mediationserver1@fabrikam.com'), /must be in the default Cloud Connector SIP domain \(contoso\.com\)/],
      [register('ms1.contoso.com', 'Seattle', 'Nobody', 'nobody@contoso.com'), /^There is no account nobody@contoso\.com: create it in the Microsoft 365 admin center/],
      [register('ms1.contoso.com', 'Seattle', 'Media One', 'mediationserver1@contoso.com'), /is named "MediationServer1", not "Media One"/],
    ] as const;
    for (const [data, expected] of refusals) {
      const click = await chat.click(alice, 'submitRequest', data);
      assert.match(click.value as string, expected);
    }
    chat.sim.createDirectoryAccount({ upn: 'unlicensed@contoso.com', displayName: 'Unlicensed', licenses: [], syncDelayMs: 60_000 });
    const unlicensed = await chat.click(alice, 'submitRequest', register('ms2.contoso.com', 'Seattle', 'Unlicensed', 'unlicensed@contoso.com'));
    assert.match(unlicensed.value as string, /has no licence, so it will never reach Skype for Business Online/);
    assert.equal((await chat.core.store.listRequests({})).length, 0);
  });
});
