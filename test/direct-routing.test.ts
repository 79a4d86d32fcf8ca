/** Direct Routing, as a conversation: pair an SBC, give a user a number and a policy, move a Cloud Connector user. */
import { strict as assert } from 'node:assert';
import { SimulatedTenant } from '../src/tenant/sim/simulated-tenant';
import { demoTenant } from '../src/tenant/sim/demo-tenant';
import { admin, admin2, alice, cardOf, cardText, ChatHarness, requestIdIn } from './support/chat';
import { tempDir } from './support/temp-dirs';

/** The demo tenant with one online voice routing policy, as a tenant that set up its routes has. */
function tenantWithPolicy(dataDir: string): SimulatedTenant {
  const state = demoTenant();
  state.directRouting.voiceRoutingPolicies.push({ Name: 'US-Unrestricted', OnlinePstnUsages: ['US and Canada'], Description: null });
  return new SimulatedTenant({ initial: state, dataDir });
}

describe('Direct Routing, as a conversation', () => {
  let chat: ChatHarness;
  beforeEach(async () => {
    const dataDir = tempDir('direct-routing');
    chat = await ChatHarness.create({ dataDir, tenant: tenantWithPolicy(dataDir) });
  });
  afterEach(async () => chat.close());

  const approve = async (id: string, approver = admin) => {
    const response = await chat.click(approver, 'approve', { requestId: id });
    assert.match(cardText(response.value), new RegExp(`Approved by ${approver.name}`));
    await chat.settle();
    return chat.outbox.sent.find((s) => s.message.text?.startsWith(id))?.message.text;
  };

  it('shows what Direct Routing lacks on a tenant that has only a policy', async () => {
    const [reply] = await chat.say(alice, 'show direct routing');
    assert.equal(reply!.text, 'Not ready for Direct Routing users: 1 thing to do.');
    const text = cardText(cardOf(reply));
    assert.match(text, /Pair an SBC: add sbc <SBC FQDN> port <port>/);
    assert.match(text, /US-Unrestricted\nPSTN usages US and Canada/);
  });

  it('pairs an SBC once approved, verified by Get-CsOnlinePSTNGateway, and refuses to pair it twice', async () => {
    const [reply] = await chat.say(admin, 'add sbc SBC1.contoso.com port 5067 sessions 100');
    const id = requestIdIn(reply?.text);
    const card = cardText(cardOf(reply));
    assert.match(card, /New-CsOnlinePSTNGateway -Fqdn 'sbc1\.contoso\.com' -SipSignalingPort 5067 -MaxConcurrentSessions 100 -Enabled \$true/);
    assert.match(card, /SipSignalingPort\n\(none\) → 5067/);
    // An approver's own request needs another approver.
    assert.equal(await approve(id, admin2), `${id} done and verified for SBC sbc1.contoso.com: SipSignalingPort 5067, Enabled True, MaxConcurrentSessions 100.`);
    assert.deepEqual(chat.sim.snapshot().directRouting.gateways, [{ Fqdn: 'sbc1.contoso.com', SipSignalingPort: 5067, MaxConcurrentSessions: 100, Enabled: true }]);

    const [again] = await chat.say(admin, 'add sbc sbc1.contoso.com port 5067');
    assert.equal(again!.text, 'sbc1.contoso.com is already paired, enabled, on port 5067: nothing to do.');
    const [other] = await chat.say(admin, 'add sbc sbc1.contoso.com port 5061');
    assert.match(other!.text ?? '', /^sbc1\.contoso\.com is already paired \(port 5067, enabled, max sessions 100\); change it with "set sbc sbc1\.contoso\.com …" \(Set-CsOnlinePSTNGateway\)\.$/);
    const [ready] = await chat.say(alice, 'show sbcs');
    assert.equal(ready!.text, '1 SBC paired, 1 policy to grant.');
  });

  it('refuses an SBC outside the tenant\'s domains, under onmicrosoft.com or on a bad port, in one line, and files nothing', async () => {
    for (const [who, text, reason] of [
      [admin, 'add sbc sbc1.fabrikam.com port 5067', /^sbc1\.fabrikam\.com is under fabrikam\.com, which is not a domain of this tenant \(contoso\.com, contoso\.onmicrosoft\.com\): add and verify it/],
      [admin, 'add sbc sbc1.contoso.onmicrosoft.com port 5067', /Direct Routing does not pair SBCs under \*\.onmicrosoft\.com/],
      [admin, 'add sbc sbc1.contoso.com port 70000', /The SIP signaling port is a whole number from 1 to 65535/],
    ] as const) {
      const [reply] = await chat.say(who, text);
      assert.match(reply!.text ?? '', reason, text);
      assert.ok(!(reply!.text ?? '').includes('\n'), 'one line');
    }
    assert.deepEqual(await chat.core.store.listRequests({ statuses: ['pending'] }), []);
    assert.deepEqual(chat.sim.snapshot().directRouting.gateways, []);
  });

  it('assigns a Direct Routing number and a policy, verified by the read-back, and keeps the number unique', async () => {
    const [reply] = await chat.say(alice, 'assign number +1 425 555 0100 to Bob Kelly policy us-unrestricted');
    const id = requestIdIn(reply?.text);
    const card = cardText(cardOf(reply));
    assert.match(card, /Set-CsPhoneNumberAssignment -Identity 'bob\.kelly@contoso\.com' -TelephoneNumber '\+14255550100' -NumberType 'DirectRouting'/);
    assert.match(card, /Grant-CsOnlineVoiceRoutingPolicy -Identity 'bob\.kelly@contoso\.com' -PolicyName 'US-Unrestricted'/);
    assert.match(card, /No SBC is paired with the tenant yet/);
    assert.equal(await approve(id), `${id} done and verified for Bob Kelly (bob.kelly@contoso.com): EnterpriseVoiceEnabled True, LineURI tel:+14255550100, OnlineVoiceRoutingPolicy US-Unrestricted, HybridPSTNSite (none).`);
    const bob = chat.sim.snapshot().users.find((u) => u.UserPrincipalName === 'bob.kelly@contoso.com')!;
    assert.deepEqual([bob.EnterpriseVoiceEnabled, bob.OnPremLineURI, bob.NumberType, bob.OnlineVoiceRoutingPolicy], [true, 'tel:+14255550100', 'DirectRouting', 'US-Unrestricted']);

    const [taken] = await chat.say(alice, 'assign number +14255550100 to Bob Smith');
    assert.equal(taken!.text, '+14255550100 is already assigned to Bob Kelly (bob.kelly@contoso.com).');
    const [noPolicy] = await chat.say(alice, 'assign number +14255550101 to Bob Smith policy Nope');
    assert.equal(noPolicy!.text, 'There is no online voice routing policy named "Nope" (the tenant has: US-Unrestricted).');
    const [same] = await chat.say(alice, 'assign number +14255550100 to Bob Kelly policy US-Unrestricted');
    assert.equal(same!.text, 'Bob Kelly (bob.kelly@contoso.com) already has +14255550100 and the policy US-Unrestricted: nothing to do.');
  });

  it('sends a Cloud Connector user to "move … to direct routing" instead of assigning them a number', async () => {
    const [reply] = await chat.say(alice, 'assign number +14255550111 to Alex Vance');
    assert.equal(reply!.text, 'Alex Vance (alex.vance@contoso.com) is homed on the Cloud Connector site Seattle: move them with "move alex.vance@contoso.com to direct routing", which clears the CCE settings first.');
  });

  it('moves a Cloud Connector user to Direct Routing with their number, in the migration doc\'s order, to its end state', async () => {
    // A CCE user with international calls blocked, as the seed's Grant-CsVoiceRoutingPolicy leaves them.
    await chat.sim.run('Grant-CsVoiceRoutingPolicy', { Identity: 'alex.vance@contoso.com', PolicyName: 'InternationalCallsDisallowed' });
    const [reply] = await chat.say(alice, 'move Alex Vance to direct routing policy US-Unrestricted');
    const id = requestIdIn(reply?.text);
    const card = cardText(cardOf(reply));
    assert.match(card, /VoiceRoutingPolicy\nInternationalCallsDisallowed → \(none\)/);
    const lines = [
      "Grant-CsVoiceRoutingPolicy -Identity 'alex.vance@contoso.com' -PolicyName $null",
      "Set-CsUserPstnSettings -Identity 'alex.vance@contoso.com' -AllowInternationalCalls $false -HybridPSTNSite $null",
      "Set-CsPhoneNumberAssignment -Identity 'alex.vance@contoso.com' -TelephoneNumber '+14255550111' -NumberType 'DirectRouting'",
      "Grant-CsOnlineVoiceRoutingPolicy -Identity 'alex.vance@contoso.com' -PolicyName 'US-Unrestricted'",
    ];
    const at = lines.map((l) => card.indexOf(l));
    assert.ok(at.every((i) => i >= 0), `every step shown: ${JSON.stringify(at)}\n${card}`);
    assert.deepEqual([...at].sort((a, b) => a - b), at, 'in the doc\'s order');
    assert.match(card, /HybridPSTNSite\nSeattle → \(none\)/);
    assert.match(card, /-AllowInternationCalls/);
    assert.equal(await approve(id), `${id} done and verified for Alex Vance (alex.vance@contoso.com): VoiceRoutingPolicy (none), HybridPSTNSite (none), AllowInternationalCalls False, EnterpriseVoiceEnabled True, LineURI tel:+14255550111, OnlineVoiceRoutingPolicy US-Unrestricted.`);
    const alex = chat.sim.snapshot().users.find((u) => u.UserPrincipalName === 'alex.vance@contoso.com')!;
    assert.deepEqual([alex.HybridPSTNSite, alex.VoiceRoutingPolicy, alex.OnPremLineURI, alex.NumberType, alex.OnlineVoiceRoutingPolicy], [null, null, 'tel:+14255550111', 'DirectRouting', 'US-Unrestricted']);

    const [status] = await chat.say(alice, 'status Alex Vance');
    assert.equal(status!.text, 'Alex Vance: EnterpriseVoiceEnabled True, LineURI tel:+14255550111, OnlineVoiceRoutingPolicy US-Unrestricted (on Direct Routing)');
    assert.match(cardText(cardOf(status)), /HybridPSTNSite\n\(none\), as Direct Routing has it/);
    const [again] = await chat.say(alice, 'move Alex Vance to direct routing policy US-Unrestricted');
    assert.equal(again!.text, 'Alex Vance (alex.vance@contoso.com) is not on a Cloud Connector site and already has +14255550111 with US-Unrestricted: nothing to do.');
    const [notCce] = await chat.say(alice, 'move Bob Kelly to direct routing policy US-Unrestricted');
    assert.match(notCce!.text ?? '', /^Bob Kelly \(bob\.kelly@contoso\.com\) is not homed on a Cloud Connector site: give them a Direct Routing number with "assign number/);
  });

  it('sets up Direct Routing from nothing on the demo tenant: an SBC, a route and policy through it, then a user\'s number', async () => {
    await chat.close();
    chat = await ChatHarness.create();
    const [before] = await chat.say(alice, 'show direct routing');
    assert.equal(before!.text, 'Not ready for Direct Routing users: 2 things to do.');
    const [route0] = await chat.say(admin, 'add voice route US via sbc1.contoso.com');
    assert.equal(route0!.text, 'sbc1.contoso.com is not paired with the tenant: pair it first (add sbc sbc1.contoso.com port <port>).');

    const [sbc] = await chat.say(admin, 'add sbc sbc1.contoso.com port 5067');
    assert.match(await approve(requestIdIn(sbc?.text), admin2) ?? '', /done and verified/);
    const [route] = await chat.say(admin, 'add voice route US via sbc1.contoso.com pattern ^\\+1(\\d{10})$');
    const id = requestIdIn(route?.text);
    const card = cardText(cardOf(route));
    for (const line of [
      "Set-CsOnlinePstnUsage -Identity 'Global' -Usage @{Add=@('US')}",
      "New-CsOnlineVoiceRoute -Identity 'US' -NumberPattern '^\\+1(\\d{10})$' -OnlinePstnGatewayList @('sbc1.contoso.com') -OnlinePstnUsages @('US')",
      "New-CsOnlineVoiceRoutingPolicy -Identity 'US' -OnlinePstnUsages @('US')",
    ]) assert.ok(card.includes(line), `${line}\n${card}`);
    assert.equal(await approve(id, admin2), `${id} done and verified for voice route US: PstnUsage US, RouteGateways sbc1.contoso.com, RoutePattern ^\\+1(\\d{10})$, RouteUsages US, PolicyUsages US.`);
    const [again] = await chat.say(admin, 'add voice route us via sbc1.contoso.com pattern ^\\+1(\\d{10})$');
    assert.equal(again!.text, 'The usage, voice route and policy us are all there already: nothing to do.');
    const [ready] = await chat.say(alice, 'show direct routing');
    assert.equal(ready!.text, '1 SBC paired, 1 policy to grant.');

    const [assign] = await chat.say(alice, 'assign number +14255550100 to Bob Kelly policy US');
    assert.doesNotMatch(cardText(cardOf(assign)), /No SBC is paired/);
    assert.match(await approve(requestIdIn(assign?.text)) ?? '', /OnlineVoiceRoutingPolicy US, HybridPSTNSite \(none\)\.$/);
  });

  it('keeps the Cloud Connector commands off a Direct Routing user, each with the reason in one line', async () => {
    const [reply] = await chat.say(alice, 'assign number +14255550100 to Bob Kelly policy US-Unrestricted');
    await approve(requestIdIn(reply?.text));
    const [intl] = await chat.say(alice, 'block international calls for Bob Kelly');
    assert.equal(intl!.text, 'Bob Kelly (bob.kelly@contoso.com) is on Direct Routing: which calls they may make is decided by their online voice routing policy US-Unrestricted and its PSTN usages; grant another with "assign number <their number> to bob.kelly@contoso.com policy <policy>".');
    const [site] = await chat.say(alice, 'assign Bob Kelly to site Seattle');
    assert.equal(site!.text, 'Bob Kelly (bob.kelly@contoso.com) is on Direct Routing (online voice routing policy US-Unrestricted): a PSTN site is Cloud Connector\'s, and would not route their calls.');
    const [disable] = await chat.say(alice, 'disable voice for Bob Kelly');
    assert.match(cardText(cardOf(disable)), /Bob Kelly is on Direct Routing: current modules free such a number with Remove-CsPhoneNumberAssignment/);
    const bob = chat.sim.snapshot().users.find((u) => u.UserPrincipalName === 'bob.kelly@contoso.com')!;
    assert.deepEqual([bob.AllowInternationalCalls, bob.HybridPSTNSite], [true, null], 'nothing changed');
  });

  it('says on a real PowerShell host that earlier modules name the number parameters differently', async () => {
    await chat.close();
    const dataDir = tempDir('direct-routing');
    const sim = tenantWithPolicy(dataDir);
    // The simulated tenant's behaviour, described as a real host is: the plan's notes follow the description.
    const asPowerShell = {
      backend: 'powershell' as const,
      run: sim.run.bind(sim),
      describe: async () => ({ ...(await sim.describe()), backend: 'powershell' as const, moduleVersion: 'MicrosoftTeams 7.3.0' }),
      close: () => sim.close(),
    };
    chat = await ChatHarness.create({ dataDir, tenant: asPowerShell });
    const [reply] = await chat.say(alice, 'assign number +14255550100 to Bob Kelly policy US-Unrestricted');
    assert.match(cardText(cardOf(reply)), /earlier MicrosoftTeams modules call them -PhoneNumber and -PhoneNumberType and refuse these \(this host has MicrosoftTeams 7\.3\.0\)/);
  });

  it('moves and assigns many users to Direct Routing from one CSV with a policy column, under one approval', async () => {
    const csv = [
      'user,number,site,international,policy',
      'alex.vance@contoso.com,,,,US-Unrestricted',
      'bob.kelly@contoso.com,+14255550100,,,US-Unrestricted',
      'bob.smith@contoso.com,,,,US-Unrestricted',
      'adele.vance@contoso.com,+14255550106,Seattle,,US-Unrestricted',
      'allan.vance@contoso.com,+14255550100,,,US-Unrestricted',
      'diego.vance@contoso.com,+14255550107,,,Nope',
    ].join('\n');
    const response = await chat.click(alice, 'submitRequest', { action: 'bulk-enable', csv });
    const [reply] = response.replies;
    const id = requestIdIn(reply?.text);
    const preview = cardText(cardOf(reply));
    const row = (n: number) => new RegExp(`row ${n}: [^\\n]*\\n([^\\n]*)`).exec(preview)?.[1];
    assert.match(row(1)!, /^○ ready: HybridPSTNSite Seattle → \(none\), AllowInternationalCalls True → False, OnlineVoiceRoutingPolicy \(none\) → US-Unrestricted$/);
    assert.match(row(2)!, /^○ ready: EnterpriseVoiceEnabled False → True, LineURI \(none\) → tel:\+14255550100, OnlineVoiceRoutingPolicy \(none\) → US-Unrestricted$/);
    assert.match(row(3)!, /^❌ error: Bob Smith \(bob\.smith@contoso\.com\) is not homed on a Cloud Connector site/);
    assert.equal(row(4), '❌ error: a Direct Routing row (with a policy) takes no site or international: the policy decides');
    assert.equal(row(5), '❌ error: the number +14255550100 is also on row 2');
    assert.equal(row(6), '❌ error: There is no online voice routing policy named "Nope" (the tenant has: US-Unrestricted).');
    await approve(id);
    const users = chat.sim.snapshot().users;
    const alex = users.find((u) => u.UserPrincipalName === 'alex.vance@contoso.com')!;
    const bob = users.find((u) => u.UserPrincipalName === 'bob.kelly@contoso.com')!;
    assert.deepEqual([alex.HybridPSTNSite, alex.OnPremLineURI, alex.OnlineVoiceRoutingPolicy], [null, 'tel:+14255550111', 'US-Unrestricted']);
    assert.deepEqual([bob.OnPremLineURI, bob.OnlineVoiceRoutingPolicy], ['tel:+14255550100', 'US-Unrestricted']);
    assert.equal((await chat.core.store.getRequest(id))!.status, 'verified');
  });

  it('never has a Cloud Connector and a Direct Routing request for the same user open at once', async () => {
    const [move] = await chat.say(alice, 'move Alex Vance to direct routing policy US-Unrestricted');
    const moveId = requestIdIn(move?.text);
    for (const text of ['disable voice for Alex Vance', 'block international calls for Alex Vance', 'assign Alex Vance to site Amsterdam', 'enable voice for Alex Vance number +14255550199']) {
      const [reply] = await chat.say(alice, text);
      assert.match(reply!.text ?? '', new RegExp(`already held by open request ${moveId} \\(pending, Alex Vance \\(alex\\.vance@contoso\\.com\\)\\); decide on that one first`), text);
    }
    const [site] = await chat.say(alice, 'assign Bob Kelly to site Seattle');
    const siteId = requestIdIn(site?.text);
    const [number] = await chat.say(alice, 'assign number +14255550100 to Bob Kelly policy US-Unrestricted');
    assert.match(number!.text ?? '', new RegExp(`already held by open request ${siteId}`));
    assert.equal((await chat.core.store.listRequests({ statuses: ['pending'] })).length, 2);
  });

  it('refuses a move to Global, and an unlicensed user, before the clean-up can run', async () => {
    const [global] = await chat.say(alice, 'move Alex Vance to direct routing policy Global');
    assert.equal(global!.text, 'Moving to Direct Routing grants a policy of its own, not Global: name one of US-Unrestricted.');
    chat.sim.store.transaction(() => {
      const [row] = chat.sim.store.byUpn('alex.vance@contoso.com');
      row!.user.Licenses = ['Teams'];
      chat.sim.store.update([row!]);
    });
    const [unlicensed] = await chat.say(alice, 'move Alex Vance to direct routing policy US-Unrestricted');
    assert.match(unlicensed!.text ?? '', /^Alex Vance \(alex\.vance@contoso\.com\) is not licensed for Phone System, which Set-CsPhoneNumberAssignment needs/);
    assert.deepEqual(await chat.core.store.listRequests({ statuses: ['pending'] }), []);
  });

  it('refuses an add voice route whose route or policy of that name exists with other usages, since it cannot change them', async () => {
    const [sbc] = await chat.say(admin, 'add sbc sbc1.contoso.com port 5067');
    await approve(requestIdIn(sbc?.text), admin2);
    await chat.sim.run('Set-CsOnlinePstnUsage', { Identity: 'Global', Usage: { Add: ['Other'] } });
    await chat.sim.run('New-CsOnlineVoiceRoute', { Identity: 'US', NumberPattern: '.*', OnlinePstnGatewayList: ['sbc1.contoso.com'], OnlinePstnUsages: ['Other'] });
    const [route] = await chat.say(admin, 'add voice route US via sbc1.contoso.com');
    assert.match(route!.text ?? '', /^The voice route US exists with sbc1\.contoso\.com for \.\* on the usages Other; changing a route is Set-CsOnlineVoiceRoute/);
    const [policy] = await chat.say(admin, 'add voice route US-Unrestricted via sbc1.contoso.com');
    assert.match(policy!.text ?? '', /^The online voice routing policy US-Unrestricted exists without the usage US-Unrestricted \(it has US and Canada\)/);
    assert.deepEqual(await chat.core.store.listRequests({ statuses: ['pending'] }), []);
  });

  describe('a pairing interrupted by a crash (New-CsOnlinePSTNGateway is not safe to repeat)', () => {
    /** Leaves the request as a process that died inside the New- step would: approved, claimed, the step running. */
    const interruptedPairing = async (): Promise<string> => {
      const [reply] = await chat.say(admin, 'add sbc sbc1.contoso.com port 5067');
      const id = requestIdIn(reply?.text);
      const now = chat.clock.now();
      const person = { id: admin2.aadObjectId, name: admin2.name };
      await chat.core.store.decide(id, { status: 'approved', by: person, at: now }, { at: now.toISOString(), actor: person, event: 'request.approved', requestId: id });
      const claimed = await chat.core.store.claim(id, now, new Date(now.getTime() + 60_000), { at: now.toISOString(), actor: 'system', event: 'execution.started', requestId: id });
      assert.ok(claimed);
      await chat.core.store.saveProgress(id, claimed.attempt, 0, [{ status: 'running', attempts: claimed.attempt, startedAt: now.toISOString() }]);
      return id;
    };
    const runsOf = async (id: string) => (await chat.core.store.listAudit({ requestId: id, limit: 50 })).filter((e) => e.event === 'cmdlet.run').length;

    it('is read back and verified, not run again, when the SBC was paired before the crash', async () => {
      const id = await interruptedPairing();
      await chat.sim.run('New-CsOnlinePSTNGateway', { Fqdn: 'sbc1.contoso.com', SipSignalingPort: 5067, Enabled: true });
      chat.clock.advance(61_000);
      await chat.core.maintain();
      await chat.settle();
      const r = (await chat.core.store.getRequest(id))!;
      assert.equal(r.status, 'verified');
      assert.equal(await runsOf(id), 0, 'nothing ran again');
    });

    it('fails with the reason, and does not pair blindly, when the tenant does not show the SBC', async () => {
      const id = await interruptedPairing();
      chat.clock.advance(61_000);
      await chat.core.maintain();
      await chat.settle();
      const r = (await chat.core.store.getRequest(id))!;
      assert.equal(r.status, 'failed');
      assert.match(r.outcome?.error ?? '', /Interrupted during step 1 \(Pair SBC sbc1\.contoso\.com\), which is not safe to repeat, and the tenant does not show the change/);
      assert.equal(await runsOf(id), 0);
      assert.deepEqual(chat.sim.snapshot().directRouting.gateways, []);
    });
  });

  it('finishes an "add voice route" that a crash left half done when it is asked again, doing only the missing part', async () => {
    const [sbc] = await chat.say(admin, 'add sbc sbc1.contoso.com port 5067');
    await approve(requestIdIn(sbc?.text), admin2);
    const [route] = await chat.say(admin, 'add voice route US via sbc1.contoso.com');
    const id = requestIdIn(route?.text);
    const now = chat.clock.now();
    const person = { id: admin2.aadObjectId, name: admin2.name };
    await chat.core.store.decide(id, { status: 'approved', by: person, at: now }, { at: now.toISOString(), actor: person, event: 'request.approved', requestId: id });
    const claimed = (await chat.core.store.claim(id, now, new Date(now.getTime() + 60_000), { at: now.toISOString(), actor: 'system', event: 'execution.started', requestId: id }))!;
    // The process died inside step 2: the usage and the route had landed, the policy had not.
    await chat.sim.run('Set-CsOnlinePstnUsage', { Identity: 'Global', Usage: { Add: ['US'] } });
    await chat.sim.run('New-CsOnlineVoiceRoute', { Identity: 'US', NumberPattern: '.*', OnlinePstnGatewayList: ['sbc1.contoso.com'], OnlinePstnUsages: ['US'] });
    await chat.core.store.saveProgress(id, claimed.attempt, 1, [
      { status: 'done', attempts: claimed.attempt, startedAt: now.toISOString(), finishedAt: now.toISOString() },
      { status: 'running', attempts: claimed.attempt, startedAt: now.toISOString() },
      { status: 'pending', attempts: 0 },
    ]);
    chat.clock.advance(61_000);
    await chat.core.maintain();
    await chat.settle();
    assert.equal((await chat.core.store.getRequest(id))!.status, 'failed', 'not created twice, not guessed');

    const [again] = await chat.say(admin, 'add voice route US via sbc1.contoso.com');
    const card = cardText(cardOf(again));
    assert.ok(!card.includes('New-CsOnlineVoiceRoute -Identity') && !card.includes('Set-CsOnlinePstnUsage -Identity'), card);
    assert.ok(card.includes("New-CsOnlineVoiceRoutingPolicy -Identity 'US' -OnlinePstnUsages @('US')"), card);
    const retry = requestIdIn(again?.text);
    assert.match(await approve(retry, admin2) ?? '', /done and verified for voice route US: PstnUsage US, RouteGateways sbc1\.contoso\.com, RoutePattern \.\*, RouteUsages US, PolicyUsages US\.$/);
    assert.deepEqual(chat.sim.snapshot().directRouting.voiceRoutingPolicies.map((p) => p.Name), ['US-Unrestricted', 'US']);
  });
});
