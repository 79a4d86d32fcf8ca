/**
 * The playground's server side, over HTTP: what the page relies on (its assets, each person's own chat,
 * the bot's replies pushed as events, card updates in place, card submits, CSV files), and the
 * operations endpoints and shutdown that come with it.
 */
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import { LocalConnector, post, teamsActivity } from '../src/cli/local-channel';
import { listCardTemplates, renderCard } from '../src/cards/render';
import type { CmdletName, CmdletParams } from '../src/tenant/cmdlets';
import { ConfigSchema, loadConfig, localDemoApproverId } from '../src/config';
import { PackageConfig } from '../scripts/package-app';
import { silentLogger } from '../src/log';
import { startSwitchboard as startServer } from '../src/main';
import type { RunningServer } from '../src/teams/server';
import { demoTenant } from '../src/tenant/sim/demo-tenant';
import { SimulatedTenant } from '../src/tenant/sim/simulated-tenant';
import type { RunOptions, TenantPort } from '../src/tenant/port';
import { tempDir } from './support/temp-dirs';
import { cardSamples } from './support/card-samples';

interface Message { id: string; conversationId: string; from: string; text?: string; attachments?: { contentType: string; content?: unknown; contentUrl?: string; name?: string }[]; updatedAt?: string }
interface State { identities: { key: string; aadObjectId: string; isApprover: boolean }[]; conversations: { id: string; type: string; members: string[] }[]; messages: Record<string, Message[]> }

const alicePersonal = 'a:playground-personal-alice';
const adaPersonal = 'a:playground-personal-ada';
const channel = '19:playground-voice-admins@thread.tacv2';

async function send(bot: RunningServer, body: Record<string, unknown>): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${bot.url}/playground/send`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return (await res.json()) as { status: number; body: unknown };
}

async function state(bot: RunningServer): Promise<State> {
  return (await (await fetch(`${bot.url}/playground/state`)).json()) as State;
}

/** Polls the playground's transcript until a message in the conversation matches. */
async function waitForMessage(bot: RunningServer, conversationId: string, match: (m: Message) => boolean, timeoutMs = 10_000): Promise<Message> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = (await state(bot)).messages[conversationId]?.find(match);
    if (hit) return hit;
    if (Date.now() > deadline) throw new Error(`no matching message in ${conversationId}: ${JSON.stringify((await state(bot)).messages[conversationId]?.map((m) => m.text))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const cardIn = (m: Message) => m.attachments?.find((a) => a.contentType === 'application/vnd.microsoft.card.adaptive')?.content;

describe('the playground (local mode)', () => {
  let bot: RunningServer;
  before(async () => {
    bot = await startServer(loadConfig({ PORT: '0', DATA_DIR: tempDir('playground'), LOG_LEVEL: 'silent' }), silentLogger, { maintenanceMs: 3_600_000 });
  });
  after(async () => {
    await bot.close();
  });

  it('serves its page, and the adaptivecards browser bundle from node_modules', async () => {
    const page = await fetch(`${bot.url}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await page.text(), /<script src="\/playground\/adaptivecards.js"/);
    const bundle = await (await fetch(`${bot.url}/playground/adaptivecards.js`)).text();
    assert.equal(bundle, fs.readFileSync(require.resolve('adaptivecards/dist/adaptivecards.min.js'), 'utf8'));
  });

  it('makes the demo approver an approver when APPROVER_IDS is empty, and names each person with their own chat plus the shared channel', async () => {
    const s = await state(bot);
    assert.deepEqual(s.identities.map((i) => [i.key, i.isApprover]), [['alice', false], ['ada', true], ['victor', false]]);
    for (const i of s.identities) {
      const mine = s.conversations.filter((c) => c.members.includes(i.key));
      assert.deepEqual(mine.map((c) => c.type).sort(), ['channel', 'personal']);
    }
  });

  it('takes a request in Alice\'s chat to Ada\'s chat, approves it, and updates both cards in place; Alice hears back in her chat', async () => {
    await send(bot, { kind: 'message', identity: 'ada', conversationId: adaPersonal, text: 'help' });
    await waitForMessage(bot, adaPersonal, (m) => m.from === 'bot');
    await send(bot, { kind: 'message', identity: 'alice', conversationId: alicePersonal, text: 'enable voice for Bob Kelly number +14255550100' });
    const aliceCard = await waitForMessage(bot, alicePersonal, (m) => m.from === 'bot' && !!cardIn(m));
    const requestId = /R-[0-9A-Z]{8}/.exec(aliceCard.text ?? '')![0];
    const adaCard = await waitForMessage(bot, adaPersonal, (m) => m.from === 'bot' && (m.text ?? '').includes(requestId));
    assert.ok(!(await state(bot)).messages[channel]?.length, 'nothing went to the channel');

    const refused = await send(bot, { kind: 'invoke', identity: 'alice', conversationId: alicePersonal, replyToId: aliceCard.id, verb: 'approve', data: { requestId } });
    assert.deepEqual(refused.body, { statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: 'Only an approver can decide on a request.' });

    const approved = await send(bot, { kind: 'invoke', identity: 'ada', conversationId: adaPersonal, replyToId: adaCard.id, verb: 'approve', data: { requestId } });
    const invoke = approved.body as { type: string; value: unknown };
    assert.equal(invoke.type, 'application/vnd.microsoft.card.adaptive');
    assert.match(JSON.stringify(invoke.value), /Approved by Ada Admin/);

    for (const [conversationId, card] of [[alicePersonal, aliceCard], [adaPersonal, adaCard]] as const) {
      const updated = await waitForMessage(bot, conversationId, (m) => m.id === card.id && JSON.stringify(cardIn(m)).includes('Done and verified'));
      assert.ok(updated.updatedAt, 'the same message, updated');
    }
    const told = await waitForMessage(bot, alicePersonal, (m) => (m.text ?? '').startsWith(`${requestId} done and verified`));
    assert.match(told.text!, /EnterpriseVoiceEnabled True, HostedVoiceMail True/);
  });

  it('walks the approval in the shared channel with no setup: everyone sees the one card, Ada approves it there, it turns verified in place', async () => {
    await send(bot, { kind: 'message', identity: 'alice', conversationId: channel, text: 'enable voice for Bob Kelly number +14255550102' });
    const card = await waitForMessage(bot, channel, (m) => m.from === 'bot' && JSON.stringify(cardIn(m) ?? '').includes('+14255550102'));
    const requestId = /R-[0-9A-Z]{8}/.exec(card.text ?? '')![0];
    const approved = await send(bot, { kind: 'invoke', identity: 'ada', conversationId: channel, replyToId: card.id, verb: 'approve', data: { requestId } });
    assert.match(JSON.stringify(approved.body), /Approved by Ada Admin/);
    await waitForMessage(bot, channel, (m) => m.id === card.id && JSON.stringify(cardIn(m)).includes('Done and verified'));
  });

  it('pushes the bot\'s replies to the page as server-sent events', async () => {
    const controller = new AbortController();
    const stream = await fetch(`${bot.url}/playground/events`, { signal: controller.signal });
    assert.match(stream.headers.get('content-type') ?? '', /text\/event-stream/);
    const reader = stream.body!.getReader();
    let seen = '';
    await send(bot, { kind: 'message', identity: 'victor', conversationId: channel, text: 'status Bob Kelly' });
    const deadline = Date.now() + 10_000;
    while (!/"from":"bot"/.test(seen) && Date.now() < deadline) seen += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    assert.match(seen, /"op":"add".*"from":"victor"/s);
    assert.match(seen, /"op":"add".*"conversationId":"19:playground-voice-admins@thread.tacv2","from":"bot"/s);
  });

  /** Sends as the person and returns the bot's reply to that very message. */
  async function exchange(body: Record<string, unknown>): Promise<{ sent: Message; reply: Message }> {
    const conversationId = String(body.conversationId);
    const count = (await state(bot)).messages[conversationId]?.length ?? 0;
    await send(bot, body);
    const sent = (await state(bot)).messages[conversationId]![count]!;
    assert.equal(sent.from, body.identity);
    const reply = await waitForMessage(bot, conversationId, (m) => m.from === 'bot' && (m as { replyToId?: string }).replyToId === sent.id);
    return { sent, reply };
  }

  it('sends a channel message with the @mention Teams adds, and the bot answers in the channel', async () => {
    const { sent, reply } = await exchange({ kind: 'message', identity: 'alice', conversationId: channel, text: 'pending' });
    assert.equal(sent.text, 'pending');
    assert.equal(reply.conversationId, channel);
  });

  it('sends an Action.Submit as a message whose value is the card data, and the bot answers it', async () => {
    const { reply: form } = await exchange({ kind: 'message', identity: 'alice', conversationId: alicePersonal, text: 'enable voice for Bob Kelly' });
    assert.match(JSON.stringify(cardIn(form)), /submitRequest/);
    const { reply } = await exchange({ kind: 'message', identity: 'alice', conversationId: alicePersonal, replyToId: form.id, value: { verb: 'submitRequest', action: 'enable-voice', user: 'bob.kelly@contoso.com', number: '+14255550101' } });
    assert.match(JSON.stringify(reply), /R-[0-9A-Z]{8}/, 'the submit made a request');
    assert.match(JSON.stringify(cardIn(reply) ?? reply.text), /tel:\+14255550101/);
  });

  it('attaches a CSV as Teams does in a 1:1 chat: a file download link the bot can fetch', async () => {
    const csv = 'user,number\nbob.kelly@contoso.com,+14255550100\n';
    await send(bot, { kind: 'message', identity: 'alice', conversationId: alicePersonal, text: '', file: { name: 'voice-users.csv', text: csv } });
    const sent = await waitForMessage(bot, alicePersonal, (m) => m.from === 'alice' && !!m.attachments?.length);
    const file = sent.attachments![0]!;
    assert.equal(file.contentType, 'application/vnd.microsoft.teams.file.download.info');
    assert.equal(file.name, 'voice-users.csv');
    const content = file.content as { downloadUrl: string; fileType: string };
    assert.equal(content.fileType, 'csv');
    assert.ok(content.downloadUrl.startsWith(`${bot.url}/playground/files/`));
    const download = await fetch(content.downloadUrl);
    assert.match(download.headers.get('content-type') ?? '', /text\/csv/);
    assert.equal(await download.text(), csv);
  });

  it('refuses a message from someone who is not in that conversation', async () => {
    const res = await fetch(`${bot.url}/playground/send`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'message', identity: 'victor', conversationId: alicePersonal, text: 'help' }) });
    assert.equal(res.status, 400);
  });

  it('answers /healthz and /readyz', async () => {
    assert.deepEqual(await (await fetch(`${bot.url}/healthz`)).json(), { ok: true, backend: 'sim' });
    const ready = await fetch(`${bot.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(((await ready.json()) as { ready: boolean; reasons: string[] }).reasons, []);
  });
});

describe('configuration in local mode', () => {
  it('makes the demo approver the approver only in local mode, and only when APPROVER_IDS is empty', () => {
    assert.deepEqual(loadConfig({}).APPROVER_IDS, [localDemoApproverId]);
    assert.deepEqual(loadConfig({ APPROVER_IDS: '33333333-3333-4333-8333-333333333333' }).APPROVER_IDS, ['33333333-3333-4333-8333-333333333333']);
    const production = loadConfig({ MicrosoftAppId: '55555555-5555-4555-8555-555555555555', MicrosoftAppPassword: 'x', MicrosoftAppTenantId: '72f988bf-0000-4000-a000-000000c0ffee' });
    assert.deepEqual(production.APPROVER_IDS, []);
  });
});

describe('.env.example', () => {
  it('lists every setting of the bot and of the package builder, each with a comment above it', () => {
    const lines = fs.readFileSync('.env.example', 'utf8').split('\n');
    const keysOf = (schema: unknown) => {
      const s = schema as { shape?: object; in?: { shape?: object } };
      return Object.keys(s.shape ?? s.in?.shape ?? {});
    };
    const keys = [...keysOf(ConfigSchema), ...keysOf(PackageConfig)];
    assert.ok(keys.length > 20 && keys.includes('SWITCHBOARD_STUB_PROFILE') && keys.includes('TEAMS_APP_MANIFEST_ID'));
    for (const key of keys) {
      const setting = new RegExp(`^(# )?${key}=`);
      const at = lines.findIndex((l) => setting.test(l));
      assert.ok(at > 0, `${key} is in .env.example`);
      assert.equal(lines.filter((l) => setting.test(l)).length, 1, `${key} is in .env.example once`);
      let above = at - 1;
      while (above > 0 && /^# [A-Za-z_]+=/.test(lines[above]!)) above--;
      assert.match(lines[above]!, /^# \S/, `${key} has a comment`);
    }
  });
});

describe('outside local mode', () => {
  it('serves no playground and no local Connector', async () => {
    const config = loadConfig({
      PORT: '0', HOST: '127.0.0.1', DATA_DIR: tempDir('no-playground'), LOG_LEVEL: 'silent',
      MicrosoftAppId: '55555555-5555-4555-8555-555555555555', MicrosoftAppPassword: 'not-a-real-secret', MicrosoftAppTenantId: '72f988bf-0000-4000-a000-000000c0ffee',
    });
    const bot = await startServer(config, silentLogger, { maintenanceMs: 3_600_000 });
    try {
      for (const p of ['/', '/playground/state', '/playground/adaptivecards.js']) assert.equal((await fetch(`${bot.url}${p}`)).status, 404, p);
      const put = await fetch(`${bot.url}/playground/v3/conversations/x/activities/y`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' });
      assert.equal(put.status, 404);
      assert.equal((await fetch(`${bot.url}/readyz`)).status, 200);
    } finally {
      await bot.close();
    }
  });
});

/** The simulated tenant, slowed down or marked not ready, to watch readiness and shutdown. */
class TestTenant implements TenantPort {
  readonly backend = 'sim' as const;
  notReady: string | undefined;
  constructor(
    private readonly inner: SimulatedTenant,
    private readonly setDelayMs = 0,
  ) {}
  async run<N extends CmdletName>(cmdlet: N, params: CmdletParams<N>, options?: RunOptions) {
    if (cmdlet.startsWith('Set-') && this.setDelayMs) await new Promise((r) => setTimeout(r, this.setDelayMs));
    return this.inner.run(cmdlet, params, options);
  }
  describe() {
    return this.inner.describe();
  }
  async ready() {
    return this.notReady ? { ready: false, reason: this.notReady } : { ready: true };
  }
  close() {
    return this.inner.close();
  }
}

describe('readiness and shutdown', () => {
  const alice = { aadObjectId: '11111111-1111-4111-8111-111111111111', name: 'Alice Operator', mri: '29:alice' };
  const ada = { aadObjectId: localDemoApproverId, name: 'Ada Admin', mri: '29:ada' };

  it('answers /readyz 503 with the reason while the tenant backend is not ready', async () => {
    const dataDir = tempDir('readyz');
    const tenant = new TestTenant(new SimulatedTenant({ initial: demoTenant(), dataDir }));
    tenant.notReady = 'MicrosoftTeams module not loaded yet (pwsh pool connecting)';
    const bot = await startServer(loadConfig({ PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' }), silentLogger, { tenant, maintenanceMs: 3_600_000 });
    try {
      const res = await fetch(`${bot.url}/readyz`);
      assert.equal(res.status, 503);
      assert.deepEqual(((await res.json()) as { reasons: string[] }).reasons, ['tenant backend sim not ready: MicrosoftTeams module not loaded yet (pwsh pool connecting)']);
      tenant.notReady = undefined;
      assert.equal((await fetch(`${bot.url}/readyz`)).status, 200);
    } finally {
      await bot.close();
    }
  });

  it('on close, finishes a running change and delivers its card update before the port closes, and refuses new turns meanwhile', async () => {
    const dataDir = tempDir('shutdown');
    const tenant = new TestTenant(new SimulatedTenant({ initial: demoTenant(), dataDir }), 800);
    const connector = new LocalConnector();
    await connector.start();
    const bot = await startServer(loadConfig({ PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' }), silentLogger, { tenant, maintenanceMs: 3_600_000 });
    try {
      const message = teamsActivity(connector.url, alice, 'a:conv-alice', { type: 'message', text: 'enable voice for Bob Kelly number +14255550100' });
      await post(bot.url, message);
      const reply = await connector.waitFor((c) => c.activityId === message.id);
      const requestId = /R-[0-9A-Z]{8}/.exec(reply.body.text ?? '')![0];
      await post(bot.url, teamsActivity(connector.url, ada, 'a:conv-alice', { type: 'invoke', name: 'adaptiveCard/action', replyToId: reply.id, value: { action: { type: 'Action.Execute', verb: 'approve', data: { requestId } }, trigger: 'manual' } }));

      const closing = bot.close();
      await new Promise((r) => setTimeout(r, 100));
      const late = await post(bot.url, teamsActivity(connector.url, alice, 'a:conv-alice', { type: 'message', text: 'status Bob Kelly' }));
      assert.equal(late.status, 503, 'a new turn during shutdown is refused');
      const readyz = await fetch(`${bot.url}/readyz`);
      assert.equal(readyz.status, 503);
      assert.match(JSON.stringify(await readyz.json()), /shutting down/);
      await closing;
      assert.ok(connector.calls.some((c) => c.method === 'PUT' && c.activityId === reply.id && JSON.stringify(c.body).includes('Done and verified')), 'the verified card reached the channel before the bot stopped');
      await assert.rejects(fetch(`${bot.url}/healthz`), 'the port is closed afterwards');
    } finally {
      await connector.stop();
    }
  });
});

describe('cards as Teams shows them', () => {
  it('uses the full width of the chat for every card that shows PowerShell lines', () => {
    for (const name of listCardTemplates()) {
      const card = renderCard(name, cardSamples[name] ?? {});
      const showsPowerShell = /"fontType":"Monospace"/.test(JSON.stringify(card)) || /PowerShell/.test(JSON.stringify(card));
      if (showsPowerShell) assert.deepEqual((card as { msteams?: unknown }).msteams, { width: 'Full' }, `cards/${name}.json`);
    }
  });
});
