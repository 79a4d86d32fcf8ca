/**
 * The audit log on SQLite: an HMAC chain (audit-chain.ts) under a key outside the database
 * (audit-key.ts), anchored outside it by the checkpoint file (checkpoint.ts) and inside it by a signed
 * `audit.checkpoint` entry every N entries. Decision entries carry the requests table's decision
 * columns, so a rewritten decision is seen too.
 *
 * Verification never holds the event loop for long: the full check (`verify`, for audit:verify) pages
 * through the table; `state()` (for history) checks at most N entries past the last verified point;
 * and a background pass, in slices of a few milliseconds between which other turns run, keeps that
 * point moving and re-checks the whole chain from time to time.
 */
import path from 'node:path';
import type Database from 'better-sqlite3';
import type { Person } from '../model/people';
import type { RequestStatus } from '../model/request';
import { chainHash, genesisHash, sameDigest, type Checkpoint } from './audit-chain';
import { AuditKeyError, loadAuditKey, type AuditKeySettings } from './audit-key';
import { readCheckpoint, writeCheckpoint } from './checkpoint';
import type { AuditChainState, AuditEntry, AuditFilter, AuditInput, AuditVerdict } from './store';

export interface AuditLogOptions extends AuditKeySettings {
  /** Default DATA_DIR/audit.checkpoint. */
  AUDIT_CHECKPOINT_FILE?: string | undefined;
  /** A checkpoint (file and log entry) every N entries; also the most history checks in one call. */
  AUDIT_CHECKPOINT_EVERY?: number | undefined;
  /** The most entries one history call checks past the verified point (default: a checkpoint interval, at most 250). */
  AUDIT_HISTORY_CHECKS?: number | undefined;
  /** Background verification: how often it moves forward (0 = off, the default for a bare store). */
  AUDIT_VERIFY_INTERVAL_S?: number | undefined;
  /** Background verification: how often it re-checks the whole chain from the first entry. */
  AUDIT_FULL_VERIFY_HOURS?: number | undefined;
  /** For audit:verify: never makes a key, never writes the checkpoint file. */
  readOnly?: boolean;
}

export const auditSchema = `
CREATE TABLE IF NOT EXISTS audit (
  seq INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  event TEXT NOT NULL,
  request_id TEXT,
  subject TEXT,
  code TEXT,
  detail TEXT,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  subject_key TEXT,
  actor_id TEXT,
  owner_id TEXT
);
CREATE INDEX IF NOT EXISTS audit_request ON audit (request_id);
`;

/** Created after the columns exist (a data directory from before them gets them first). */
const auditIndexes = `
DROP INDEX IF EXISTS audit_subject;
CREATE INDEX IF NOT EXISTS audit_subject_key ON audit (subject_key, seq);
CREATE INDEX IF NOT EXISTS audit_owner ON audit (owner_id, seq);
CREATE INDEX IF NOT EXISTS audit_actor ON audit (actor_id, seq);
`;

/** The statuses a request can only be in after an approval. */
const approvedStatuses: readonly RequestStatus[] = ['approved', 'running', 'waiting', 'unknown', 'verified', 'failed', 'stale'];
const decisionEvents = ['request.approved', 'request.rejected'];

type Row = Record<string, string | number | null>;

/** The decision as the requests table holds it, carried by the decision's audit entry. */
interface DecisionRecord {
  status: 'approved' | 'rejected';
  decidedById: string;
  decidedByName: string;
  decidedAt: string;
  reason: string | null;
}

export function normalizeSubject(subject: string): string {
  return subject.trim().toLowerCase();
}

/** The SQL of the history queries, exported so a test can ask SQLite for its plan. */
export function auditListQuery(filter: AuditFilter, by: 'all' | 'owner' | 'actor'): { sql: string; args: (string | number)[] } {
  const where: string[] = [];
  const args: (string | number)[] = [];
  if (by !== 'all' && filter.visibleTo) {
    where.push(by === 'owner' ? 'owner_id = ?' : 'actor_id = ?');
    args.push(filter.visibleTo);
  }
  if (filter.requestId) {
    where.push('request_id = ?');
    args.push(filter.requestId);
  }
  if (filter.subject) {
    where.push('subject_key = ?');
    args.push(normalizeSubject(filter.subject));
  }
  args.push(filter.limit ?? 20);
  return { sql: `SELECT * FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`, args };
}

function toAudit(r: Row): AuditEntry {
  const actor = JSON.parse(String(r.actor)) as Person | 'system';
  return {
    seq: Number(r.seq),
    at: String(r.at),
    actor,
    event: String(r.event),
    ...(r.request_id !== null ? { requestId: String(r.request_id) } : {}),
    ...(r.subject !== null ? { subject: String(r.subject) } : {}),
    ...(r.code !== null ? { code: String(r.code) } : {}),
    ...(r.detail !== null ? { detail: JSON.parse(String(r.detail)) as Record<string, unknown> } : {}),
    prevHash: String(r.prev_hash),
    hash: String(r.hash),
  };
}

function content(e: AuditEntry): AuditInput {
  const { seq: _seq, prevHash: _p, hash: _h, ...rest } = e;
  return rest;
}

function actorId(actor: Person | 'system'): string | null {
  return actor === 'system' ? null : actor.id;
}

/** A problem found at an entry (or, for the anchors, at the entry where the log should go on). */
interface Problem {
  brokenAt: number;
  reason: string;
}

/** Where a pass has got to: the last entry checked and its hash. */
interface Cursor {
  seq: number;
  hash: string;
}

export class AuditLog {
  private readonly key: Buffer;
  readonly keySource: string;
  private readonly checkpointFile: string;
  private readonly every: number;
  /** The newest checkpoint known good (read at open or written since): the file never moves back past it. */
  private anchor: Checkpoint | undefined;
  /** Set once the database stops extending the anchor (truncated or rewritten): the file is then left as evidence. */
  private anchorProblem: Problem | undefined;
  private pendingCheckpoint: Checkpoint | undefined;
  /** The forward pass: everything up to here has been checked. */
  private verified: Cursor = { seq: 0, hash: genesisHash };
  private verifiedAt = new Date();
  private problem: Problem | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastFullPass = 0;
  private running = false;
  private closed = false;
  private readonly readOnly: boolean;
  private readonly turnChecks: number;
  private readonly statements = new Map<string, Database.Statement>();

  /** Prepared once per SQL text: preparing costs more than running these small statements. */
  private q(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  constructor(
    private readonly db: Database.Database,
    dataDir: string,
    options: AuditLogOptions = {},
  ) {
    db.exec(auditSchema);
    this.migrate();
    db.exec(auditIndexes);
    this.every = options.AUDIT_CHECKPOINT_EVERY ?? 1000;
    this.turnChecks = options.AUDIT_HISTORY_CHECKS ?? Math.min(this.every, 250);
    this.checkpointFile = path.resolve(options.AUDIT_CHECKPOINT_FILE ?? path.join(dataDir, 'audit.checkpoint'));
    const head = this.head();
    this.readOnly = options.readOnly ?? false;
    const k = loadAuditKey(options, dataDir, head === undefined && !this.readOnly);
    this.key = k.key;
    this.keySource = k.source;
    if (head) this.checkKeyAtOpen(head);
    const intervalS = options.AUDIT_VERIFY_INTERVAL_S ?? 0;
    if (intervalS > 0) this.startBackground(intervalS * 1000, (options.AUDIT_FULL_VERIFY_HOURS ?? 6) * 3_600_000);
  }

  /** Data directories from before the index columns: add and fill them in place. */
  private migrate(): void {
    const columns = new Set((this.db.prepare('PRAGMA table_info(audit)').all() as Row[]).map((c) => String(c.name)));
    const added = ['subject_key', 'actor_id', 'owner_id'].filter((c) => !columns.has(c));
    if (added.length === 0) return;
    this.db.transaction(() => {
      for (const c of added) this.db.exec(`ALTER TABLE audit ADD COLUMN ${c} TEXT`);
      const update = this.db.prepare('UPDATE audit SET subject_key = ?, actor_id = ?, owner_id = (SELECT requester_id FROM requests WHERE id = audit.request_id) WHERE seq = ?');
      for (const r of this.db.prepare('SELECT seq, subject, actor FROM audit').all() as Row[]) {
        update.run(r.subject === null ? null : normalizeSubject(String(r.subject)), actorId(JSON.parse(String(r.actor)) as Person | 'system'), r.seq);
      }
    })();
  }

  private head(): Cursor | undefined {
    const row = this.q('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1').get() as Row | undefined;
    return row ? { seq: Number(row.seq), hash: String(row.hash) } : undefined;
  }

  private entryHash(seq: number): string | undefined {
    const row = this.q('SELECT hash FROM audit WHERE seq = ?').get(seq) as Row | undefined;
    return row ? String(row.hash) : undefined;
  }

  /**
   * A wrong key must stop start-up, not be found later as "every entry is broken". The checkpoint file
   * is signed with the key; without one, the oldest entry must carry the key's HMAC.
   */
  private checkKeyAtOpen(head: Cursor): void {
    const file = readCheckpoint(this.checkpointFile, this.key);
    if (file.state === 'invalid' && /not signed by this audit key/.test(file.reason)) {
      throw new AuditKeyError(`The audit key from ${this.keySource} does not match this audit log (${file.reason}); not starting.`);
    }
    if (file.state === 'absent') {
      const first = this.db.prepare('SELECT * FROM audit ORDER BY seq LIMIT 1').get() as Row;
      let signed = false;
      try {
        const e = toAudit(first);
        signed = sameDigest(e.hash, chainHash(this.key, e.prevHash, e.seq, content(e)));
      } catch {
        signed = false;
      }
      if (!signed) throw new AuditKeyError(`The audit key from ${this.keySource} did not sign entry ${Number(first.seq)} of this audit log (wrong key, or the entry was rewritten: run npm run audit:verify); not starting.`);
      return;
    }
    if (file.state === 'invalid') {
      this.anchorProblem = { brokenAt: head.seq + 1, reason: file.reason };
      return;
    }
    this.anchor = file.checkpoint;
    this.anchorProblem = this.extends(file.checkpoint, head);
  }

  /** Whether the database still holds the checkpoint's entry, with its hash, at or before its head. */
  private extends(c: Checkpoint, head: Cursor | undefined = this.head()): Problem | undefined {
    if (c.seq === 0) return undefined;
    const last = head?.seq ?? 0;
    if (last < c.seq) {
      return { brokenAt: last + 1, reason: `entries ${last + 1} to ${c.seq} are missing: the checkpoint file names entry ${c.seq} (the newest entries were deleted)` };
    }
    const hash = this.entryHash(c.seq);
    if (hash === undefined || !sameDigest(hash, c.head)) return { brokenAt: c.seq, reason: `entry ${c.seq} differs from the checkpoint file` };
    return undefined;
  }

  /** Appends one entry, inside the caller's transaction. Every N entries a signed checkpoint entry follows. */
  append(entry: AuditInput): AuditEntry {
    const written = this.insert(entry);
    if ((written.seq + 1) % this.every === 0) {
      const through = written.seq;
      const cp = this.insert({ at: entry.at, actor: 'system', event: 'audit.checkpoint', detail: { through, head: written.hash, count: through } });
      this.scheduleCheckpoint({ seq: cp.seq, head: cp.hash, count: cp.seq, at: entry.at });
    }
    return written;
  }

  /** A decision's entry, carrying the decision columns exactly as the requests table holds them. */
  appendDecision(requestId: string, d: { status: 'approved' | 'rejected'; by: Person; at: Date; reason?: string }, entry: AuditInput): AuditEntry {
    const decision: DecisionRecord = { status: d.status, decidedById: d.by.id, decidedByName: d.by.name, decidedAt: d.at.toISOString(), reason: d.reason ?? null };
    return this.append({ ...entry, requestId: entry.requestId ?? requestId, detail: { ...entry.detail, decision } });
  }

  private insert(entry: AuditInput): AuditEntry {
    const last = this.q('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1').get() as Row | undefined;
    const seq = last ? Number(last.seq) + 1 : 1;
    const prevHash = last ? String(last.hash) : genesisHash;
    const actorJson = JSON.stringify(entry.actor);
    const detailJson = entry.detail ? JSON.stringify(entry.detail) : null;
    // Hashed as it will be read back (JSON round trip), so a Date or an undefined in detail cannot break the chain.
    const stored: AuditInput = {
      at: entry.at,
      actor: JSON.parse(actorJson) as Person | 'system',
      event: entry.event,
      ...(entry.requestId !== undefined ? { requestId: entry.requestId } : {}),
      ...(entry.subject !== undefined ? { subject: entry.subject } : {}),
      ...(entry.code !== undefined ? { code: entry.code } : {}),
      ...(detailJson !== null ? { detail: JSON.parse(detailJson) as Record<string, unknown> } : {}),
    };
    const hash = chainHash(this.key, prevHash, seq, stored);
    const owner = entry.requestId ? (this.q('SELECT requester_id FROM requests WHERE id = ?').get(entry.requestId) as Row | undefined) : undefined;
    this
      .q('INSERT INTO audit (seq, at, actor, event, request_id, subject, code, detail, prev_hash, hash, subject_key, actor_id, owner_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(seq, entry.at, actorJson, entry.event, entry.requestId ?? null, entry.subject ?? null, entry.code ?? null, detailJson, prevHash, hash,
        entry.subject !== undefined ? normalizeSubject(entry.subject) : null, actorId(stored.actor), owner ? String(owner.requester_id) : null);
    return { ...stored, seq, prevHash, hash };
  }

  /** The file is written once the transaction has ended, and only if it committed the checkpoint entry. */
  private scheduleCheckpoint(c: Checkpoint): void {
    const first = this.pendingCheckpoint === undefined;
    this.pendingCheckpoint = c;
    if (first) setImmediate(() => this.flushCheckpoint());
  }

  private flushCheckpoint(): void {
    const c = this.pendingCheckpoint;
    this.pendingCheckpoint = undefined;
    if (!c || !this.db.open) return;
    const hash = this.entryHash(c.seq);
    if (hash === undefined || hash !== c.head) return;
    try {
      this.advanceAnchor(c);
    } catch {
      // A full disk must not take the bot down from a timer: the next checkpoint or the shutdown writes it.
    }
  }

  private advanceAnchor(c: Checkpoint): void {
    if (this.anchorProblem || this.readOnly) return;
    if (this.anchor) {
      if (c.seq <= this.anchor.seq) return;
      this.anchorProblem = this.extends(this.anchor);
      if (this.anchorProblem) return;
    }
    writeCheckpoint(this.checkpointFile, this.key, c);
    this.anchor = c;
  }

  list(filter: AuditFilter): AuditEntry[] {
    const limit = filter.limit ?? 20;
    if (!filter.visibleTo) {
      const q = auditListQuery(filter, 'all');
      return (this.q(q.sql).all(...q.args) as Row[]).map(toAudit);
    }
    // Entries of the viewer's own requests, and their own acts (a refused click): two index walks, merged.
    const seen = new Map<number, AuditEntry>();
    for (const by of ['owner', 'actor'] as const) {
      const q = auditListQuery(filter, by);
      for (const r of this.q(q.sql).all(...q.args) as Row[]) seen.set(Number(r.seq), toAudit(r));
    }
    return [...seen.values()].sort((a, b) => b.seq - a.seq).slice(0, limit);
  }

  /**
   * Checks entries after `from`, at most `limit` of them (or until `deadline`, a performance.now() time).
   * Returns where it got to, or the first problem.
   */
  private checkRange(from: Cursor, limit: number, deadline = Infinity): { cursor: Cursor; checked: number; problem?: Problem } {
    const page = this.q('SELECT * FROM audit WHERE seq > ? ORDER BY seq LIMIT ?');
    const request = this.q('SELECT status, decided_by_id, decided_by_name, decided_at, reason FROM requests WHERE id = ?');
    let cursor = from;
    let checked = 0;
    while (checked < limit) {
      const rows = page.all(cursor.seq, Math.min(50, limit - checked)) as Row[];
      if (rows.length === 0) break;
      for (const row of rows) {
        const problem = this.checkEntry(row, cursor, request);
        if (problem) return { cursor, checked, problem };
        cursor = { seq: Number(row.seq), hash: String(row.hash) };
        checked++;
      }
      if (performance.now() > deadline) break;
    }
    return { cursor, checked };
  }

  private checkEntry(row: Row, prev: Cursor, request: Database.Statement): Problem | undefined {
    const seq = Number(row.seq);
    const expected = prev.seq + 1;
    if (seq !== expected) return { brokenAt: seq, reason: `entry ${expected} is missing` };
    let e: AuditEntry;
    try {
      e = toAudit(row);
    } catch {
      return { brokenAt: seq, reason: 'the entry is not readable' };
    }
    if (e.prevHash !== prev.hash) return { brokenAt: seq, reason: 'previous-hash link does not match' };
    if (!sameDigest(e.hash, chainHash(this.key, e.prevHash, seq, content(e)))) return { brokenAt: seq, reason: 'content does not match its hash' };
    const subjectKey = e.subject !== undefined ? normalizeSubject(e.subject) : null;
    if (row.subject_key !== subjectKey || row.actor_id !== actorId(e.actor)) return { brokenAt: seq, reason: 'its index columns do not match its content' };
    if (e.event === 'audit.checkpoint') {
      const d = e.detail ?? {};
      if (d.through !== seq - 1 || d.head !== prev.hash || d.count !== seq - 1) return { brokenAt: seq, reason: 'the checkpoint entry does not match the chain before it' };
    }
    if (decisionEvents.includes(e.event) || e.detail?.decision !== undefined) return this.checkDecision(e, request);
    return undefined;
  }

  private checkDecision(e: AuditEntry, request: Database.Statement): Problem | undefined {
    const d = e.detail?.decision as Partial<DecisionRecord> | undefined;
    const at = { brokenAt: e.seq };
    if (!d || !e.requestId) return { ...at, reason: 'the decision entry does not carry the decision' };
    const r = request.get(e.requestId) as Row | undefined;
    if (!r) return { ...at, reason: `request ${e.requestId}, decided in this entry, is not in the requests table` };
    const differs: string[] = [];
    if (r.decided_by_id !== d.decidedById || r.decided_by_name !== d.decidedByName) differs.push('decided_by');
    if (r.decided_at !== d.decidedAt) differs.push('decided_at');
    if ((r.reason ?? null) !== (d.reason ?? null)) differs.push('reason');
    const status = String(r.status) as RequestStatus;
    if (d.status === 'rejected' ? status !== 'rejected' : !approvedStatuses.includes(status)) differs.push('status');
    return differs.length ? { ...at, reason: `request ${e.requestId}'s decision in the requests table (${differs.join(', ')}) differs from this entry` } : undefined;
  }

  /** Requests that hold a decision (or a status only a decision leads to) with no decision entry: a page of them. */
  private checkRequestsPage(afterId: string, limit: number): { last?: string; problem?: Problem } {
    const rows = this
      .q(
        `SELECT r.id, r.status, r.decided_at, EXISTS (SELECT 1 FROM audit a WHERE a.request_id = r.id AND a.event IN (${decisionEvents.map(() => '?').join(', ')})) AS has_entry
         FROM requests r WHERE r.id > ? ORDER BY r.id LIMIT ?`,
      )
      .all(...decisionEvents, afterId, limit) as Row[];
    for (const r of rows) {
      const decided = r.decided_at !== null || approvedStatuses.includes(String(r.status) as RequestStatus) || r.status === 'rejected';
      if (decided && Number(r.has_entry) !== 1) {
        return { problem: { brokenAt: this.head()?.seq ?? 0, reason: `request ${String(r.id)} is ${String(r.status)} with a decision that no audit entry records` } };
      }
    }
    return rows.length ? { last: String(rows[rows.length - 1]!.id) } : {};
  }

  private checkAnchors(head: Cursor | undefined): Problem | undefined {
    if (this.anchorProblem) return this.anchorProblem;
    const file = readCheckpoint(this.checkpointFile, this.key);
    if (file.state === 'invalid') return { brokenAt: (head?.seq ?? 0) + 1, reason: file.reason };
    if (file.state === 'absent') {
      // The file is written at the first checkpoint entry; a chain that has one and no file lost it.
      return (head?.seq ?? 0) >= this.every ? { brokenAt: (head?.seq ?? 0) + 1, reason: `the checkpoint file ${this.checkpointFile} is missing` } : undefined;
    }
    return this.extends(file.checkpoint, head);
  }

  /** The whole check, paging through the table (audit:verify). */
  verify(): AuditVerdict {
    const { cursor, problem } = this.checkRange({ seq: 0, hash: genesisHash }, Infinity);
    if (problem) return { ok: false, ...problem };
    let after = '';
    for (;;) {
      const page = this.checkRequestsPage(after, 500);
      if (page.problem) return { ok: false, ...page.problem };
      if (page.last === undefined) break;
      after = page.last;
    }
    const anchors = this.checkAnchors(cursor.seq ? cursor : undefined);
    if (anchors) return { ok: false, ...anchors };
    return { ok: true, entries: cursor.seq };
  }

  /** For history: moves the verified point forward by a bounded number of entries, then says where the chain stands. */
  state(check = true): AuditChainState {
    if (check && !this.problem) this.forward(this.turnChecks);
    return this.describe();
  }

  private forward(limit: number, deadline = Infinity): boolean {
    const r = this.checkRange(this.verified, limit, deadline);
    if (r.problem) {
      this.problem = r.problem;
      return true;
    }
    if (r.checked > 0) {
      this.verified = r.cursor;
      this.verifiedAt = new Date();
    }
    return r.checked < limit && performance.now() <= deadline;
  }

  private describe(): AuditChainState {
    const head = this.head();
    const total = head?.seq ?? 0;
    const problem = this.problem ?? (this.verified.seq === total ? this.checkAnchors(head) : this.anchorProblem);
    if (problem) {
      this.problem = problem;
      return { state: 'broken', ...problem };
    }
    return { state: 'verified', through: this.verified.seq, at: this.verifiedAt.toISOString(), newer: total - this.verified.seq, total };
  }

  /** Background verification in slices of at most ~8 ms, yielding to other turns between them. */
  private startBackground(intervalMs: number, fullEveryMs: number): void {
    const tick = (): void => {
      if (this.running || this.closed) return;
      this.running = true;
      void this.backgroundPass(fullEveryMs).finally(() => {
        this.running = false;
      });
    };
    this.timer = setInterval(tick, intervalMs);
    this.timer.unref();
    setImmediate(tick);
  }

  private async backgroundPass(fullEveryMs: number): Promise<void> {
    const slice = (): number => performance.now() + 8;
    const yieldTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
    const fromStart = this.verified.seq === 0;
    while (!this.closed && !this.problem && !this.forward(Infinity, slice())) await yieldTurn();
    if (this.closed || this.problem) return;
    this.describe();
    if (fromStart) this.lastFullPass = Date.now();
    if (Date.now() - this.lastFullPass < fullEveryMs) return;
    // Re-check everything already verified (a rewrite of an old entry), and the decisions against the requests table.
    let cursor: Cursor = { seq: 0, hash: genesisHash };
    while (!this.closed && !this.problem && cursor.seq < this.verified.seq) {
      const r = this.checkRange(cursor, this.verified.seq - cursor.seq, slice());
      if (r.problem) this.problem = r.problem;
      cursor = r.cursor;
      await yieldTurn();
    }
    let after = '';
    while (!this.closed && !this.problem) {
      const page = this.checkRequestsPage(after, 500);
      if (page.problem) this.problem = page.problem;
      if (page.last === undefined) break;
      after = page.last;
      await yieldTurn();
    }
    this.lastFullPass = Date.now();
  }

  /** At shutdown: the checkpoint file takes the head, so deleting entries written since the last checkpoint is seen too. */
  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (!this.db.open) return;
    const head = this.head();
    try {
      if (head) this.advanceAnchor({ seq: head.seq, head: head.hash, count: head.seq, at: new Date().toISOString() });
    } catch {
      // Shutting down anyway; the file keeps the previous checkpoint, which the database still extends.
    }
  }
}
