/**
 * The PostgreSQL store as admins run it: several bot instances on one database (here two, each with its own
 * DATA_DIR, as on two hosts), the audit key they must share, and audit:verify against the database.
 * The behaviours every store shares are in store-contract.test.ts.
 */
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { createGatewayCertificates } from '../src/certs/gateway-certificates';
import { KeyStore } from '../src/certs/key-store';
import { loadConfig } from '../src/config';
import { readiness } from '../src/playground/operations';
import { AuditKeyError } from '../src/store/audit-key';
import { PostgresStore } from '../src/store/postgres-store';
import { demoTenant } from '../src/tenant/sim/demo-tenant';
import { SimulatedTenant } from '../src/tenant/sim/simulated-tenant';
import { admin, admin2, alice, ChatHarness, requestIdIn } from './support/chat';
import { requirePostgres, type PostgresServer } from './support/postgres';
import { tempDir } from './support/temp-dirs';

const now = new Date('2026-11-26T09:00:00Z');

describe('the store on PostgreSQL, with several instances', function () {
  this.timeout(60_000);
  let server: PostgresServer;
  let url: string;
  const key = randomBytes(32).toString('base64');
  before(async function () {
    server = await requirePostgres(this);
  });
  after(async () => server?.stop());
  beforeEach(async () => {
    url = await server.createDatabase();
  });

  it('will not open without an audit key, or with a key other than the one the first instance used', async () => {
    await assert.rejects(PostgresStore.open(url, tempDir('pg-a'), {}), (err: Error) => err instanceof AuditKeyError && /^With DATABASE_URL, set AUDIT_KEY/.test(err.message) && !err.message.includes('\n'));
    const first = await PostgresStore.open(url, tempDir('pg-a'), { AUDIT_KEY: key });
    // No entry yet: the database's fingerprint of the key is what tells the second key apart.
    await assert.rejects(PostgresStore.open(url, tempDir('pg-b'), { AUDIT_KEY: randomBytes(32).toString('base64') }), /is not the key of this database's audit log; not starting\.$/);
    await first.close();
  });

  it('says in one line when the database cannot be reached, without the password', async () => {
    const closed = url.replace(/:(\d+)\//, ':1/').replace('switchboard@', 'switchboard:hunter2@');
    await assert.rejects(PostgresStore.open(closed, tempDir('pg-a'), { AUDIT_KEY: key }), (err: Error) => {
      assert.match(err.message, /^The PostgreSQL store at 127\.0\.0\.1:1\/switchboard_\w+ could not be opened: /);
      assert.ok(!err.message.includes('hunter2') && !err.message.includes('\n'), err.message);
      return true;
    });
  });

  it('keeps to DATABASE_POOL_SIZE connections for records, however many turns ask at once', async () => {
    const store = await PostgresStore.open(url, tempDir('pg-pool'), { AUDIT_KEY: key, poolSize: 2 });
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const counts: number[] = [];
    const sample = async () => {
      const { rows } = await client.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'switchboard'");
      counts.push(rows[0]!.n);
    };
    try {
      await Promise.all([...Array.from({ length: 20 }, () => store.listRequests({ limit: 5 })), sample(), sample()]);
      // The connections opened stay open (idle) for a while: the count now is the most that were open.
      await sample();
      assert.ok(Math.max(...counts) <= 2 && counts.at(-1)! >= 1, JSON.stringify(counts));
    } finally {
      await client.end();
      await store.close();
    }
  });

  it('anchors a new instance\'s checkpoint file at what it verified, and reports that file once it is deleted', async () => {
    const a = await PostgresStore.open(url, tempDir('pg-a'), { AUDIT_KEY: key, AUDIT_CHECKPOINT_EVERY: 10 });
    for (let i = 0; i < 25; i++) await a.appendAudit({ at: now.toISOString(), actor: 'system', event: 'test', detail: { i } });
    const dirB = tempDir('pg-b');
    const b = await PostgresStore.open(url, dirB, { AUDIT_KEY: key, AUDIT_CHECKPOINT_EVERY: 10 });
    let state = await b.auditState();
    while (state.state === 'verified' && state.newer > 0) state = await b.auditState();
    assert.equal(state.state, 'verified');
    assert.ok(fs.existsSync(path.join(dirB, 'audit.checkpoint')), 'b has a checkpoint file of its own');
    fs.rmSync(path.join(dirB, 'audit.checkpoint'));
    await a.appendAudit({ at: now.toISOString(), actor: 'system', event: 'test' });
    await b.auditState();
    assert.deepEqual(await b.auditState(), { state: 'broken', brokenAt: 29, reason: `the checkpoint file ${path.join(dirB, 'audit.checkpoint')} is missing` });
    await Promise.all([a.close(), b.close()]);
  });

  it('runs audit:verify against the database, and exits 1 once an entry is rewritten', async () => {
    const a = await PostgresStore.open(url, tempDir('pg-a'), { AUDIT_KEY: key });
    for (let i = 0; i < 3; i++) await a.appendAudit({ at: now.toISOString(), actor: 'system', event: 'test', detail: { i } });
    await a.close();
    const tsx = path.resolve('node_modules/.bin/tsx');
    const env = { ...process.env, DATABASE_URL: url, AUDIT_KEY: key };
    assert.match(execFileSync(tsx, ['src/cli/verify-audit.ts', tempDir('pg-cli')], { encoding: 'utf8', env }), /^Audit chain intact: 3 entries in the PostgreSQL database/);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query("UPDATE audit SET event = 'forged' WHERE seq = 2");
    await client.end();
    const broken = spawnSync(tsx, ['src/cli/verify-audit.ts', tempDir('pg-cli')], { encoding: 'utf8', env });
    assert.equal(broken.status, 1);
    assert.match(broken.stderr, /Audit chain BROKEN at entry 2: content does not match its hash/);
  });

  it('holds one key store for every instance: a key made on one is read on another, and a link used on one is used on all', async () => {
    const [a, b] = [await PostgresStore.open(url, tempDir('pg-a'), { AUDIT_KEY: key }), await PostgresStore.open(url, tempDir('pg-b'), { AUDIT_KEY: key })];
    const secret = randomBytes(32).toString('hex');
    const onA = new KeyStore({ items: a.sealedItems(), secret });
    const onB = new KeyStore({ items: b.sealedItems(), secret });
    const pfx = Buffer.from('a PFX file');
    const item = await onA.put('pfx', 'gw1.contoso.com', pfx);
    assert.deepEqual((await onB.list('pfx', 'gw1.contoso.com')).map((i) => i.id), [item.id]);
    assert.ok((await onB.get(item.id))?.content.equals(pfx));
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query<{ sealed: Buffer }>('SELECT sealed FROM sealed_items');
    assert.ok(!rows[0]!.sealed.includes(pfx), 'sealed in the database, never in clear');
    const link = `/download/${onA.createDownloadToken(item.id, { ttlMs: 60_000, filename: 'gw1.pfx', contentType: 'application/x-pkcs12' }).token}`;
    const [first, second] = await Promise.all([onB.handleDownload(link), onA.handleDownload(link)]);
    assert.deepEqual([first.status, second.status].sort(), [200, 410], 'served once, whichever instance the two clicks reach');
    assert.equal((await client.query('SELECT 1 FROM sealed_items')).rowCount, 0, 'deleted once served');
    const unused = await onA.put('pfx', 'gw1.contoso.com', pfx, { linkTtlMs: 60_000 });
    const legacy = await onA.put('pfx', 'gw1.contoso.com', pfx);
    assert.equal(await onB.sweep(), 0);
    const later = new KeyStore({ items: b.sealedItems(), secret, now: () => Date.now() + 60_001 });
    assert.equal(await later.sweep(), 1, 'the PFX whose link expired unused, swept by any instance');
    assert.deepEqual((await onA.list('pfx', 'gw1.contoso.com')).map((i) => i.id), [legacy.id]);
    assert.equal(await new KeyStore({ items: b.sealedItems(), secret, now: () => Date.now() + 24 * 60 * 60_000 + 1 }).sweep(), 1);
    assert.ok(unused.expiresAt);
    await client.end();
    await Promise.all([a.close(), b.close()]);
  });

  it('refuses the certificate commands on a shared database until the key-store secret is configured', async () => {
    const a = await PostgresStore.open(url, tempDir('pg-a'), { AUDIT_KEY: key });
    const certificates = createGatewayCertificates({ DATA_DIR: tempDir('pg-a'), TENANT_BACKEND: 'sim' }, async () => ({ roots: [] }), () => undefined, { shared: a.sealedItems() });
    assert.match(certificates.unavailable('request') ?? '', /set KEY_STORE_SECRET_FILE \(at least 32 random bytes, outside DATA_DIR, the same on every instance\)/);
    await a.close();
  });

  describe('two bots on one database and one tenant', () => {
    let one: ChatHarness;
    let two: ChatHarness;
    beforeEach(async () => {
      const tenant = new SimulatedTenant({ initial: demoTenant(), dataDir: tempDir('pg-tenant') });
      const open = async () => PostgresStore.open(url, tempDir('pg-bot'), { AUDIT_KEY: key });
      one = await ChatHarness.create({ tenant, store: await open() });
      two = await ChatHarness.create({ tenant, store: await open() });
    });
    afterEach(async () => {
      await one.close();
      await two.close();
    });

    it('files on one, approves and verifies on the other, and both show the same history', async () => {
      const [reply] = await one.say(alice, 'enable voice for Bob Kelly number +14255550100');
      const id = requestIdIn(reply?.text);
      const [pending] = await two.say(admin, 'pending');
      assert.ok(JSON.stringify(pending).includes(id), 'the other instance lists it as pending');
      await two.click(admin, 'approve', { requestId: id });
      await two.settle();
      assert.equal((await one.core.store.getRequest(id))!.status, 'verified');
      assert.ok(two.outbox.sent.some((s) => s.message.text?.startsWith(`${id} done and verified`)));
      const events = (await one.core.store.listAudit({ requestId: id, limit: 50 })).map((e) => e.event).reverse();
      assert.deepEqual(events.slice(0, 3), ['request.created', 'request.approved', 'execution.started']);
      assert.equal(events.at(-1), 'execution.verified');
      assert.deepEqual(await two.core.store.verifyAudit(), { ok: true, entries: (await one.core.store.listAudit({ limit: 1000 })).length });
    });

    it('lets one of two approvers deciding at once on different instances win, and tells the other', async () => {
      const [reply] = await one.say(alice, 'enable voice for Bob Kelly number +14255550100');
      const id = requestIdIn(reply?.text);
      const [approved, rejected] = await Promise.all([
        one.click(admin, 'approve', { requestId: id }),
        two.click(admin2, 'reject', { requestId: id, reason: 'Number belongs to the Amsterdam range' }),
      ]);
      await Promise.all([one.settle(), two.settle()]);
      const status = (await one.core.store.getRequest(id))!.status;
      assert.ok(status === 'verified' || status === 'rejected', status);
      // The loser's click answers with the card as the winner left it.
      const loser = status === 'verified' ? rejected : approved;
      assert.match(JSON.stringify(loser.value), status === 'verified' ? /"Approved by Ada Admin at / : /"Rejected by \w[^"]* at [^"]*: Number belongs to the Amsterdam range"/);
      const decisions = (await two.core.store.listAudit({ requestId: id, limit: 50 })).filter((e) => e.event === 'request.approved' || e.event === 'request.rejected');
      assert.equal(decisions.length, 1);
      assert.equal((await one.core.store.listAudit({ requestId: id, limit: 50 })).filter((e) => e.event === 'execution.started').length, status === 'verified' ? 1 : 0, 'ran once, or not at all');
    });
  });
});

describe('the PostgreSQL store while the database is down', function () {
  this.timeout(120_000);
  let server: PostgresServer;
  let bot: ChatHarness;
  before(async function () {
    // A server of its own: this suite stops and starts it.
    server = await requirePostgres(this);
    const url = await server.createDatabase();
    bot = await ChatHarness.create({ store: await PostgresStore.open(url, tempDir('pg-down'), { AUDIT_KEY: randomBytes(32).toString('base64') }) });
  });
  after(async () => {
    await bot?.close();
    await server?.stop();
  });

  it('tells the person in one line to send it again, reports it on /readyz, changes nothing, and carries on once it is back', async () => {
    const [filed] = await bot.say(alice, 'enable voice for Bob Kelly number +14255550100');
    const id = requestIdIn(filed?.text);
    const auditBefore = (await bot.core.store.listAudit({ limit: 1000 })).length;
    await server.halt();

    const unreachable = /^I can't reach my database right now \(PostgreSQL at 127\.0\.0\.1:\d+\/switchboard_\w+: .+\)\. Nothing was changed in the tenant; send it again in a minute \(what was already saved is not saved twice\)\.$/;
    const [message] = await bot.say(alice, 'enable voice for Bob Smith number +14255550101');
    assert.match(String(message?.text), unreachable);
    const click = await bot.click(admin, 'approve', { requestId: id });
    assert.match(String(click.value), unreachable, 'the approval click is answered, not left to time out');
    const down = await readiness(bot.core.store, bot.core.tenant, false, 6_000);
    assert.equal(down.ready, false);
    assert.match(down.reasons.join(' | '), /^store not reachable: PostgreSQL at 127\.0\.0\.1:\d+\/switchboard_\w+: \S.*$/);
    assert.equal(bot.sim.snapshot().users.find((u) => u.DisplayName === 'Bob Kelly')?.EnterpriseVoiceEnabled, false, 'nothing ran');

    await server.restart();
    assert.deepEqual((await readiness(bot.core.store, bot.core.tenant, false)).reasons, []);
    assert.equal((await bot.core.store.getRequest(id))?.status, 'pending', 'the request filed before is still there, undecided');
    assert.equal((await bot.core.store.listAudit({ limit: 1000 })).length, auditBefore, 'no entry half-written');
    const approved = await bot.click(admin, 'approve', { requestId: id });
    assert.equal(approved.statusCode, 200);
    await bot.settle();
    assert.equal((await bot.core.store.getRequest(id))?.status, 'verified');
    const [again] = await bot.say(alice, 'enable voice for Bob Smith number +14255550101');
    assert.match(String(again?.text), /is waiting for an approver\.$/, 'the message sent again is filed');
    assert.deepEqual(await bot.core.store.verifyAudit(), { ok: true, entries: (await bot.core.store.listAudit({ limit: 1000 })).length });
  });
});

describe('DATABASE_URL in the configuration', () => {
  it('needs a postgres URL and an audit key every instance shares', () => {
    const problems = (env: Record<string, string>): string[] => {
      try {
        loadConfig(env);
        return [];
      } catch (err) {
        return (err as { problems?: string[] }).problems ?? [];
      }
    };
    assert.deepEqual(problems({ DATABASE_URL: 'mysql://db/switchboard', AUDIT_KEY: randomBytes(32).toString('base64') }), [
      'DATABASE_URL: must be a postgres:// or postgresql:// URL, e.g. postgres://switchboard@db.contoso.com:5432/switchboard',
    ]);
    assert.deepEqual(problems({ DATABASE_URL: 'postgres://switchboard@db.contoso.com/switchboard' }), [
      'DATABASE_URL: needs AUDIT_KEY or AUDIT_KEY_FILE: every instance on the database signs its audit log with the same key',
    ]);
    assert.deepEqual(problems({ DATABASE_URL: 'postgres://switchboard@db.contoso.com/switchboard', AUDIT_KEY_FILE: '/etc/switchboard/audit.key' }), []);
    const pooled = { DATABASE_URL: 'postgres://switchboard@db.contoso.com/switchboard', AUDIT_KEY_FILE: '/etc/switchboard/audit.key' };
    assert.equal(loadConfig(pooled).DATABASE_POOL_SIZE, 10);
    assert.equal(loadConfig({ ...pooled, DATABASE_POOL_SIZE: '4' }).DATABASE_POOL_SIZE, 4);
    assert.equal(problems({ ...pooled, DATABASE_POOL_SIZE: '0' }).length, 1);
    assert.match(problems({ ...pooled, DATABASE_POOL_SIZE: 'lots' })[0] ?? '', /^DATABASE_POOL_SIZE: /);
  });
});
