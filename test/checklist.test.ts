/** checklist: the readiness report on the demo (simulated tenant and simulated network). */
import { strict as assert } from 'node:assert';
import { admin, alice, cardOf, cardText, ChatHarness, requestIdIn } from './support/chat';

describe('the readiness checklist on the demo', () => {
  let chat: ChatHarness;
  beforeEach(async () => {
    chat = await ChatHarness.create();
  });
  afterEach(async () => chat.close());

  it('walks the procedure in order with a realistic mix of pass, warn and fail, each with its evidence and fix', async () => {
    const started = performance.now();
    const replies = await chat.say(alice, 'checklist');
    const elapsed = performance.now() - started;
    const progress = replies.find((r) => /^Checklist: /.test(r.text ?? ''));
    assert.ok(progress, 'progress shown while the checks run');
    const report = replies.find((r) => cardOf(r))!;
    const text = cardText(cardOf(report));
    const sections = ['1. Firewall', '2. PSTN gateways and MTLS', '3. Tenant domain', '4. DNS records for the Edge', '5. Hybrid connectivity', '6. Users enabled for voice', '7. Users on PSTN sites', '8. Mediation Servers registered'];
    let at = -1;
    for (const s of sections) {
      const i = text.indexOf(s);
      assert.ok(i > at, `${s} comes in order`);
      at = i;
    }
    assert.match(text, /✅ /);
    assert.match(text, /⚠️ /);
    assert.match(text, /❌ 5\. Hybrid connectivity: PeerDestination/);
    assert.match(text, /Fix: configure hybrid edge ap\.<your SIP domain>/);
    assert.match(report.text!, /^Readiness checklist: \d+ to fix, \d+ to look at, \d+ passed\./);
    assert.ok(elapsed < 5_000, `checklist took ${elapsed} ms`);
  });

  it('turns hybrid connectivity to pass once it is configured', async () => {
    const [filed] = await chat.say(alice, 'configure hybrid edge ap.contoso.com');
    await chat.click(admin, 'approve', { requestId: requestIdIn(filed!.text) });
    await chat.settle();
    const report = (await chat.say(alice, 'checklist')).find((r) => cardOf(r))!;
    assert.match(cardText(cardOf(report)), /✅ 5\. Hybrid connectivity: PeerDestination\nap\.contoso\.com/);
  });
});
