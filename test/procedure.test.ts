/**
 * The procedure's tenant-side parts as conversations: hybrid connectivity, SIP domains, disabling
 * voice, and the model under them: stale plans, one open request per property and number, decisions
 * typed as text, questions for missing details.
 */
import { strict as assert } from 'node:assert';
import { demoTenant } from '../src/tenant/sim/demo-tenant';
import { SimulatedTenant } from '../src/tenant/sim/simulated-tenant';
import { admin, alice, cardOf, cardText, ChatHarness, requestIdIn } from './support/chat';
import { tempDir } from './support/temp-dirs';

async function approve(chat: ChatHarness, id: string) {
  const click = await chat.click(admin, 'approve', { requestId: id });
  await chat.settle();
  return { click, notice: chat.outbox.sent.find((s) => s.message.text?.startsWith(id))?.message.text ?? '' };
}

describe('hybrid connectivity (seed step 5)', () => {
  let chat: ChatHarness;
  beforeEach(async () => {
    chat = await ChatHarness.create();
  });
  afterEach(async () => chat.close());

  it('shows the form prefilled with ap.<primary SIP domain> and the fallback explained', async () => {
    const [reply] = await chat.say(alice, 'configure hybrid');
    const text = cardText(cardOf(reply));
    assert.match(text, /fall back/);
    assert.equal((cardOf(reply)!.body as { id?: string; value?: string }[]).find((b) => b.id === 'edgeFqdn')?.value, 'ap.contoso.com');
  });

  it('sets PeerDestination and the shared SIP address space as one request, and reads both back', async () => {
    const [reply] = await chat.say(alice, 'configure hybrid edge ap.contoso.com');
    const text = cardText(cardOf(reply));
    assert.match(text, /Set-CsTenantHybridConfiguration -PeerDestination 'ap\.contoso\.com' -UseOnPremDialPlan \$false/);
    assert.match(text, /Set-CsTenantFederationConfiguration -SharedSipAddressSpace \$true/);
    assert.match(text, /PeerDestination\n\(none\) → ap\.contoso\.com/);
    const { notice } = await approve(chat, requestIdIn(reply!.text));
    assert.match(notice, /done and verified for Tenant hybrid connectivity: PeerDestination ap\.contoso\.com, UseOnPremDialPlan False, SharedSipAddressSpace True\.$/);
    const [shown] = await chat.say(alice, 'show hybrid');
    assert.equal(shown!.text, 'Hybrid connectivity: PeerDestination ap.contoso.com, UseOnPremDialPlan False, SharedSipAddressSpace True.');
    const [again] = await chat.say(alice, 'configure hybrid edge ap.contoso.com');
    assert.match(again!.text!, /already set.*Nothing to do/);
  });

  it('refuses sip.<domain> as the Access Edge, because Office 365 owns that name', async () => {
    const [reply] = await chat.say(alice, 'configure hybrid edge sip.contoso.com');
    assert.match(reply!.text!, /^sip\.contoso\.com cannot be the Access Edge: sip\.contoso\.com belongs to the Office 365 deployment/);
    assert.equal((await chat.core.store.listRequests({})).length, 0);
  });

  it('says plainly when hybrid connectivity is not set up', async () => {
    const [shown] = await chat.say(alice, 'show hybrid');
    assert.match(shown!.text!, /PeerDestination \(none\).*not set up as the procedure says: configure hybrid/);
  });
});

describe('SIP domains (seed step 3)', () => {
  it('names the primary domain for Cloud Connector', async () => {
    const chat = await ChatHarness.create();
    const [reply] = await chat.say(alice, 'show domains');
    assert.equal(reply!.text, 'SIP domains: contoso.com (Enabled), contoso.onmicrosoft.com (Enabled). Primary for Cloud Connector: contoso.com.');
    await chat.close();
  });

  it('warns when the only SIP domain is .onmicrosoft.com', async () => {
    const state = demoTenant();
    state.sipDomains = [{ Name: 'contoso.onmicrosoft.com', Status: 'Enabled' }];
    const dataDir = tempDir('domains');
    const chat = await ChatHarness.create({ dataDir, tenant: new SimulatedTenant({ initial: state, dataDir }) });
    const [reply] = await chat.say(alice, 'show domains');
    assert.match(reply!.text!, /^The only SIP domain is the default \.onmicrosoft\.com one, which Cloud Connector does not support: add your own domain/);
    await chat.close();
  });
});

describe('disable voice', () => {
  it('turns voice and voicemail off, frees the number, and the number can be given to someone else', async () => {
    const chat = await ChatHarness.create();
    const [reply] = await chat.say(alice, 'disable voice for Alex Vance');
    const text = cardText(cardOf(reply));
    assert.match(text, /Set-CsUser -Identity 'alex\.vance@contoso\.com' -EnterpriseVoiceEnabled \$false -HostedVoiceMail \$false -OnPremLineURI \$null/);
    assert.match(text, /tel:\+14255550111 is freed/);
    const { notice } = await approve(chat, requestIdIn(reply!.text));
    assert.match(notice, /done and verified for Alex Vance .*EnterpriseVoiceEnabled False, HostedVoiceMail False, OnPremLineURI \(none\)\.$/);
    const [again] = await chat.say(alice, 'disable voice for Alex Vance');
    assert.match(again!.text!, /nothing to do/);
    const [reuse] = await chat.say(alice, 'enable voice for Bob Kelly number +14255550111');
    assert.match(reuse!.text!, /is waiting for an approver/);
    await chat.close();
  });
});

describe('approval bound to what the approver saw', () => {
  let chat: ChatHarness;
  beforeEach(async () => {
    chat = await ChatHarness.create();
  });
  afterEach(async () => chat.close());

  it('runs nothing when the tenant changed after the plan was shown, and offers a re-plan', async () => {
    const [reply] = await chat.say(alice, 'enable voice for Bob Smith number +14255550103');
    const id = requestIdIn(reply!.text);
    // Someone changes Bob Smith outside Switchboard before the approval.
    await chat.sim.run('Set-CsUser', { Identity: 'bob.smith@contoso.com', OnPremLineURI: 'tel:+14255550109' });
    const writesBefore = (await chat.core.store.listAudit({ requestId: id, limit: 100 })).filter((e) => e.event === 'cmdlet.run').length;
    const { notice } = await approve(chat, id);
    assert.match(notice, new RegExp(`^${id} did not run for Bob Smith .*OnPremLineURI was \\(none\\), is now tel:\\+14255550109\\. Nothing ran; re-plan to go on\\.`));
    const request = (await chat.core.store.getRequest(id))!;
    assert.equal(request.status, 'stale');
    assert.equal((await chat.core.store.listAudit({ requestId: id, limit: 100 })).filter((e) => e.event === 'cmdlet.run').length, writesBefore);
    assert.equal(chat.sim.snapshot().users.find((u) => u.UserPrincipalName === 'bob.smith@contoso.com')!.OnPremLineURI, 'tel:+14255550109');
    const card = chat.outbox.updated.at(-1)!.message.card!;
    assert.match(cardText(card), /Changed since approval\nOnPremLineURI\napproved against \(none\), now tel:\+14255550109/);
    assert.ok(JSON.stringify(card).includes('"verb":"replan"'));

    const replan = await chat.click(alice, 'replan', { requestId: id });
    assert.match(replan.value as string, /^Request R-[0-9A-Z]{8} sent for approval\.$/);
    const fresh = (await chat.core.store.listRequests({ statuses: ['pending'] }))[0]!;
    assert.equal(fresh.replans, id);
    assert.deepEqual(fresh.plan.changes.find((c) => c.property === 'OnPremLineURI'), { property: 'OnPremLineURI', from: 'tel:+14255550109', to: 'tel:+14255550103' });
  });

  it('refuses a second open request for the same user and property, naming the first', async () => {
    const [first] = await chat.say(alice, 'enable voice for Bob Smith number +14255550103');
    const id = requestIdIn(first!.text);
    const [second] = await chat.say(admin, 'enable voice for Bob Smith number +14255550104');
    assert.match(second!.text!, new RegExp(`already held by open request ${id}`));
    assert.equal((await chat.core.store.listRequests({})).length, 1);
  });

  it('reserves a number from the moment a request names it', async () => {
    const [first] = await chat.say(alice, 'enable voice for Bob Smith number +1 425 555 0103');
    const id = requestIdIn(first!.text);
    const [second] = await chat.say(alice, 'enable voice for Bob Kelly number +14255550103');
    assert.equal(second!.text, `The number tel:+14255550103 is already held by open request ${id} (pending, Bob Smith (bob.smith@contoso.com)); decide on that one first, or wait for it to finish.`);
    // Once the first is rejected, the number is free again.
    await chat.click(admin, 'reject', { requestId: id, reason: 'wrong user' });
    const [third] = await chat.say(alice, 'enable voice for Bob Kelly number +14255550103');
    assert.match(third!.text!, /is waiting for an approver/);
  });
});

describe('decisions typed as text', () => {
  let chat: ChatHarness;
  beforeEach(async () => {
    chat = await ChatHarness.create();
  });
  afterEach(async () => chat.close());

  it('approves with "approve R-…" exactly as the button does', async () => {
    const [reply] = await chat.say(alice, 'enable voice for Bob Kelly number +14255550100');
    const id = requestIdIn(reply!.text);
    const [typed] = await chat.say(admin, `approve ${id.toLowerCase()}.`);
    assert.equal(typed!.text, `${id}: approved.`);
    await chat.settle();
    assert.equal((await chat.core.store.getRequest(id))!.status, 'verified');
  });

  it('refuses "approve" from someone who is not an approver, and a rejection without a reason', async () => {
    const [reply] = await chat.say(alice, 'enable voice for Bob Kelly number +14255550100');
    const id = requestIdIn(reply!.text);
    const [notApprover] = await chat.say(alice, `approve ${id}`);
    assert.equal(notApprover!.text, 'Only an approver can use "approve <request id>".');
    const [noReason] = await chat.say(admin, `reject ${id}`);
    assert.equal(noReason!.text, 'Give a reason to reject the request: reject R-7K2M9QXA <reason>.');
    const [rejected] = await chat.say(admin, `reject ${id} the number belongs to reception`);
    assert.equal(rejected!.text, `${id}: rejected.`);
    assert.equal((await chat.core.store.getRequest(id))!.reason, 'the number belongs to reception');
  });
});

describe('what admins type', () => {
  let chat: ChatHarness;
  beforeEach(async () => {
    chat = await ChatHarness.create();
  });
  afterEach(async () => chat.close());

  it('asks for a missing user instead of searching for the rest of the sentence', async () => {
    const [reply] = await chat.say(alice, 'status');
    assert.equal(reply!.text, 'Which user? Type status and a UPN, SIP address or display name, e.g. status Bob Kelly.');
  });

  it('gives the closest command and its usage for an unknown one', async () => {
    const [reply] = await chat.say(alice, 'dissable voice for Bob');
    assert.match(reply!.text!, /^I don't know "dissable voice for Bob"\. Did you mean disable voice for <user>\?/);
  });

  it('says how many users match and how to narrow it, for every command that takes a user', async () => {
    const [reply] = await chat.say(alice, 'status Bob');
    assert.match(reply!.text!, /^"Bob" matches 2 users; choose one\.$/);
    assert.match(cardText(cardOf(reply)), /Pick one, or type a UPN/);
  });

  it('takes an extension as the cmdlet documents it', async () => {
    const [reply] = await chat.say(alice, 'enable voice for Bob Kelly number +1 (425) 555-0100;ext=123,');
    assert.match(cardText(cardOf(reply)), /OnPremLineURI 'tel:\+14255550100;ext=123'/);
  });

  it('shows a non-approver only what they may run', async () => {
    const [mine] = await chat.say(alice, 'help');
    assert.ok(!mine!.text!.includes('approve <request id>'));
    const [theirs] = await chat.say(admin, 'help');
    assert.ok(theirs!.text!.includes('approve <request id>'));
  });
});

describe('text people chose, on cards', () => {
  it('shows a requester name that tries to forge an approval as one plain line', async () => {
    const chat = await ChatHarness.create();
    const mallory = { ...alice, aadObjectId: '55555555-5555-4555-8555-555555555555', name: 'Mallory\n\n**Approved by Ada Admin** [link](https://evil.example)', mri: '29:mallory' };
    const [reply] = await chat.say(mallory, 'enable voice for Bob Kelly number +14255550100');
    const text = cardText(cardOf(reply));
    assert.ok(text.includes('Mallory \\*\\*Approved by Ada Admin\\*\\* \\[link\\](https://evil.example)'), text);
    assert.ok(!/\nApproved by/.test(text));
    await chat.close();
  });
});
