import { strict as assert } from 'node:assert';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SIGHTING_BATCH_MS, SqliteStore } from '../src/store/sqlite-store';
import type { RequestRecord } from '../src/model/request';
import { tempDir } from './support/temp-dirs';

const now = new Date('2026-11-26T09:00:00Z');
const person = { id: '11111111-1111-4111-8111-111111111111', name: 'Alice' };

function request(id: string): RequestRecord {
  return {
    id, command: 'enable-voice', params: { user: 'bob.kelly@contoso.com', number: 'tel:+14255550100' },
    plan: { target: 'Bob Kelly', subject: 'bob.kelly@contoso.com', changes: [], expectations: [], steps: [], commands: [], locks: [], notes: [] },
    requester: person, tenantId: 't', conversation: { conversation: { id: 'c' } }, status: 'pending',
    createdAt: now.toISOString(), expiresAt: new Date(now.getTime() + 3_600_000).toISOString(), attempt: 0, dedupeKey: `k-${id}`, position: 0, steps: [],
  };
}

describe('the SQLite store', () => {
  let dir: string;
  let store: SqliteStore;
  beforeEach(() => {
    dir = tempDir('store');
    store = new SqliteStore(dir);
  });
  afterEach(async () => store.close());

  it('keeps requests and audit entries across a reopen', async () => {
    await store.createRequest(request('R-AAAAAAAA'), { at: now.toISOString(), actor: person, event: 'request.created', requestId: 'R-AAAAAAAA' });
    await store.close();
    store = new SqliteStore(dir);
    assert.equal((await store.getRequest('R-AAAAAAAA'))?.status, 'pending');
    assert.equal((await store.listAudit({ requestId: 'R-AAAAAAAA' })).length, 1);
  });

  it('lets exactly one decision win', async () => {
    await store.createRequest(request('R-BBBBBBBB'), { at: now.toISOString(), actor: person, event: 'request.created' });
    const audit = { at: now.toISOString(), actor: person, event: 'request.approved' };
    const first = await store.decide('R-BBBBBBBB', { status: 'approved', by: person, at: now }, audit);
    const second = await store.decide('R-BBBBBBBB', { status: 'rejected', by: person, at: now, reason: 'late' }, audit);
    assert.equal(first?.status, 'approved');
    assert.equal(second, undefined);
    assert.equal((await store.listAudit({})).filter((e) => e.event === 'request.approved').length, 1);
  });

  it('fences out a stale attempt: only the newest claim can finish', async () => {
    await store.createRequest(request('R-CCCCCCCC'), { at: now.toISOString(), actor: person, event: 'request.created' });
    await store.decide('R-CCCCCCCC', { status: 'approved', by: person, at: now }, { at: now.toISOString(), actor: person, event: 'request.approved' });
    const a1 = await store.claim('R-CCCCCCCC', now, new Date(now.getTime() + 1000), { at: now.toISOString(), actor: 'system', event: 'execution.started' });
    assert.equal(a1?.attempt, 1);
    assert.equal(await store.claim('R-CCCCCCCC', now, new Date(now.getTime() + 1000), { at: now.toISOString(), actor: 'system', event: 'execution.started' }), undefined, 'held while the lease runs');
    const later = new Date(now.getTime() + 2000);
    const a2 = await store.claim('R-CCCCCCCC', later, new Date(later.getTime() + 1000), { at: later.toISOString(), actor: 'system', event: 'execution.resumed' });
    assert.equal(a2?.attempt, 2);
    assert.equal(await store.finish('R-CCCCCCCC', 1, 'verified', {}, { at: later.toISOString(), actor: 'system', event: 'execution.verified' }), undefined);
    assert.equal((await store.finish('R-CCCCCCCC', 2, 'verified', {}, { at: later.toISOString(), actor: 'system', event: 'execution.verified' }))?.status, 'verified');
  });

  it('verifies an intact audit chain and finds the entry that was tampered with', async () => {
    for (let i = 0; i < 5; i++) await store.appendAudit({ at: now.toISOString(), actor: person, event: 'test', detail: { i } });
    assert.deepEqual(await store.verifyAudit(), { ok: true, entries: 5 });
    await store.close();
    const raw = new Database(path.join(dir, 'switchboard.db'));
    raw.prepare("UPDATE audit SET detail = '{\"i\":99}' WHERE seq = 3").run();
    raw.close();
    store = new SqliteStore(dir);
    assert.deepEqual(await store.verifyAudit(), { ok: false, brokenAt: 3, reason: 'content does not match its hash' });
  });

  it('finds a deleted audit entry', async () => {
    for (let i = 0; i < 4; i++) await store.appendAudit({ at: now.toISOString(), actor: 'system', event: 'test', detail: { i } });
    await store.close();
    const raw = new Database(path.join(dir, 'switchboard.db'));
    raw.prepare('DELETE FROM audit WHERE seq = 2').run();
    raw.close();
    store = new SqliteStore(dir);
    assert.deepEqual(await store.verifyAudit(), { ok: false, brokenAt: 3, reason: 'entry 2 is missing' });
  });

  it('knows a handled activity id at once, in another instance once its batch is written, after a restart, and keeps the first record of it', async () => {
    assert.equal(await store.alreadyHandled('a1'), false);
    await store.markHandled('a1', now);
    assert.equal(await store.alreadyHandled('a1'), true, 'before the batch is written');
    const other = new SqliteStore(dir);
    try {
      await new Promise((r) => setTimeout(r, SIGHTING_BATCH_MS + 30));
      assert.equal(await other.alreadyHandled('a1'), true, 'a second instance on the same data directory');
    } finally {
      await other.close();
    }
    await store.markHandled('a1', new Date(now.getTime() + 1000));
    await store.markHandled('a3', now);
    await store.close();
    store = new SqliteStore(dir);
    assert.equal(await store.alreadyHandled('a1'), true, 'after a restart');
    assert.equal(await store.alreadyHandled('a2'), false);
    assert.equal(await store.alreadyHandled('a3'), true, 'written by close, inside its window');
    const raw = new Database(path.join(dir, 'switchboard.db'));
    assert.deepEqual(raw.prepare("SELECT seen_at FROM seen_activities WHERE id = 'a1'").all(), [{ seen_at: now.toISOString() }]);
    raw.close();
  });
});

describe('npm run audit:verify', () => {
  it('says the chain is intact, and exits 1 with the broken entry once tampered with', async () => {
    const { execFileSync, spawnSync } = await import('node:child_process');
    const dir = tempDir('cli');
    const s = new SqliteStore(dir);
    for (let i = 0; i < 3; i++) await s.appendAudit({ at: now.toISOString(), actor: 'system', event: 'test', detail: { i } });
    await s.close();
    const tsx = path.resolve('node_modules/.bin/tsx');
    assert.match(execFileSync(tsx, ['src/cli/verify-audit.ts', dir], { encoding: 'utf8' }), /Audit chain intact: 3 entries/);
    const raw = new Database(path.join(dir, 'switchboard.db'));
    raw.prepare("UPDATE audit SET event = 'forged' WHERE seq = 2").run();
    raw.close();
    const broken = spawnSync(tsx, ['src/cli/verify-audit.ts', dir], { encoding: 'utf8' });
    assert.equal(broken.status, 1);
    assert.match(broken.stderr, /Audit chain BROKEN at entry 2: content does not match its hash/);
  });
});
