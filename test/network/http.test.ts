/** The network commands over HTTP in local mode, as any Bot Framework client drives them, on the demo network. */
import { strict as assert } from 'node:assert';
import { loadConfig } from '../../src/config';
import { silentLogger } from '../../src/log';
import { startSwitchboard as startServer } from '../../src/main';
import type { RunningServer } from '../../src/teams/server';
import { LocalConnector, post, teamsActivity } from '../../src/cli/local-channel';
import { tempDir } from '../support/temp-dirs';

const alice = { aadObjectId: '11111111-1111-4111-8111-111111111111', name: 'Alice Operator', mri: '29:alice' };

describe('network commands over HTTP in local mode', function () {
  this.timeout(30_000);
  let connector: LocalConnector;
  let bot: RunningServer;
  before(async () => {
    connector = new LocalConnector();
    await connector.start();
    bot = await startServer(loadConfig({ PORT: '0', DATA_DIR: tempDir('net-http'), LOG_LEVEL: 'silent' }), silentLogger, { maintenanceMs: 3_600_000 });
  });
  after(async () => {
    await bot?.close();
    await connector?.stop();
  });

  const ask = async (text: string) => {
    const message = teamsActivity(connector.url, alice, 'a:conv-net', { type: 'message', text });
    assert.equal((await post(bot.url, message)).status, 200);
    return connector.waitFor((c) => c.method === 'POST' && c.activityId === message.id);
  };

  it('check dns, check ports, check gateway and cert root each answer with a line and a card', async () => {
    const dns = await ask('check dns contoso.com');
    assert.match(dns.body.text ?? '', /^DNS for contoso\.com: 1 to look at, 4 passed\. sip\.contoso\.com: /);
    assert.equal(dns.body.attachments?.[0]?.contentType, 'application/vnd.microsoft.card.adaptive');
    assert.match((await ask('check ports Amsterdam')).body.text ?? '', /^Firewall ports, site Amsterdam: 1 to fix/);
    assert.match((await ask('check gateway gw1.contoso.com')).body.text ?? '', /^Gateway gw1\.contoso\.com \(site Seattle\): all 7 passed\.$/);
    const root = await ask('cert root');
    assert.match(root.body.text ?? '', /^Cloud Connector root CA CN=Contoso CCE Root/);
    assert.ok(root.body.attachments?.some((a) => a.contentType === 'application/pkix-cert' && String(a.content).includes('BEGIN CERTIFICATE')));
  });
});
