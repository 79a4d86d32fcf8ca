/** set sbc: taking a paired SBC out of outbound routing and back, or moving its port, through an approval. */
import { strict as assert } from 'node:assert';
import { SimulatedTenant } from '../src/tenant/sim/simulated-tenant';
import { demoTenant } from '../src/tenant/sim/demo-tenant';
import { admin, alice, cardOf, cardText, ChatHarness, requestIdIn } from './support/chat';
import { tempDir } from './support/temp-dirs';

/** Two SBCs: sbc1 alone carries the "US" route, both carry "Intl". */
function tenantWithSbcs(dataDir: string): SimulatedTenant {
  const state = demoTenant();
  state.directRouting.gateways.push(
    { Fqdn: 'sbc1.contoso.com', SipSignalingPort: 5067, MaxConcurrentSessions: 100, Enabled: true },
    { Fqdn: 'sbc2.contoso.com', SipSignalingPort: 5067, MaxConcurrentSessions: null, Enabled: true },
  );
  state.directRouting.pstnUsages.push('US and Canada', 'International');
  state.directRouting.voiceRoutes.push(
    { Name: 'US', NumberPattern: '^\\+1', OnlinePstnGatewayList: ['sbc1.contoso.com'], OnlinePstnUsages: ['US and Canada'], Priority: 0 },
    { Name: 'Intl', NumberPattern: '.*', OnlinePstnGatewayList: ['sbc1.contoso.com', 'sbc2.contoso.com'], OnlinePstnUsages: ['International'], Priority: 1 },
  );
  return new SimulatedTenant({ initial: state, dataDir });
}

describe('set sbc', () => {
  let chat: ChatHarness;
  beforeEach(async () => {
    const dataDir = tempDir('set-sbc');
    chat = await ChatHarness.create({ dataDir, tenant: tenantWithSbcs(dataDir) });
  });
  afterEach(async () => chat.close());
  const gateways = () => chat.sim.snapshot().directRouting.gateways.map((g) => [g.Fqdn, g.SipSignalingPort, g.MaxConcurrentSessions, g.Enabled]);

  it('disables an SBC for maintenance once approved, naming the routes left without one, and enables it again', async () => {
    const [reply] = await chat.say(alice, 'disable sbc SBC1.contoso.com');
    const id = requestIdIn(reply?.text);
    const card = cardText(cardOf(reply));
    assert.match(card, /Set-CsOnlinePSTNGateway -Identity 'sbc1\.contoso\.com' -Enabled \$false/);
    assert.match(card, /Enabled\nTrue → False/);
    assert.match(card, /Outbound calls on US have no other enabled SBC: they fail from the moment this runs until sbc1\.contoso\.com \(or another SBC on that route\) is enabled\./);
    assert.equal(gateways()[0]![3], true, 'nothing changes before the approval');
    await chat.click(admin, 'approve', { requestId: id });
    await chat.settle();
    assert.equal(chat.outbox.sent.find((s) => s.message.text?.startsWith(id))?.message.text, `${id} done and verified for SBC sbc1.contoso.com: Enabled False.`);
    assert.deepEqual(gateways(), [['sbc1.contoso.com', 5067, 100, false], ['sbc2.contoso.com', 5067, null, true]]);

    const [back] = await chat.say(alice, 'enable sbc sbc1.contoso.com');
    const again = requestIdIn(back?.text);
    await chat.click(admin, 'approve', { requestId: again });
    await chat.settle();
    assert.equal(chat.outbox.sent.find((s) => s.message.text?.startsWith(again))?.message.text, `${again} done and verified for SBC sbc1.contoso.com: Enabled True.`);
    assert.equal(gateways()[0]![3], true);
  });

  it('sends only what changes: a new port and session limit on an SBC whose routes have another', async () => {
    const [reply] = await chat.say(alice, 'set sbc sbc2.contoso.com disabled port 5061 sessions 200');
    const card = cardText(cardOf(reply));
    assert.match(card, /Set-CsOnlinePSTNGateway -Identity 'sbc2\.contoso\.com' -Enabled \$false -SipSignalingPort 5061 -MaxConcurrentSessions 200/);
    assert.match(card, /Outbound calls on Intl go through its other enabled SBCs meanwhile\./);
    assert.match(card, /The SBC must offer TLS on 5061 before this runs/);
    await chat.click(admin, 'approve', { requestId: requestIdIn(reply?.text) });
    await chat.settle();
    assert.deepEqual(gateways()[1], ['sbc2.contoso.com', 5061, 200, false]);
    const [port] = await chat.say(alice, 'set sbc sbc1.contoso.com port 5067 sessions 150');
    assert.match(cardText(cardOf(port)), /Set-CsOnlinePSTNGateway -Identity 'sbc1\.contoso\.com' -MaxConcurrentSessions 150$/m);
  });

  it('refuses an unpaired SBC, nothing to change and nothing said, in one line, filing nothing', async () => {
    for (const [text, reason] of [
      ['disable sbc sbc9.contoso.com', 'sbc9.contoso.com is not paired with this tenant (paired: sbc1.contoso.com, sbc2.contoso.com); pair it with "add sbc sbc9.contoso.com port <port>".'],
      ['enable sbc sbc1.contoso.com', 'sbc1.contoso.com is already port 5067, enabled, max sessions 100: nothing to do.'],
      ['set sbc sbc1.contoso.com', 'Say what to change on sbc1.contoso.com (now port 5067, enabled, max sessions 100): enabled or disabled, port <n> or sessions <n>, e.g. "disable sbc sbc1.contoso.com".'],
      ['set sbc sbc1.contoso.com port 99999', 'The SIP signaling port is a whole number from 1 to 65535, e.g. 5067.'],
    ] as const) {
      const [reply] = await chat.say(alice, text);
      assert.equal(reply!.text, reason, text);
    }
    assert.deepEqual(await chat.core.store.listRequests({}), []);
  });

  it('answers "set sbc" with a form listing the paired SBCs, and files what the form sends', async () => {
    const [reply] = await chat.say(alice, 'set sbc');
    const form = cardText(cardOf(reply));
    assert.match(form, /Paired: sbc1\.contoso\.com \(port 5067, enabled, max sessions 100\); sbc2\.contoso\.com \(port 5067, enabled, max sessions \(none\)\)\./);
    const click = await chat.click(alice, 'submitRequest', { action: 'set-sbc', fqdn: 'sbc1.contoso.com', state: 'keep', port: '5067', sessions: '120' });
    const id = requestIdIn(click.replies[0]?.text ?? JSON.stringify(click.value));
    const r = (await chat.core.store.getRequest(id))!;
    assert.deepEqual(r.plan.changes.map((c) => [c.property, c.from, c.to]), [['MaxConcurrentSessions', '100', '120']]);
  });
});
