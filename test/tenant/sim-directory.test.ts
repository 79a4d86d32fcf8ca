/** The simulated tenant's two directories and the demo tenant the procedure starts from. */
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/clock';
import { cmdletNames } from '../../src/tenant/cmdlets';
import { demoTenant } from '../../src/tenant/sim/demo-tenant';
import { SimulatedTenant } from '../../src/tenant/sim/simulated-tenant';
import { contractTenant, tempDir } from './fixtures';
import { rejectsWith } from './tenant-contract';

describe('the simulated tenant\'s directories', () => {
  it('creates an Entra account that Skype for Business Online sees only after its sync delay, by the tenant\'s clock', async () => {
    const clock = new ManualClock();
    const tenant = new SimulatedTenant({ initial: contractTenant(), clock });
    const created = tenant.createDirectoryAccount({ upn: 'mediationserver7@contoso.com', displayName: 'MediationServer7', licenses: ['ENTERPRISEPREMIUM'], syncDelayMs: 60 * 60_000 });
    assert.deepEqual((await tenant.run('Get-MgUser', { UserId: created.Identity })).output, [{
      Id: created.Identity, UserPrincipalName: 'mediationserver7@contoso.com', DisplayName: 'MediationServer7', Department: null,
      AssignedLicenses: ['ENTERPRISEPREMIUM'], FeatureTypes: ['Teams', 'PhoneSystem'],
    }]);
    await rejectsWith(tenant.run('Get-CsOnlineUser', { Identity: 'mediationserver7@contoso.com' }), 'not-found');
    clock.advance(60 * 60_000 - 1);
    await rejectsWith(tenant.run('Get-CsHybridMediationServer', { Identity: 'MediationServer7' }), 'not-found');
    clock.advance(1);
    const [online] = (await tenant.run('Get-CsOnlineUser', { Identity: 'MediationServer7' })).output;
    assert.equal(online?.UserPrincipalName, 'mediationserver7@contoso.com');
    assert.deepEqual(online?.FeatureTypes, ['Teams', 'PhoneSystem']);
  });

  it('never shows an account in Skype for Business Online that had no licence when its sync came', async () => {
    const clock = new ManualClock();
    const tenant = new SimulatedTenant({ initial: contractTenant(), clock });
    tenant.createDirectoryAccount({ upn: 'unlicensed.ms@contoso.com', displayName: 'Unlicensed MS', licenses: [], syncDelayMs: 1_000 });
    clock.advance(24 * 60 * 60_000);
    await rejectsWith(tenant.run('Get-CsOnlineUser', { Identity: 'unlicensed.ms@contoso.com' }), 'not-found');
    assert.equal((await tenant.run('Get-MgUser', { UserId: 'unlicensed.ms@contoso.com' })).output.length, 1);
  });

  it('refuses a second account with the same UPN, and keeps created accounts across a restart', async () => {
    const dataDir = tempDir('sim-directory');
    const tenant = new SimulatedTenant({ initial: contractTenant(), dataDir });
    tenant.createDirectoryAccount({ upn: 'ms8@contoso.com', displayName: 'MediationServer8', licenses: ['ENTERPRISEPREMIUM'], syncDelayMs: 0 });
    assert.throws(() => tenant.createDirectoryAccount({ upn: 'MS8@contoso.com', displayName: 'Other', licenses: [], syncDelayMs: 0 }), /already exists/);
    await tenant.close();
    const again = new SimulatedTenant({ initial: contractTenant(), dataDir });
    assert.equal((await again.run('Get-CsOnlineUser', { Identity: 'ms8@contoso.com' })).output[0]?.DisplayName, 'MediationServer8');
  });

  it('reports every allow-listed cmdlet as available', async () => {
    const tenant = new SimulatedTenant({ initial: contractTenant() });
    assert.deepEqual((await tenant.describe()).availableCmdlets, cmdletNames);
  });
});

describe('the demo tenant', () => {
  it('has hybrid connectivity still to set up, two sites and SIP domains', async () => {
    const tenant = new SimulatedTenant({ initial: demoTenant() });
    assert.deepEqual((await tenant.run('Get-CsTenantHybridConfiguration', {})).output, [{ Identity: 'Global', PeerDestination: null, UseOnPremDialPlan: true, HybridPSTNSites: ['Seattle', 'Amsterdam'] }]);
    assert.deepEqual((await tenant.run('Get-CsTenantFederationConfiguration', {})).output, [{ Identity: 'Global', SharedSipAddressSpace: false }]);
    assert.deepEqual((await tenant.run('Get-CsHybridPSTNSite', {})).output, [{ Identity: 'Seattle', EdgeFqdn: 'ap.contoso.com' }, { Identity: 'Amsterdam', EdgeFqdn: 'ap2.contoso.com' }]);
    assert.deepEqual((await tenant.run('Get-CsOnlineSipDomain', {})).output, [{ Name: 'contoso.com', Status: 'Enabled' }, { Name: 'contoso.onmicrosoft.com', Status: 'Enabled' }]);
  });

  it('has MediationServer1 synced and MediationServer2 synced two minutes after the tenant was first created', async () => {
    const clock = new ManualClock();
    const dataDir = tempDir('demo');
    const tenant = new SimulatedTenant({ initial: demoTenant(clock.now()), dataDir, clock });
    const ms1 = (await tenant.run('Get-CsOnlineUser', { Identity: 'mediationserver1@contoso.com' })).output[0];
    assert.equal(ms1?.DisplayName, 'MediationServer1');
    assert.equal(ms1?.Department, null);
    assert.equal((await tenant.run('Get-MgUser', { UserId: 'mediationserver2@contoso.com' })).output[0]?.DisplayName, 'MediationServer2');
    await rejectsWith(tenant.run('Get-CsOnlineUser', { Identity: 'mediationserver2@contoso.com' }), 'not-found');
    clock.advance(119_000);
    // A restart later does not move the sync time: it was fixed when the tenant was first created.
    const restarted = new SimulatedTenant({ initial: demoTenant(clock.now()), dataDir, clock });
    await rejectsWith(restarted.run('Get-CsOnlineUser', { Identity: 'MediationServer2' }), 'not-found');
    clock.advance(1_000);
    assert.equal((await restarted.run('Get-CsOnlineUser', { Identity: 'MediationServer2' })).output[0]?.UserPrincipalName, 'mediationserver2@contoso.com');
  });

  it('keeps the demo users, and a user voice-enabled with a number reads VoicePolicy HybridVoice before PeerDestination is set', async () => {
    const tenant = new SimulatedTenant({ initial: demoTenant() });
    const alex = (await tenant.run('Get-CsOnlineUser', { Identity: 'Alex Vance' })).output[0];
    assert.equal(alex?.EnterpriseVoiceEnabled, true);
    assert.equal(alex?.VoicePolicy, 'HybridVoice');
    await tenant.run('Set-CsUser', { Identity: 'Bob Kelly', EnterpriseVoiceEnabled: true, HostedVoiceMail: true });
    assert.equal((await tenant.run('Get-CsOnlineUser', { Identity: 'Bob Kelly' })).output[0]?.VoicePolicy, 'BusinessVoice');
    await tenant.run('Set-CsUser', { Identity: 'Bob Kelly', OnPremLineURI: 'tel:+14255550100' });
    assert.equal((await tenant.run('Get-CsOnlineUser', { Identity: 'Bob Kelly' })).output[0]?.VoicePolicy, 'HybridVoice');
    assert.equal((await tenant.run('Get-CsOnlineUser', { Identity: 'bob.smith@contoso.com' })).output[0]?.EnterpriseVoiceEnabled, false);
  });
});
