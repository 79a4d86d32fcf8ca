import { strict as assert } from 'node:assert';
import { loadConfig } from '../src/config';
import { silentLogger } from '../src/log';
import { startSwitchboard as startServer } from '../src/main';
import type { RunningServer } from '../src/teams/server';
import { LocalConnector, post, teamsActivity } from '../src/cli/local-channel';
import { tempDir } from './support/temp-dirs';

const alice = { aadObjectId: '11111111-1111-4111-8111-111111111111', name: 'Alice Operator', mri: '29:alice' };
const admin = { aadObjectId: '22222222-2222-4222-8222-222222222222', name: 'Ada Admin', mri: '29:ada' };

describe('over HTTP in local mode, as a Bot Framework client drives it', () => {
  let connector: LocalConnector;
  let bot: RunningServer;

  before(async () => {
    connector = new LocalConnector();
    await connector.start();
    const dataDir = tempDir('http');
    bot = await startServer(loadConfig({ PORT: '0', DATA_DIR: dataDir, APPROVER_IDS: admin.aadObjectId, LOG_LEVEL: 'silent' }), silentLogger, { maintenanceMs: 3_600_000 });
  });
  after(async () => {
    await bot.close();
    await connector.stop();
  });

  it('takes "enable voice for Bob Kelly" from request to approval to a verified read-back', async () => {
    const message = teamsActivity(connector.url, alice, 'a:conv-alice', { type: 'message', text: 'enable voice for Bob Kelly number +14255550100' });
    assert.equal((await post(bot.url, message)).status, 200);
    const reply = await connector.waitFor((c) => c.method === 'POST' && c.activityId === message.id);
    assert.equal(reply.conversationId, 'a:conv-alice');
    const requestId = /R-[0-9A-Z]{8}/.exec(reply.body.text ?? '')?.[0];
    assert.ok(requestId, reply.body.text);
    assert.equal(reply.body.attachments?.[0]?.contentType, 'application/vnd.microsoft.card.adaptive');

    const started = performance.now();
    const click = teamsActivity(connector.url, admin, 'a:conv-alice', {
      type: 'invoke', name: 'adaptiveCard/action', replyToId: reply.id,
      value: { action: { type: 'Action.Execute', verb: 'approve', data: { requestId } }, trigger: 'manual' },
    });
    const invoke = await post(bot.url, click);
    const elapsed = performance.now() - started;
    assert.equal(invoke.status, 200);
    const body = invoke.body as { statusCode: number; type: string; value: { body: { text?: string }[] } };
    assert.equal(body.statusCode, 200);
    assert.equal(body.type, 'application/vnd.microsoft.card.adaptive');
    assert.ok(JSON.stringify(body.value).includes('Approved by Ada Admin'));
    assert.ok(elapsed < 1000, `the invoke answered in ${elapsed.toFixed(0)} ms`);

    const verified = await connector.waitFor((c) => c.method === 'POST' && (c.body.text ?? '').includes(`${requestId} done and verified`));
    assert.equal(verified.body.text, `${requestId} done and verified for Bob Kelly (bob.kelly@contoso.com): EnterpriseVoiceEnabled True, HostedVoiceMail True, VoicePolicy HybridVoice, LineURI tel:+14255550100.`);
    const updated = await connector.waitFor((c) => c.method === 'PUT' && c.activityId === reply.id && JSON.stringify(c.body).includes('Done and verified'));
    assert.ok(updated, 'the approval card is updated in place for everyone');

    const status = teamsActivity(connector.url, alice, 'a:conv-alice', { type: 'message', text: 'status Bob Kelly' });
    await post(bot.url, status);
    const statusReply = await connector.waitFor((c) => c.activityId === status.id);
    assert.equal(statusReply.body.text, 'Bob Kelly: EnterpriseVoiceEnabled True, HostedVoiceMail True, VoicePolicy HybridVoice (to fix: HybridPSTNSite)');
  });

  it('answers a malformed card click with an error body, not a crash', async () => {
    const click = teamsActivity(connector.url, admin, 'a:conv-alice', { type: 'invoke', name: 'adaptiveCard/action', value: { action: { type: 'Action.Execute', verb: 'approve', data: { requestId: "R-1'; Remove-Item *" } } } });
    const res = await post(bot.url, click);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: 'That card action is not one I know; the card may be from an older version.' });
  });
});

describe('with a MicrosoftAppId set', () => {
  it('refuses a request that carries no Bot Framework token', async () => {
    const dataDir = tempDir('auth');
    const config = loadConfig({
      PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'silent',
      MicrosoftAppId: '55555555-5555-4555-8555-555555555555', MicrosoftAppPassword: 'not-a-real-secret', MicrosoftAppTenantId: '72f988bf-0000-4000-a000-000000c0ffee',
    });
    const bot = await startServer(config, silentLogger, { maintenanceMs: 3_600_000 });
    try {
      const res = await post(bot.url, teamsActivity('http://127.0.0.1:9/', alice, 'a:c', { type: 'message', text: 'status Bob Kelly' }));
      assert.equal(res.status, 401);
    } finally {
      await bot.close();
    }
  });
});
