/**
 * Authentication that cannot be used against the bot (issue 7): with MicrosoftAppId set, against a local
 * OpenID endpoint and keys made here. Forged, expired and malformed tokens get a bare 401; a hanging endpoint
 * costs no request more than 5 s and leaves no socket open; a flood leaves ordinary traffic at normal speed.
 */
import assert from 'node:assert/strict';
import { generateKeyPair, SignJWT } from 'jose';
import { loadConfig } from '../../src/config';
import { silentLogger } from '../../src/log';
import { ChannelAuthenticator } from '../../src/teams/auth';
import { startSwitchboard as startServer } from '../../src/main';
import type { RunningServer } from '../../src/teams/server';
import { LocalConnector, post, teamsActivity, testTenantId } from '../../src/cli/local-channel';
import { tempDir } from '../support/temp-dirs';
import { appId, LocalCredentials, mintToken, OpenIdEndpoint, type SigningKey } from './channel';

const alice = { aadObjectId: '11111111-1111-4111-8111-111111111111', name: 'Alice Operator', mri: '29:alice' };

function authConfig(metadataUrl: string, extra: Record<string, string> = {}) {
  return loadConfig({
    PORT: '0', HOST: '127.0.0.1', DATA_DIR: tempDir('auth'), LOG_LEVEL: 'silent', BOT_OPENID_METADATA_URL: metadataUrl,
    MicrosoftAppId: appId, MicrosoftAppPassword: 'not-a-real-secret', MicrosoftAppTenantId: testTenantId, ...extra,
  });
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - t };
}

describe('Bot Framework authentication at the edge', function () {
  this.timeout(60_000);
  let openid: OpenIdEndpoint;
  let connector: LocalConnector;
  let bot: RunningServer;
  let key: SigningKey;
  let n = 0;

  before(async () => {
    openid = new OpenIdEndpoint();
    await openid.start();
    key = await openid.addKey('key-1');
    connector = new LocalConnector();
    await connector.start();
    bot = await startServer(authConfig(openid.metadataUrl), silentLogger, { maintenanceMs: 3_600_000, credentialsFactory: new LocalCredentials() });
  });
  after(async () => {
    await bot?.close();
    await connector?.stop();
    await openid?.stop();
  });

  const message = (text: string, extra: Record<string, unknown> = {}) =>
    teamsActivity(connector.url, alice, `a:conv-auth-${++n}`, { type: 'message', text, ...extra });
  const send = (activity: Record<string, unknown>, token?: string) => post(bot.url, activity, token === undefined ? {} : { authorization: `Bearer ${token}` });

  it('accepts a valid channel token, and the reply goes to the activity\'s serviceUrl', async () => {
    const activity = message('help');
    const res = await send(activity, await mintToken(key, connector.url));
    assert.equal(res.status, 200);
    const reply = await connector.waitFor((c) => c.activityId === activity.id);
    assert.match(reply.body.text ?? '', /enable voice/i);
  });

  it('accepts the serviceUrl claim without its trailing slash', async () => {
    const res = await send(message('help'), await mintToken(key, connector.url.replace(/\/$/, '')));
    assert.equal(res.status, 200);
  });

  const forgeries: [string, () => Promise<string | undefined>][] = [
    ['no token', async () => undefined],
    ['a malformed token', async () => 'not.a-jwt'],
    ['a token that is not base64 JSON', async () => 'eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln'],
    ['the wrong issuer', async () => mintToken(key, connector.url, { claims: { iss: 'https://evil.example' } })],
    ['the wrong audience', async () => mintToken(key, connector.url, { claims: { aud: '66666666-6666-4666-8666-666666666666' } })],
    ['a signature by another key under a known kid', async () => {
      const other = await generateKeyPair('RS256');
      return mintToken({ kid: key.kid, privateKey: other.privateKey }, connector.url);
    }],
    ['an unknown kid', async () => {
      const other = await generateKeyPair('RS256');
      return mintToken({ kid: 'key-nobody', privateKey: other.privateKey }, connector.url);
    }],
    ['an HMAC algorithm (HS256)', async () =>
      new SignJWT({ serviceurl: connector.url }).setProtectedHeader({ alg: 'HS256', kid: key.kid }).setIssuer('https://api.botframework.com').setAudience(appId).setExpirationTime('10m').sign(new TextEncoder().encode('guessable'))],
    ['alg none', async () => {
      const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
      return `${b64({ alg: 'none', kid: key.kid })}.${b64({ iss: 'https://api.botframework.com', aud: appId, exp: Math.floor(Date.now() / 1000) + 600, serviceurl: connector.url })}.`;
    }],
    ['an expiry beyond the 5-minute skew', async () => mintToken(key, connector.url, { expiresIn: Math.floor(Date.now() / 1000) - 301 })],
    ['a serviceUrl claim for another service', async () => mintToken(key, 'https://smba.trafficmanager.net/evil/')],
    ['no serviceUrl claim', async () => mintToken(key, connector.url, { claims: { serviceurl: undefined } })],
    ['a tenant (tid) other than the activity\'s', async () => mintToken(key, connector.url, { claims: { tid: '99999999-9999-4999-8999-999999999999' } })],
  ];
  for (const [what, make] of forgeries) {
    it(`refuses ${what} with a bare 401`, async () => {
      const token = await make();
      const activity = message('status Bob Kelly');
      const { value: res, ms } = await timed(() => send(activity, token));
      assert.equal(res.status, 401);
      assert.equal(res.body, 'Unauthorized.', 'nothing internal in the answer');
      assert.ok(ms < 5000, `${ms} ms`);
      assert.equal(connector.calls.some((c) => c.activityId === activity.id), false, 'no turn ran');
    });
  }

  it('accepts a token just expired within the 5-minute skew, and refuses a key not endorsed for the channel', async () => {
    assert.equal((await send(message('help'), await mintToken(key, connector.url, { expiresIn: Math.floor(Date.now() / 1000) - 200 }))).status, 200);
    // This key's endorsements name only 'skype': an msteams activity signed under it is refused.
    const skype = await openid.addKey('key-skype-2', ['skype']);
    const fresh = new ChannelAuthenticator({ appId, openIdMetadataUrl: openid.metadataUrl });
    const token = await mintToken(skype, connector.url);
    assert.equal((await fresh.authenticate(`Bearer ${token}`, { serviceUrl: connector.url, channelId: 'msteams' })).ok, false);
    assert.equal((await fresh.authenticate(`Bearer ${token}`, { serviceUrl: connector.url, channelId: 'skype' })).ok, true);
  });

  it('fetches the keys once for many concurrent requests (single flight) and then serves them from the cache', async () => {
    const auth = new ChannelAuthenticator({ appId, openIdMetadataUrl: openid.metadataUrl });
    const before = openid.requests.length;
    const token = await mintToken(key, connector.url);
    const outcomes = await Promise.all(Array.from({ length: 50 }, () => auth.authenticate(`Bearer ${token}`, { serviceUrl: connector.url, channelId: 'msteams' })));
    assert.ok(outcomes.every((o) => o.ok));
    assert.equal(auth.keys.refreshes, 1);
    assert.deepEqual(openid.requests.slice(before), ['/v1/.well-known/openidconfiguration', '/v1/keys']);
    await auth.authenticate(`Bearer ${token}`, { serviceUrl: connector.url, channelId: 'msteams' });
    assert.equal(auth.keys.refreshes, 1, 'served from the cache');
  });
});

describe('the signing-key cache', function () {
  this.timeout(30_000);
  it('refreshes old keys in the background: requests keep being answered from the cache while the endpoint hangs', async () => {
    const openid = new OpenIdEndpoint();
    await openid.start();
    try {
      const key = await openid.addKey('key-1');
      let now = Date.now();
      const auth = new ChannelAuthenticator({ appId, openIdMetadataUrl: openid.metadataUrl, refreshAfterMs: 60_000, now: () => now });
      const token = await mintToken(key, 'https://smba.example/amer/', { expiresIn: Math.floor(now / 1000) + 7200 });
      const context = { serviceUrl: 'https://smba.example/amer/', channelId: 'msteams' };
      assert.equal((await auth.authenticate(`Bearer ${token}`, context)).ok, true);
      assert.equal(auth.keys.refreshes, 1);
      openid.mode = 'hang';
      now += 61_000;
      const { value, ms } = await timed(() => auth.authenticate(`Bearer ${token}`, context));
      assert.equal(value.ok, true);
      assert.ok(ms < 100, `answered from the cache in ${ms.toFixed(0)} ms`);
      assert.equal(auth.keys.refreshes, 2, 'a background refresh started');
      await auth.keys.refresh();
      assert.equal((await auth.authenticate(`Bearer ${token}`, context)).ok, true, 'a failed refresh keeps the old keys');
    } finally {
      await openid.stop();
    }
  });
});

describe('Bot Framework authentication when the OpenID endpoint never answers', function () {
  this.timeout(90_000);
  let openid: OpenIdEndpoint;
  let connector: LocalConnector;
  let key: SigningKey;

  before(async () => {
    openid = new OpenIdEndpoint();
    await openid.start();
    key = await openid.addKey('key-1');
    connector = new LocalConnector();
    await connector.start();
  });
  after(async () => {
    await connector?.stop();
    await openid?.stop();
  });

  it('answers 200 requests waiting on the keys within 5 s (503) with one fetch, and leaves no socket open to the endpoint', async () => {
    openid.mode = 'hang';
    const bot = await startServer(authConfig(openid.metadataUrl), silentLogger, { maintenanceMs: 3_600_000, credentialsFactory: new LocalCredentials() });
    try {
      const token = await mintToken(key, connector.url);
      const before = openid.requests.length;
      const answers = await Promise.all(Array.from({ length: 200 }, () =>
        timed(() => post(bot.url, teamsActivity(connector.url, alice, 'a:hang', { type: 'message', text: 'help' }), { authorization: `Bearer ${token}` }))));
      assert.deepEqual([...new Set(answers.map((a) => a.value.status))], [503], 'no key, no verdict: the channel may retry');
      assert.equal(answers[0]!.value.body, 'Authentication is unavailable right now; try again.');
      const worst = Math.max(...answers.map((a) => a.ms));
      assert.ok(worst < 5000, `all answered within ${worst.toFixed(0)} ms`);
      assert.equal(openid.requests.length - before, 1, 'the 200 waiting requests shared one fetch');
      const started = Date.now();
      while (openid.openSockets > 0 && Date.now() - started < 2000) await new Promise((r) => setTimeout(r, 20));
      assert.equal(openid.openSockets, 0, 'the abandoned fetch closed its socket');
    } finally {
      await bot.close();
      openid.mode = 'answer';
    }
  });

  it('a flood of 200 forged requests leaves /healthz and authenticated traffic at normal latency', async () => {
    openid.mode = 'answer';
    const bot = await startServer(authConfig(openid.metadataUrl, { RATE_USER_MESSAGES_PER_MINUTE: '10000', RATE_TENANT_PER_MINUTE: '100000' }), silentLogger, { maintenanceMs: 3_600_000, credentialsFactory: new LocalCredentials() });
    try {
      const valid = async () => {
        const activity = teamsActivity(connector.url, alice, 'a:flood', { type: 'message', text: 'help' });
        const token = await mintToken(key, connector.url);
        const { value, ms } = await timed(() => post(bot.url, activity, { authorization: `Bearer ${token}` }));
        assert.equal(value.status, 200);
        return ms;
      };
      const health = async () => (await timed(() => fetch(`${bot.url}/healthz`).then((r) => r.text()))).ms;
      // Warm: keys cached, then the endpoint stops answering for good.
      await valid();
      const baseline = { health: [] as number[], valid: [] as number[] };
      for (let i = 0; i < 20; i++) {
        baseline.health.push(await health());
        baseline.valid.push(await valid());
      }
      openid.mode = 'hang';
      const attacker = await generateKeyPair('RS256');
      const forged = await Promise.all(Array.from({ length: 200 }, (_, i) =>
        mintToken({ kid: i % 2 === 0 ? 'key-1' : `forged-${i}`, privateKey: attacker.privateKey }, connector.url)));
      const floodStarted = performance.now();
      const flood = forged.map(async (token) => {
        const { value, ms } = await timed(() => post(bot.url, teamsActivity(connector.url, alice, 'a:flood', { type: 'message', text: 'status Bob Kelly' }), { authorization: `Bearer ${token}` }));
        return { status: value.status, ms };
      });
      const during = { health: [] as number[], valid: [] as number[] };
      const probes = (async () => {
        for (let i = 0; i < 20; i++) {
          during.health.push(await health());
          during.valid.push(await valid());
        }
      })();
      const results = await Promise.all(flood);
      await probes;
      const floodMs = performance.now() - floodStarted;
      const statuses = [...new Set(results.map((r) => r.status))];
      const worst = Math.max(...results.map((r) => r.ms));
      const figures = {
        forged: { count: results.length, statuses, p50: pct(results.map((r) => r.ms), 50), max: worst, totalMs: floodMs },
        healthz: { baselineP50: pct(baseline.health, 50), duringP50: pct(during.health, 50), duringMax: Math.max(...during.health) },
        validMessage: { baselineP50: pct(baseline.valid, 50), duringP50: pct(during.valid, 50), duringMax: Math.max(...during.valid) },
        openSocketsToEndpoint: openid.openSockets,
      };
      console.log(`      flood figures (ms): ${JSON.stringify(figures, (_k, v: unknown) => (typeof v === 'number' ? Math.round(v * 10) / 10 : v))}`);
      assert.deepEqual(statuses, [401], 'every forged request is refused with 401');
      assert.ok(worst < 5000, `every forged request answered within 5 s (worst ${worst.toFixed(0)} ms)`);
      assert.ok(figures.healthz.duringP50 < Math.max(50, 5 * figures.healthz.baselineP50), 'healthz stays fast');
      assert.ok(figures.validMessage.duringP50 < Math.max(250, 5 * figures.validMessage.baselineP50), 'ordinary traffic stays fast');
      assert.ok(openid.openSockets <= 1, 'at most the one shared (rate-limited) refresh is waiting on the endpoint');
    } finally {
      await bot.close();
      openid.mode = 'answer';
    }
  });
});
