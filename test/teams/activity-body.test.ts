/**
 * Replies, sends and updates leave as JSON of the activity's schema fields (src/teams/activity-body.ts):
 * the Connector must receive what the SDK's mapper would have sent, for everything Switchboard sends.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSerializer } from '@azure/core-client';
import { CloudAdapter, ConfigurationBotFrameworkAuthentication, TurnContext, type Activity, type ConversationReference } from 'botbuilder';
import * as Mappers from 'botframework-connector/lib/connectorApi/models/mappers';
import { activityBody } from '../../src/teams/activity-body';
import { cacheConnectorClients } from '../../src/teams/connector-cache';
import { toActivity, TeamsOutbox } from '../../src/teams/outbox';
import { renderCard } from '../../src/cards/render';

const serializer = createSerializer(Mappers as unknown as Record<string, never>);
const viaMapper = (a: Partial<Activity>) => JSON.parse(JSON.stringify(serializer.serialize(Mappers.Activity as never, a, 'activity'))) as unknown;
const viaBody = (a: Partial<Activity>) => JSON.parse(JSON.stringify(activityBody(a as Record<string, unknown>))) as unknown;

/** A reference as an inbound Teams message leaves it (TurnContext.getConversationReference of one). */
const reference: Partial<ConversationReference> = {
  activityId: '1733480000000',
  user: { id: '29:1abc', name: 'Megan Bowen', aadObjectId: '0bec0000-0000-4000-8000-000000000001' },
  bot: { id: '28:switchboard', name: 'Switchboard' },
  conversation: { id: 'a:1xyz', conversationType: 'personal', tenantId: '72f988bf-0000-4000-a000-000000c0ffee', isGroup: false, name: '' },
  channelId: 'msteams',
  locale: 'en-US',
  serviceUrl: 'https://smba.trafficmanager.net/emea/',
};

/** A card as a read-only command renders it (show-domains' facts card). */
const factsCard = (summary: string) =>
  renderCard('facts', { title: 'SIP domains', subtitle: 'Get-CsOnlineSipDomain', summary, summaryColor: 'Good', facts: [{ name: '✓ contoso.com', value: 'Verified' }], todo: [], notes: [] });

describe('activities sent as JSON of their schema fields', () => {
  const sent: Record<string, Partial<Activity>> = {
    'a text reply': toActivity({ text: 'Bob Kelly: EnterpriseVoiceEnabled True, HostedVoiceMail True' }),
    'a card reply': toActivity({ card: factsCard('contoso.com can carry Cloud Connector users'), text: 'fallback text' }),
    'a results file': toActivity({ text: 'Done: 3 of 3', file: { name: 'results.csv', contentType: 'text/csv', text: 'upn,result\nbob@contoso.com,ok\n' } }),
    'a card update': { ...toActivity({ card: factsCard('x') }), id: 'msg-7' },
    'an activity carrying inbound extras and Dates': {
      ...toActivity({ text: 'z' }),
      timestamp: new Date('2026-12-06T12:00:00.000Z'),
      expiration: new Date('2026-12-06T13:00:00.000Z'),
      channelData: { notification: { alert: true }, tenant: { id: 't' } },
      entities: [{ type: 'mention', text: '<at>Bob</at>', mentioned: { id: '29:1', name: 'Bob' } }],
      ...({ rawTimestamp: '2026-12-06T12:00:00.000Z', somethingNew: 1 } as object),
    },
  };
  for (const [what, activity] of Object.entries(sent)) {
    it(`sends ${what} as the SDK's serializer would`, () => {
      const full = TurnContext.applyConversationReference({ ...activity }, reference);
      assert.deepEqual(viaBody(full), viaMapper(full));
    });
  }

  it('leaves out what the schema does not name, and writes Dates as ISO strings', () => {
    const body = viaBody({ type: 'message', text: 'x', timestamp: new Date('2026-12-06T12:00:00.000Z'), ...({ rawTimestamp: 'r' } as object) }) as Record<string, unknown>;
    assert.deepEqual(body, { type: 'message', text: 'x', timestamp: '2026-12-06T12:00:00.000Z' });
  });

  describe('through a ConnectorClient to a local Connector', () => {
    let server: http.Server;
    let url = '';
    const bodies: { method: string; path: string; body: Record<string, unknown> }[] = [];
    before(async () => {
      server = http.createServer((req, res) => {
        let raw = '';
        req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
        req.on('end', () => {
          bodies.push({ method: req.method ?? '', path: req.url ?? '', body: JSON.parse(raw) as Record<string, unknown> });
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ id: `msg-${bodies.length}` }));
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      cacheConnectorClients();
    });
    after(async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    });

    it('posts and updates with the same fields, and hands back the id the Connector gave', async () => {
      const outbox = new TeamsOutbox(new CloudAdapter(new ConfigurationBotFrameworkAuthentication({ MicrosoftAppId: '' })), '');
      const to = { serviceUrl: url, channelId: 'msteams', conversation: { id: 'a:one' }, bot: { id: '28:switchboard' }, user: { id: '29:someone' } };
      const card = factsCard('Nothing was changed.');
      const id = await outbox.send(to, { card, text: 'Nothing was changed.' });
      assert.equal(id, 'msg-1');
      await outbox.update(to, 'msg-1', { text: 'updated' });
      // A proactive send is a reply to the reference's activity id, which continueConversationAsync makes up.
      assert.match(`${bodies[0]?.method} ${bodies[0]?.path}`, /^POST \/v3\/conversations\/a%3Aone\/activities\/[0-9a-f-]{36}$/);
      assert.equal(`${bodies[1]?.method} ${bodies[1]?.path}`, 'PUT /v3/conversations/a%3Aone/activities/msg-1');
      assert.equal(bodies.length, 2);
      const [post, put] = bodies;
      assert.deepEqual(post!.body['attachments'], [{ contentType: 'application/vnd.microsoft.card.adaptive', content: card }]);
      assert.equal(post!.body['text'], 'Nothing was changed.');
      assert.deepEqual(post!.body['conversation'], { id: 'a:one' });
      assert.deepEqual(post!.body['from'], { id: '28:switchboard' });
      assert.equal(put!.body['id'], 'msg-1');
      assert.equal(put!.body['text'], 'updated');
    });
  });
});
