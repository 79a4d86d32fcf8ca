/**
 * What every store must hold to, run against SQLite (two connections on one DATA_DIR, as two processes on
 * one host) and PostgreSQL (two stores on one database with their own DATA_DIRs, as two hosts): nothing
 * committed is lost, of two instances racing for a decision, a claim or a lock exactly one wins, and the
 * audit chain stays one chain whoever appends to it.
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { RequestRecord } from '../src/model/request';
import { AuditKeyError } from '../src/store/audit-key';
import type { AuditLogOptions } from '../src/store/audit-log';
import { PostgresStore } from '../src/store/postgres-store';
import { SqliteStore } from '../src/store/sqlite-store';
import type { Store } from '../src/store/store';
import { requirePostgres, type PostgresServer } from './support/postgres';
import { tempDir } from './support/temp-dirs';

const now = new Date('2026-11-26T09:00:00Z');
const person = { id: '11111111-1111-4111-8111-111111111111', name: 'Alice' };
const approver = { id: '22222222-2222-4222-8222-222222222222', name: 'Ada' };

function request(id: string, locks: string[] = []): RequestRecord {
  return {
    id, command: 'enable-voice', params: { user: 'bob.kelly@contoso.com', number: 'tel:+14255550100' },
    plan: { target: 'Bob Kelly', subject: 'bob.kelly@contoso.com', changes: [], expectations: [], steps: [], commands: [], locks, notes: [] },
    requester: person, tenantId: 't', conversation: { conversation: { id: 'c' } }, status: 'pending',
    createdAt: now.toISOString(), expiresAt: new Date(now.getTime() + 3_600_000).toISOString(), attempt: 0, dedupeKey: `k-${id}`, position: 0, steps: [],
  };
}

const created = (id: string) => ({ at: now.toISOString(), actor: person, event: 'request.created', requestId: id, subject: 'bob.kelly@contoso.com' });

/** One database as two instances see it. */
interface Backend {
  /** A store on the shared database; `instance` picks its own DATA_DIR where the backend gives each one its own. */
  open(instance?: number, options?: AuditLogOptions): Promise<Store>;
  /** Runs SQL (`?` placeholders) on the database directly, as someone with write access to it would. */
  tamper(sql: string, args?: unknown[]): Promise<void>;
}

const backends: { name: string; make: (ctx: Mocha.Context) => Promise<Backend>; done?: () => Promise<void> }[] = [];

backends.push({
  name: 'SQLite',
  async make() {
    const dir = tempDir('contract');
    const key = randomBytes(32).toString('base64');
    return {
      open: async (_instance = 1, options = {}) => new SqliteStore(dir, { AUDIT_KEY: key, AUDIT_CHECKPOINT_EVERY: 50, ...options }),
      tamper: async (sql, args = []) => {
        const db = new Database(path.join(dir, 'switchboard.db'));
        db.prepare(sql).run(...args);
        db.close();
      },
    };
  },
});

let server: PostgresServer | undefined;
backends.push({
  name: 'PostgreSQL',
  async make(ctx) {
    server ??= await requirePostgres(ctx);
    const url = await server.createDatabase();
    const key = randomBytes(32).toString('base64');
    const dirs = new Map<number, string>();
    return {
      open: async (instance = 1, options = {}) => {
        if (!dirs.has(instance)) dirs.set(instance, tempDir(`pg-instance-${instance}`));
        return PostgresStore.open(url, dirs.get(instance)!, { AUDIT_KEY: key, AUDIT_CHECKPOINT_EVERY: 50, ...options });
      },
      tamper: async (sql, args = []) => {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        let n = 0;
        await client.query(sql.replace(/\?/g, () => `$${++n}`), args);
        await client.end();
      },
    };
  },
  async done() {
    await server?.stop();
    server = undefined;
  },
});

for (const backend of backends) {
  describe(`the store on ${backend.name}`, function () {
    this.timeout(60_000);
    let db: Backend;
    const open: Store[] = [];
    async function instance(n = 1, options: AuditLogOptions = {}): Promise<Store> {
      const s = await db.open(n, options);
      open.push(s);
      return s;
    }
    async function closeAll(): Promise<void> {
      for (const s of open.splice(0)) await s.close();
    }

    beforeEach(async function () {
      db = await backend.make(this);
    });
    afterEach(closeAll);
    after(async () => backend.done?.());

    it('keeps requests and their audit entries across a restart', async () => {
      const a = await instance();
      await a.createRequest(request('R-AAAAAAAA'), created('R-AAAAAAAA'));
      await closeAll();
      const again = await instance();
      assert.equal((await again.getRequest('R-AAAAAAAA'))?.status, 'pending');
      assert.deepEqual((await again.listAudit({ subject: 'BOB.KELLY@contoso.com' })).map((e) => e.event), ['request.created']);
    });

    it('lets exactly one of two instances decide a request, with one audit entry', async () => {
      const [a, b] = [await instance(1), await instance(2)];
      await a.createRequest(request('R-BBBBBBBB'), created('R-BBBBBBBB'));
      const results = await Promise.all([
        a.decide('R-BBBBBBBB', { status: 'approved', by: approver, at: now }, { at: now.toISOString(), actor: approver, event: 'request.approved', requestId: 'R-BBBBBBBB' }),
        b.decide('R-BBBBBBBB', { status: 'rejected', by: approver, at: now, reason: 'no' }, { at: now.toISOString(), actor: approver, event: 'request.rejected', requestId: 'R-BBBBBBBB' }),
      ]);
      assert.equal(results.filter(Boolean).length, 1);
      const winner = results.find(Boolean)!.status;
      assert.equal((await b.getRequest('R-BBBBBBBB'))?.status, winner);
      const decisions = (await a.listAudit({ requestId: 'R-BBBBBBBB' })).filter((e) => e.event === 'request.approved' || e.event === 'request.rejected');
      assert.deepEqual(decisions.map((e) => e.event), [`request.${winner}`]);
      assert.deepEqual(await b.verifyAudit(), { ok: true, entries: 2 });
    });

    it('files only one of two requests that take the same lock at once, and names the holder to the other', async () => {
      const [a, b] = [await instance(1), await instance(2)];
      const results = await Promise.all([
        a.createRequest(request('R-CCCCCCC1', ['user:bob.kelly@contoso.com', 'number:tel:+14255550100']), created('R-CCCCCCC1')),
        b.createRequest(request('R-CCCCCCC2', ['number:tel:+14255550100', 'user:bob.kelly@contoso.com']), created('R-CCCCCCC2')),
      ]);
      const won = results.filter((r) => r.created);
      assert.equal(won.length, 1);
      const lost = results.find((r) => !r.created) as { created: false; lock: string; heldBy: string };
      const winner = results[0]!.created ? 'R-CCCCCCC1' : 'R-CCCCCCC2';
      assert.equal(lost.heldBy, winner);
      assert.deepEqual((await a.listRequests({})).map((r) => r.id), [winner]);
      assert.equal((await b.listAudit({})).length, 1, 'the refused request left no audit entry');
    });

    it('gives a request to one claimant only, and fences the older attempt out once a newer one claims it', async () => {
      const [a, b] = [await instance(1), await instance(2)];
      await a.createRequest(request('R-DDDDDDDD'), created('R-DDDDDDDD'));
      await a.decide('R-DDDDDDDD', { status: 'approved', by: approver, at: now }, { at: now.toISOString(), actor: approver, event: 'request.approved' });
      const lease = new Date(now.getTime() + 1000);
      const claims = await Promise.all([a, b].map((s) => s.claim('R-DDDDDDDD', now, lease, { at: now.toISOString(), actor: 'system', event: 'execution.started', requestId: 'R-DDDDDDDD' })));
      assert.equal(claims.filter(Boolean).length, 1);
      assert.equal(claims.find(Boolean)!.attempt, 1);
      const later = new Date(now.getTime() + 2000);
      const second = await b.claim('R-DDDDDDDD', later, new Date(later.getTime() + 1000), { at: later.toISOString(), actor: 'system', event: 'execution.resumed' });
      assert.equal(second?.attempt, 2, 'reclaimed once the lease lapsed');
      assert.equal(await a.saveProgress('R-DDDDDDDD', 1, 1, []), false);
      assert.equal(await a.finish('R-DDDDDDDD', 1, 'verified', {}, { at: later.toISOString(), actor: 'system', event: 'execution.verified' }), undefined);
      assert.equal((await b.finish('R-DDDDDDDD', 2, 'verified', {}, { at: later.toISOString(), actor: 'system', event: 'execution.verified' }))?.status, 'verified');
    });

    it('keeps one unbroken chain when two instances append at once, with a checkpoint every 50 entries', async () => {
      const [a, b] = [await instance(1), await instance(2)];
      const appends: Promise<unknown>[] = [];
      for (let i = 0; i < 120; i++) appends.push((i % 2 ? a : b).appendAudit({ at: now.toISOString(), actor: 'system', event: 'test', detail: { i } }));
      await Promise.all(appends);
      const all = await a.listAudit({ limit: 1000 });
      assert.deepEqual(all.map((e) => e.seq).reverse(), Array.from({ length: 122 }, (_, i) => i + 1), 'numbered 1..N, no gap, no repeat');
      assert.deepEqual(all.filter((e) => e.event === 'audit.checkpoint').map((e) => e.seq), [100, 50]);
      assert.deepEqual(await b.verifyAudit(), { ok: true, entries: 122 });
      const state = await a.auditState();
      assert.equal(state.state, 'verified');
    });

    it('finds an audit entry that was rewritten, and one that was deleted', async () => {
      const a = await instance();
      for (let i = 0; i < 4; i++) await a.appendAudit({ at: now.toISOString(), actor: 'system', event: 'test', detail: { i } });
      await db.tamper('UPDATE audit SET detail = ? WHERE seq = 3', ['{"i":99}']);
      assert.deepEqual(await a.verifyAudit(), { ok: false, brokenAt: 3, reason: 'content does not match its hash' });
      await db.tamper('DELETE FROM audit WHERE seq = 3');
      assert.deepEqual(await a.verifyAudit(), { ok: false, brokenAt: 4, reason: 'entry 3 is missing' });
    });

    it('finds a decision rewritten in the requests table', async () => {
      const a = await instance();
      await a.createRequest(request('R-EEEEEEEE'), created('R-EEEEEEEE'));
      await a.decide('R-EEEEEEEE', { status: 'rejected', by: approver, at: now, reason: 'no' }, { at: now.toISOString(), actor: approver, event: 'request.rejected' });
      await db.tamper("UPDATE requests SET status = 'approved', decided_by_name = 'Mallory' WHERE id = 'R-EEEEEEEE'");
      assert.deepEqual(await a.verifyAudit(), { ok: false, brokenAt: 2, reason: "request R-EEEEEEEE's decision in the requests table (decided_by, status) differs from this entry" });
    });

    it('refuses to start with another audit key once the log has entries', async () => {
      const a = await instance();
      await a.appendAudit({ at: now.toISOString(), actor: 'system', event: 'test' });
      await closeAll();
      await assert.rejects(instance(2, { AUDIT_KEY: randomBytes(32).toString('base64') }), (err: Error) => err instanceof AuditKeyError && !err.message.includes('\n'));
    });

    it('knows a handled activity at once, on the other instance once its batch is written, and after a restart', async () => {
      const [a, b] = [await instance(1), await instance(2)];
      assert.equal(await a.alreadyHandled('act-1'), false);
      await a.markHandled('act-1', now);
      assert.equal(await a.alreadyHandled('act-1'), true);
      await new Promise((r) => setTimeout(r, 150));
      assert.equal(await b.alreadyHandled('act-1'), true);
      await a.markHandled('act-2', now);
      await closeAll();
      assert.equal(await (await instance(1)).alreadyHandled('act-2'), true, 'closing writes the open batch');
    });

    it('expires a pending request once when two instances expire at once', async () => {
      const [a, b] = [await instance(1), await instance(2)];
      for (const id of ['R-FFFFFFF1', 'R-FFFFFFF2', 'R-FFFFFFF3']) await a.createRequest(request(id), created(id));
      const late = new Date(now.getTime() + 2 * 3_600_000);
      const [x, y] = await Promise.all([a.expire(late), b.expire(late)]);
      assert.deepEqual([...x, ...y].map((r) => r.id).sort(), ['R-FFFFFFF1', 'R-FFFFFFF2', 'R-FFFFFFF3']);
      assert.equal((await a.listAudit({ limit: 100 })).filter((e) => e.event === 'request.expired').length, 3);
      assert.deepEqual(await b.verifyAudit(), { ok: true, entries: 6 });
    });

    it('hands a dead instance\'s running request to recovery at once and remembers the notice it owed', async () => {
      const [a, b] = [await instance(1), await instance(2)];
      await a.registerInstance({ id: 'inst-a', pid: 1, host: 'h1', processStart: '1', startedAt: now.toISOString() }, now);
      await b.registerInstance({ id: 'inst-b', pid: 2, host: 'h2', processStart: '2', startedAt: now.toISOString() }, now);
      await a.createRequest(request('R-GGGGGGGG'), created('R-GGGGGGGG'));
      await a.decide('R-GGGGGGGG', { status: 'approved', by: approver, at: now }, { at: now.toISOString(), actor: approver, event: 'request.approved' });
      const claimed = await a.claim('R-GGGGGGGG', now, new Date(now.getTime() + 600_000), { at: now.toISOString(), actor: 'system', event: 'execution.started' });
      assert.ok(claimed);
      assert.deepEqual((await b.listRecoverable(now)).map((r) => r.id), [], 'held by a live instance under its lease');
      assert.deepEqual((await b.listLiveInstances('h1')).map((i) => i.id), ['inst-a']);
      await b.markInstancesDead(['inst-a'], now);
      assert.deepEqual((await b.listRecoverable(now)).map((r) => r.id), ['R-GGGGGGGG']);
      assert.equal(await a.extendLease('R-GGGGGGGG', 1, now, new Date(now.getTime() + 900_000)), true, 'its lease may still run; the claim is what fences');
      const taken = await b.claim('R-GGGGGGGG', now, new Date(now.getTime() + 600_000), { at: now.toISOString(), actor: 'system', event: 'execution.resumed' });
      assert.equal(taken?.attempt, 2);
      await b.finish('R-GGGGGGGG', 2, 'verified', {}, { at: now.toISOString(), actor: 'system', event: 'execution.verified' });
      assert.deepEqual((await b.listOwedNotices(now)).map((r) => r.id), [], 'owed by the live instance b, which tells it itself');
      await b.noticeDelivered('R-GGGGGGGG');
      assert.deepEqual((await a.listLiveInstances()).map((i) => i.id), ['inst-b']);
    });

    it('hands a notice owed by an instance gone quiet on another host to exactly one of the others', async () => {
      const [far, a, b] = [await instance(1), await instance(2), await instance(3)];
      await far.registerInstance({ id: 'inst-far', pid: 1, host: 'elsewhere', processStart: '1', startedAt: now.toISOString() }, now);
      await a.registerInstance({ id: 'inst-a', pid: 2, host: 'h1', processStart: '2', startedAt: now.toISOString() }, now);
      await b.registerInstance({ id: 'inst-b', pid: 3, host: 'h2', processStart: '3', startedAt: now.toISOString() }, now);
      await far.createRequest(request('R-JJJJJJJJ'), created('R-JJJJJJJJ'));
      await far.decide('R-JJJJJJJJ', { status: 'approved', by: approver, at: now }, { at: now.toISOString(), actor: approver, event: 'request.approved' });
      const claimed = await far.claim('R-JJJJJJJJ', now, new Date(now.getTime() + 600_000), { at: now.toISOString(), actor: 'system', event: 'execution.started' });
      await far.finish('R-JJJJJJJJ', claimed!.attempt, 'verified', {}, { at: now.toISOString(), actor: 'system', event: 'execution.verified' });
      assert.deepEqual((await far.listOwedNotices(new Date(now.getTime() + 61_000))).map((r) => r.id), [], 'never offered to the instance that owes it');
      // Finished, then the instance went away before telling, on a host nobody here can look at.
      assert.deepEqual((await b.listOwedNotices(new Date(now.getTime() + 30_000))).map((r) => r.id), [], 'a heartbeat 30 s old is still alive');
      const later = new Date(now.getTime() + 61_000);
      assert.deepEqual((await b.listOwedNotices(later)).map((r) => r.id), ['R-JJJJJJJJ']);
      const taken = await Promise.all([a, b].map((s) => s.takeNotice('R-JJJJJJJJ', later, new Date(later.getTime() + 120_000))));
      assert.deepEqual(taken.sort(), [false, true], 'one instance tells it');
      assert.deepEqual((await a.listOwedNotices(later)).map((r) => r.id), [], 'not listed while taken');
      const afterLapse = new Date(later.getTime() + 121_000);
      assert.deepEqual((await a.listOwedNotices(afterLapse)).map((r) => r.id), ['R-JJJJJJJJ'], 'offered again if the teller died too');
      await b.noticeDelivered('R-JJJJJJJJ');
      assert.deepEqual(await a.listOwedNotices(afterLapse), []);
    });

    it('keeps batch items, cards, sites and conversation addresses', async () => {
      const a = await instance();
      const item = { index: 0, key: 'bob', label: 'Bob Kelly', verdict: 'ready' as const, parts: [] };
      await a.createRequest(request('R-HHHHHHHH'), created('R-HHHHHHHH'), [item, { ...item, index: 1, key: 'x', verdict: 'skip' as const, reason: 'has voice' }]);
      await a.decide('R-HHHHHHHH', { status: 'approved', by: approver, at: now }, { at: now.toISOString(), actor: approver, event: 'request.approved' });
      await a.claim('R-HHHHHHHH', now, new Date(now.getTime() + 60_000), { at: now.toISOString(), actor: 'system', event: 'execution.started' });
      assert.equal(await a.saveBatchItem('R-HHHHHHHH', 1, 0, 'verified', { note: 'ok' }), true);
      assert.equal(await a.saveBatchItem('R-HHHHHHHH', 7, 0, 'failed'), false, 'not by another attempt');
      assert.deepEqual((await a.listBatchItems('R-HHHHHHHH')).map((i) => [i.index, i.status, i.result]), [[0, 'verified', { note: 'ok' }], [1, 'skipped', undefined]]);
      const address = { conversation: { id: 'c1' }, serviceUrl: 'https://smba.example.invalid/' };
      await a.addCard('R-HHHHHHHH', { conversation: address, activityId: 'a1' });
      await a.addCard('R-HHHHHHHH', { conversation: address, activityId: 'a1' });
      assert.deepEqual(await a.listCards('R-HHHHHHHH'), [{ conversation: address, activityId: 'a1' }]);
      await a.saveConversation('k', address);
      assert.deepEqual(await a.getConversation('k'), address);
      const site = { name: 'Seattle', gateways: [] } as unknown as Parameters<Store['putSite']>[0];
      await a.putSite(site, { at: now.toISOString(), actor: approver, event: 'site.saved', subject: 'Seattle' });
      assert.deepEqual(await a.getSite('SEATTLE'), site);
      assert.deepEqual((await a.listSites()).map((s) => s.name), ['Seattle']);
    });
  });
}
