/**
 * Filing a change on the PowerShell stand-in costs one pwsh round trip before the approval card: the user lookup
 * and the plan's reads that do not depend on the user go together (issue 10). The answers are those of the
 * simulated tenant, word for word.
 */
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import { createPowerShellTenant } from '../src/tenant/powershell';
import { demoTenant } from '../src/tenant/sim/demo-tenant';
import { alice, cardText, cardOf, ChatHarness } from './support/chat';
import { countRoundTrips, requirePwsh } from './support/pwsh';
import { tempDir } from './support/temp-dirs';
import { writeStubState } from './tenant/fixtures';

describe('filing a change on TENANT_BACKEND=powershell-stub (real pwsh)', function () {
  this.timeout(120_000);
  let chat: ChatHarness;
  let sim: ChatHarness;
  let stubDir: string;

  before(async function () {
    requirePwsh(this);
    stubDir = tempDir('filing-ps');
    writeStubState(stubDir, demoTenant());
    chat = await ChatHarness.create({ tenant: createPowerShellTenant({ backend: 'powershell-stub', config: { PS_POOL_SIZE: '1' }, stub: { dataDir: stubDir } }) });
    sim = await ChatHarness.create();
    await chat.say(alice, 'status Alex Vance'); // a warm session: what follows counts the turns' own round trips
  });
  after(async () => {
    await chat?.close();
    await sim?.close();
    if (stubDir) fs.rmSync(stubDir, { recursive: true, force: true });
  });

  /** The bot's one reply to a message on the stand-in, the round trips it cost, and the simulated tenant's reply. */
  async function say(text: string) {
    const trips = countRoundTrips();
    let replies;
    try {
      replies = await chat.say(alice, text);
    } finally {
      trips.stop();
    }
    const simReplies = await sim.say(alice, text);
    assert.equal(replies.length, 1, JSON.stringify(replies));
    const reply = replies[0]!;
    const sameIds = (t: string | undefined) => (t ?? '').replace(/R-[0-9A-Z]{8}/g, 'R-…');
    assert.equal(sameIds(reply.text), sameIds(simReplies[0]?.text), 'the same answer as the simulated tenant');
    return { reply, trips: trips.count };
  }

  it('files enable voice for a display name in ONE round trip, approval card and all', async () => {
    const { reply, trips } = await say('enable voice for Bob Kelly number +14255550100');
    assert.match(reply.text ?? '', /^R-[0-9A-Z]{8}: Enable voice for Bob Kelly \(bob\.kelly@contoso\.com\) is waiting for an approver\.$/);
    assert.ok(cardText(cardOf(reply)).includes("Set-CsUser -Identity 'bob.kelly@contoso.com' -EnterpriseVoiceEnabled $true -HostedVoiceMail $true -OnPremLineURI 'tel:+14255550100'"));
    assert.equal(trips, 1);
  });

  it('answers status for a UPN in ONE round trip: the user, their PSTN settings and the hybrid settings together', async () => {
    const { reply, trips } = await say('status bob.kelly@contoso.com');
    assert.match(reply.text ?? '', /^Bob Kelly: EnterpriseVoiceEnabled /);
    assert.equal(trips, 1);
  });

  it('answers status for a display name in two round trips (the PSTN settings wait for the UPN)', async () => {
    const { reply, trips } = await say('status Bob Kelly');
    assert.match(reply.text ?? '', /^Bob Kelly: EnterpriseVoiceEnabled /);
    assert.equal(trips, 2);
  });

  it('files enable voice for a UPN in ONE round trip', async () => {
    const { reply, trips } = await say('enable voice for bob.smith@contoso.com number +14255550102');
    assert.match(reply.text ?? '', /^R-[0-9A-Z]{8}: Enable voice for Bob Smith \(bob\.smith@contoso\.com\) is waiting for an approver\.$/);
    assert.equal(trips, 1);
  });

  it('refuses a number someone else holds with the same one line, in ONE round trip', async () => {
    const { reply, trips } = await say('enable voice for Bob Smith number +14255550111');
    assert.equal(reply.text, 'tel:+14255550111 is already assigned to Alex Vance (alex.vance@contoso.com).');
    assert.equal(trips, 1);
  });

  it('refuses a user who does not exist with the same one line, naming the closest (no more round trips than before)', async () => {
    const { reply, trips } = await say('enable voice for Bob Kelley number +14255550100');
    assert.equal(reply.text, 'No user matches "Bob Kelley". Closest: Bob Kelly.');
    // The exact name with the number's holder, then the words of the name, then the closest names.
    assert.equal(trips, 3);
  });

  it('files assign-site with the PSTN sites read alongside the lookup (the user\'s own PSTN settings follow)', async () => {
    const { reply, trips } = await say('assign Bob Kelly to site Seattle');
    assert.match(reply.text ?? '', /^R-[0-9A-Z]{8}: Assign PSTN site for Bob Kelly \(bob\.kelly@contoso\.com\) is waiting for an approver\.$/);
    assert.equal(trips, 2);
  });
});
