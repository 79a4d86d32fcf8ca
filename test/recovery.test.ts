import { strict as assert } from 'node:assert';
import { admin, alice, ChatHarness, requestIdIn } from './support/chat';

/** Leaves a request as a process that died mid-run would: approved, claimed, never finished. */
async function interruptedRun(chat: ChatHarness): Promise<string> {
  const [reply] = await chat.say(alice, 'enable voice for Bob Kelly number +14255550100');
  const id = requestIdIn(reply?.text);
  const now = chat.clock.now();
  const person = { id: admin.aadObjectId, name: admin.name };
  await chat.core.store.decide(id, { status: 'approved', by: person, at: now }, { at: now.toISOString(), actor: person, event: 'request.approved', requestId: id });
  await chat.core.store.claim(id, now, new Date(now.getTime() + 60_000), { at: now.toISOString(), actor: 'system', event: 'execution.started', requestId: id });
  return id;
}

describe('an execution interrupted by a crash', () => {
  let chat: ChatHarness;
  beforeEach(async () => {
    chat = await ChatHarness.create();
  });
  afterEach(async () => chat.close());

  it('is not touched while its lease still runs', async () => {
    const id = await interruptedRun(chat);
    await chat.core.maintain();
    await chat.settle();
    assert.equal((await chat.core.store.getRequest(id))!.status, 'running');
  });

  it('is read back, not re-run, when the change had already landed', async () => {
    const id = await interruptedRun(chat);
    await chat.sim.run('Set-CsUser', { Identity: 'bob.kelly@contoso.com', EnterpriseVoiceEnabled: true, HostedVoiceMail: true, OnPremLineURI: 'tel:+14255550100' });
    chat.clock.advance(61_000);
    await chat.core.maintain();
    await chat.settle();
    const r = (await chat.core.store.getRequest(id))!;
    assert.equal(r.status, 'verified');
    assert.equal(r.outcome?.note, 'the change had landed before the interruption; verified by read-back, nothing re-run');
    const audit = await chat.core.store.listAudit({ requestId: id, limit: 50 });
    assert.equal(audit.filter((e) => e.event === 'cmdlet.run').length, 0, 'nothing ran again');
  });

  it('is run again when the read-back shows the change missing, since setting values is safe to repeat', async () => {
    const id = await interruptedRun(chat);
    chat.clock.advance(61_000);
    await chat.core.maintain();
    await chat.settle();
    const r = (await chat.core.store.getRequest(id))!;
    assert.equal(r.status, 'verified');
    assert.equal(r.attempt, 2);
    assert.ok(chat.outbox.sent.some((s) => s.message.text?.startsWith(`${id} done and verified`)));
  });
});
