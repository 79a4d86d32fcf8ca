/**
 * The stand-in module as PowerShell itself sees it: its binder refuses what the real cmdlets' signatures refuse,
 * and the teams-current profile is a host without MSOnline.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { cmdletNames } from '../../src/tenant/cmdlets';
import { createPowerShellTenant, stubModulePath } from '../../src/tenant/powershell';
import { requirePwsh } from '../support/pwsh';
import { contractTenant, tempDir, writeStubState } from './fixtures';
import { rejectsWith } from './tenant-contract';

/** Each call runs in its own try; the report is the FullyQualifiedErrorId of what it threw, or 'ok'. */
const calls: { call: string; errorId: RegExp }[] = [
  { call: 'Set-CsHybridMediationServer -Identity MediationServer1 -Fqdn ms1.contoso.com', errorId: /^MissingMandatoryParameter,Set-CsHybridMediationServer$/ },
  { call: 'Set-CsHybridMediationServer -Identity MediationServer1 -Fqdn ms1.contoso.com -AccessProxyExternalFqdn ap.contoso.com -Site x', errorId: /^NamedParameterNotFound,Set-CsHybridMediationServer$/ },
  { call: 'Get-CsHybridMediationServer -Identity MediationServer1 -Tenant not-a-guid', errorId: /^ParameterArgumentTransformationError,Get-CsHybridMediationServer$/ },
  { call: "Set-CsTenantHybridConfiguration -UseOnPremDialPlan 'no'", errorId: /^ParameterArgumentTransformationError,Set-CsTenantHybridConfiguration$/ },
  { call: 'Set-CsTenantHybridConfiguration -Identity Global -Instance ([pscustomobject]@{})', errorId: /^AmbiguousParameterSet,Set-CsTenantHybridConfiguration$/ },
  { call: "Set-CsTenantFederationConfiguration -SharedSipAddressSpace 'yes'", errorId: /^ParameterArgumentTransformationError,Set-CsTenantFederationConfiguration$/ },
  { call: 'Get-CsTenantFederationConfiguration -Identity Global -Filter x', errorId: /^AmbiguousParameterSet,Get-CsTenantFederationConfiguration$/ },
  { call: 'Get-CsOnlineSipDomain -DomainStatus Suspended', errorId: /^ParameterArgumentValidationError,Get-CsOnlineSipDomain$/ },
  { call: 'Set-MsolUser -UserPrincipalName bob.smith@contoso.com -ObjectId not-a-guid', errorId: /^ParameterArgumentTransformationError,Set-MsolUser$/ },
  { call: 'Update-MgUser -Department Sales', errorId: /^MissingMandatoryParameter,Update-MgUser$/ },
  { call: 'Update-MgUser -UserId bob.smith@contoso.com -Departement Sales', errorId: /^NamedParameterNotFound,Update-MgUser$/ },
  { call: 'Get-MgUser -UserId bob.smith@contoso.com -Filter x', errorId: /^NamedParameterNotFound,Get-MgUser$/ },
  // Direct Routing: -SipSignalingPort is mandatory in both sets; -Identity and -Fqdn name the SBC in different sets.
  { call: 'New-CsOnlinePSTNGateway -Fqdn sbc1.contoso.com', errorId: /^MissingMandatoryParameter,New-CsOnlinePSTNGateway$/ },
  { call: 'New-CsOnlinePSTNGateway -Fqdn sbc1.contoso.com -SipSignalingPort five', errorId: /^ParameterArgumentTransformationError,New-CsOnlinePSTNGateway$/ },
  { call: 'New-CsOnlinePSTNGateway -Fqdn sbc1.contoso.com -SipSignalingPort 5061 -Port 5061', errorId: /^NamedParameterNotFound,New-CsOnlinePSTNGateway$/ },
  { call: 'New-CsOnlinePSTNGateway -Identity sbc1.contoso.com -Fqdn sbc1.contoso.com -SipSignalingPort 5061', errorId: /^AmbiguousParameterSet,New-CsOnlinePSTNGateway$/ },
  // Set- names the SBC by -Identity (positional); its port is an Int32; it has no -Fqdn.
  { call: 'Set-CsOnlinePSTNGateway -Identity sbc1.contoso.com -SipSignalingPort five', errorId: /^ParameterArgumentTransformationError,Set-CsOnlinePSTNGateway$/ },
  { call: 'Set-CsOnlinePSTNGateway -Fqdn sbc1.contoso.com -Enabled $false', errorId: /^NamedParameterNotFound,Set-CsOnlinePSTNGateway$/ },
  // The Assignment set needs -NumberType; -EnterpriseVoiceEnabled is the Attribute set's, -HostedVoiceMail is gone; no positional binding.
  { call: 'Set-CsPhoneNumberAssignment -Identity bob.smith@contoso.com -TelephoneNumber +14255550123', errorId: /^MissingMandatoryParameter,Set-CsPhoneNumberAssignment$/ },
  { call: 'Set-CsPhoneNumberAssignment -Identity bob.smith@contoso.com -TelephoneNumber +14255550123 -NumberType DirectRouting -EnterpriseVoiceEnabled $true', errorId: /^AmbiguousParameterSet,Set-CsPhoneNumberAssignment$/ },
  { call: 'Set-CsPhoneNumberAssignment -Identity bob.smith@contoso.com -TelephoneNumber +14255550123 -NumberType DirectRouting -HostedVoiceMail $true', errorId: /^NamedParameterNotFound,Set-CsPhoneNumberAssignment$/ },
  { call: 'Set-CsPhoneNumberAssignment bob.smith@contoso.com +14255550123 DirectRouting', errorId: /^PositionalParameterNotFound,Set-CsPhoneNumberAssignment$/ },
  { call: 'Grant-CsOnlineVoiceRoutingPolicy -Identity bob.smith@contoso.com -PolicyName x -Global', errorId: /^AmbiguousParameterSet,Grant-CsOnlineVoiceRoutingPolicy$/ },
  { call: "Get-CsOnlineVoiceRoutingPolicy -Identity Global -Filter 'Tag:*'", errorId: /^AmbiguousParameterSet,Get-CsOnlineVoiceRoutingPolicy$/ },
  { call: 'Get-CsOnlinePSTNGateway -Fqdn sbc1.contoso.com', errorId: /^NamedParameterNotFound,Get-CsOnlinePSTNGateway$/ },
  // Routing: a route is named by -Identity or -Name (not both), a policy needs -Identity; -Priority is an Int32.
  { call: "New-CsOnlineVoiceRoute -Identity US -Name US -NumberPattern '.*'", errorId: /^AmbiguousParameterSet,New-CsOnlineVoiceRoute$/ },
  { call: "New-CsOnlineVoiceRoute -NumberPattern '.*' -OnlinePstnUsages US", errorId: /^MissingMandatoryParameter,New-CsOnlineVoiceRoute$/ },
  { call: 'New-CsOnlineVoiceRoute -Identity US -Priority first', errorId: /^ParameterArgumentTransformationError,New-CsOnlineVoiceRoute$/ },
  { call: 'New-CsOnlineVoiceRoute -Identity US -OnlinePstnGateways sbc1.contoso.com', errorId: /^NamedParameterNotFound,New-CsOnlineVoiceRoute$/ },
  { call: 'New-CsOnlineVoiceRoutingPolicy -OnlinePstnUsages US', errorId: /^MissingMandatoryParameter,New-CsOnlineVoiceRoutingPolicy$/ },
  { call: 'Get-CsOnlineVoiceRoute -Identity US -Filter x', errorId: /^AmbiguousParameterSet,Get-CsOnlineVoiceRoute$/ },
  { call: "Set-CsOnlinePstnUsage -Identity Global -Usage @{Add='US'} -Instance x", errorId: /^NamedParameterNotFound,Set-CsOnlinePstnUsage$/ },
  // A set the real cmdlet has and Switchboard never uses binds, and the stand-in then says it does not model it.
  { call: 'Set-CsPhoneNumberAssignment -Identity bob.smith@contoso.com -EnterpriseVoiceEnabled $true', errorId: /^NotImplementedInStandIn,Set-CsPhoneNumberAssignment$/ },
  { call: "Set-CsOnlinePstnUsage -Identity Global -Usage @{Remove='US'}", errorId: /^NotImplementedInStandIn,Set-CsOnlinePstnUsage$/ },
  { call: "New-CsOnlineVoiceRoute -Identity Bridge -BridgeSourcePhoneNumber '+14255550100'", errorId: /^NotImplementedInStandIn,New-CsOnlineVoiceRoute$/ },
  // The right names and types bind, and the cmdlet runs.
  { call: 'Get-CsOnlineSipDomain -DomainStatus enabled', errorId: /^ok$/ },
  { call: 'Set-CsTenantFederationConfiguration -SharedSipAddressSpace $true', errorId: /^ok$/ },
  { call: 'Get-MgUser -UserId bob.smith@contoso.com', errorId: /^ok$/ },
  { call: 'New-CsOnlinePSTNGateway -Fqdn sbc1.contoso.com -SipSignalingPort 5061 -MediaBypass $true -FailoverTimeSeconds 10', errorId: /^ok$/ },
  { call: 'Grant-CsOnlineVoiceRoutingPolicy -Identity bob.smith@contoso.com -PolicyName $null', errorId: /^ok$/ },
  { call: 'Set-CsOnlinePSTNGateway sbc1.contoso.com -Enabled $false -FailoverTimeSeconds 20', errorId: /^ok$/ },
  // After the SBC above: a usage, a route named by -Name with the documented extras, a policy named positionally.
  { call: "Set-CsOnlinePstnUsage Global -Usage @{add='US'}", errorId: /^ok$/ },
  { call: "New-CsOnlineVoiceRoute -Name US -NumberPattern '^[+]1' -OnlinePstnGatewayList sbc1.contoso.com -OnlinePstnUsages @{Add='US'} -Description d -Priority 1", errorId: /^ok$/ },
  { call: "New-CsOnlineVoiceRoutingPolicy US-Only -OnlinePstnUsages @('US') -Description d -RouteType BYPASS", errorId: /^ok$/ },
];

describe('the stand-in module under PowerShell\'s binder', function () {
  this.timeout(60_000);

  it('refuses wrong parameter names, types, values and sets on the procedure\'s cmdlets as the real signatures do', function () {
    const pwsh = requirePwsh(this);
    const dataDir = tempDir('binder');
    writeStubState(dataDir, contractTenant());
    const body = calls.map((c) => `try { $null = ${c.call}; 'ok' } catch { $_.FullyQualifiedErrorId }`).join('\n');
    const script = `$ErrorActionPreference = 'Stop'\nImport-Module '${stubModulePath}'\n$null = Connect-MicrosoftTeams -TenantId t -CertificateThumbprint c -ApplicationId a\n$r = @(\n${body}\n)\nConvertTo-Json -Compress -InputObject $r`;
    const file = path.join(dataDir, 'binder.ps1');
    fs.writeFileSync(file, script);
    const run = spawnSync(pwsh, ['-NoProfile', '-NonInteractive', '-File', file], { encoding: 'utf8', env: { ...process.env, SWITCHBOARD_STUB_DATA_DIR: dataDir } });
    assert.equal(run.status, 0, run.stderr);
    const ids = z.array(z.string()).parse(JSON.parse(run.stdout));
    assert.equal(ids.length, calls.length);
    calls.forEach((c, i) => assert.match(ids[i]!, c.errorId, c.call));
  });

  it('profile teams-current has no MSOnline: no Set-MsolUser, so the choice falls on Update-MgUser', async function () {
    requirePwsh(this);
    const dataDir = tempDir('teams-current');
    writeStubState(dataDir, contractTenant());
    const tenant = createPowerShellTenant({ backend: 'powershell-stub', config: { PS_POOL_SIZE: '1' }, stub: { dataDir, profile: 'teams-current' } });
    try {
      const available = (await tenant.describe()).availableCmdlets;
      assert.deepEqual([...available].sort(), cmdletNames.filter((n) => n !== 'Set-MsolUser').sort());
      await rejectsWith(tenant.run('Set-MsolUser', { UserPrincipalName: 'mediationserver1@contoso.com', Department: 'HybridMediationServer' }), 'cmdlet-error', /'Set-MsolUser' is not recognized/);
      await tenant.run('Update-MgUser', { UserId: 'mediationserver1@contoso.com', Department: 'HybridMediationServer' });
      assert.equal((await tenant.run('Get-MgUser', { UserId: 'mediationserver1@contoso.com' })).output[0]?.Department, 'HybridMediationServer');
      const [u] = (await tenant.run('Get-CsOnlineUser', { Identity: 'mediationserver1@contoso.com' })).output;
      assert.equal(u?.Department, 'HybridMediationServer');
      assert.equal('HostedVoiceMail' in u!, false);
    } finally {
      await tenant.close();
    }
  });

  it('keeps its number index right across processes: a number freed in one is free in the other, a number taken in one is refused in the other', async function () {
    requirePwsh(this);
    const dataDir = tempDir('stub-lines');
    const state = contractTenant();
    writeStubState(dataDir, state);
    const one = createPowerShellTenant({ backend: 'powershell-stub', config: { PS_POOL_SIZE: '1' }, stub: { dataDir } });
    const two = createPowerShellTenant({ backend: 'powershell-stub', config: { PS_POOL_SIZE: '1' }, stub: { dataDir } });
    try {
      const holder = state.users[25]!.UserPrincipalName;
      await rejectsWith(two.run('Set-CsUser', { Identity: 'Bob Smith', OnPremLineURI: 'tel:+14255550111' }), 'cmdlet-error', `The number tel:+14255550111 is already assigned to ${holder}.`);
      await one.run('Set-CsUser', { Identity: holder, OnPremLineURI: null });
      await two.run('Set-CsUser', { Identity: 'Bob Smith', OnPremLineURI: 'tel:+14255550111' });
      await rejectsWith(one.run('Set-CsUser', { Identity: holder, OnPremLineURI: 'TEL:+14255550111' }), 'invalid-parameter');
      await rejectsWith(one.run('Set-CsUser', { Identity: holder, OnPremLineURI: 'tel:+14255550111' }), 'cmdlet-error', 'The number tel:+14255550111 is already assigned to bob.smith@contoso.com.');
      assert.deepEqual((await one.run('Get-CsOnlineUser', { Filter: "LineURI -eq 'tel:+14255550111'" })).output.map((u) => u.UserPrincipalName), ['bob.smith@contoso.com']);
      assert.deepEqual((await two.run('Get-CsOnlineUser', { Filter: `OnPremLineURI -eq 'tel:+14255550111' -or UserPrincipalName -eq '${holder}'` })).output.map((u) => u.UserPrincipalName), ['bob.smith@contoso.com', holder]);
    } finally {
      await one.close();
      await two.close();
    }
  });
});
