import { strict as assert } from 'node:assert';
import { loadConfig } from '../src/config';
import { silentLogger } from '../src/log';
import { startSwitchboard as startServer } from '../src/main';
import type { RunningServer } from '../src/teams/server';
import { LocalConnector, post, teamsActivity } from '../src/cli/local-channel';
import { requirePwsh } from './support/pwsh';
import { tempDir } from './support/temp-dirs';

const alice = { aadObjectId: '11111111-1111-4111-8111-111111111111', name: 'Alice Operator', mri: '29:alice' };
const admin = { aadObjectId: '22222222-2222-4222-8222-222222222222', name: 'Ada Admin', mri: '29:ada' };

describe('over HTTP in local mode with TENANT_BACKEND=powershell-stub (real pwsh)', function () {
  this.timeout(120_000);
  let connector: LocalConnector;
  let bot: RunningServer;

  before(async function () {
    requirePwsh(this);
    connector = new LocalConnector();
    await connector.start();
    const dataDir = tempDir('http-ps');
    bot = await startServer(loadConfig({ PORT: '0', DATA_DIR: dataDir, APPROVER_IDS: admin.aadObjectId, TENANT_BACKEND: 'powershell-stub', PS_POOL_SIZE: '1', LOG_LEVEL: 'silent' }), silentLogger, { maintenanceMs: 3_600_000 });
  });
  after(async () => {
    await bot?.close();
    await connector?.stop();
  });

  it('enables voice for Bob Kelly through pwsh, approval and a verified read-back', async () => {
    const message = teamsActivity(connector.url, alice, 'a:conv-alice', { type: 'message', text: 'enable voice for Bob Kelly number +14255550100' });
    await post(bot.url, message);
    const reply = await connector.waitFor((c) => c.activityId === message.id, 60_000);
    const requestId = /R-[0-9A-Z]{8}/.exec(reply.body.text ?? '')?.[0];
    assert.ok(requestId, reply.body.text);
    assert.ok(JSON.stringify(reply.body.attachments).includes("Set-CsUser -Identity 'bob.kelly@contoso.com' -EnterpriseVoiceEnabled $true -HostedVoiceMail $true -OnPremLineURI 'tel:+14255550100'"));

    const click = teamsActivity(connector.url, admin, 'a:conv-alice', {
      type: 'invoke', name: 'adaptiveCard/action', replyToId: reply.id,
      value: { action: { type: 'Action.Execute', verb: 'approve', data: { requestId } }, trigger: 'manual' },
    });
    const invoke = await post(bot.url, click);
    assert.ok(JSON.stringify(invoke.body).includes('Approved by Ada Admin'));
    const verified = await connector.waitFor((c) => (c.body.text ?? '').startsWith(`${requestId} done`), 60_000);
    assert.equal(verified.body.text, `${requestId} done and verified for Bob Kelly (bob.kelly@contoso.com): EnterpriseVoiceEnabled True, HostedVoiceMail True, VoicePolicy HybridVoice, LineURI tel:+14255550100.`);

    const audit = await bot.core.store.listAudit({ requestId, limit: 50 });
    const run = audit.find((e) => e.event === 'cmdlet.run');
    assert.match(String(run?.detail?.session), /^pwsh-\d+/);
    assert.equal(run?.detail?.command, "Set-CsUser -Identity 'bob.kelly@contoso.com' -EnterpriseVoiceEnabled $true -HostedVoiceMail $true -OnPremLineURI 'tel:+14255550100'");

    const status = teamsActivity(connector.url, alice, 'a:conv-alice', { type: 'message', text: 'status Bob Kelly' });
    await post(bot.url, status);
    const statusReply = await connector.waitFor((c) => c.activityId === status.id, 60_000);
    assert.equal(statusReply.body.text, 'Bob Kelly: EnterpriseVoiceEnabled True, HostedVoiceMail True, VoicePolicy HybridVoice (to fix: HybridPSTNSite)');
  });
});
