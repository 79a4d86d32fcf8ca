/**
 * The contract every tenant backend honours, run against the simulated tenant and the PowerShell stand-in alike,
 * from the same generated tenant, with the same assertions.
 */
import assert from 'node:assert/strict';
import { TenantError, type ReadCall, type ReadCmdletName, type ReadOutcome, type TenantErrorKind, type TenantPort } from '../../src/tenant/port';
import { ReadCache } from '../../src/tenant/read-cache';
import type { SimTenantState } from '../../src/tenant/sim/state';
import { cmdletNames, type CmdletCall } from '../../src/tenant/cmdlets';
import { contractTenant, extraUser } from './fixtures';

export interface ContractHarness {
  tenant: TenantPort;
  /** Puts the backend back to the given state before each test. */
  reset(state: SimTenantState): Promise<void>;
  close(): Promise<void>;
}

export async function rejectsWith(p: Promise<unknown>, kind: TenantErrorKind, message?: string | RegExp): Promise<TenantError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof TenantError, `expected a TenantError, got ${String(err)}`);
    assert.equal(err.kind, kind, `kind of "${err.message}"`);
    if (typeof message === 'string') assert.equal(err.message, message);
    else if (message) assert.match(err.message, message);
    assert.equal(err.record?.outcome, 'error');
    return err;
  }
  assert.fail(`expected ${kind}, but the call succeeded`);
}

export function tenantContract(name: string, make: (ctx: Mocha.Context) => Promise<ContractHarness>): void {
  describe(`tenant contract: ${name}`, function () {
    this.timeout(30_000);
    let h: ContractHarness;
    const state = contractTenant();
    const bob = state.users[3]!;
    before(async function () {
      h = await make(this);
    });
    beforeEach(async () => h.reset(state));
    after(async () => h?.close());

    const get = async (identity: string) => (await h.tenant.run('Get-CsOnlineUser', { Identity: identity })).output;

    it('finds one user by UPN, sip: address, display name, alias and GUID alike', async () => {
      for (const identity of ['bob.smith@contoso.com', 'SIP:Bob.Smith@contoso.com', 'Bob Smith', 'bob.smith', bob.Identity.toUpperCase(), '  Bob Smith  ']) {
        const users = await get(identity);
        assert.deepEqual(users.map((u) => u.Identity), [bob.Identity], identity);
      }
    });

    it('returns every user whose display name matches a *Smith wildcard, in tenant order', async () => {
      assert.deepEqual((await get('*Smith')).map((u) => u.DisplayName), ['Bob Smith', 'Carla Smith']);
      assert.deepEqual((await get('bob*')).map((u) => u.DisplayName), ['Bob Smith', 'Bob Kelly']);
    });

    it('reads several calls together (runMany where the backend has it) with the outcomes of one run each, a failing call alone', async () => {
      const calls: ReadCall[] = [
        { cmdlet: 'Get-CsOnlineUser', params: { Filter: "DisplayName -eq 'Bob Smith'", ResultSize: 50 } },
        { cmdlet: 'Get-CsOnlineUser', params: { Identity: 'nobody@contoso.com' } },
        { cmdlet: 'Get-CsHybridPSTNSite', params: {} },
        { cmdlet: 'Get-CsOnlineUser', params: { Filter: "LineURI -eq 'tel:+14255550111'", ResultSize: 5 } },
      ];
      const one = <N extends ReadCmdletName>(c: CmdletCall<N>) => h.tenant.run(c.cmdlet, c.params).then(
        (r): ReadOutcome => ({ ok: true, output: r.output }),
        (error: TenantError): ReadOutcome => ({ ok: false, error }),
      );
      const expected = await Promise.all(calls.map(one));
      const shape = (os: ReadOutcome[]) => os.map((o) => (o.ok ? { output: o.output } : { kind: o.error.kind, message: o.error.message }));
      assert.deepEqual(shape(await new ReadCache(h.tenant).runMany(calls)), shape(expected));
      if (h.tenant.runMany) assert.deepEqual(shape(await h.tenant.runMany(calls)), shape(expected));
      assert.deepEqual(shape(expected)[1], { kind: 'not-found', message: 'Management object not found for identity "nobody@contoso.com".' });
      assert.deepEqual((expected[0]!.ok ? (expected[0]!.output as { Identity: string }[]) : []).map((u) => u.Identity), [bob.Identity]);
    });

    it('reports an unknown identity as not found with the cmdlet wording', async () => {
      await rejectsWith(get('nobody@contoso.com'), 'not-found', 'Management object not found for identity "nobody@contoso.com".');
      await rejectsWith(h.tenant.run('Set-CsUser', { Identity: 'Nobody Here', EnterpriseVoiceEnabled: true }), 'not-found', 'Management object not found for identity "Nobody Here".');
    });

    it('enables a user for voice and reads back EnterpriseVoiceEnabled, HostedVoiceMail, VoicePolicy HybridVoice and LineURI', async () => {
      const set = await h.tenant.run('Set-CsUser', { Identity: 'bob.smith@contoso.com', EnterpriseVoiceEnabled: true, HostedVoiceMail: true, OnPremLineURI: 'tel:+14255550199' });
      assert.equal(set.output, null);
      assert.equal(set.record.outcome, 'ok');
      assert.equal(set.record.command, "Set-CsUser -Identity 'bob.smith@contoso.com' -EnterpriseVoiceEnabled $true -HostedVoiceMail $true -OnPremLineURI 'tel:+14255550199'");
      const [u] = await get('Bob Smith');
      assert.equal(u?.EnterpriseVoiceEnabled, true);
      assert.equal(u?.HostedVoiceMail, true);
      assert.equal(u?.VoicePolicy, 'HybridVoice');
      assert.equal(u?.LineURI, 'tel:+14255550199');
      assert.equal(u?.OnPremLineURI, 'tel:+14255550199');
      assert.deepEqual(u?.FeatureTypes, ['Teams', 'PhoneSystem']);
    });

    it('refuses to voice-enable a user without a Phone System licence and changes nothing', async () => {
      await rejectsWith(h.tenant.run('Set-CsUser', { Identity: 'nils.unlicensed@contoso.com', EnterpriseVoiceEnabled: true }), 'cmdlet-error',
        'User "nils.unlicensed@contoso.com" is not licensed for Phone System. Assign an E5 licence or the Phone System add-on first.');
      assert.equal((await get('nils.unlicensed'))[0]?.EnterpriseVoiceEnabled, false);
    });

    it('refuses a number that is already assigned to someone else', async () => {
      const holder = state.users[25]!.UserPrincipalName;
      await rejectsWith(h.tenant.run('Set-CsUser', { Identity: 'Bob Smith', OnPremLineURI: 'tel:+14255550111' }), 'cmdlet-error', `The number tel:+14255550111 is already assigned to ${holder}.`);
      assert.equal((await get('Bob Smith'))[0]?.LineURI, null);
    });

    it('refuses a line URI that is not an E.164 tel URI', async () => {
      for (const uri of ['+14255550199', 'tel:14255550199', 'tel:+14255', 'tel:+14255550199\n', 'tel:+1425555019٩']) {
        await rejectsWith(h.tenant.run('Set-CsUser', { Identity: 'Bob Smith', OnPremLineURI: uri }), 'invalid-parameter',
          `Cannot validate argument on parameter 'OnPremLineURI'. "${uri}" is not a valid E.164 tel URI such as tel:+14255551297.`);
      }
      await h.tenant.run('Set-CsUser', { Identity: 'Bob Smith', OnPremLineURI: 'tel:+14255550199;ext=42' });
    });

    it('refuses to set one number on several users at once', async () => {
      await rejectsWith(h.tenant.run('Set-CsUser', { Identity: '*Smith', OnPremLineURI: 'tel:+14255550199' }), 'invalid-parameter', 'OnPremLineURI cannot be set on 2 users at once.');
    });

    it('sets and reads a user\'s hybrid PSTN site, and clears it with null', async () => {
      await h.tenant.run('Set-CsUserPstnSettings', { Identity: 'Bob Smith', HybridPSTNSite: 'seattle', AllowInternationalCalls: false });
      assert.deepEqual((await h.tenant.run('Get-CsUserPstnSettings', { Identity: 'bob.smith@contoso.com' })).output, [{ Identity: bob.Identity, HybridPSTNSite: 'Seattle', AllowInternationalCalls: false }]);
      await rejectsWith(h.tenant.run('Set-CsUserPstnSettings', { Identity: 'Bob Smith', HybridPSTNSite: 'Tokyo' }), 'not-found', 'Hybrid PSTN site "Tokyo" was not found.');
      await h.tenant.run('Set-CsUserPstnSettings', { Identity: 'Bob Smith', HybridPSTNSite: null });
      assert.equal((await h.tenant.run('Get-CsUserPstnSettings', { Identity: 'Bob Smith' })).output[0]?.HybridPSTNSite, null);
      await rejectsWith(h.tenant.run('Get-CsUserPstnSettings', { Identity: '*Smith' }), 'invalid-parameter', 'The identity "*Smith" refers to 2 users; specify one user.');
    });

    it('grants a voice routing policy, which decides international calling, and reverts with null', async () => {
      await h.tenant.run('Grant-CsVoiceRoutingPolicy', { Identity: 'Bob Smith', PolicyName: 'internationalcallsdisallowed' });
      assert.equal((await h.tenant.run('Get-CsUserPstnSettings', { Identity: 'Bob Smith' })).output[0]?.AllowInternationalCalls, false);
      assert.equal((await get('Bob Smith'))[0]?.VoiceRoutingPolicy, 'InternationalCallsDisallowed');
      await rejectsWith(h.tenant.run('Grant-CsVoiceRoutingPolicy', { Identity: 'Bob Smith', PolicyName: 'Nope' }), 'not-found', 'Cannot find VoiceRoutingPolicy "Nope".');
      await h.tenant.run('Grant-CsVoiceRoutingPolicy', { Identity: 'Bob Smith', PolicyName: null });
      assert.equal((await h.tenant.run('Get-CsUserPstnSettings', { Identity: 'Bob Smith' })).output[0]?.AllowInternationalCalls, true);
      assert.equal((await get('Bob Smith'))[0]?.VoiceRoutingPolicy ?? null, null);
    });

    it('pairs a Direct Routing SBC under a registered domain, once, and reads it back', async () => {
      assert.deepEqual((await h.tenant.run('Get-CsOnlinePSTNGateway', {})).output, []);
      const made = await h.tenant.run('New-CsOnlinePSTNGateway', { Fqdn: 'SBC1.contoso.com', SipSignalingPort: 5067, MaxConcurrentSessions: 100, Enabled: true });
      const sbc1 = { Identity: 'sbc1.contoso.com', Fqdn: 'sbc1.contoso.com', SipSignalingPort: 5067, MaxConcurrentSessions: 100, Enabled: true };
      assert.deepEqual(made.output, [sbc1]);
      assert.equal(made.record.command, "New-CsOnlinePSTNGateway -Fqdn 'SBC1.contoso.com' -SipSignalingPort 5067 -MaxConcurrentSessions 100 -Enabled $true");
      assert.deepEqual((await h.tenant.run('Get-CsOnlinePSTNGateway', { Identity: 'sbc1.CONTOSO.com' })).output, [sbc1]);
      // Created disabled unless -Enabled is given, as the cmdlet documents.
      await h.tenant.run('New-CsOnlinePSTNGateway', { Fqdn: 'sbc2.contoso.com', SipSignalingPort: 5061 });
      assert.deepEqual((await h.tenant.run('Get-CsOnlinePSTNGateway', {})).output.map((g) => [g.Fqdn, g.Enabled, g.MaxConcurrentSessions ?? null]), [['sbc1.contoso.com', true, 100], ['sbc2.contoso.com', false, null]]);
      await rejectsWith(h.tenant.run('New-CsOnlinePSTNGateway', { Fqdn: 'sbc1.contoso.com', SipSignalingPort: 5067 }), 'cmdlet-error', 'An object with Identity "sbc1.contoso.com" already exists.');
      await rejectsWith(h.tenant.run('New-CsOnlinePSTNGateway', { Fqdn: 'sbc.fabrikam.com', SipSignalingPort: 5067 }), 'cmdlet-error', /its domain fabrikam\.com is not a domain registered in this tenant/);
      await rejectsWith(h.tenant.run('New-CsOnlinePSTNGateway', { Fqdn: 'sbc.contoso.onmicrosoft.com', SipSignalingPort: 5067 }), 'cmdlet-error', /not a domain registered in this tenant/);
      await rejectsWith(h.tenant.run('New-CsOnlinePSTNGateway', { Fqdn: 'sbc_1.contoso.com', SipSignalingPort: 5067 }), 'invalid-parameter', /Cannot validate argument on parameter 'Fqdn'/);
      await rejectsWith(h.tenant.run('Get-CsOnlinePSTNGateway', { Identity: 'sbc9.contoso.com' }), 'not-found', 'Couldn\'t find object "sbc9.contoso.com". Please check your parameters and try again.');
    });

    it('changes a paired SBC\'s port, session limit and Enabled, only what is given, and refuses an SBC it does not have', async () => {
      await h.tenant.run('New-CsOnlinePSTNGateway', { Fqdn: 'sbc1.contoso.com', SipSignalingPort: 5067, MaxConcurrentSessions: 100, Enabled: true });
      const set = await h.tenant.run('Set-CsOnlinePSTNGateway', { Identity: 'SBC1.contoso.com', Enabled: false });
      assert.equal(set.output, null);
      assert.equal(set.record.command, "Set-CsOnlinePSTNGateway -Identity 'SBC1.contoso.com' -Enabled $false");
      const read = async () => (await h.tenant.run('Get-CsOnlinePSTNGateway', { Identity: 'sbc1.contoso.com' })).output.map((g) => [g.SipSignalingPort, g.MaxConcurrentSessions ?? null, g.Enabled]);
      assert.deepEqual(await read(), [[5067, 100, false]]);
      await h.tenant.run('Set-CsOnlinePSTNGateway', { Identity: 'sbc1.contoso.com', SipSignalingPort: 5061, MaxConcurrentSessions: 250, Enabled: true });
      assert.deepEqual(await read(), [[5061, 250, true]]);
      await rejectsWith(h.tenant.run('Set-CsOnlinePSTNGateway', { Identity: 'sbc9.contoso.com', Enabled: false }), 'not-found', 'Couldn\'t find object "sbc9.contoso.com". Please check your parameters and try again.');
      assert.deepEqual(await read(), [[5061, 250, true]]);
    });

    it('assigns a Direct Routing number, which enables voice, keeps numbers unique and refuses a tel: prefix', async () => {
      await h.tenant.run('Set-CsPhoneNumberAssignment', { Identity: 'Bob Smith', TelephoneNumber: '+14255550123', NumberType: 'DirectRouting' });
      const [u] = await get('Bob Smith');
      assert.equal(u?.EnterpriseVoiceEnabled, true);
      assert.equal(u?.LineURI, 'tel:+14255550123');
      assert.deepEqual((await h.tenant.run('Get-CsOnlineUser', { Filter: "LineURI -eq 'tel:+14255550123'" })).output.map((x) => x.UserPrincipalName), ['bob.smith@contoso.com']);
      // The same number again is no change; on someone else it is refused.
      await h.tenant.run('Set-CsPhoneNumberAssignment', { Identity: 'bob.smith@contoso.com', TelephoneNumber: '+14255550123', NumberType: 'DirectRouting' });
      await rejectsWith(h.tenant.run('Set-CsPhoneNumberAssignment', { Identity: 'Bob Kelly', TelephoneNumber: '+14255550123', NumberType: 'DirectRouting' }), 'cmdlet-error', 'The number +14255550123 is already assigned to bob.smith@contoso.com.');
      await rejectsWith(h.tenant.run('Set-CsPhoneNumberAssignment', { Identity: 'Bob Kelly', TelephoneNumber: 'tel:+14255550124', NumberType: 'DirectRouting' }), 'invalid-parameter', /no tel: prefix/);
      await rejectsWith(h.tenant.run('Set-CsPhoneNumberAssignment', { Identity: 'Nils Unlicensed', TelephoneNumber: '+14255550125', NumberType: 'DirectRouting' }), 'cmdlet-error', /not licensed for Phone System/);
      await rejectsWith(h.tenant.run('Set-CsPhoneNumberAssignment', { Identity: 'Bob Kelly', TelephoneNumber: '+14255550126', NumberType: 'CallingPlan' }), 'cmdlet-error', "The number +14255550126 is not in this tenant's CallingPlan telephone number inventory.");
      await rejectsWith(h.tenant.run('Set-CsPhoneNumberAssignment', { Identity: '*Smith', TelephoneNumber: '+14255550127', NumberType: 'DirectRouting' }), 'invalid-parameter', 'The identity "*Smith" refers to 2 users; specify one user.');
      await h.tenant.run('Set-CsPhoneNumberAssignment', { Identity: 'Bob Kelly', TelephoneNumber: '+14255550100;ext=12', NumberType: 'DirectRouting' });
      assert.equal((await get('Bob Kelly'))[0]?.LineURI, 'tel:+14255550100;ext=12');
      await rejectsWith(h.tenant.run('Set-CsPhoneNumberAssignment', { Identity: 'Carla Smith', TelephoneNumber: '+14255550100;EXT=12', NumberType: 'DirectRouting' }), 'cmdlet-error', 'The number +14255550100;ext=12 is already assigned to bob.kelly@contoso.com.');
      // A number set with Set-CsUser afterwards is Set-CsUser's: clearing it frees it for anyone.
      await h.tenant.run('Set-CsUser', { Identity: 'Bob Kelly', OnPremLineURI: null });
      await h.tenant.run('Set-CsPhoneNumberAssignment', { Identity: 'Carla Smith', TelephoneNumber: '+14255550100;ext=12', NumberType: 'DirectRouting' });
    });

    it('lists online voice routing policies and grants one, by name or Tag:, reverting to Global with null', async () => {
      const withPolicy = structuredClone(state);
      withPolicy.directRouting.voiceRoutingPolicies.push({ Name: 'US-Unrestricted', OnlinePstnUsages: ['US and Canada', 'International'], Description: null });
      await h.reset(withPolicy);
      assert.deepEqual((await h.tenant.run('Get-CsOnlineVoiceRoutingPolicy', {})).output.map((p) => [p.Identity, p.OnlinePstnUsages ?? []]), [['Global', []], ['Tag:US-Unrestricted', ['US and Canada', 'International']]]);
      assert.deepEqual((await h.tenant.run('Get-CsOnlineVoiceRoutingPolicy', { Identity: 'us-unrestricted' })).output.map((p) => p.Identity), ['Tag:US-Unrestricted']);
      await rejectsWith(h.tenant.run('Get-CsOnlineVoiceRoutingPolicy', { Identity: 'Nope' }), 'not-found', 'Couldn\'t find object "Nope". Please check your parameters and try again.');
      assert.deepEqual((await h.tenant.run('Get-CsOnlineVoiceRoutingPolicy', { Identity: 'global' })).output.map((p) => p.Identity), ['Global']);
      await rejectsWith(h.tenant.run('Get-CsOnlineVoiceRoutingPolicy', { Identity: 'Tag:Global' }), 'not-found');
      assert.equal((await get('Bob Smith'))[0]?.OnlineVoiceRoutingPolicy ?? null, null);
      await h.tenant.run('Grant-CsOnlineVoiceRoutingPolicy', { Identity: 'Bob Smith', PolicyName: 'Tag:us-unrestricted' });
      assert.equal((await get('Bob Smith'))[0]?.OnlineVoiceRoutingPolicy, 'US-Unrestricted');
      await rejectsWith(h.tenant.run('Grant-CsOnlineVoiceRoutingPolicy', { Identity: 'Bob Smith', PolicyName: 'Nope' }), 'not-found', 'Cannot find OnlineVoiceRoutingPolicy "Nope".');
      await h.tenant.run('Grant-CsOnlineVoiceRoutingPolicy', { Identity: 'Bob Smith', PolicyName: null });
      assert.equal((await get('Bob Smith'))[0]?.OnlineVoiceRoutingPolicy ?? null, null);
    });

    it('adds a PSTN usage, a voice route through a paired SBC and a policy on that usage, and refuses what they need but lack', async () => {
      await rejectsWith(h.tenant.run('New-CsOnlineVoiceRoute', { Identity: 'US', NumberPattern: '.*', OnlinePstnGatewayList: ['sbc1.contoso.com'], OnlinePstnUsages: ['US'] }), 'not-found', 'The online PSTN gateway "sbc1.contoso.com" was not found: pair it with New-CsOnlinePSTNGateway first.');
      await h.tenant.run('New-CsOnlinePSTNGateway', { Fqdn: 'sbc1.contoso.com', SipSignalingPort: 5067, Enabled: true });
      await rejectsWith(h.tenant.run('New-CsOnlineVoiceRoute', { Identity: 'US', NumberPattern: '.*', OnlinePstnGatewayList: ['sbc1.contoso.com'], OnlinePstnUsages: ['US'] }), 'not-found', 'The PSTN usage "US" is not in the Global list: add it with Set-CsOnlinePstnUsage first.');
      await rejectsWith(h.tenant.run('New-CsOnlineVoiceRoutingPolicy', { Identity: 'US', OnlinePstnUsages: ['US'] }), 'not-found', 'The PSTN usage "US" is not in the Global list: add it with Set-CsOnlinePstnUsage first.');
      assert.deepEqual((await h.tenant.run('Get-CsOnlinePstnUsage', {})).output, [{ Identity: 'Global', Usage: [] }]);
      const add = await h.tenant.run('Set-CsOnlinePstnUsage', { Identity: 'Global', Usage: { Add: ['US'] } });
      assert.equal(add.record.command, "Set-CsOnlinePstnUsage -Identity 'Global' -Usage @{Add=@('US')}");
      await h.tenant.run('Set-CsOnlinePstnUsage', { Identity: 'Global', Usage: { Add: ['us', 'International'] } });
      assert.deepEqual((await h.tenant.run('Get-CsOnlinePstnUsage', {})).output, [{ Identity: 'Global', Usage: ['US', 'International'] }]);
      const route = { Identity: 'US', NumberPattern: '^\\+1(\\d{10})$', OnlinePstnGatewayList: ['sbc1.contoso.com'], OnlinePstnUsages: ['US'], Priority: 0 };
      assert.deepEqual((await h.tenant.run('New-CsOnlineVoiceRoute', { Identity: 'US', NumberPattern: '^\\+1(\\d{10})$', OnlinePstnGatewayList: ['SBC1.contoso.com'], OnlinePstnUsages: ['us'] })).output, [route]);
      assert.deepEqual((await h.tenant.run('Get-CsOnlineVoiceRoute', { Identity: 'us' })).output, [route]);
      await rejectsWith(h.tenant.run('New-CsOnlineVoiceRoute', { Identity: 'US', NumberPattern: '.*', OnlinePstnGatewayList: ['sbc1.contoso.com'], OnlinePstnUsages: ['US'] }), 'cmdlet-error', 'An object with Identity "US" already exists.');
      await rejectsWith(h.tenant.run('New-CsOnlineVoiceRoute', { Identity: 'Bad', NumberPattern: '([0-9', OnlinePstnGatewayList: ['sbc1.contoso.com'], OnlinePstnUsages: ['US'] }), 'invalid-parameter', /Cannot validate argument on parameter 'NumberPattern'/);
      assert.deepEqual((await h.tenant.run('New-CsOnlineVoiceRoutingPolicy', { Identity: 'US-Only', OnlinePstnUsages: ['US'] })).output, [{ Identity: 'Tag:US-Only', OnlinePstnUsages: ['US'], Description: null }]);
      await rejectsWith(h.tenant.run('New-CsOnlineVoiceRoutingPolicy', { Identity: 'us-only', OnlinePstnUsages: ['US'] }), 'cmdlet-error', 'An object with Identity "Tag:us-only" already exists.');
      await h.tenant.run('Grant-CsOnlineVoiceRoutingPolicy', { Identity: 'Bob Smith', PolicyName: 'US-Only' });
      assert.equal((await get('Bob Smith'))[0]?.OnlineVoiceRoutingPolicy, 'US-Only');
    });

    it('describes the hybrid configuration and its PSTN sites', async () => {
      assert.deepEqual((await h.tenant.run('Get-CsTenantHybridConfiguration', {})).output, [
        { Identity: 'Global', PeerDestination: 'sip.contoso.com', UseOnPremDialPlan: false, HybridPSTNSites: ['Seattle', 'Amsterdam'] },
      ]);
      assert.deepEqual((await h.tenant.run('Get-CsHybridPSTNSite', { Identity: 'amsterdam' })).output, [{ Identity: 'Amsterdam', EdgeFqdn: 'ap.amsterdam.contoso.com' }]);
      assert.equal((await h.tenant.run('Get-CsHybridPSTNSite', {})).output.length, 2);
      await rejectsWith(h.tenant.run('Get-CsHybridPSTNSite', { Identity: 'Oslo' }), 'not-found', 'Hybrid PSTN site "Oslo" was not found.');
    });

    it('filters users with -Filter clauses joined left to right, and refuses a filter it cannot parse', async () => {
      await h.tenant.run('Set-CsUser', { Identity: 'Bob Smith', EnterpriseVoiceEnabled: true });
      const voice = (await h.tenant.run('Get-CsOnlineUser', { Filter: 'EnterpriseVoiceEnabled -eq $true' })).output.map((u) => u.DisplayName);
      assert.deepEqual(voice, [state.users[3]!.DisplayName, state.users[25]!.DisplayName]);
      const smiths = (await h.tenant.run('Get-CsOnlineUser', { Filter: "DisplayName -like '*smith' -and EnterpriseVoiceEnabled -ne $true" })).output.map((u) => u.DisplayName);
      assert.deepEqual(smiths, ['Carla Smith']);
      const either = (await h.tenant.run('Get-CsOnlineUser', { Filter: "LineURI -eq 'TEL:+14255550111' -or Alias -eq 'bob.kelly'", ResultSize: 5 })).output.map((u) => u.Alias);
      assert.deepEqual(either, ['bob.kelly', state.users[25]!.Alias]);
      assert.equal((await h.tenant.run('Get-CsOnlineUser', { Filter: "FeatureTypes -like '*PhoneSystem*'", ResultSize: 3 })).output.length, 3);
      await rejectsWith(h.tenant.run('Get-CsOnlineUser', { Filter: 'EnterpriseVoiceEnabled -gt 1' }), 'invalid-parameter', 'Invalid filter: "EnterpriseVoiceEnabled -gt 1".');
    });

    it('refuses a parameter that is not on the allow-list before anything runs', async () => {
      await rejectsWith(h.tenant.run('Set-CsUser', { Identity: 'Bob Smith', SipAddress: 'sip:x@contoso.com' } as never), 'invalid-parameter', /SipAddress/);
      await rejectsWith(h.tenant.run('Set-CsUser', { Identity: 'Bob Smith', EnterpriseVoiceEnabled: 'yes' } as never), 'invalid-parameter', /EnterpriseVoiceEnabled/);
      await rejectsWith(h.tenant.run('Remove-CsOnlineUser' as never, { Identity: 'Bob Smith' } as never), 'not-allowed');
      assert.equal((await get('Bob Smith'))[0]?.SipAddress, 'sip:bob.smith@contoso.com');
    });
    it('reports every allow-listed cmdlet as available', async () => {
      assert.deepEqual([...(await h.tenant.describe()).availableCmdlets].sort(), [...cmdletNames].sort());
    });

    it('sets the hybrid configuration (PeerDestination, UseOnPremDialPlan) and refuses a PeerDestination that is not an FQDN', async () => {
      const set = await h.tenant.run('Set-CsTenantHybridConfiguration', { PeerDestination: 'ap.contoso.com', UseOnPremDialPlan: true });
      assert.equal(set.output, null);
      assert.equal(set.record.command, "Set-CsTenantHybridConfiguration -PeerDestination 'ap.contoso.com' -UseOnPremDialPlan $true");
      const read = async () => (await h.tenant.run('Get-CsTenantHybridConfiguration', {})).output;
      assert.deepEqual(await read(), [{ Identity: 'Global', PeerDestination: 'ap.contoso.com', UseOnPremDialPlan: true, HybridPSTNSites: ['Seattle', 'Amsterdam'] }]);
      await h.tenant.run('Set-CsTenantHybridConfiguration', { UseOnPremDialPlan: false });
      assert.equal((await read())[0]?.PeerDestination, 'ap.contoso.com', 'an omitted parameter is left alone');
      assert.equal((await read())[0]?.UseOnPremDialPlan, false);
      await rejectsWith(h.tenant.run('Set-CsTenantHybridConfiguration', { PeerDestination: 'ap contoso' }), 'invalid-parameter',
        'Cannot validate argument on parameter \'PeerDestination\'. "ap contoso" is not a valid fully qualified domain name.');
      assert.equal((await read())[0]?.PeerDestination, 'ap.contoso.com');
    });

    it('reads and sets SharedSipAddressSpace, and refuses a value that is not a boolean', async () => {
      const read = async () => (await h.tenant.run('Get-CsTenantFederationConfiguration', {})).output;
      assert.deepEqual(await read(), [{ Identity: 'Global', SharedSipAddressSpace: true }]);
      assert.equal((await h.tenant.run('Set-CsTenantFederationConfiguration', { SharedSipAddressSpace: false })).output, null);
      assert.deepEqual(await read(), [{ Identity: 'Global', SharedSipAddressSpace: false }]);
      await rejectsWith(h.tenant.run('Set-CsTenantFederationConfiguration', { SharedSipAddressSpace: 'True' } as never), 'invalid-parameter', /SharedSipAddressSpace/);
      await rejectsWith(h.tenant.run('Get-CsTenantFederationConfiguration', { Identity: 'Global' } as never), 'invalid-parameter', /Identity/);
      assert.deepEqual(await read(), [{ Identity: 'Global', SharedSipAddressSpace: false }]);
    });

    it('lists the online SIP domains, by name and by status', async () => {
      const domains = async (p: { Domain?: string; DomainStatus?: 'Enabled' | 'Disabled' }) => (await h.tenant.run('Get-CsOnlineSipDomain', p)).output;
      assert.deepEqual(await domains({}), [{ Name: 'contoso.com', Status: 'Enabled' }, { Name: 'contoso.onmicrosoft.com', Status: 'Enabled' }]);
      assert.deepEqual(await domains({ Domain: 'CONTOSO.com' }), [{ Name: 'contoso.com', Status: 'Enabled' }]);
      assert.deepEqual(await domains({ Domain: 'fabrikam.com' }), []);
      assert.deepEqual(await domains({ DomainStatus: 'Disabled' }), []);
      assert.equal((await domains({ DomainStatus: 'Enabled' })).length, 2);
      await rejectsWith(h.tenant.run('Get-CsOnlineSipDomain', { DomainStatus: 'Suspended' } as never), 'invalid-parameter', /DomainStatus/);
    });

    it('sets a directory account\'s Department with Set-MsolUser and Update-MgUser, and reads it back with Get-MgUser and Get-CsOnlineUser', async () => {
      assert.deepEqual((await h.tenant.run('Get-MgUser', { UserId: 'bob.smith@contoso.com' })).output, [{
        Id: bob.Identity, UserPrincipalName: 'bob.smith@contoso.com', DisplayName: 'Bob Smith', Department: null,
        AssignedLicenses: ['ENTERPRISEPREMIUM'], FeatureTypes: ['Teams', 'PhoneSystem'],
      }]);
      const msol = await h.tenant.run('Set-MsolUser', { UserPrincipalName: 'mediationserver1@contoso.com', Department: 'HybridMediationServer' });
      assert.equal(msol.output, null);
      assert.equal(msol.record.command, "Set-MsolUser -UserPrincipalName 'mediationserver1@contoso.com' -Department 'HybridMediationServer'");
      assert.equal((await h.tenant.run('Get-MgUser', { UserId: 'MediationServer1@contoso.com' })).output[0]?.Department, 'HybridMediationServer');
      assert.equal((await get('mediationserver1@contoso.com'))[0]?.Department, 'HybridMediationServer');
      await h.tenant.run('Update-MgUser', { UserId: bob.Identity, Department: 'Sales' });
      await h.tenant.run('Update-MgUser', { UserId: 'bob.kelly@contoso.com', Department: 'Support' });
      assert.equal((await h.tenant.run('Get-MgUser', { UserId: bob.Identity.toUpperCase() })).output[0]?.Department, 'Sales');
      assert.equal((await get('Bob Kelly'))[0]?.Department, 'Support');
      assert.deepEqual((await h.tenant.run('Get-CsOnlineUser', { Filter: "Department -eq 'sales'" })).output.map((u) => u.DisplayName), ['Bob Smith']);
    });

    it('refuses Department changes and reads for an account that does not exist, and a Department over 64 characters', async () => {
      await rejectsWith(h.tenant.run('Set-MsolUser', { UserPrincipalName: 'nobody@contoso.com', Department: 'HybridMediationServer' }), 'not-found', 'User Not Found. User: nobody@contoso.com.');
      await rejectsWith(h.tenant.run('Update-MgUser', { UserId: 'nobody@contoso.com', Department: 'Sales' }), 'not-found',
        "[Request_ResourceNotFound] : Resource 'nobody@contoso.com' does not exist or one of its queried reference-property objects are not present.");
      await rejectsWith(h.tenant.run('Get-MgUser', { UserId: '00000000-0000-4000-a000-000000000000' }), 'not-found',
        "[Request_ResourceNotFound] : Resource '00000000-0000-4000-a000-000000000000' does not exist or one of its queried reference-property objects are not present.");
      await rejectsWith(h.tenant.run('Update-MgUser', { UserId: 'bob.smith@contoso.com', Department: 'x'.repeat(65) }), 'invalid-parameter', /Department/);
      await rejectsWith(h.tenant.run('Set-MsolUser', { UserPrincipalName: 'bob.smith@contoso.com', Department: 'Sales', Title: 'Boss' } as never), 'invalid-parameter', /Title/);
      assert.equal((await h.tenant.run('Get-MgUser', { UserId: 'bob.smith@contoso.com' })).output[0]?.Department, null);
    });

    it('registers a hybrid Mediation Server on its account once its Department is HybridMediationServer', async () => {
      const read = async () => (await h.tenant.run('Get-CsHybridMediationServer', { Identity: 'mediationserver1' })).output;
      assert.deepEqual(await read(), [{ Identity: 'MediationServer1', Fqdn: null, AccessProxyExternalFqdn: null, SipAddress: null }]);
      const params = { Identity: 'MediationServer1', Fqdn: 'ms1.cce.contoso.com', AccessProxyExternalFqdn: 'ap.contoso.com' };
      await rejectsWith(h.tenant.run('Set-CsHybridMediationServer', params), 'cmdlet-error',
        'User "mediationserver1@contoso.com" is not a hybrid Mediation Server account: its Department must be "HybridMediationServer" (set it with Set-MsolUser or Update-MgUser first).');
      assert.deepEqual(await read(), [{ Identity: 'MediationServer1', Fqdn: null, AccessProxyExternalFqdn: null, SipAddress: null }]);
      await h.tenant.run('Update-MgUser', { UserId: 'mediationserver1@contoso.com', Department: 'HybridMediationServer' });
      const set = await h.tenant.run('Set-CsHybridMediationServer', params);
      assert.equal(set.output, null);
      assert.equal(set.record.command, "Set-CsHybridMediationServer -Identity 'MediationServer1' -Fqdn 'ms1.cce.contoso.com' -AccessProxyExternalFqdn 'ap.contoso.com'");
      assert.deepEqual(await read(), [{ Identity: 'MediationServer1', Fqdn: 'ms1.cce.contoso.com', AccessProxyExternalFqdn: 'ap.contoso.com', SipAddress: 'sip:ms1.cce.contoso.com@contoso.com' }]);
    });

    it('refuses a Mediation Server identity that names no user or several, and an Fqdn that is not one', async () => {
      const params = { Fqdn: 'ms1.cce.contoso.com', AccessProxyExternalFqdn: 'ap.contoso.com' };
      await rejectsWith(h.tenant.run('Set-CsHybridMediationServer', { Identity: 'MediationServer9', ...params }), 'not-found', 'Management object not found for identity "MediationServer9".');
      await rejectsWith(h.tenant.run('Get-CsHybridMediationServer', { Identity: 'MediationServer9' }), 'not-found', 'Management object not found for identity "MediationServer9".');
      await h.tenant.run('Set-MsolUser', { UserPrincipalName: 'mediation.twin1@contoso.com', Department: 'HybridMediationServer' });
      await rejectsWith(h.tenant.run('Set-CsHybridMediationServer', { Identity: 'Mediation Twin', ...params }), 'invalid-parameter', 'The identity "Mediation Twin" refers to 2 users; specify one user.');
      await rejectsWith(h.tenant.run('Get-CsHybridMediationServer', { Identity: 'Mediation Twin' }), 'invalid-parameter', 'The identity "Mediation Twin" refers to 2 users; specify one user.');
      await h.tenant.run('Set-MsolUser', { UserPrincipalName: 'mediationserver1@contoso.com', Department: 'HybridMediationServer' });
      await rejectsWith(h.tenant.run('Set-CsHybridMediationServer', { Identity: 'MediationServer1', Fqdn: 'ms1', AccessProxyExternalFqdn: 'ap.contoso.com' }), 'invalid-parameter',
        'Cannot validate argument on parameter \'Fqdn\'. "ms1" is not a valid fully qualified domain name.');
      await rejectsWith(h.tenant.run('Set-CsHybridMediationServer', { Identity: 'MediationServer1', Fqdn: 'ms1.contoso.com', AccessProxyExternalFqdn: 'ap.contoso.com.;x' }), 'invalid-parameter',
        'Cannot validate argument on parameter \'AccessProxyExternalFqdn\'. "ap.contoso.com.;x" is not a valid fully qualified domain name.');
      await rejectsWith(h.tenant.run('Set-CsHybridMediationServer', { Identity: 'MediationServer1', Fqdn: 'ms1.contoso.com' } as never), 'invalid-parameter', /AccessProxyExternalFqdn/);
      assert.equal((await h.tenant.run('Get-CsHybridMediationServer', { Identity: 'MediationServer1' })).output[0]?.Fqdn, null);
    });

    it('disables voice: EnterpriseVoiceEnabled $false and OnPremLineURI $null clear the number, which another user can then take', async () => {
      const holder = state.users[25]!;
      const set = await h.tenant.run('Set-CsUser', { Identity: holder.UserPrincipalName, EnterpriseVoiceEnabled: false, OnPremLineURI: null });
      assert.equal(set.record.command, `Set-CsUser -Identity '${holder.UserPrincipalName}' -EnterpriseVoiceEnabled $false -OnPremLineURI $null`);
      const [u] = await get(holder.UserPrincipalName);
      assert.equal(u?.EnterpriseVoiceEnabled, false);
      assert.equal(u?.LineURI, null);
      assert.equal(u?.OnPremLineURI, null);
      assert.equal(u?.VoicePolicy, null);
      await h.tenant.run('Set-CsUser', { Identity: 'Bob Smith', OnPremLineURI: 'tel:+14255550111' });
      assert.equal((await get('Bob Smith'))[0]?.LineURI, 'tel:+14255550111');
      await h.tenant.run('Set-CsUser', { Identity: '*Smith', OnPremLineURI: null });
      assert.deepEqual((await get('*Smith')).map((x) => x.LineURI), [null, null]);
    });

    it('shows a new account in Entra at once and in Skype for Business Online only once it has synced, and only if licensed', async function () {
      this.timeout(20_000);
      const delay = 1_500;
      const delayed = contractTenant();
      const syncAt = new Date(Date.now() + delay).toISOString();
      const fresh = extraUser(delayed, '0d5e0000-0000-4000-a000-0000000000c2', 'MediationServer2', 'mediationserver2', { syncAt, AssignedLicenses: ['ENTERPRISEPREMIUM'] });
      extraUser(delayed, '0d5e0000-0000-4000-a000-0000000000c3', 'MediationServer3', 'mediationserver3', { syncAt, AssignedLicenses: [], Licenses: [] });
      await h.reset(delayed);
      const started = Date.now();
      assert.equal((await h.tenant.run('Get-MgUser', { UserId: 'mediationserver2@contoso.com' })).output[0]?.Id, fresh.Identity);
      assert.deepEqual((await h.tenant.run('Get-MgUser', { UserId: 'mediationserver3@contoso.com' })).output[0]?.AssignedLicenses, []);
      await h.tenant.run('Set-MsolUser', { UserPrincipalName: 'mediationserver2@contoso.com', Department: 'HybridMediationServer' });
      await rejectsWith(get('mediationserver2@contoso.com'), 'not-found', 'Management object not found for identity "mediationserver2@contoso.com".');
      await rejectsWith(h.tenant.run('Set-CsHybridMediationServer', { Identity: 'MediationServer2', Fqdn: 'ms2.cce.contoso.com', AccessProxyExternalFqdn: 'ap2.contoso.com' }), 'not-found');
      assert.equal((await h.tenant.run('Get-CsOnlineUser', { Filter: "DisplayName -like 'MediationServer*'" })).output.length, 1);
      let seenAt = 0;
      while (Date.now() - started < 10_000) {
        const found = (await h.tenant.run('Get-CsOnlineUser', { Filter: "DisplayName -eq 'MediationServer2'" })).output;
        if (found.length > 0) {
          seenAt = Date.now();
          assert.equal(found[0]?.Department, 'HybridMediationServer');
          break;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(seenAt > 0, 'the account never reached Skype for Business Online');
      assert.ok(seenAt - started >= delay - 200, `visible after ${seenAt - started} ms, before its sync time`);
      assert.equal((await get('mediationserver2@contoso.com'))[0]?.Identity, fresh.Identity);
      await h.tenant.run('Set-CsHybridMediationServer', { Identity: 'MediationServer2', Fqdn: 'ms2.cce.contoso.com', AccessProxyExternalFqdn: 'ap2.contoso.com' });
      assert.equal((await h.tenant.run('Get-CsHybridMediationServer', { Identity: 'MediationServer2' })).output[0]?.SipAddress, 'sip:ms2.cce.contoso.com@contoso.com');
      // Unlicensed when its sync came: it never reaches Skype for Business Online.
      await rejectsWith(get('mediationserver3@contoso.com'), 'not-found');
      assert.deepEqual((await h.tenant.run('Get-CsOnlineUser', { Filter: "DisplayName -like 'MediationServer*'" })).output.map((u) => u.DisplayName), ['MediationServer1', 'MediationServer2']);
    });
  });
}
