import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { RequestRecord } from '../src/model/request';
import { chainHash, genesisHash } from '../src/store/audit-chain';
import { auditListQuery } from '../src/store/audit-rules';
import { writeCheckpoint } from '../src/store/checkpoint';
import { AuditKeyError } from '../src/store/audit-key';
import { SqliteStore } from '../src/store/sqlite-store';
import { admin, alice, cardOf, cardText, ChatHarness, eve, requestIdIn } from './support/chat';
import { tempDir } from './support/temp-dirs';

const now = new Date('2026-11-26T09:00:00Z');
const alicePerson = { id: alice.aadObjectId, name: alice.name };
const adaPerson = { id: admin.aadObjectId, name: admin.name };

function request(id: string, requester = alicePerson): RequestRecord {
  return {
    id, command: 'enable-voice', params: { user: 'bob.kelly@contoso.com' },
    plan: { target: 'Bob Kelly', subject: 'bob.kelly@contoso.com', changes: [], expectations: [], steps: [], commands: [], locks: [], notes: [] },
    requester, tenantId: 't', conversation: { conversation: { id: 'c' } }, status: 'pending',
    createdAt: now.toISOString(), expiresAt: new Date(now.getTime() + 3_600_000).toISOString(), attempt: 0, dedupeKey: `k-${id}`, position: 0, steps: [],
  };
}

/** A data directory with its own key file next to it, as a deployment has. */
function place(): { dir: string; keyFile: string; open(extra?: Record<string, unknown>): SqliteStore } {
  const root = tempDir('audit');
  const dir = path.join(root, 'data');
  const keyFile = path.join(root, 'audit.key');
  return { dir, keyFile, open: (extra = {}) => new SqliteStore(dir, { AUDIT_KEY_FILE: keyFile, AUDIT_CHECKPOINT_EVERY: 10, ...extra }) };
}

async function fill(store: SqliteStore, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await store.appendAudit({ at: now.toISOString(), actor: 'system', event: 'test', subject: `User${i % 3}@Contoso.com`, detail: { i } });
}

/** Many entries in one transaction, signed with the key as the bot would (the benchmark fills the same way). */
function bulkFill(dir: string, keyFile: string, n: number): void {
  const key = Buffer.from(fs.readFileSync(keyFile, 'utf8').trim(), 'base64');
  const raw = new Database(path.join(dir, 'switchboard.db'));
  const insert = raw.prepare('INSERT INTO audit (seq, at, actor, event, subject, detail, prev_hash, hash, subject_key, actor_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)');
  let prev = genesisHash;
  raw.transaction(() => {
    for (let seq = 1; seq <= n; seq++) {
      const entry = { at: now.toISOString(), actor: 'system' as const, event: 'test', subject: `user${seq % 100}@contoso.com`, detail: { seq } };
      const hash = chainHash(key, prev, seq, entry);
      insert.run(seq, entry.at, '"system"', entry.event, entry.subject, JSON.stringify(entry.detail), prev, hash, entry.subject);
      prev = hash;
    }
  })();
  raw.close();
  writeCheckpoint(path.join(dir, 'audit.checkpoint'), key, { seq: n, head: prev, count: n, at: now.toISOString() });
}

function tamper(dir: string, sql: string): void {
  const raw = new Database(path.join(dir, 'switchboard.db'));
  raw.exec(sql);
  raw.close();
}

describe('the audit key', () => {
  it('is made on first start, 32 random bytes readable by the service user alone, outside the data directory', async () => {
    const p = place();
    const store = p.open();
    await store.close();
    const st = fs.statSync(p.keyFile);
    assert.equal(st.mode & 0o777, 0o600);
    assert.equal(Buffer.from(fs.readFileSync(p.keyFile, 'utf8').trim(), 'base64').length, 32);
    assert.ok(!fs.readdirSync(p.dir).some((f) => f.includes('key')), 'nothing key-like inside DATA_DIR');
  });

  it('stops start-up with one line when the key of an existing chain is missing or wrong', async () => {
    const p = place();
    const store = p.open();
    await fill(store, 3);
    await store.close();
    const key = fs.readFileSync(p.keyFile, 'utf8');
    fs.rmSync(p.keyFile);
    assert.throws(() => p.open(), (err: Error) => err instanceof AuditKeyError && /audit key .* is missing/.test(err.message) && !err.message.includes('\n'));
    assert.ok(!fs.existsSync(p.keyFile), 'no new key is made for an existing chain');
    fs.writeFileSync(p.keyFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    assert.throws(() => p.open(), (err: Error) => err instanceof AuditKeyError && /does not match this audit log/.test(err.message) && !err.message.includes('\n'));
    assert.throws(() => p.open({ AUDIT_KEY: randomBytes(32).toString('base64') }), /AUDIT_KEY does not match/);
    fs.writeFileSync(p.keyFile, key, { mode: 0o644 });
    fs.chmodSync(p.keyFile, 0o644);
    assert.throws(() => p.open(), /readable by other users \(mode 644\); chmod 600 it/);
    fs.chmodSync(p.keyFile, 0o600);
    const again = p.open();
    assert.deepEqual(await again.verifyAudit(), { ok: true, entries: 3 });
    await again.close();
  });

  it('can come from AUDIT_KEY (base64) instead of a file', async () => {
    const p = place();
    const AUDIT_KEY = randomBytes(32).toString('base64');
    const store = p.open({ AUDIT_KEY });
    await fill(store, 4);
    await store.close();
    assert.ok(!fs.existsSync(p.keyFile));
    const again = p.open({ AUDIT_KEY });
    assert.deepEqual(await again.verifyAudit(), { ok: true, entries: 4 });
    await again.close();
  });
});

describe('audit tampering, done to the SQLite file directly', () => {
  let p: ReturnType<typeof place>;
  let store: SqliteStore | undefined;
  beforeEach(async () => {
    p = place();
    const s = p.open();
    await fill(s, 25); // 25 entries and the checkpoint entries at 10, 20
    await s.close();
    store = undefined;
  });
  afterEach(async () => store?.close());

  const verify = async () => {
    store = p.open();
    return store.verifyAudit();
  };

  it('passes an untouched log, checkpoint entries included', async () => {
    assert.deepEqual(await verify(), { ok: true, entries: 27 });
    const cps = (await store!.listAudit({ limit: 100 })).filter((e) => e.event === 'audit.checkpoint').map((e) => [e.seq, e.detail?.through]);
    assert.deepEqual(cps, [[20, 19], [10, 9]]);
    const file = JSON.parse(fs.readFileSync(path.join(p.dir, 'audit.checkpoint'), 'utf8')) as { seq: number; count: number };
    assert.equal(file.seq, 27, 'the checkpoint file took the head at shutdown');
  });

  it('detects an entry appended without the key', async () => {
    tamper(p.dir, `INSERT INTO audit (seq, at, actor, event, prev_hash, hash, detail) SELECT 28, at, '"system"', 'forged', hash, '${'ab'.repeat(32)}', NULL FROM audit WHERE seq = 27`);
    assert.deepEqual(await verify(), { ok: false, brokenAt: 28, reason: 'content does not match its hash' });
  });

  it('detects a rewritten entry', async () => {
    tamper(p.dir, `UPDATE audit SET detail = '{"i":99}' WHERE seq = 5`);
    assert.deepEqual(await verify(), { ok: false, brokenAt: 5, reason: 'content does not match its hash' });
  });

  it('detects a deleted entry', async () => {
    tamper(p.dir, 'DELETE FROM audit WHERE seq = 7');
    assert.deepEqual(await verify(), { ok: false, brokenAt: 8, reason: 'entry 7 is missing' });
  });

  it('detects entries deleted and re-numbered, links re-made', async () => {
    tamper(p.dir, `DELETE FROM audit WHERE seq = 7;
      UPDATE audit SET seq = seq - 1 WHERE seq > 7;
      UPDATE audit SET prev_hash = (SELECT hash FROM audit b WHERE b.seq = audit.seq - 1) WHERE seq = 7;`);
    assert.deepEqual(await verify(), { ok: false, brokenAt: 7, reason: 'content does not match its hash' });
  });

  it('detects truncation: the newest entries deleted', async () => {
    tamper(p.dir, 'DELETE FROM audit WHERE seq > 23');
    assert.deepEqual(await verify(), { ok: false, brokenAt: 24, reason: 'entries 24 to 27 are missing: the checkpoint file names entry 27 (the newest entries were deleted)' });
  });

  it('keeps the evidence of a truncation: later entries do not move the checkpoint file past it', async () => {
    tamper(p.dir, 'DELETE FROM audit WHERE seq > 23');
    const s = p.open();
    await fill(s, 30);
    await s.close();
    const v = await verify();
    assert.equal(v.ok, false);
    assert.match(v.ok ? '' : v.reason, /entry 27 differs from the checkpoint file|entries 24 to 27 are missing/);
  });

  it('detects a deleted checkpoint file once the log has a checkpoint entry', async () => {
    fs.rmSync(path.join(p.dir, 'audit.checkpoint'));
    assert.deepEqual(await verify(), { ok: false, brokenAt: 28, reason: `the checkpoint file ${path.join(p.dir, 'audit.checkpoint')} is missing` });
  });

  it('audit:verify reports the first broken entry, exit 1', () => {
    tamper(p.dir, `UPDATE audit SET event = 'forged' WHERE seq = 3`);
    const tsx = path.resolve('node_modules/.bin/tsx');
    const env = { ...process.env, AUDIT_KEY_FILE: p.keyFile, AUDIT_CHECKPOINT_EVERY: '10' };
    const broken = spawnSync(tsx, ['src/cli/verify-audit.ts', p.dir], { encoding: 'utf8', env });
    assert.equal(broken.status, 1);
    assert.equal(broken.stderr.trim(), 'Audit chain BROKEN at entry 3: content does not match its hash.');
  });
});

describe('decisions, covered by the audit', () => {
  let p: ReturnType<typeof place>;
  let store: SqliteStore;
  beforeEach(async () => {
    p = place();
    store = p.open();
    await store.createRequest(request('R-AAAAAAAA'), { at: now.toISOString(), actor: alicePerson, event: 'request.created', requestId: 'R-AAAAAAAA' });
    await store.createRequest(request('R-BBBBBBBB'), { at: now.toISOString(), actor: alicePerson, event: 'request.created', requestId: 'R-BBBBBBBB' });
    await store.decide('R-AAAAAAAA', { status: 'rejected', by: adaPerson, at: now, reason: 'wrong number' }, { at: now.toISOString(), actor: adaPerson, event: 'request.rejected', requestId: 'R-AAAAAAAA' });
    await store.close();
  });
  afterEach(async () => store.close());

  it('the decision entry carries the decision columns', async () => {
    store = p.open();
    const [entry] = await store.listAudit({ requestId: 'R-AAAAAAAA', limit: 1 });
    assert.deepEqual(entry?.detail?.decision, { status: 'rejected', decidedById: adaPerson.id, decidedByName: 'Ada Admin', decidedAt: now.toISOString(), reason: 'wrong number' });
    assert.deepEqual(await store.verifyAudit(), { ok: true, entries: 3 });
  });

  it('detects a rewritten decision: a rejection turned into an approval', async () => {
    tamper(p.dir, "UPDATE requests SET status = 'approved', reason = NULL WHERE id = 'R-AAAAAAAA'");
    store = p.open();
    assert.deepEqual(await store.verifyAudit(), { ok: false, brokenAt: 3, reason: "request R-AAAAAAAA's decision in the requests table (reason, status) differs from this entry" });
  });

  it('detects a rewritten approver', async () => {
    tamper(p.dir, "UPDATE requests SET decided_by_name = 'Mallory' WHERE id = 'R-AAAAAAAA'");
    store = p.open();
    const v = await store.verifyAudit();
    assert.equal(v.ok ? '' : v.reason, "request R-AAAAAAAA's decision in the requests table (decided_by) differs from this entry");
  });

  it('detects an approval that no entry records', async () => {
    tamper(p.dir, `UPDATE requests SET status = 'approved', decided_by_id = '${adaPerson.id}', decided_by_name = 'Ada Admin', decided_at = '${now.toISOString()}' WHERE id = 'R-BBBBBBBB'`);
    store = p.open();
    const v = await store.verifyAudit();
    assert.equal(v.ok ? '' : v.reason, 'request R-BBBBBBBB is approved with a decision that no audit entry records');
  });
});

describe('history at any size', () => {
  it('finds one user\'s entries through the normalized subject index, whatever the case typed', async () => {
    const p = place();
    const store = p.open();
    await fill(store, 12);
    assert.equal((await store.listAudit({ subject: 'USER1@contoso.COM', limit: 50 })).length, 4);
    await store.close();
    const raw = new Database(path.join(p.dir, 'switchboard.db'), { readonly: true });
    const plan = (filter: Parameters<typeof auditListQuery>[0], by: 'all' | 'owner' | 'actor') => {
      const q = auditListQuery(filter, by);
      return (raw.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).all(...q.args) as { detail: string }[]).map((r) => r.detail).join('; ');
    };
    assert.match(plan({ subject: 'Bob.Kelly@Contoso.com', limit: 15 }, 'all'), /SEARCH audit USING INDEX audit_subject_key \(subject_key=\?\)/);
    assert.match(plan({ visibleTo: alice.aadObjectId, limit: 15 }, 'owner'), /SEARCH audit USING INDEX audit_owner \(owner_id=\?\)/);
    assert.match(plan({ visibleTo: alice.aadObjectId, limit: 15 }, 'actor'), /SEARCH audit USING INDEX audit_actor \(actor_id=\?\)/);
    assert.doesNotMatch(plan({ subject: 'x', limit: 15 }, 'all'), /SCAN audit/);
    raw.close();
  });

  it('checks at most one checkpoint interval per call and says how far the chain is verified', async () => {
    const p = place();
    const store = p.open();
    await fill(store, 45); // 50 entries with the checkpoints at 10 ... 50
    const first = await store.auditState();
    assert.deepEqual({ ...first, at: '' }, { state: 'verified', through: 10, at: '', newer: 40, total: 50 });
    tamper(p.dir, `UPDATE audit SET detail = '{"i":-1}' WHERE seq = 25`);
    assert.equal((await store.auditState()).state, 'verified', 'verified through 20, the next ten not yet');
    assert.deepEqual(await store.auditState(), { state: 'broken', brokenAt: 25, reason: 'content does not match its hash' });
    await store.close();
  });

  it('keeps the verified point moving in the background, in slices', async function () {
    this.timeout(60_000);
    const p = place();
    await p.open().close();
    bulkFill(p.dir, p.keyFile, 60_000);
    const store = p.open({ AUDIT_CHECKPOINT_EVERY: 1000, AUDIT_VERIFY_INTERVAL_S: 60 });
    // Timers keep firing while it runs: no slice holds the event loop for long.
    const start = performance.now();
    let early = 0;
    const probe = setInterval(() => {
      if (performance.now() - start < 300) early++;
    }, 5);
    const deadline = Date.now() + 30_000;
    let state = await store.auditState({ check: false });
    while (!(state.state === 'verified' && state.newer === 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      state = await store.auditState({ check: false });
    }
    clearInterval(probe);
    assert.equal(state.state === 'verified' && state.through, 60_000, 'the background pass reached the head');
    // 60,000 entries in one go take longer than 300 ms here; in slices of ~8 ms the probe runs meanwhile
    // (leniently counted: the test machine is shared).
    assert.ok(early >= 5, `the probe ran ${early} times in the first 300 ms`);
    await store.close();
  });

  describe('in chat', () => {
    let chat: ChatHarness;
    beforeEach(async () => {
      chat = await ChatHarness.create();
    });
    afterEach(async () => chat.close());

    it('shows a non-approver only their own requests and refused clicks; an approver sees all', async () => {
      const [mine] = await chat.say(alice, 'enable voice for Bob Kelly number +14255550100');
      const aliceRequest = requestIdIn(mine?.text);
      const [theirs] = await chat.say(eve, 'enable voice for Megan Vance number +14255550177');
      const eveRequest = requestIdIn(theirs?.text);
      await chat.click(alice, 'approve', { requestId: eveRequest });
      const [aliceHistory] = await chat.say(alice, 'history');
      const seen = cardText(cardOf(aliceHistory));
      assert.match(aliceHistory?.text ?? '', /\(your requests and actions\)/);
      assert.ok(seen.includes(aliceRequest), 'her own request');
      assert.match(seen, /decision\.refused/, 'her own refused click');
      assert.ok(!seen.includes('request.created\n' + 'Eve'), 'not the other requester\'s filing');
      assert.ok(!/request\.created[^#]*Eve Helpdesk/.test(seen), 'no entry of the other request but her click');
      assert.match(seen, /Audit chain verified through entry \d+ at \d\d:\d\d UTC\./);
      const [adaHistory] = await chat.say(admin, 'history');
      const all = cardText(cardOf(adaHistory));
      assert.ok(all.includes(aliceRequest) && all.includes(eveRequest));
      assert.match(all, /Eve Helpdesk/);
    });
  });
});
