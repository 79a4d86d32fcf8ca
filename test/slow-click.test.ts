/**
 * A card click whose work outlasts what Teams waits for an invoke (5 s, then it retries and shows an error):
 * a form whose plan reads a cold or busy tenant. The click is answered in time that the answer follows, and
 * the request card (or the refusal) arrives in the conversation once the tenant has answered.
 */
import { strict as assert } from 'node:assert';
import type { CmdletName, CmdletParams } from '../src/tenant/cmdlets';
import type { RunOptions, TenantPort } from '../src/tenant/port';
import { demoTenant } from '../src/tenant/sim/demo-tenant';
import { SimulatedTenant } from '../src/tenant/sim/simulated-tenant';
import { alice, ChatHarness, cardOf, cardText } from './support/chat';
import { tempDir } from './support/temp-dirs';

/** The simulated tenant, with every cmdlet held until the test lets the tenant answer. */
class HeldTenant implements TenantPort {
  readonly backend = 'sim' as const;
  private gate: Promise<void> = Promise.resolve();
  private open: () => void = () => undefined;
  calls = 0;
  constructor(private readonly inner: SimulatedTenant) {}
  hold(): void {
    this.gate = new Promise((r) => (this.open = r));
  }
  release(): void {
    this.open();
  }
  async run<N extends CmdletName>(cmdlet: N, params: CmdletParams<N>, options?: RunOptions) {
    this.calls++;
    await this.gate;
    return this.inner.run(cmdlet, params, options);
  }
  describe() {
    return this.inner.describe();
  }
  close() {
    return this.inner.close();
  }
}

describe('a card click whose work outlasts the invoke deadline', () => {
  let chat: ChatHarness;
  let tenant: HeldTenant;
  beforeEach(async () => {
    const dataDir = tempDir('slow-click');
    tenant = new HeldTenant(new SimulatedTenant({ initial: demoTenant(), dataDir }));
    chat = await ChatHarness.create({ tenant, dataDir, invokeAnswerMs: 50 });
  });
  afterEach(async () => {
    tenant.release();
    await chat.close();
  });

  const toAlice = () => chat.outbox.sent.filter((m) => JSON.stringify(m.to).includes(alice.mri));

  it('answers the click in time, then files the request and sends its card to the conversation, once', async () => {
    tenant.hold();
    const started = Date.now();
    const click = await chat.click(alice, 'submitRequest', { action: 'enable-voice', user: 'bob.kelly@contoso.com', number: '+14255550100' });
    assert.ok(Date.now() - started < 2_000, 'answered while the tenant was still reading');
    assert.equal(click.value, 'This takes longer than a card can wait: the answer follows in this chat.');
    assert.ok(tenant.calls > 0, 'the plan was reading the tenant');
    assert.deepEqual(await chat.core.store.listRequests({ limit: 10 }), [], 'nothing filed yet');
    tenant.release();
    await chat.settle();
    const [filed, ...more] = await chat.core.store.listRequests({ limit: 10 });
    assert.equal(more.length, 0);
    assert.equal(filed?.status, 'pending');
    const card = toAlice().find((m) => m.message.text === `${filed!.id}: Enable voice for Bob Kelly (bob.kelly@contoso.com) is waiting for an approver.`);
    assert.ok(card, JSON.stringify(toAlice().map((m) => m.message.text)));
    assert.match(cardText(card.message.card), /Approve/);
  });

  it('says a refusal found after the click was answered in the conversation, in one line, and files nothing', async () => {
    tenant.hold();
    const click = await chat.click(alice, 'submitRequest', { action: 'enable-voice', user: 'bob.kelly@contoso.com', number: '+14255550111' });
    assert.match(String(click.value), /answer follows in this chat/);
    tenant.release();
    await chat.settle();
    const said = toAlice().map((m) => m.message.text ?? '');
    assert.equal(said.length, 1, JSON.stringify(said));
    assert.match(said[0]!, /^tel:\+14255550111 is already assigned to Alex Vance \(alex\.vance@contoso\.com\)\.$/);
    assert.deepEqual(await chat.core.store.listRequests({ limit: 10 }), []);
  });

  it('answers a click done in time in the invoke itself, with nothing sent apart', async () => {
    const click = await chat.click(alice, 'submitRequest', { action: 'enable-voice', user: 'bob.kelly@contoso.com', number: '+14255550100' });
    assert.match(String(click.value), /^Request R-[0-9A-Z]{8} sent for approval\.$/);
    assert.ok(cardOf(click.replies[0]), 'the request card is a reply of the turn');
    assert.deepEqual(toAlice(), []);
  });
});
