import { strict as assert } from 'node:assert';
import { admin, alice, cardOf, cardText, ChatHarness, requestIdIn } from './support/chat';

async function approveAndSettle(chat: ChatHarness, replyText: string | undefined): Promise<string> {
  const id = requestIdIn(replyText);
  await chat.click(admin, 'approve', { requestId: id });
  await chat.settle();
  return chat.outbox.sent.find((s) => s.message.text?.startsWith(id))?.message.text ?? '';
}

describe('assign a user to a PSTN site', () => {
  let chat: ChatHarness;
  beforeEach(async () => {
    chat = await ChatHarness.create();
  });
  afterEach(async () => chat.close());

  it('plans Set-CsUserPstnSettings and verifies the site read back', async () => {
    const [reply] = await chat.say(alice, 'assign Bob Kelly to site Seattle');
    const text = cardText(cardOf(reply));
    assert.match(text, /HybridPSTNSite\n\(none\) → Seattle/);
    assert.match(text, /no PSTN site today: their calls fall back to the tenant's PeerDestination/);
    assert.match(text, /Set-CsUserPstnSettings -Identity 'bob\.kelly@contoso\.com' -HybridPSTNSite 'Seattle'/);
    assert.match(text, /not enabled for voice yet/);
    const notice = await approveAndSettle(chat, reply!.text);
    assert.match(notice, /done and verified for Bob Kelly \(bob\.kelly@contoso\.com\): HybridPSTNSite Seattle\.$/);
    const [status] = await chat.say(alice, 'status bob.kelly@contoso.com');
    assert.match(cardText(cardOf(status)), /HybridPSTNSite\nSeattle/);
  });

  it('names the sites there are when the site does not exist', async () => {
    const [reply] = await chat.say(alice, 'assign Bob Kelly to site Berlin');
    assert.equal(reply!.text, 'There is no PSTN site "Berlin". Sites: Seattle, Amsterdam.');
  });

  it('shows the form with the tenant\'s sites to choose from when no site is given', async () => {
    const [reply] = await chat.say(alice, 'assign Bob Kelly');
    const choices = JSON.stringify(cardOf(reply));
    assert.ok(choices.includes('"title":"Seattle"') && choices.includes('"title":"Amsterdam"'));
  });

  it('has nothing to change when the user is already there', async () => {
    const [reply] = await chat.say(alice, 'assign Alex Vance to site Seattle');
    assert.equal(reply!.text, 'Alex Vance is already assigned to Seattle: nothing to do.');
  });
});

describe('international calling', () => {
  let chat: ChatHarness;
  beforeEach(async () => {
    chat = await ChatHarness.create();
  });
  afterEach(async () => chat.close());

  it('blocks with InternationalCallsDisallowed and verifies, then allows again', async () => {
    const [block] = await chat.say(alice, 'block international calls for Bob Kelly');
    assert.match(cardText(cardOf(block)), /Grant-CsVoiceRoutingPolicy -Identity 'bob\.kelly@contoso\.com' -PolicyName 'InternationalCallsDisallowed'/);
    assert.match(await approveAndSettle(chat, block!.text), /AllowInternationalCalls False\.$/);
    const [allow] = await chat.say(alice, 'allow international calls for Bob Kelly');
    assert.match(cardText(cardOf(allow)), /AllowInternationalCalls\nFalse → True/);
    assert.match(await approveAndSettle(chat, allow!.text), /AllowInternationalCalls True\.$/);
  });

  it('has nothing to change when calls are already allowed (the default)', async () => {
    const [reply] = await chat.say(alice, 'allow international calls for Bob Smith');
    assert.equal(reply!.text, 'Bob Smith already has international calls allowed: nothing to do.');
  });
});
