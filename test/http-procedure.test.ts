/**
 * The procedure's commands over HTTP in local mode, the way a Bot Framework client drives them, on the
 * simulated tenant and on the PowerShell stand-in (real pwsh, the stand-in module's binder).
 */
import { strict as assert } from 'node:assert';
import { loadConfig } from '../src/config';
import { silentLogger } from '../src/log';
import { startSwitchboard } from '../src/main';
import type { RunningServer } from '../src/teams/server';
import { LocalConnector, post, teamsActivity } from '../src/cli/local-channel';
import { requirePwsh } from './support/pwsh';
import { tempDir } from './support/temp-dirs';

const alice = { aadObjectId: '11111111-1111-4111-8111-111111111111', name: 'Alice Operator', mri: '29:alice' };
const admin = { aadObjectId: '22222222-2222-4222-8222-222222222222', name: 'Ada Admin', mri: '29:ada' };

for (const backend of ['sim', 'powershell-stub'] as const) {
  describe(`the procedure over HTTP on ${backend === 'sim' ? 'the simulated tenant' : 'the PowerShell stand-in'}`, function () {
    this.timeout(180_000);
    let connector: LocalConnector;
    let bot: RunningServer;
    const wait = backend === 'sim' ? 10_000 : 60_000;

    before(async function () {
      if (backend !== 'sim') requirePwsh(this);
      connector = new LocalConnector();
      await connector.start();
      bot = await startSwitchboard(loadConfig({ PORT: '0', DATA_DIR: tempDir(`http-procedure-${backend}`), APPROVER_IDS: admin.aadObjectId, TENANT_BACKEND: backend, PS_POOL_SIZE: '1', LOG_LEVEL: 'silent' }), silentLogger, { maintenanceMs: 3_600_000 });
      await bot.core.store.putSite({ name: 'Seattle', edgeFqdn: 'ap.contoso.com', mediationServers: [{ fqdn: 'ms1.contoso.com', ip: '10.0.1.11' }], gateways: [] }, { at: new Date().toISOString(), actor: 'system', event: 'inventory.site' });
    });
    after(async () => {
      await bot?.close();
      await connector?.stop();
    });

    async function say(text: string, user = alice) {
      const message = teamsActivity(connector.url, user, `a:conv-${user.mri}`, { type: 'message', text });
      await post(bot.url, message);
      return (await connector.waitFor((c) => c.activityId === message.id, wait)).body;
    }
    async function click(user: typeof alice, verb: string, data: Record<string, unknown>) {
      const activity = teamsActivity(connector.url, user, `a:conv-${user.mri}`, { type: 'invoke', name: 'adaptiveCard/action', value: { action: { type: 'Action.Execute', verb, data }, trigger: 'manual' } });
      return (await post(bot.url, activity)).body;
    }
    async function approveAndWait(requestId: string) {
      await click(admin, 'approve', { requestId });
      return (await connector.waitFor((c) => (c.body.text ?? '').startsWith(`${requestId} `) && !/waiting/.test(c.body.text ?? ''), wait)).body.text!;
    }
    const idOf = (text: string | undefined) => /R-[0-9A-Z]{8}/.exec(text ?? '')![0];

    it('shows the SIP domains and configures hybrid connectivity, verified by read-back', async () => {
      assert.equal((await say('show domains')).text, 'SIP domains: contoso.com (Enabled), contoso.onmicrosoft.com (Enabled). Primary for Cloud Connector: contoso.com.');
      const filed = await say('configure hybrid edge ap.contoso.com');
      assert.match(JSON.stringify(filed.attachments), /Set-CsTenantHybridConfiguration -PeerDestination 'ap\.contoso\.com' -UseOnPremDialPlan \$false/);
      assert.match(await approveAndWait(idOf(filed.text)), /done and verified for Tenant hybrid connectivity: PeerDestination ap\.contoso\.com, UseOnPremDialPlan False, SharedSipAddressSpace True\.$/);
      assert.equal((await say('show hybrid')).text, 'Hybrid connectivity: PeerDestination ap.contoso.com, UseOnPremDialPlan False, SharedSipAddressSpace True.');
    });

    it('registers a Mediation Server whose account has synced, with the display name bound from the wait', async () => {
      const filed = await click(alice, 'submitRequest', { action: 'register-mediation-server', fqdn: 'ms1.contoso.com', site: 'Seattle', displayName: 'MediationServer1', upn: 'mediationserver1@contoso.com' });
      const requestId = idOf(JSON.stringify(filed));
      assert.match(await approveAndWait(requestId), /done and verified for ms1\.contoso\.com \(site Seattle, account MediationServer1\): Department HybridMediationServer, Fqdn ms1\.contoso\.com, AccessProxyExternalFqdn ap\.contoso\.com\.$/);
      const writes = (await bot.core.store.listAudit({ requestId, limit: 100 })).filter((e) => e.event === 'cmdlet.run').map((e) => String(e.detail?.command)).reverse();
      assert.deepEqual(writes, [
        "Get-CsOnlineUser -Identity 'mediationserver1@contoso.com'",
        "Set-MsolUser -UserPrincipalName 'mediationserver1@contoso.com' -Department 'HybridMediationServer'",
        "Set-CsHybridMediationServer -Identity 'MediationServer1' -Fqdn 'ms1.contoso.com' -AccessProxyExternalFqdn 'ap.contoso.com'",
      ]);
      assert.equal((await say('show mediation servers')).text, 'All 1 registered.');
    });

    it('enables, blocks international calls for, assigns and disables a user, refusing what the seed forbids', async () => {
      const unlicensed = (await bot.core.tenant.run('Get-CsOnlineUser', { Filter: "FeatureTypes -ne 'PhoneSystem'", ResultSize: 40 })).output.find((u) => !u.FeatureTypes?.length && !/MediationServer/.test(u.DisplayName));
      if (unlicensed) assert.match((await say(`enable voice for ${unlicensed.UserPrincipalName} number +14255550177`)).text!, /is not licensed for Phone System/);
      const enable = await say('enable voice for Bob Smith number +1 425 555 0104');
      assert.match(await approveAndWait(idOf(enable.text)), /done and verified/);
      const block = await say('block international calls for Bob Smith');
      assert.match(await approveAndWait(idOf(block.text)), /AllowInternationalCalls False\.$/);
      const assign = await say('assign bob.smith@contoso.com to site Seattle');
      assert.match(await approveAndWait(idOf(assign.text)), /HybridPSTNSite Seattle\.$/);
      const disable = await say('disable voice for bob.smith@contoso.com');
      assert.match(await approveAndWait(idOf(disable.text)), /EnterpriseVoiceEnabled False, HostedVoiceMail False, OnPremLineURI \(none\)\.$/);
    });
  });
}
