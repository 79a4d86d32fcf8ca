/**
 * The contract every tenant backend honours, run against the simulated tenant and the PowerShell stand-in alike,
 * from the same generated tenant, with the same assertions.
 */
import assert from 'node:assert/strict';
import { TenantError, type TenantErrorKind, type TenantPort } from '../../src/tenant/port';
import type { SimTenantState } from '../../src/tenant/sim/state';
import { contractTenant } from './fixtures';

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
      await rejectsWith(h.tenant.run('Grant-CsVoiceRoutingPolicy', { Identity: 'Bob Smith', PolicyName: 'Nope' }), 'not-found', 'Cannot find VoiceRoutingPolicy "Nope".');
      await h.tenant.run('Grant-CsVoiceRoutingPolicy', { Identity: 'Bob Smith', PolicyName: null });
      assert.equal((await h.tenant.run('Get-CsUserPstnSettings', { Identity: 'Bob Smith' })).output[0]?.AllowInternationalCalls, true);
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
  });
}
