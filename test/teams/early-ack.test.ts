import { strict as assert } from 'node:assert';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../src/config';
import { silentLogger } from '../../src/log';
import { startSwitchboard as startServer } from '../../src/main';
import type { RunningServer } from '../../src/teams/server';
import { earlyAckFor } from '../../src/teams/early-ack';
import { post, teamsActivity } from '../../src/cli/local-channel';
import { tempDir } from '../support/temp-dirs';

const alice = { aadObjectId: '11111111-1111-4111-8111-111111111111', name: 'Alice Operator', mri: '29:alice' };
const admin = { aadObjectId: '22222222-2222-4222-8222-222222222222', name: 'Ada Admin', mri: '29:ada' };

interface HeldCall {
  at: number;
  url: string;
  text: string;
  release(status?: number): void;
}

/** A Connector that holds every call until the test lets it go, as a slow or throttled service would. */
class SlowConnector {
  readonly held: HeldCall[] = [];
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { text?: string };
      this.held.push({
        at: performance.now(), url: req.url ?? '', text: body.text ?? '',
        release: (status = 200) => {
          if (res.headersSent) return;
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(status < 300 ? { id: `held-${this.held.length}` } : { error: { code: 'ServiceError', message: 'down' } }));
        },
      });
    });
  });
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
  }

  async waitForCall(n: number, timeoutMs = 10_000): Promise<HeldCall> {
    const until = Date.now() + timeoutMs;
    while (this.held.length < n) {
      if (Date.now() > until) throw new Error(`only ${this.held.length} Connector calls within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return this.held[n - 1]!;
  }

  async stop(): Promise<void> {
    for (const call of this.held) call.release();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

describe('a message is acknowledged when the bot starts answering it, not after its reply has landed', () => {
  let connector: SlowConnector;
  let bot: RunningServer;

  beforeEach(async () => {
    connector = new SlowConnector();
    await connector.start();
    bot = await startServer(loadConfig({ PORT: '0', DATA_DIR: tempDir('early-ack'), APPROVER_IDS: admin.aadObjectId, LOG_LEVEL: 'silent' }), silentLogger, { maintenanceMs: 3_600_000 });
  });
  afterEach(async () => {
    await connector.stop();
    await bot.close();
  });

  it('answers the channel 200 while the Connector still holds the reply, and the reply is the one a fast Connector gets', async () => {
    const message = teamsActivity(connector.url, alice, 'a:conv-slow', { type: 'message', text: 'status Bob Kelly' });
    const answered = post(bot.url, message);
    const reply = await connector.waitForCall(1);
    const ack = await Promise.race([answered, new Promise<'late'>((r) => setTimeout(() => r('late'), 3_000))]);
    assert.notEqual(ack, 'late', 'the channel got no answer while the reply was held');
    assert.deepEqual(ack, { status: 200, body: undefined });
    assert.match(reply.url, new RegExp(`/activities/${encodeURIComponent(String(message.id))}$`));
    assert.equal(reply.text, 'Bob Kelly: EnterpriseVoiceEnabled False, HostedVoiceMail False, VoicePolicy (none) (to fix: EnterpriseVoiceEnabled, HostedVoiceMail, VoicePolicy, LineURI, HybridPSTNSite)');
    reply.release();
  });

  it('answers a card action (invoke) only with its response, which is what Teams shows', async () => {
    const click = teamsActivity(connector.url, admin, 'a:conv-slow', { type: 'invoke', name: 'adaptiveCard/action', value: { action: { type: 'Action.Execute', verb: 'approve', data: { requestId: 'R-ZZZZZZZZ' } } } });
    const res = await post(bot.url, click);
    assert.equal(res.status, 200);
    assert.equal((res.body as { type?: string }).type, 'application/vnd.microsoft.activity.message');
    assert.match(String((res.body as { value?: unknown }).value), /R-ZZZZZZZZ/);
  });

  it('answers a message that asks for its replies in the response (expectReplies) with them, and sends nothing to the Connector', async () => {
    const message = teamsActivity(connector.url, alice, 'a:conv-expect', { type: 'message', text: 'status Bob Kelly', deliveryMode: 'expectReplies' });
    const res = await post(bot.url, message);
    assert.equal(res.status, 200);
    const activities = (res.body as { activities?: { type?: string; text?: string; replyToId?: string }[] }).activities ?? [];
    assert.equal(activities.length, 1);
    assert.equal(activities[0]!.text, 'Bob Kelly: EnterpriseVoiceEnabled False, HostedVoiceMail False, VoicePolicy (none) (to fix: EnterpriseVoiceEnabled, HostedVoiceMail, VoicePolicy, LineURI, HybridPSTNSite)');
    assert.equal(activities[0]!.replyToId, message.id);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(connector.held.length, 0);
  });

  it('keeps serving after a reply the Connector refuses: one 200 to the channel (not a 500 that Teams would re-send), and the next message answered', async () => {
    const message = teamsActivity(connector.url, alice, 'a:conv-down', { type: 'message', text: 'status Bob Kelly' });
    const answered = post(bot.url, message);
    (await connector.waitForCall(1)).release(403);
    assert.deepEqual(await answered, { status: 200, body: undefined });
    // The SDK's error line is tried once more on the same Connector and is refused too.
    (await connector.waitForCall(2)).release(403);
    const health = await fetch(`${bot.url}/healthz`);
    assert.equal(health.status, 200);
    const again = teamsActivity(connector.url, alice, 'a:conv-down', { type: 'message', text: 'status Bob Kelly' });
    const second = post(bot.url, again);
    (await connector.waitForCall(3)).release();
    assert.deepEqual(await second, { status: 200, body: undefined });
  });

  it('answers a message Teams re-sends with the same id once: the copy is acknowledged and sends nothing', async () => {
    const message = teamsActivity(connector.url, alice, 'a:conv-resent', { type: 'message', text: 'status Bob Kelly' });
    const first = post(bot.url, message);
    (await connector.waitForCall(1)).release();
    assert.equal((await first).status, 200);
    assert.deepEqual(await post(bot.url, message), { status: 200, body: undefined });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(connector.held.length, 1, 'the re-sent copy was answered again');
  });
});

describe('when the 200 is written against the reply', () => {
  /** The order of the 200 and the reply's send, for a message whose turn sends one reply. */
  async function order(othersInFlight: boolean): Promise<string[]> {
    const events: string[] = [];
    const res = { socket: null, status: () => undefined, end: () => void events.push('200'), send: () => undefined, header: () => undefined };
    const early = earlyAckFor(res as never, { type: 'message' }, { othersInFlight: () => othersInFlight })!;
    let onSend!: (ctx: unknown, activities: unknown[], next: () => Promise<unknown>) => Promise<unknown>;
    early.watch({ onSendActivities: (handler: typeof onSend) => void (onSend = handler) } as never);
    await onSend({}, [], async () => void events.push('reply POST'));
    events.push('turn goes on');
    await new Promise((r) => setImmediate(r));
    return events;
  }

  it('goes just after the reply when the turn is the only one in flight, so the reply does not wait for it', async () => {
    assert.deepEqual(await order(false), ['reply POST', 'turn goes on', '200']);
  });

  it('goes first when other turns are in flight, so the connection is free before the channel sends again', async () => {
    assert.deepEqual(await order(true), ['200', 'reply POST', 'turn goes on']);
  });

  it('is still a 200 when the reply fails before the deferred 200 went out and the adapter answers 500', async () => {
    const written: string[] = [];
    const res = { socket: null, status: (code: number) => void written.push(`status ${code}`), end: () => void written.push('end'), send: (body: unknown) => void written.push(`send ${String(body)}`), header: () => undefined };
    const early = earlyAckFor(res as never, { type: 'message' }, { othersInFlight: () => false })!;
    let onSend!: (ctx: unknown, activities: unknown[], next: () => Promise<unknown>) => Promise<unknown>;
    early.watch({ onSendActivities: (handler: typeof onSend) => void (onSend = handler) } as never);
    await assert.rejects(onSend({}, [], async () => { throw new Error('Connector refused the reply'); }));
    // What CloudAdapter does with a turn that threw, all before this iteration ends.
    early.response.status(500);
    early.response.send('Connector refused the reply');
    early.response.end();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(written, ['status 200', 'end']);
  });
});
