/**
 * Outbound throttling (issue 7): Teams' per-conversation and per-app limits kept, Retry-After honoured, and
 * retries that never double a message: creates are repeated only after a 429 or a refused connection,
 * updates (PUT) also after 5xx. Against a local Connector that answers 429 (and 5xx) at random.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudAdapter, ConfigurationBotFrameworkAuthentication } from 'botbuilder';
import { cacheConnectorClients } from '../../src/teams/connector-cache';
import { outboundThrottle, teamsOutboundLimits, TeamsOutbox } from '../../src/teams/outbox';

type Fault = { status: number; retryAfter?: string; apply: boolean } | undefined;

/** A Connector API on 127.0.0.1 that records what it accepted and misbehaves as `fault` decides. */
class FlakyConnector {
  url = '';
  /** Every request as it arrived. */
  arrivals: { method: string; conversation: string; text: string; at: number; status: number; retryAfter?: string }[] = [];
  /** Accepted creates: text → how many times. */
  created = new Map<string, number>();
  /** Last accepted update per activity id. */
  updated = new Map<string, string>();
  fault: (method: string) => Fault = () => undefined;
  private server!: http.Server;
  private next = 1;

  async start(port = 0): Promise<void> {
    this.server = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
      req.on('end', () => {
        const m = /^\/v3\/conversations\/([^/]+)\/activities(?:\/([^/?]+))?/.exec(req.url ?? '');
        const method = req.method ?? '';
        const f = this.fault(method);
        const status = f?.status ?? 200;
        const body = JSON.parse(raw || '{}') as { text?: string };
        this.arrivals.push({ method, conversation: decodeURIComponent(m?.[1] ?? ''), text: `${method} ${body.text ?? ''}`, at: performance.now(), status, ...(f?.retryAfter ? { retryAfter: f.retryAfter } : {}) });
        let id = decodeURIComponent(m?.[2] ?? '');
        if (!f || f.apply) {
          if (method === 'POST') {
            this.created.set(body.text ?? '', (this.created.get(body.text ?? '') ?? 0) + 1);
            id = `msg-${this.next++}`;
          } else if (method === 'PUT') {
            this.updated.set(id, body.text ?? '');
          }
        }
        res.statusCode = status;
        if (f?.retryAfter) res.setHeader('retry-after', f.retryAfter);
        res.setHeader('content-type', 'application/json');
        res.end(status === 200 ? JSON.stringify({ id }) : JSON.stringify({ error: { code: 'Throttled', message: 'slow down' } }));
      });
    });
    await new Promise<void>((r) => this.server.listen(port, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/** Seeded, so a failure can be replayed. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const address = (serviceUrl: string, conversationId: string) => ({
  serviceUrl, channelId: 'msteams', conversation: { id: conversationId }, bot: { id: '28:switchboard' }, user: { id: '29:someone' },
});

describe('the outbox and Teams throttling', function () {
  this.timeout(120_000);
  let outbox: TeamsOutbox;
  let connector: FlakyConnector;

  before(() => {
    cacheConnectorClients();
    outbox = new TeamsOutbox(new CloudAdapter(new ConfigurationBotFrameworkAuthentication({ MicrosoftAppId: '' })), '');
  });
  beforeEach(async () => {
    connector = new FlakyConnector();
    await connector.start();
  });
  afterEach(async () => {
    outboundThrottle.configure(teamsOutboundLimits);
    await connector.stop();
  });

  it('keeps Teams\' per-conversation limits: at most 7 in any second and 8 in any 2 seconds, in order', async () => {
    outboundThrottle.configure(teamsOutboundLimits);
    // Measured as requests take their place in the windows: arrival times at the connector jitter with the load.
    const sentAt: number[] = [];
    outboundThrottle.onSend = (conversation, t) => conversation === 'a:one' && sentAt.push(t);
    const ids = await Promise.all(Array.from({ length: 14 }, (_, i) => outbox.send(address(connector.url, 'a:one'), { text: `m${i}` })));
    assert.equal(new Set(ids).size, 14);
    const at = sentAt.map((t) => t - sentAt[0]!);
    const most = (windowMs: number) => Math.max(...at.map((t) => at.filter((u) => u >= t && u < t + windowMs).length));
    assert.equal(at.length, 14);
    assert.ok(most(1000) <= 7, `at most 7 in a second (saw ${most(1000)})`);
    assert.ok(most(2000) <= 8, `at most 8 in 2 seconds (saw ${most(2000)})`);
    assert.deepEqual([...connector.created.keys()], Array.from({ length: 14 }, (_, i) => `m${i}`), 'in the order sent');
    assert.ok(at[7]! >= 950, `the 8th waits for the 1-second window (${at[7]!.toFixed(0)} ms)`);
    assert.ok(at[8]! >= 1950, `the 9th waits for the 2-second window (${at[8]!.toFixed(0)} ms)`);
  });

  it('never re-POSTs a create the connector may have accepted (5xx), and retries an update (PUT) through 5xx', async () => {
    outboundThrottle.configure({ ...teamsOutboundLimits, backoffBaseMs: 20, backoffMaxMs: 100 });
    connector.fault = (method) => (method === 'POST' ? { status: 502, apply: true } : undefined);
    await assert.rejects(outbox.send(address(connector.url, 'a:ambiguous'), { text: 'once only' }));
    assert.equal(connector.arrivals.length, 1, 'one POST, not the SDK\'s four');
    assert.equal(connector.created.get('once only'), 1);

    let failures = 2;
    connector.fault = (method) => (method === 'PUT' && failures-- > 0 ? { status: 503, apply: false } : undefined);
    await outbox.update(address(connector.url, 'a:ambiguous'), 'msg-1', { text: 'updated' });
    assert.deepEqual(connector.arrivals.slice(1).map((a) => [a.method, a.status]), [['PUT', 503], ['PUT', 503], ['PUT', 200]]);
    assert.equal(connector.updated.get('msg-1'), 'updated');
  });

  it('retries a create whose connection was refused (nothing was sent)', async () => {
    outboundThrottle.configure({ ...teamsOutboundLimits, backoffBaseMs: 50, backoffMaxMs: 400, attempts: 8 });
    const port = (connector as unknown as { server: http.Server }).server.address() as AddressInfo;
    await connector.stop();
    const later = new FlakyConnector();
    const sending = outbox.send(address(`http://127.0.0.1:${port.port}/`, 'a:refused'), { text: 'after refusal' });
    await new Promise((r) => setTimeout(r, 300));
    await later.start(port.port);
    connector = later;
    assert.ok(await sending);
    assert.equal(later.created.get('after refusal'), 1);
  });

  it('a burst of 1,000 sends and 200 updates under random 429s (with Retry-After) and 5xx loses and doubles nothing', async () => {
    outboundThrottle.configure({ ...teamsOutboundLimits, appPerSecond: 1000, backoffBaseMs: 20, backoffMaxMs: 200, attempts: 10 });
    const random = seeded(7);
    connector.fault = (method) => {
      const r = random();
      if (r < 0.12) return { status: 429, retryAfter: random() < 0.5 ? '0' : '1', apply: false };
      if (method === 'POST' && r < 0.14) return { status: 500, apply: true }; // accepted, then the answer failed
      if (method === 'PUT' && r < 0.2) return { status: r < 0.17 ? 500 : 502, apply: r < 0.16 };
      return undefined;
    };
    const conversations = Array.from({ length: 100 }, (_, i) => `a:burst-${i}`);
    const started = performance.now();
    const sends = await Promise.allSettled(Array.from({ length: 1000 }, (_, i) => outbox.send(address(connector.url, conversations[i % 100]!), { text: `burst ${i}` })));
    const failed = sends.filter((s) => s.status === 'rejected').length;
    const ambiguous = connector.arrivals.filter((a) => a.method === 'POST' && a.status === 500).length;
    for (let i = 0; i < 1000; i++) assert.equal(connector.created.get(`burst ${i}`), 1, `burst ${i} delivered exactly once`);
    assert.equal(failed, ambiguous, 'only a create whose answer was lost is reported failed (and it was delivered once)');

    const delivered = sends.flatMap((s, i) => (s.status === 'fulfilled' && s.value ? [{ id: s.value, conversation: conversations[i % 100]! }] : []));
    const targets = delivered.slice(0, 200);
    const updates = await Promise.allSettled(targets.map((t, k) => outbox.update(address(connector.url, t.conversation), t.id, { text: `update ${k}` })));
    assert.deepEqual(updates.filter((u) => u.status === 'rejected'), [], 'every update lands');
    targets.forEach((t, k) => assert.equal(connector.updated.get(t.id), `update ${k}`));

    // Retry-After is honoured: a message refused with "Retry-After: 1" comes back no sooner than a second later.
    const honoured = connector.arrivals.filter((x) => x.status === 429 && x.retryAfter === '1');
    for (const a of honoured) {
      const again = connector.arrivals.find((b) => b.text === a.text && b.at > a.at);
      assert.ok(again && again.at - a.at >= 950, `${a.text} came back ${again ? (again.at - a.at).toFixed(0) : 'never'} ms after a 429 asking for 1 s`);
    }
    assert.ok(honoured.length > 20);
    const figures = {
      ms: Math.round(performance.now() - started), requests: connector.arrivals.length,
      status429: connector.arrivals.filter((a) => a.status === 429).length, status5xx: connector.arrivals.filter((a) => a.status >= 500).length, ambiguousCreates: ambiguous,
    };
    console.log(`      burst figures: ${JSON.stringify(figures)}`);
    assert.ok(figures.status429 > 50, 'the connector did throttle');
  });
});
