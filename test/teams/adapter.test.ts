/**
 * What the edge's adapter answers the channel for an admitted activity (src/teams/adapter.ts): the same
 * statuses CloudAdapter.process gives, without its per-turn re-checks.
 */
import { strict as assert } from 'node:assert';
import { ConfigurationBotFrameworkAuthentication, type Response as AdapterResponse } from 'botbuilder';
import { SwitchboardAdapter } from '../../src/teams/adapter';

/** A response that records what was written to it. */
function recorder() {
  const written: { status?: number; body?: unknown; ended: boolean } = { ended: false };
  const res: AdapterResponse = {
    socket: null,
    status: (code) => void (written.status = code),
    send: (body) => void (written.body = body),
    end: () => void (written.ended = true),
    header: () => undefined,
  };
  return { res, written };
}

const invoke = { type: 'invoke', name: 'adaptiveCard/action', id: 'i-1', timestamp: '2026-12-06T12:00:00.000Z', channelId: 'msteams', serviceUrl: 'http://127.0.0.1:9/', conversation: { id: 'a:1' }, from: { id: '29:1' }, recipient: { id: '28:1' } };

describe('the edge\'s adapter', () => {
  it('writes an invoke\'s response as its status and body, with the activity\'s timestamps as Dates', async () => {
    const adapter = new SwitchboardAdapter(new ConfigurationBotFrameworkAuthentication({ MicrosoftAppId: '' }));
    const { res, written } = recorder();
    let seen: unknown;
    await adapter.processAdmitted('', { ...invoke }, res, async (ctx) => {
      seen = ctx.activity.timestamp;
      await ctx.sendActivity({ type: 'invokeResponse', value: { status: 200, body: { statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: 'done' } } });
    }, () => assert.fail('no error expected'));
    assert.deepEqual(written, { status: 200, body: { statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: 'done' }, ended: true });
    assert.ok(seen instanceof Date && seen.toISOString() === '2026-12-06T12:00:00.000Z');
  });

  it('answers 401 with one line when the channel\'s token is refused, and reports the error', async () => {
    const adapter = new SwitchboardAdapter(new ConfigurationBotFrameworkAuthentication({ MicrosoftAppId: '00000000-0000-4000-8000-0000000000a1', MicrosoftAppPassword: 'x', MicrosoftAppType: 'MultiTenant' }));
    const { res, written } = recorder();
    const errors: unknown[] = [];
    await adapter.processAdmitted('', { ...invoke }, res, async () => assert.fail('the turn must not run'), (err) => errors.push(err));
    assert.equal(written.status, 401);
    assert.equal(written.ended, true);
    assert.equal(typeof written.body, 'string');
    assert.doesNotMatch(String(written.body), /\n/);
    assert.equal(errors.length, 1);
  });
});
