/**
 * What reaches CloudAdapter (issue 7): only JSON, whole activities, one tenant, within the sender's limits.
 * Every refusal is one line of ours; a limited user is answered in chat with HTTP 200 (Teams re-sends 429s).
 */
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config';
import { silentLogger } from '../../src/log';
import { startSwitchboard as startServer } from '../../src/main';
import type { RunningServer } from '../../src/teams/server';
import { TokenBucket } from '../../src/teams/token-bucket';
import { LocalConnector, post, teamsActivity } from '../../src/cli/local-channel';
import { tempDir } from '../support/temp-dirs';

const alice = { aadObjectId: '11111111-1111-4111-8111-111111111111', name: 'Alice Operator', mri: '29:alice' };
const bob = { aadObjectId: '66666666-6666-4666-8666-666666666666', name: 'Bob Operator', mri: '29:bob' };

async function raw(url: string, contentType: string | undefined, body: string) {
  const res = await fetch(`${url}/api/messages`, { method: 'POST', headers: contentType ? { 'content-type': contentType } : {}, body });
  return { status: res.status, text: await res.text() };
}

describe('the HTTP edge', function () {
  this.timeout(30_000);
  let connector: LocalConnector;
  let bot: RunningServer;
  let n = 0;

  before(async () => {
    connector = new LocalConnector();
    await connector.start();
    bot = await startServer(loadConfig({ PORT: '0', DATA_DIR: tempDir('edge'), LOG_LEVEL: 'silent', RATE_USER_MESSAGES_PER_MINUTE: '1000' }), silentLogger, { maintenanceMs: 3_600_000 });
  });
  after(async () => {
    await bot.close();
    await connector.stop();
  });
  const activity = (extra: Record<string, unknown> = {}) => teamsActivity(connector.url, alice, `a:edge-${++n}`, { type: 'message', text: 'help', ...extra });

  const oneLine = (text: string) => {
    assert.equal(text.includes('\n'), false);
    assert.doesNotMatch(text, /botbuilder|zod|restify|Error:|at .*\.js|something went wrong|position \d/i);
  };

  it('answers a form-encoded body with 415 and one line, no SDK detail', async () => {
    const res = await raw(bot.url, 'application/x-www-form-urlencoded', 'type=message&text=help');
    assert.equal(res.status, 415);
    assert.equal(res.text, '"Send the activity as application/json."');
    assert.equal((await raw(bot.url, 'text/plain', 'help')).status, 415);
    assert.equal((await raw(bot.url, undefined, '{}')).status, 415);
  });

  it('answers invalid JSON, a non-object and an oversized body with one line each', async () => {
    const bad = await raw(bot.url, 'application/json', '{"type": "message",');
    assert.deepEqual(bad, { status: 400, text: '"The body is not valid JSON."' });
    assert.deepEqual(await raw(bot.url, 'application/json', '[{"type":"message"}]'), { status: 400, text: '"The body must be one JSON activity object."' });
    const huge = await raw(bot.url, 'application/json', JSON.stringify(activity({ text: 'x'.repeat(600 * 1024) })));
    assert.deepEqual(huge, { status: 413, text: '"The activity is too large."' });
  });

  it('reads a body sent in chunks without a length, refuses one that grows past the cap, and keeps serving', async () => {
    const chunked = async (parts: string[]) => {
      const { request } = await import('node:http');
      return new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = request(`${bot.url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        });
        req.on('error', reject);
        for (const p of parts) req.write(p);
        req.end();
      });
    };
    const json = JSON.stringify(activity());
    const whole = await chunked([json.slice(0, 40), json.slice(40, 200), json.slice(200)]);
    assert.equal(whole.status, 200, 'a JSON body in three chunks is one activity');
    const big = await chunked(Array.from({ length: 12 }, () => 'x'.repeat(64 * 1024)));
    assert.deepEqual(big, { status: 413, text: '"The activity is too large."' });
    assert.equal((await post(bot.url, activity())).status, 200, 'the bot still answers');
  });

  for (const part of ['recipient', 'from', 'conversation', 'serviceUrl', 'type']) {
    it(`answers an activity without ${part} with 400 and one line, and runs no turn`, async () => {
      const a = activity();
      delete a[part];
      const res = await raw(bot.url, 'application/json', JSON.stringify(a));
      assert.equal(res.status, 400);
      assert.equal(res.text, `"The activity has no valid ${part}."`);
      oneLine(res.text);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(connector.calls.some((c) => c.conversationId === (a.conversation as { id: string } | undefined)?.id), false);
    });
  }

  it('refuses an activity whose channelData tenant is not its conversation\'s tenant', async () => {
    const a = activity({ channelData: { tenant: { id: '99999999-9999-4999-8999-999999999999' } } });
    const res = await raw(bot.url, 'application/json', JSON.stringify(a));
    assert.deepEqual(res, { status: 403, text: '"The activity names two different tenants; refused."' });
    const ok = await post(bot.url, activity({ channelData: {} }));
    assert.equal(ok.status, 200, 'one tenant named once is fine');
  });

  it('says on /readyz whether the tenant backend can serve', async () => {
    const res = await fetch(`${bot.url}/readyz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { ready: true, reasons: [], backend: 'sim', moduleVersion: 'simulated tenant (Skype for Business Online cmdlets, CCE era)' });
  });

  it('still serves a whole activity', async () => {
    const a = activity();
    assert.equal((await post(bot.url, a)).status, 200);
    assert.match((await connector.waitFor((c) => c.activityId === a.id)).body.text ?? '', /enable voice/i);
  });
});

describe('incoming rate limits', function () {
  this.timeout(30_000);
  let connector: LocalConnector;
  let bot: RunningServer;
  let n = 0;

  before(async () => {
    connector = new LocalConnector();
    await connector.start();
    bot = await startServer(loadConfig({
      PORT: '0', DATA_DIR: tempDir('limits'), LOG_LEVEL: 'silent',
      RATE_USER_MESSAGES_PER_MINUTE: '3', RATE_USER_INVOKES_PER_MINUTE: '2', RATE_TENANT_PER_MINUTE: '8',
    }), silentLogger, { maintenanceMs: 3_600_000 });
  });
  after(async () => {
    await bot.close();
    await connector.stop();
  });

  const say = async (user: typeof alice, text: string) => {
    const a = teamsActivity(connector.url, user, `a:limits-${user.mri}`, { type: 'message', text, id: `lim-${++n}` });
    const res = await post(bot.url, a);
    return { status: res.status, reply: (await connector.waitFor((c) => c.activityId === a.id)).body.text ?? '' };
  };

  it('answers a user past their message limit in chat, with HTTP 200, and does nothing for it', async () => {
    for (let i = 0; i < 3; i++) assert.match((await say(alice, 'help')).reply, /enable voice/i);
    const limited = await say(alice, 'enable voice for Bob Kelly number +14255550100');
    assert.equal(limited.status, 200);
    assert.equal(limited.reply, 'You are sending more than 3 messages a minute; wait a moment and try again. Nothing was done for this one.');
    assert.equal(connector.calls.some((c) => /R-[0-9A-Z]{8}/.test(JSON.stringify(c.body))), false, 'no request was made');
    assert.match((await say(bob, 'help')).reply, /enable voice/i, 'another user is not limited');
  });

  it('limits card actions per user and answers the invoke in its response', async () => {
    const click = () => post(bot.url, teamsActivity(connector.url, bob, 'a:limits-click', {
      type: 'invoke', name: 'adaptiveCard/action', value: { action: { type: 'Action.Execute', verb: 'approve', data: { requestId: 'R-AAAAAAAA' } }, trigger: 'manual' },
    }));
    for (let i = 0; i < 2; i++) assert.notEqual(((await click()).body as { value: string }).value, undefined);
    const res = await click();
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: 'You are sending more than 2 card actions a minute; wait a moment and try again. Nothing was done for this one.' });
  });

  it('limits the tenant as a whole', async () => {
    // So far the tenant spent 6 (alice 3, bob 1 message and 2 clicks; what a user's own limit stopped cost the
    // tenant nothing). New users, each under their own limit: two more pass, the third is over the tenant's 8.
    const users = Array.from({ length: 3 }, (_, i) => ({ aadObjectId: `7777777${i}-7777-4777-8777-777777777777`, name: `User ${i}`, mri: `29:u${i}` }));
    const replies = [];
    for (const u of users) replies.push((await say(u, 'help')).reply);
    assert.match(replies[0]!, /enable voice/i);
    assert.match(replies[1]!, /enable voice/i);
    assert.equal(replies[2], 'Your organization is sending more than 8 requests a minute to Switchboard; wait a moment and try again. Nothing was done for this one.');
  });

  it('refills over time (token bucket)', () => {
    let t = 0;
    const bucket = new TokenBucket(2, 2 / 60, () => t);
    assert.equal(bucket.tryTake(), true);
    assert.equal(bucket.tryTake(), true);
    assert.equal(bucket.tryTake(), false);
    assert.equal(bucket.waitMs(), 30_000);
    t += 30_000;
    assert.equal(bucket.tryTake(), true);
    assert.equal(bucket.tryTake(), false);
  });
});
