import { strict as assert } from 'node:assert';
import { admin, alice, cardOf, cardText, ChatHarness, requestIdIn } from './support/chat';

/** Bob Kelly and Bob Smith are licensed and not enabled; Alex Vance already has voice, +14255550111 and Seattle; Isaiah Vance has no Phone System licence. */
const mixedCsv = [
  'user,number,site,international',
  'bob.kelly@contoso.com,+14255550100,Seattle,no',
  'Bob Smith,+1 425 555 0103,,yes',
  'alex.vance@contoso.com,+14255550111,Seattle,yes',
  'isaiah.vance@contoso.com,+14255550104,,',
  'nobody@contoso.com,+14255550105,,',
  'adele.vance@contoso.com,+14255550106,Atlantis,',
  'allan.vance@contoso.com,12345,,',
  'bob.kelly@contoso.com,+14255550107,,',
  'diego.vance@contoso.com,+14255550100,,',
  'grady.vance@contoso.com,,Amsterdam,maybe',
].join('\n');

async function fileBatch(chat: ChatHarness, csv: string) {
  const response = await chat.click(alice, 'submitRequest', { action: 'bulk-enable', csv });
  // A refusal answers the click itself; a filed batch is also posted as its preview card.
  return { response, text: typeof response.value === 'string' ? response.value : '' };
}

function userIn(chat: ChatHarness, upn: string) {
  return chat.sim.snapshot().users.find((u) => u.UserPrincipalName === upn)!;
}

describe('bulk enable', () => {
  let chat: ChatHarness;
  beforeEach(async () => {
    chat = await ChatHarness.create();
  });
  afterEach(async () => chat.close());

  it('asks for the CSV with a form that has a multiline field to paste it into', async () => {
    const [reply] = await chat.say(alice, 'bulk enable');
    const card = cardOf(reply)!;
    const input = (card.body as { type: string; id?: string; isMultiline?: boolean }[]).find((b) => b.type === 'Input.Text');
    assert.equal(input?.id, 'csv');
    assert.equal(input?.isMultiline, true);
    assert.match(cardText(card), /user,number,site,international/);
  });

  it('previews a mixed CSV with a verdict per row, runs the ready rows under one approval and sends the results', async () => {
    const { response } = await fileBatch(chat, mixedCsv);
    const [reply] = response.replies;
    const id = requestIdIn(reply?.text);
    assert.equal(reply!.text, `${id}: Bulk enable for 10 rows of a CSV (2 to change) is waiting for an approver.`);
    const preview = cardText(cardOf(reply));
    assert.match(preview, /10 rows: 2 to change, 1 already in the wanted state, 7 in error\./);
    const row = (n: number) => new RegExp(`row ${n}: [^\\n]*\\n([^\\n]*)`).exec(preview)?.[1];
    assert.match(row(1)!, /^○ ready: EnterpriseVoiceEnabled False → True, HostedVoiceMail False → True, OnPremLineURI \(none\) → tel:\+14255550100, HybridPSTNSite \(none\) → Seattle, AllowInternationalCalls True → False$/);
    assert.match(preview, /row 2: bob\.smith@contoso\.com\n○ ready: [^\n]*OnPremLineURI \(none\) → tel:\+14255550103/);
    assert.doesNotMatch(row(2)!, /AllowInternationalCalls/, 'international yes is already the case for Bob Smith');
    assert.equal(row(3), '➖ skip: already in the wanted state');
    assert.equal(row(4), '❌ error: Isaiah Vance (isaiah.vance@contoso.com) is not licensed for Phone System: assign an E5 licence, or the Phone System add-on to E3, in the Microsoft 365 admin center first.');
    assert.match(row(5)!, /^❌ error: no user matches "nobody@contoso\.com"/);
    assert.match(row(6)!, /^❌ error: There is no PSTN site "Atlantis"\. Sites: Seattle, Amsterdam\.$/);
    assert.match(row(7)!, /^❌ error: "12345" is not in E\.164 form/);
    assert.equal(row(8), '❌ error: bob.kelly@contoso.com is also on row 1');
    assert.equal(row(9), '❌ error: the number +14255550100 is also on row 1');
    assert.equal(row(10), '❌ error: international "maybe" is not yes, no, allow or block');
    assert.match(preview, /Waiting for approval/);

    const approved = await chat.click(admin, 'approve', { requestId: id });
    assert.match(cardText(approved.value), /Approved by Ada Admin/);
    await chat.settle();

    const bob = userIn(chat, 'bob.kelly@contoso.com');
    assert.deepEqual([bob.EnterpriseVoiceEnabled, bob.OnPremLineURI, bob.HybridPSTNSite, bob.AllowInternationalCalls], [true, 'tel:+14255550100', 'Seattle', false]);
    assert.equal(userIn(chat, 'bob.smith@contoso.com').OnPremLineURI, 'tel:+14255550103');
    assert.equal(userIn(chat, 'isaiah.vance@contoso.com').EnterpriseVoiceEnabled, false, 'a row in error never runs');
    assert.equal(userIn(chat, 'diego.vance@contoso.com').OnPremLineURI, null);

    const notice = chat.outbox.sent.find((s) => s.message.text?.startsWith(id));
    assert.ok(notice, 'the requester is told');
    assert.equal(notice.message.text, `${id} done and verified for 10 rows of a CSV (2 to change): 2 verified, 0 failed, 1 skipped, 7 in error.`);
    const results = cardText(notice.message.card);
    assert.match(results, /Done and verified/);
    assert.match(results, /row 1: bob\.kelly@contoso\.com\n✅ verified/);
    assert.match(results, /Progress: 2 of 2 done \(2 verified, 0 failed\)/);

    const file = notice.message.file!;
    assert.equal(file.name, `${id}-results.csv`);
    assert.equal(file.contentType, 'text/csv');
    const lines = file.text.trimEnd().split('\r\n');
    assert.equal(lines[0], 'row,user,verdict,result,detail');
    assert.equal(lines.length, 11);
    assert.match(lines[1]!, /^1,bob\.kelly@contoso\.com,ready,verified,EnterpriseVoiceEnabled=True; HostedVoiceMail=True; VoicePolicy=HybridVoice; LineURI=tel:\+14255550100; HybridPSTNSite=Seattle; AllowInternationalCalls=False$/);
    assert.equal(lines[3], '3,alex.vance@contoso.com,skip,skip,already in the wanted state');
    assert.match(lines[4]!, /^4,isaiah\.vance@contoso\.com,error,error,"Isaiah Vance \(isaiah\.vance@contoso\.com\) is not licensed for Phone System/);
    assert.equal(lines[9], '9,diego.vance@contoso.com,error,error,the number +14255550100 is also on row 1');

    // What the batch ran is in the user's own history.
    const [history] = await chat.say(admin, 'history bob.kelly@contoso.com');
    const entries = cardText(cardOf(history));
    assert.match(entries, new RegExp(`cmdlet\\.run[^\\n]*\\n?[^\\n]*${id}`));
  });

  it('skips on a re-run the rows a first run already did, and says so when nothing is left', async () => {
    const csv = 'user,number,site,international\nbob.kelly@contoso.com,+14255550100,Seattle,no\nbob.smith@contoso.com,+14255550103,,\n';
    const first = await fileBatch(chat, csv);
    const id = requestIdIn(first.response.replies[0]?.text);
    await chat.click(admin, 'approve', { requestId: id });
    await chat.settle();

    const again = await fileBatch(chat, csv);
    assert.equal(again.response.replies.length, 0);
    assert.equal(again.text, 'Nothing to do: 2 of 2 rows already have the wanted state.');

    const more = await fileBatch(chat, `${csv}adele.vance@contoso.com,+14255550106,Amsterdam,\n`);
    const preview = cardText(cardOf(more.response.replies[0]));
    assert.match(preview, /3 rows: 1 to change, 2 already in the wanted state, 0 in error\./);
    assert.match(preview, /row 1: bob\.kelly@contoso\.com\n➖ skip: already in the wanted state/);
    assert.match(preview, /row 3: adele\.vance@contoso\.com\n○ ready/);
  });

  it('keeps running the other rows when one fails at execution, and reports that row with its reason', async () => {
    const csv = 'user,number\nbob.kelly@contoso.com,+14255550100\nbob.smith@contoso.com,+14255550103\nadele.vance@contoso.com,+14255550106\n';
    const { response } = await fileBatch(chat, csv);
    const id = requestIdIn(response.replies[0]?.text);
    // After approval someone gives Bob Smith another number outside Switchboard: his row must not run.
    await chat.sim.run('Set-CsUser', { Identity: 'bob.smith@contoso.com', EnterpriseVoiceEnabled: true, OnPremLineURI: 'tel:+14255550199' });
    await chat.click(admin, 'approve', { requestId: id });
    await chat.settle();

    assert.equal(userIn(chat, 'bob.kelly@contoso.com').OnPremLineURI, 'tel:+14255550100');
    assert.equal(userIn(chat, 'adele.vance@contoso.com').OnPremLineURI, 'tel:+14255550106');
    assert.equal(userIn(chat, 'bob.smith@contoso.com').OnPremLineURI, 'tel:+14255550199', 'the changed row is left alone');
    const notice = chat.outbox.sent.find((s) => s.message.text?.startsWith(id))!;
    assert.equal(notice.message.text, `${id} failed for 3 rows of a CSV (3 to change): 2 verified, 1 failed, 0 skipped, 0 in error; the results list each row.`);
    const results = cardText(notice.message.card);
    assert.match(results, /row 2: bob\.smith@contoso\.com\n❌ failed: The tenant changed since this was approved: EnterpriseVoiceEnabled was False, is now True; OnPremLineURI was \(none\), is now tel:\+14255550199\. Nothing ran/);
    assert.match(results, /2 verified, 1 failed/);
    const lines = notice.message.file!.text.trimEnd().split('\r\n');
    assert.match(lines[2]!, /^2,bob\.smith@contoso\.com,ready,failed,"The tenant changed since this was approved/);
    assert.match(lines[3]!, /^3,adele\.vance@contoso\.com,ready,verified,/);
  });

  it('reads a CSV attached in a personal chat: header in any case, ; separators, a BOM and quoted fields', async () => {
    const csv = '\uFEFF User ; Phone Number ;PSTN Site; International Calls\r\n"Bob Kelly";"+1 (425) 555-0100";"Seattle";"No"\r\n;;;\r\n"bob.smith@contoso.com";"+14255550103";;\r\n';
    const replies = await chat.say(alice, 'bulk enable', { attachments: [{ contentType: 'text/csv', name: 'voice.csv', content: csv }] });
    assert.equal(replies.length, 1);
    const id = requestIdIn(replies[0]!.text);
    const preview = cardText(cardOf(replies[0]));
    assert.match(preview, /2 rows: 2 to change, 0 already in the wanted state, 0 in error\./);
    assert.match(preview, /row 1: bob\.kelly@contoso\.com\n○ ready: [^\n]*OnPremLineURI \(none\) → tel:\+14255550100, HybridPSTNSite \(none\) → Seattle, AllowInternationalCalls True → False/);
    await chat.click(admin, 'approve', { requestId: id });
    await chat.settle();
    assert.equal(userIn(chat, 'bob.kelly@contoso.com').HybridPSTNSite, 'Seattle');
    assert.equal(userIn(chat, 'bob.smith@contoso.com').OnPremLineURI, 'tel:+14255550103');
  });

  it('refuses a CSV without the header, in one line that names it', async () => {
    const { text } = await fileBatch(chat, 'bob.kelly@contoso.com,+14255550100\n');
    assert.equal(text, 'The CSV needs a header row user,number,site,international (user and at least one other); its first row is "bob.kelly@contoso.com,+14255550100".');
  });

  it('holds the locks of every ready row while the batch is open, so a single request for one of its users is refused', async () => {
    const { response } = await fileBatch(chat, 'user,number,site\nbob.kelly@contoso.com,+14255550100,Seattle\nbob.smith@contoso.com,,Amsterdam\n');
    const id = requestIdIn(response.replies[0]?.text);
    const [single] = await chat.say(alice, 'enable voice for Bob Kelly number +14255550100');
    assert.match(single!.text ?? '', new RegExp(`already held by open request ${id}`));
    const [number] = await chat.say(alice, 'enable voice for Adele Vance number +14255550100');
    assert.equal(number!.text, `The number tel:+14255550100 is already held by open request ${id} (pending, 2 rows of a CSV (2 to change)); decide on that one first, or wait for it to finish.`);
    const [site] = await chat.say(alice, 'assign Bob Smith to site Seattle');
    assert.match(site!.text ?? '', new RegExp(`already held by open request ${id}`));
    // A user the batch does not change is free.
    const [free] = await chat.say(alice, 'enable voice for Adele Vance number +14255550106');
    assert.match(free!.text ?? '', /is waiting for an approver/);
  });

  it('marks a row whose user an open single request holds as an error and files the rest', async () => {
    const [single] = await chat.say(alice, 'enable voice for Bob Kelly number +14255550100');
    const singleId = requestIdIn(single!.text);
    const { response } = await fileBatch(chat, 'user,number\nbob.kelly@contoso.com,+14255550100\nbob.smith@contoso.com,+14255550103\n');
    const preview = cardText(cardOf(response.replies[0]));
    assert.match(preview, new RegExp(`row 1: bob\\.kelly@contoso\\.com\\n❌ error: held by open request ${singleId}; decide on that one first`));
    assert.match(preview, /row 2: bob\.smith@contoso\.com\n○ ready/);
  });

  it('answers a re-sent batch with the open request instead of filing a second one', async () => {
    const csv = 'user,number\nbob.kelly@contoso.com,+14255550100\n';
    const first = await fileBatch(chat, csv);
    const id = requestIdIn(first.response.replies[0]?.text);
    const again = await fileBatch(chat, csv);
    assert.equal(again.response.replies[0]!.text, `You already asked for this: ${id} is pending.`);
  });

  it('plans a large batch from one read of the directory, with the same verdicts', async () => {
    // Accounts still syncing to Skype for Business Online (the demo's MediationServer2) are not users yet.
    const users = chat.sim.snapshot().users.filter((u) => !u.syncAt || new Date(u.syncAt) <= new Date());
    const rows = users.map((u, i) => `${u.DisplayName === 'Alex Vance' ? u.DisplayName : u.UserPrincipalName},${u.OnPremLineURI ? u.OnPremLineURI.replace('tel:', '') : `+1425557${String(i).padStart(4, '0')}`}`);
    for (let i = 0; i < 20; i++) rows.push(`ghost${i}@contoso.com,+1425558${String(i).padStart(4, '0')}`);
    rows.push('Bob Kelley,+14255589999');
    const { response } = await fileBatch(chat, `user,number\n${rows.join('\n')}\n`);
    const licensed = users.filter((u) => u.Licenses.includes('PhoneSystem') && !u.EnterpriseVoiceEnabled).length;
    const unlicensed = users.filter((u) => !u.Licenses.includes('PhoneSystem')).length;
    const preview = cardText(cardOf(response.replies[0]));
    assert.match(preview, new RegExp(`${rows.length} rows: ${licensed} to change, 1 already in the wanted state, ${unlicensed + 21} in error\\.`));
    assert.match(preview, /: ghost0@contoso\.com\n❌ error: no user matches "ghost0@contoso\.com"/);
    assert.match(preview, new RegExp(`Showing 25 of ${rows.length} rows, errors first; the results CSV lists every row`));
    const id = requestIdIn(response.replies[0]?.text);
    const kelley = (await chat.core.store.listBatchItems(id)).at(-1)!;
    assert.equal(kelley.label, `row ${rows.length}: Bob Kelley`);
    assert.match(kelley.reason!, /^no user matches "Bob Kelley" \(closest: bob\.kelly@contoso\.com/);
    await chat.click(admin, 'approve', { requestId: id });
    await chat.settle();
    const items = await chat.core.store.listBatchItems(id);
    assert.equal(items.filter((i) => i.status === 'verified').length, licensed);
    assert.equal(userIn(chat, 'bob.smith@contoso.com').OnPremLineURI, 'tel:+14255570001');
  });

  it('caps a batch at 5,000 rows with a clear refusal', async () => {
    const rows = Array.from({ length: 5_001 }, (_, i) => `user${i}@contoso.com,+1425555${String(1000 + (i % 9000)).padStart(4, '0')}`);
    const { text } = await fileBatch(chat, `user,number\n${rows.join('\n')}\n`);
    assert.equal(text, 'A batch is at most 5,000 rows; this CSV has 5,001. Split it into smaller files.');
    assert.equal(await chat.core.store.listRequests({}).then((l) => l.length), 0);
  });

  it('after an interruption reads each running row back first: a row that had landed is not run again', async () => {
    const { response } = await fileBatch(chat, 'user,number\nbob.kelly@contoso.com,+14255550100\nbob.smith@contoso.com,+14255550103\nadele.vance@contoso.com,+14255550106\n');
    const id = requestIdIn(response.replies[0]?.text);
    const store = chat.core.store;
    const now = chat.clock.now();
    // As a crashed process leaves it: approved, claimed with a short lease, row 1 done, row 2 run in the
    // tenant but still marked running, row 3 marked running before its cmdlet went out.
    await store.decide(id, { status: 'approved', by: { id: admin.aadObjectId, name: admin.name }, at: now }, { at: now.toISOString(), actor: { id: admin.aadObjectId, name: admin.name }, event: 'request.approved', requestId: id });
    const claimed = (await store.claim(id, now, new Date(now.getTime() + 60_000), { at: now.toISOString(), actor: 'system', event: 'execution.started', requestId: id }))!;
    await chat.sim.run('Set-CsUser', { Identity: 'bob.kelly@contoso.com', EnterpriseVoiceEnabled: true, HostedVoiceMail: true, OnPremLineURI: 'tel:+14255550100' });
    await store.saveBatchItem(id, claimed.attempt, 0, 'verified', { verification: [] });
    await chat.sim.run('Set-CsUser', { Identity: 'bob.smith@contoso.com', EnterpriseVoiceEnabled: true, HostedVoiceMail: true, OnPremLineURI: 'tel:+14255550103' });
    await store.saveBatchItem(id, claimed.attempt, 1, 'running');
    await store.saveBatchItem(id, claimed.attempt, 2, 'running');

    chat.clock.advance(120_000);
    await chat.core.maintain();
    await chat.settle();

    const done = await store.getRequest(id);
    assert.equal(done?.status, 'verified');
    assert.ok(done!.attempt > claimed.attempt, 'a new attempt finished it');
    const items = await store.listBatchItems(id);
    assert.deepEqual(items.map((i) => i.status), ['verified', 'verified', 'verified']);
    assert.match(items[1]!.result?.note ?? '', /landed before the interruption; verified by read-back, nothing re-run/);
    assert.equal(userIn(chat, 'adele.vance@contoso.com').OnPremLineURI, 'tel:+14255550106');
    const runs = (await store.listAudit({ requestId: id, limit: 100 })).filter((e) => e.event === 'cmdlet.run').map((e) => String(e.detail?.command));
    assert.deepEqual(runs, ["Set-CsUser -Identity 'adele.vance@contoso.com' -EnterpriseVoiceEnabled $true -HostedVoiceMail $true -OnPremLineURI 'tel:+14255550106'"], 'only the row that had not landed ran');
  });

  it('updates the card of a short batch only when it starts and when it ends', async () => {
    const rows = ['bob.kelly@contoso.com,+14255550100', 'bob.smith@contoso.com,+14255550103', 'adele.vance@contoso.com,+14255550106', 'allan.vance@contoso.com,+14255550107'];
    const { response } = await fileBatch(chat, `user,number\n${rows.join('\n')}\n`);
    const id = requestIdIn(response.replies[0]?.text);
    const started = Date.now();
    await chat.click(admin, 'approve', { requestId: id });
    const before = chat.outbox.updated.length;
    await chat.settle();
    const cards = chat.outbox.updated.slice(before).map((u) => cardText(u.message.card));
    // One copy of the card (the requester's conversation): approved, running and the results, plus at most
    // one progress update per 3 s should a slow machine take that long.
    const bound = 3 + Math.floor((Date.now() - started) / 3_000);
    assert.ok(cards.length <= bound, `${cards.length} updates, at most ${bound} allowed`);
    assert.match(cards.at(-1)!, /Done and verified/);
  });
});
