import { strict as assert } from 'node:assert';
import { admin, admin2, alice, cardOf, cardText, ChatHarness, eve, requestIdIn } from './support/chat';

async function requestBobKelly(chat: ChatHarness): Promise<string> {
  const [reply] = await chat.say(alice, 'enable voice for Bob Kelly number +14255550100');
  return requestIdIn(reply?.text);
}

describe('enable voice, as a conversation', () => {
  let chat: ChatHarness;
  beforeEach(async () => {
    chat = await ChatHarness.create();
  });
  afterEach(async () => chat.close());

  it('answers a complete command with an approval card that shows the plan and the exact PowerShell', async () => {
    const replies = await chat.say(alice, 'enable voice for Bob Kelly number +14255550100');
    assert.equal(replies.length, 1);
    assert.match(replies[0]!.text ?? '', /^R-[0-9A-Z]{8}: Enable voice for Bob Kelly \(bob\.kelly@contoso\.com\) is waiting for an approver\.$/);
    const text = cardText(cardOf(replies[0]));
    assert.match(text, /Waiting for approval/);
    assert.match(text, /EnterpriseVoiceEnabled\nFalse → True/);
    assert.match(text, /HostedVoiceMail\nFalse → True/);
    assert.match(text, /OnPremLineURI\n\(none\) → tel:\+14255550100/);
    assert.match(text, /Set-CsUser -Identity 'bob\.kelly@contoso\.com' -EnterpriseVoiceEnabled \$true -HostedVoiceMail \$true -OnPremLineURI 'tel:\+14255550100'/);
    const card = cardOf(replies[0])!;
    assert.equal(card.version, '1.5');
    const verbs = (card.actions as { verb?: string; fallback?: { type: string } }[]).map((a) => [a.verb, a.fallback?.type]);
    assert.deepEqual(verbs, [['approve', 'Action.Submit'], ['reject', 'Action.Submit']]);
  });

  it('runs the change once approved and reports the read-back as verified to the requester', async () => {
    const id = await requestBobKelly(chat);
    const response = await chat.click(admin, 'approve', { requestId: id });
    assert.equal(response.statusCode, 200);
    assert.equal(response.type, 'application/vnd.microsoft.card.adaptive');
    assert.match(cardText(response.value), /Approved by Ada Admin/);
    await chat.settle();

    const notice = chat.outbox.sent.find((s) => s.message.text?.includes(id));
    assert.ok(notice, 'the requester is told');
    assert.equal(notice.message.text, `${id} done and verified for Bob Kelly (bob.kelly@contoso.com): EnterpriseVoiceEnabled True, HostedVoiceMail True, VoicePolicy HybridVoice, LineURI tel:+14255550100.`);
    assert.equal((notice.to as { conversation?: { id: string } }).conversation?.id, `personal-${alice.mri}`);
    const final = chat.outbox.updated.at(-1)!;
    assert.match(cardText(final.message.card), /Done and verified: 4 of 4 checks pass/);

    const bob = chat.sim.snapshot().users.find((u) => u.UserPrincipalName === 'bob.kelly@contoso.com')!;
    assert.equal(bob.EnterpriseVoiceEnabled, true);
    assert.equal(bob.HostedVoiceMail, true);
    assert.equal(bob.OnPremLineURI, 'tel:+14255550100');

    const [status] = await chat.say(eve, 'status Bob Kelly');
    assert.equal(status!.text, 'Bob Kelly: EnterpriseVoiceEnabled True, HostedVoiceMail True, VoicePolicy HybridVoice (to fix: HybridPSTNSite)');
  });

  it('refuses an approval from the requester themself', async () => {
    await chat.close();
    chat = await ChatHarness.create({ approvers: [alice, admin] });
    const id = await requestBobKelly(chat);
    const response = await chat.click(alice, 'approve', { requestId: id });
    assert.equal(response.type, 'application/vnd.microsoft.activity.message');
    assert.match(String(response.value), /cannot approve your own request/);
    assert.equal((await chat.core.store.getRequest(id))!.status, 'pending');
    const audit = await chat.core.store.listAudit({ requestId: id });
    assert.ok(audit.some((e) => e.event === 'decision.refused' && e.code === 'self-approval'));
  });

  it('lets the requester approve their own request only when ALLOW_SELF_APPROVAL is on', async () => {
    await chat.close();
    chat = await ChatHarness.create({ approvers: [alice], allowSelfApproval: true });
    const id = await requestBobKelly(chat);
    const response = await chat.click(alice, 'approve', { requestId: id });
    assert.match(cardText(response.value), /Approved by Alice Operator/);
    await chat.settle();
    assert.equal((await chat.core.store.getRequest(id))!.status, 'verified');
  });

  it('refuses a decision from someone who is not an approver, whatever the card data claims', async () => {
    const id = await requestBobKelly(chat);
    const response = await chat.click(eve, 'approve', { requestId: id, approver: admin.aadObjectId, decidedBy: admin.aadObjectId });
    assert.match(String(response.value), /Only an approver can decide/);
    assert.equal((await chat.core.store.getRequest(id))!.status, 'pending');
  });

  it('executes exactly once when approvers race and Teams retries the invoke', async () => {
    const id = await requestBobKelly(chat);
    const clicks = await Promise.all([
      chat.click(admin, 'approve', { requestId: id }),
      chat.click(admin2, 'approve', { requestId: id }),
      chat.click(admin, 'approve', { requestId: id }),
    ]);
    await chat.click(admin, 'approve', { requestId: id });
    await chat.settle();
    // Every click gets the card as it stands; only the first decision counts.
    for (const c of clicks) assert.match(cardText(c.value), /Approved by Ada Admin|Running in the tenant|Done and verified/);
    const audit = await chat.core.store.listAudit({ requestId: id, limit: 100 });
    assert.equal(audit.filter((e) => e.event === 'request.approved').length, 1);
    assert.equal(audit.filter((e) => e.event === 'execution.started').length, 1);
    assert.equal(audit.filter((e) => e.event === 'cmdlet.run').length, 1);
    assert.equal(chat.outbox.sent.filter((s) => s.message.text?.startsWith(`${id} done`)).length, 1);
  });

  it('rejects with a reason, and refuses a rejection without one', async () => {
    const id = await requestBobKelly(chat);
    const bare = await chat.click(admin, 'reject', { requestId: id });
    assert.match(String(bare.value), /Give a reason to reject/);
    const response = await chat.click(admin, 'reject', { requestId: id, reason: 'Number belongs to the Amsterdam range' });
    assert.match(cardText(response.value), /Rejected by Ada Admin at .*: Number belongs to the Amsterdam range/);
    await chat.settle();
    assert.equal((await chat.core.store.getRequest(id))!.status, 'rejected');
    const later = await chat.click(admin2, 'approve', { requestId: id });
    assert.match(cardText(later.value), /Rejected by Ada Admin/);
    assert.ok(!JSON.stringify(later.value).includes('"verb":"approve"'), 'a decided request offers no buttons');
    assert.equal(chat.sim.snapshot().users.find((u) => u.Alias === 'bob.kelly')!.EnterpriseVoiceEnabled, false);
  });

  it('expires a request after APPROVAL_TTL_HOURS and then refuses to approve it', async () => {
    const id = await requestBobKelly(chat);
    chat.clock.advance(24 * 3_600_000 + 1000);
    const response = await chat.click(admin, 'approve', { requestId: id });
    assert.match(String(response.value), /expired/);
    await chat.core.maintain();
    assert.equal((await chat.core.store.getRequest(id))!.status, 'expired');
    assert.match(cardText(chat.outbox.updated.at(-1)?.message.card), /Expired without a decision/);
  });
});

describe('finding the user', () => {
  let chat: ChatHarness;
  beforeEach(async () => {
    chat = await ChatHarness.create();
  });
  afterEach(async () => chat.close());

  it('offers a choice when a name matches several users, then the form for the missing number', async () => {
    const [choice] = await chat.say(alice, 'enable voice for Bob');
    const card = cardOf(choice)!;
    assert.match(cardText(card), /"Bob" matches 2 users/);
    const buttons = card.actions as { title: string; verb: string; data: Record<string, string> }[];
    assert.deepEqual(buttons.map((b) => b.title), ['Bob Kelly (bob.kelly@contoso.com)', 'Bob Smith (bob.smith@contoso.com)']);

    const picked = await chat.click(alice, 'chooseUser', buttons[1]!.data);
    assert.match(String(picked.value), /Fill in the enable voice form/);
    const form = cardOf(picked.replies[0])!;
    assert.match(cardText(form), /Bob Smith \(bob\.smith@contoso\.com\)/);
  });

  it('shows the form prefilled with the user when no number is given, and files the request from it', async () => {
    const [formReply] = await chat.say(alice, 'enable voice for bob.smith@contoso.com');
    const form = cardOf(formReply)!;
    const inputs = (form.body as { type: string; id?: string; value?: string }[]).filter((b) => b.type === 'Input.Text');
    assert.deepEqual(inputs.map((i) => [i.id, i.value]), [['user', 'bob.smith@contoso.com'], ['number', '']]);
    const submitted = await chat.click(alice, 'submitRequest', { action: 'enable-voice', user: 'bob.smith@contoso.com', number: '+1 425 555 0199' });
    assert.match(String(submitted.value), /^Request R-[0-9A-Z]{8} sent for approval\.$/);
    const [pending] = await chat.say(admin, 'pending');
    assert.match(pending!.text ?? '', /1 open request/);
  });

  it('names the closest users when nothing matches', async () => {
    const [reply] = await chat.say(alice, 'enable voice for Bob Kelley number +14255550100');
    assert.equal(reply!.text, 'No user matches "Bob Kelley". Closest: Bob Kelly.');
  });

  it('matches a * pattern on display names as the seed describes', async () => {
    const [reply] = await chat.say(alice, 'status *Smith');
    assert.match(reply!.text ?? '', /^Bob Smith: EnterpriseVoiceEnabled False/);
  });
});

describe('bad input changes nothing', () => {
  let chat: ChatHarness;
  beforeEach(async () => {
    chat = await ChatHarness.create();
  });
  afterEach(async () => chat.close());

  const cases: [string, RegExp][] = [
    ['enable voice for Bob Kelly number 4255550100', /not in E\.164 form/],
    ['enable voice for Bob Kelly number +999123', /not a valid phone number/],
    ['enable voice for Bob Kelly number +1425555$(whoami)', /not a phone number/],
    ['enable voice for Isaiah Vance number +14255550100', /^Isaiah Vance \(isaiah\.vance@contoso\.com\) is not licensed for Phone System/],
    ['enable voice for Bob Smith number +14255550111', /^tel:\+14255550111 is already assigned to Alex Vance \(alex\.vance@contoso\.com\)\.$/],
    ['enable voice for Alex Vance number +14255550111', /already has voice/],
    ['disable everything', /I don't know "disable everything"/],
  ];
  for (const [command, reason] of cases) {
    it(`answers "${command}" with one line and files no request`, async () => {
      const before = chat.sim.snapshot();
      const replies = await chat.say(alice, command);
      assert.equal(replies.length, 1);
      assert.match(replies[0]!.text ?? '', reason);
      assert.doesNotMatch(replies[0]!.text ?? '', /\n/);
      assert.deepEqual(chat.sim.snapshot(), before);
      assert.equal((await chat.core.store.listRequests({})).length, 0);
    });
  }

  it('refuses an organization outside ALLOWED_TENANT_IDS before any command runs', async () => {
    await chat.close();
    chat = await ChatHarness.create({ allowedTenants: ['99999999-9999-4999-8999-999999999999'] });
    const [reply] = await chat.say(alice, 'status Bob Kelly');
    assert.equal(reply!.text, 'This Microsoft 365 organization is not allowed to use this bot.');
  });

  it('refuses a message that carries no Entra identity', async () => {
    const [reply] = await chat.say(alice, 'status Bob Kelly', { from: { id: '29:anon', name: 'Anon' } });
    assert.equal(reply!.text, 'This message carries no Entra identity, so I cannot act on it.');
  });

  it('answers a message Teams re-sends with the same id only once', async () => {
    const first = await chat.say(alice, 'enable voice for Bob Kelly number +14255550100', { id: 'dup-1' });
    const again = await chat.say(alice, 'enable voice for Bob Kelly number +14255550100', { id: 'dup-1' });
    assert.equal(first.length, 1);
    assert.equal(again.length, 0);
  });

  it('does not file a second request when the same message comes back under a new id', async () => {
    const id = await requestBobKelly(chat);
    const [again] = await chat.say(alice, 'enable voice for Bob Kelly number +14255550100');
    assert.equal(again!.text, `You already asked for this: ${id} is pending.`);
    assert.equal((await chat.core.store.listRequests({})).length, 1);
  });
});

describe('help', () => {
  it('lists every command and action from the catalog', async () => {
    const chat = await ChatHarness.create();
    const [reply] = await chat.say(alice, '<at>Switchboard</at> help');
    const text = cardText(cardOf(reply));
    for (const usage of ['help', 'status <user>', 'pending', 'history [<user>]', 'enable voice for <user> [number <E.164>]']) assert.ok(text.includes(usage), usage);
    await chat.close();
  });
});
