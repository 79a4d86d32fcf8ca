/** The network commands over HTTP in local mode, as any Bot Framework client drives them, on the demo network. */
import { strict as assert } from 'node:assert';
import { createLabRoot } from '../../src/certs/authority';
import { loadConfig } from '../../src/config';
import { silentLogger } from '../../src/log';
import { startSwitchboard as startServer } from '../../src/main';
import type { RunningServer } from '../../src/teams/server';
import { LocalConnector, post, teamsActivity } from '../../src/cli/local-channel';
import { tempDir } from '../support/temp-dirs';

const alice = { aadObjectId: '11111111-1111-4111-8111-111111111111', name: 'Alice Operator', mri: '29:alice' };
const ada = { aadObjectId: '22222222-2222-4222-8222-222222222222', name: 'Ada Admin', mri: '29:ada' };

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

  it('checklist answers over HTTP with the readiness report and its card', async () => {
    const message = teamsActivity(connector.url, alice, 'a:conv-net', { type: 'message', text: 'checklist' });
    assert.equal((await post(bot.url, message)).status, 200);
    const report = await connector.waitFor((c) => c.method === 'POST' && c.activityId === message.id && /^Readiness checklist: \d+ to fix, \d+ to look at, \d+ passed\./.test(c.body.text ?? ''), 20_000);
    assert.equal(report.body.attachments?.[0]?.contentType, 'application/vnd.microsoft.card.adaptive');
  });

  it('cert import over HTTP: a certificate for a key the bot never made is refused in one line', async () => {
    // A readable certificate, issued for nobody's key here.
    const stranger = (await createLabRoot('gw9.contoso.com')).certPem;
    const reply = await ask(`cert import gw9.contoso.com ${stranger}`);
    assert.match(reply.body.text ?? '', /holds no key for gw9\.contoso\.com: run cert request gw9\.contoso\.com first/);
  });

  it('cert request and cert issue run after approval and deliver to the 1:1 chat; the PFX link shows a page on GET and gives the file once on POST', async () => {
    const asked = await ask('cert request gw2.contoso.com');
    const requestId = /R-[0-9A-Z]{8}/.exec(asked.body.text ?? '')![0];
    const approve = (id: string) => post(bot.url, teamsActivity(connector.url, ada, 'a:conv-ada', { type: 'invoke', name: 'adaptiveCard/action', value: { action: { type: 'Action.Execute', verb: 'approve', data: { requestId: id } }, trigger: 'manual' } }));
    assert.equal((await approve(requestId)).status, 200);
    const csr = await connector.waitFor((c) => c.conversationId === 'a:conv-net' && (c.body.attachments ?? []).some((a) => a.name === 'gw2.contoso.com.csr'));
    assert.match(String(csr.body.attachments?.find((a) => a.name === 'gw2.contoso.com.csr')?.content), /BEGIN CERTIFICATE REQUEST/);

    const issued = await ask('cert issue gw1.contoso.com');
    assert.equal((await approve(/R-[0-9A-Z]{8}/.exec(issued.body.text ?? '')![0])).status, 200);
    const linkMessage = await connector.waitFor((c) => c.conversationId === 'a:conv-net' && (c.body.text ?? '').includes('/download/'));
    const passwordMessage = await connector.waitFor((c) => c.conversationId === 'a:conv-net' && (c.body.text ?? '').startsWith('Password of gw1.contoso.com.pfx'));
    const link = /(http:\/\/127\.0\.0\.1:\d+\/download\/\S+)/.exec(linkMessage.body.text ?? '')![1]!;
    assert.ok(!(linkMessage.body.text ?? '').includes(/: (\S+) \(shown/.exec(passwordMessage.body.text ?? '')![1]!));

    const page = await fetch(link);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<form method="post"><button type="submit">Download<\/button>/);
    const file = await fetch(link, { method: 'POST' });
    assert.equal(file.status, 200, 'a GET (a link preview) did not spend the link');
    assert.equal(file.headers.get('content-type'), 'application/x-pkcs12');
    assert.match(file.headers.get('content-disposition') ?? '', /attachment; filename="gw1\.contoso\.com\.pfx"/);
    assert.ok((await file.arrayBuffer()).byteLength > 1000);
    const again = await fetch(link, { method: 'POST' });
    assert.equal(again.status, 410);
    assert.match(await again.text(), /already been used/);
  });
});
