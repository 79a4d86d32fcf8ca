import { strict as assert } from 'node:assert';
import { LocalConnector, post, teamsActivity } from '../src/cli/local-channel';
import { loadConfig } from '../src/config';
import { silentLogger } from '../src/log';
import { startSwitchboard as startServer } from '../src/main';
import type { RunningServer } from '../src/teams/server';
import { requirePwsh } from './support/pwsh';
import { tempDir } from './support/temp-dirs';

const alice = { aadObjectId: '11111111-1111-4111-8111-111111111111', name: 'Alice Operator', mri: '29:alice' };
const admin = { aadObjectId: '22222222-2222-4222-8222-222222222222', name: 'Ada Admin', mri: '29:ada' };

for (const backend of ['sim', 'powershell-stub'] as const) {
  describe(`sites and gateways over HTTP in local mode (TENANT_BACKEND=${backend})`, function () {
    this.timeout(120_000);
    let connector: LocalConnector;
    let bot: RunningServer;

    before(async function () {
      if (backend === 'powershell-stub') requirePwsh(this);
      connector = new LocalConnector();
      await connector.start();
      bot = await startServer(
        loadConfig({ PORT: '0', DATA_DIR: tempDir(`sites-http-${backend}`), APPROVER_IDS: admin.aadObjectId, TENANT_BACKEND: backend, PS_POOL_SIZE: '1', LOG_LEVEL: 'silent' }),
        silentLogger,
        { maintenanceMs: 3_600_000 },
      );
    });
    after(async () => {
      await bot?.close();
      await connector?.stop();
    });

    async function say(text: string): Promise<string> {
      const message = teamsActivity(connector.url, alice, 'a:conv-alice', { type: 'message', text });
      await post(bot.url, message);
      return (await connector.waitFor((c) => c.activityId === message.id, 60_000)).body.text ?? '';
    }

    async function approve(replyText: string): Promise<string> {
      const requestId = /R-[0-9A-Z]{8}/.exec(replyText)?.[0];
      assert.ok(requestId, replyText);
      const click = teamsActivity(connector.url, admin, 'a:conv-alice', {
        type: 'invoke', name: 'adaptiveCard/action',
        value: { action: { type: 'Action.Execute', verb: 'approve', data: { requestId } }, trigger: 'manual' },
      });
      await post(bot.url, click);
      return (await connector.waitFor((c) => /^R-[0-9A-Z]{8} (done|failed)/.test(c.body.text ?? '') && (c.body.text ?? '').startsWith(requestId!), 60_000)).body.text ?? '';
    }

    it('adds a site and a gateway, shows them with the tenant\'s view, prints the trunks, and lists users who fall back', async () => {
      const site = await say('add site Seattle edge ap.contoso.com mediation ms1.contoso.com 10.0.1.11, ms2.contoso.com 10.0.1.12');
      assert.match(await approve(site), /done and verified for Site Seattle: Edge FQDN ap\.contoso\.com/);
      assert.equal(await say('show sites'), '1 PSTN site in Switchboard\'s inventory: Seattle (in the tenant). The tenant also has Amsterdam, not in the inventory.');

      const gateway = await say('add gateway gw1.contoso.com to site Seattle tls port 5061');
      assert.match(await approve(gateway), /done and verified for Gateway gw1\.contoso\.com of site Seattle/);
      assert.match(await say('gateway config gw1.contoso.com'), /Trunk 1: ms1\.contoso\.com, port 5067, TLS, priority 1\nTrunk 2: ms2\.contoso\.com, port 5067, TLS, priority 1/);

      assert.equal(await say('users without site'), 'Every voice-enabled user looked at has a PSTN site. Looked at 1 voice-enabled user.');
      assert.equal(await say('add site Berlin edge sip.contoso.com'), 'sip.contoso.com cannot be the Edge FQDN: sip.<domain> belongs to Office 365. Use another name for the Access Edge, by default ap.contoso.com.');
    });
  });
}
