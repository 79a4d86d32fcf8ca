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
import { genesisHash, type Checkpoint } from './audit-chain';
import { loadAuditKey, type AuditKeySettings } from './audit-key';
import {
  actorId, asCheckpoint, auditIndexes, auditSchema, auditListQuery, checkDecision, checkEntry, checkpointAfter, decisionEntry, decisionEvents, decisionRowSql, extendsProblem,
  insertAuditSql, mergeVisible, newAuditRow, normalizeSubject, requestsPageSql, toAudit, undecidedProblem, anchorAtOpen, firstEntryRefusal, type Cursor, type Problem, type Row,
} from './audit-rules';
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
    const at = anchorAtOpen(readCheckpoint(this.checkpointFile, this.key), head, this.keySource);
    if (at.kind === 'check-first-entry') {
      const refusal = firstEntryRefusal(this.key, this.keySource, this.db.prepare('SELECT * FROM audit ORDER BY seq LIMIT 1').get() as Row);
      if (refusal) throw refusal;
    } else if (at.kind === 'problem') this.anchorProblem = at.problem;
    else {
      this.anchor = at.checkpoint;
      this.anchorProblem = this.extends(at.checkpoint, head);
    }
  }

  /** Whether the database still holds the checkpoint's entry, with its hash, at or before its head. */
  private extends(c: Checkpoint, head: Cursor | undefined = this.head()): Problem | undefined {
    return extendsProblem(c, head, c.seq === 0 ? undefined : this.entryHash(c.seq));
  }

  /** Appends one entry, inside the caller's transaction. Every N entries a signed checkpoint entry follows. */
  append(entry: AuditInput): AuditEntry {
    const written = this.insert(entry);
    const checkpoint = checkpointAfter(written, this.every);
    if (checkpoint) this.scheduleCheckpoint(asCheckpoint(this.insert(checkpoint)));
    return written;
  }

  /** A decision's entry, carrying the decision columns exactly as the requests table holds them. */
  appendDecision(requestId: string, d: { status: 'approved' | 'rejected'; by: Person; at: Date; reason?: string }, entry: AuditInput): AuditEntry {
    return this.append(decisionEntry(requestId, d, entry));
  }

  private insert(entry: AuditInput): AuditEntry {
    const row = newAuditRow(this.key, this.head(), entry);
    const owner = entry.requestId ? (this.q('SELECT requester_id FROM requests WHERE id = ?').get(entry.requestId) as Row | undefined) : undefined;
    this.q(insertAuditSql).run(...row.columns, owner ? String(owner.requester_id) : null);
    return row.entry;
  }

  /**
   * The file is written once the transaction has ended (the store calls afterCommit), and only if it
   * committed the checkpoint entry; a transaction that threw leaves it to the next tick to drop.
   */
  private scheduleCheckpoint(c: Checkpoint): void {
    const first = this.pendingCheckpoint === undefined;
    this.pendingCheckpoint = c;
    if (first) setImmediate(() => this.afterCommit());
  }

  afterCommit(): void {
    if (this.pendingCheckpoint === undefined) return;
    const c = this.pendingCheckpoint;
    this.pendingCheckpoint = undefined;
    if (!c || !this.db.open) return;
    const hash = this.entryHash(c.seq);
    if (hash === undefined || hash !== c.head) return;
    try {
      this.advanceAnchor(c);
    } catch {
      // A full disk must not fail the change that committed: the next checkpoint or the shutdown writes it.
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
    if (!filter.visibleTo) {
      const q = auditListQuery(filter, 'all');
      return (this.q(q.sql).all(...q.args) as Row[]).map(toAudit);
    }
    const pages = (['owner', 'actor'] as const).map((by) => {
      const q = auditListQuery(filter, by);
      return this.q(q.sql).all(...q.args) as Row[];
    });
    return mergeVisible(pages, filter.limit ?? 20);
  }

  /**
   * Checks entries after `from`, at most `limit` of them (or until `deadline`, a performance.now() time).
   * Returns where it got to, or the first problem.
   */
  private checkRange(from: Cursor, limit: number, deadline = Infinity): { cursor: Cursor; checked: number; problem?: Problem } {
    const page = this.q('SELECT * FROM audit WHERE seq > ? ORDER BY seq LIMIT ?');
    const request = this.q(decisionRowSql);
    let cursor = from;
    let checked = 0;
    while (checked < limit) {
      const rows = page.all(cursor.seq, Math.min(50, limit - checked)) as Row[];
      if (rows.length === 0) break;
      for (const row of rows) {
        const r = checkEntry(this.key, row, cursor);
        const decided = 'problem' in r ? undefined : r.decision;
        const problem = 'problem' in r ? r.problem : decided && checkDecision(decided, decided.requestId === undefined ? undefined : (request.get(decided.requestId) as Row | undefined));
        if (problem) return { cursor, checked, problem };
        cursor = { seq: Number(row.seq), hash: String(row.hash) };
        checked++;
      }
      if (performance.now() > deadline) break;
    }
    return { cursor, checked };
  }

  /** Requests that hold a decision (or a status only a decision leads to) with no decision entry: a page of them. */
  private checkRequestsPage(afterId: string, limit: number): { last?: string; problem?: Problem } {
    const rows = this.q(requestsPageSql).all(...decisionEvents, afterId, limit) as Row[];
    const problem = undecidedProblem(rows, this.head()?.seq ?? 0);
    if (problem) return { problem };
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
