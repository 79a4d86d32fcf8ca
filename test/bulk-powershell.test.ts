import { strict as assert } from 'node:assert';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../src/config';
import { silentLogger } from '../src/log';
import { startSwitchboard as startServer } from '../src/main';
import type { RunningServer } from '../src/teams/server';
import { LocalConnector, post, teamsActivity } from '../src/cli/local-channel';
import { requirePwsh } from './support/pwsh';
import { tempDir } from './support/temp-dirs';

const alice = { aadObjectId: '11111111-1111-4111-8111-111111111111', name: 'Alice Operator', mri: '29:alice' };
const admin = { aadObjectId: '22222222-2222-4222-8222-222222222222', name: 'Ada Admin', mri: '29:ada' };

const csv = [
  'User,Number,Site,International',
  'bob.kelly@contoso.com,+14255550100,Seattle,no',
  'Bob Smith,+14255550103,Amsterdam,',
  'isaiah.vance@contoso.com,+14255550104,,',
  'alex.vance@contoso.com,+14255550111,Seattle,yes',
].join('\r\n');

describe('bulk enable over HTTP in local mode with TENANT_BACKEND=powershell-stub (real pwsh)', function () {
  this.timeout(180_000);
  let connector: LocalConnector;
  let files: http.Server;
  let fileUrl = '';
  let bot: RunningServer;

  before(async function () {
    requirePwsh(this);
    connector = new LocalConnector();
    await connector.start();
    // Teams hands a file sent in a personal chat to the bot as a short-lived download URL: served here on loopback.
    files = http.createServer((_req, res) => {
      res.setHeader('content-type', 'text/csv');
      res.end(csv);
    });
    await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
    fileUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}/voice.csv`;
    bot = await startServer(loadConfig({ PORT: '0', DATA_DIR: tempDir('bulk-ps'), APPROVER_IDS: admin.aadObjectId, TENANT_BACKEND: 'powershell-stub', PS_POOL_SIZE: '2', LOG_LEVEL: 'silent' }), silentLogger, { maintenanceMs: 3_600_000 });
  });
  after(async () => {
    await bot?.close();
    await connector?.stop();
    files?.closeAllConnections();
    await new Promise<void>((r) => (files ? files.close(() => r()) : r()));
  });

  it('previews a CSV sent as a Teams file, runs it through pwsh after one approval and sends the results CSV', async () => {
    const message = teamsActivity(connector.url, alice, 'a:conv-alice', {
      type: 'message', text: 'bulk enable',
      attachments: [{ contentType: 'application/vnd.microsoft.teams.file.download.info', name: 'voice.csv', content: { downloadUrl: fileUrl, fileType: 'csv', uniqueId: 'f1' } }],
    });
    await post(bot.url, message);
    const reply = await connector.waitFor((c) => c.activityId === message.id, 90_000);
    const requestId = /R-[0-9A-Z]{8}/.exec(reply.body.text ?? '')?.[0];
    assert.ok(requestId, reply.body.text);
    const preview = JSON.stringify(reply.body.attachments);
    assert.ok(preview.includes('4 rows: 2 to change, 1 already in the wanted state, 1 in error.'), preview);
    assert.ok(preview.includes('is not licensed for Phone System'), preview);

    const click = teamsActivity(connector.url, admin, 'a:conv-alice', {
      type: 'invoke', name: 'adaptiveCard/action', replyToId: reply.id,
      value: { action: { type: 'Action.Execute', verb: 'approve', data: { requestId } }, trigger: 'manual' },
    });
    const invoke = await post(bot.url, click);
    assert.ok(JSON.stringify(invoke.body).includes('Approved by Ada Admin'));
    const done = await connector.waitFor((c) => (c.body.text ?? '').startsWith(`${requestId} done`), 90_000);
    assert.equal(done.body.text, `${requestId} done and verified for 4 rows of a CSV (2 to change): 2 verified, 0 failed, 1 skipped, 1 in error.`);
    const results = done.body.attachments?.find((a) => a.contentType === 'text/csv');
    assert.ok(results, 'the results CSV comes with the message');
    const lines = String(results.content).trimEnd().split('\r\n');
    assert.equal(lines[0], 'row,user,verdict,result,detail');
    assert.match(lines[1]!, /^1,bob\.kelly@contoso\.com,ready,verified,EnterpriseVoiceEnabled=True; HostedVoiceMail=True; VoicePolicy=HybridVoice; LineURI=tel:\+14255550100; HybridPSTNSite=Seattle; AllowInternationalCalls=False$/);
    assert.match(lines[2]!, /^2,bob\.smith@contoso\.com,ready,verified,.*HybridPSTNSite=Amsterdam$/);
    assert.equal(lines[4], '4,alex.vance@contoso.com,skip,skip,already in the wanted state');

    // Read back through pwsh, as an admin would.
    const status = teamsActivity(connector.url, alice, 'a:conv-alice', { type: 'message', text: 'status Bob Kelly' });
    await post(bot.url, status);
    const statusReply = await connector.waitFor((c) => c.activityId === status.id, 60_000);
    assert.match(statusReply.body.text ?? '', /^Bob Kelly: EnterpriseVoiceEnabled True, HostedVoiceMail True, VoicePolicy HybridVoice/);
  });
});
