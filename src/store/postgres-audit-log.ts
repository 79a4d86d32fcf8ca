/**
 * The audit log on PostgreSQL: the same chain, rules and anchors as the SQLite log (audit-rules.ts), for
 * several bot instances writing one database. Appends take one advisory lock for the chain's head, held
 * to the end of the appending transaction, so two instances never write the same sequence number or link
 * to the same previous entry. The key is checked at open against a fingerprint the first instance wrote,
 * so an instance started with another key stops before it writes anything. Each instance anchors the
 * head it has seen in its own checkpoint file (DATA_DIR/audit.checkpoint): the database only grows, so
 * every instance's file stays a prefix of it. An instance without a file yet (a new host) starts one from
 * the entries it has verified itself; a file it had that disappears is reported, as on SQLite.
 *
 * Reads run on the server, so verification does not hold the event loop; the background pass walks the
 * chain a page at a time.
 */
import { createHmac } from 'node:crypto';
import path from 'node:path';
import type { Person } from '../model/people';
import { genesisHash, sameDigest, type Checkpoint } from './audit-chain';
import { AuditKeyError, loadAuditKey } from './audit-key';
import type { AuditLogOptions } from './audit-log';
import {
  asCheckpoint, auditIndexes, auditListQuery, auditSchema, checkDecision, checkEntry, checkpointAfter, decisionEntry, decisionEvents, decisionRowSql,
  extendsProblem, insertAuditSql, mergeVisible, newAuditRow, requestsPageSql, toAudit, undecidedProblem, anchorAtOpen, firstEntryRefusal, type Cursor, type Problem, type Row,
} from './audit-rules';
import { readCheckpoint, writeCheckpoint } from './checkpoint';
import type { PgDb, Tx } from './postgres-db';
import type { AuditChainState, AuditEntry, AuditFilter, AuditInput, AuditVerdict } from './store';

/** pg_advisory_xact_lock(class, id) keys: the chain's head, and the schema set-up. */
export const lockClass = 0x5b0a;
const headLock = 1;

/** insertAuditSql with the owner looked up in the same statement (one round trip less per entry). */
const insertWithOwnerSql = `${insertAuditSql.slice(0, insertAuditSql.lastIndexOf('?'))}(SELECT requester_id FROM requests WHERE id = ?))`;

const keyCheckSchema = 'CREATE TABLE IF NOT EXISTS audit_key (id INTEGER PRIMARY KEY, fingerprint TEXT NOT NULL)';

function fingerprint(key: Buffer): string {
  return createHmac('sha256', key).update('switchboard audit key fingerprint').digest('hex');
}

export class PostgresAuditLog {
  private anchor: Checkpoint | undefined;
  private anchorProblem: Problem | undefined;
  private verified: Cursor = { seq: 0, hash: genesisHash };
  private verifiedAt = new Date();
  private problem: Problem | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastFullPass = 0;
  private running: Promise<void> | undefined;
  private closed = false;

  private constructor(
    private readonly db: PgDb,
    private readonly key: Buffer,
    readonly keySource: string,
    private readonly checkpointFile: string,
    private readonly every: number,
    private readonly turnChecks: number,
    private readonly readOnly: boolean,
  ) {}

  /** The audit tables, inside the store's schema transaction. */
  static async createTables(tx: Tx): Promise<void> {
    for (const sql of [auditSchema, auditIndexes, keyCheckSchema]) await tx.run(sql);
  }

  /** Throws AuditKeyError (one line) when the key is missing, or is not the key of this audit log. */
  static async open(db: PgDb, dataDir: string, options: AuditLogOptions = {}): Promise<PostgresAuditLog> {
    if (!options.AUDIT_KEY && !options.AUDIT_KEY_FILE) {
      throw new AuditKeyError('With DATABASE_URL, set AUDIT_KEY (or AUDIT_KEY_FILE) to the audit key every instance shares; not starting.');
    }
    const k = loadAuditKey(options, dataDir, false);
    const every = options.AUDIT_CHECKPOINT_EVERY ?? 1000;
    const log = new PostgresAuditLog(
      db, k.key, k.source, path.resolve(options.AUDIT_CHECKPOINT_FILE ?? path.join(dataDir, 'audit.checkpoint')),
      every, options.AUDIT_HISTORY_CHECKS ?? Math.min(every, 250), options.readOnly ?? false,
    );
    await log.checkKeyAtOpen();
    const intervalS = options.AUDIT_VERIFY_INTERVAL_S ?? 0;
    if (intervalS > 0) log.startBackground(intervalS * 1000, (options.AUDIT_FULL_VERIFY_HOURS ?? 6) * 3_600_000);
    return log;
  }

  private async head(tx?: Tx): Promise<Cursor | undefined> {
    const sql = 'SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1';
    const row = (tx ? await tx.query(sql) : await this.db.query(sql))[0];
    return row ? { seq: Number(row.seq), hash: String(row.hash) } : undefined;
  }

  private async entryHash(seq: number): Promise<string | undefined> {
    const row = (await this.db.query('SELECT hash FROM audit WHERE seq = ?', [seq]))[0];
    return row ? String(row.hash) : undefined;
  }

  /** A wrong key must stop start-up: the database's fingerprint of the key, then the checkpoint file or the oldest entry. */
  private async checkKeyAtOpen(): Promise<void> {
    const mine = fingerprint(this.key);
    const theirs = await this.db.tx(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(?, ?)', [lockClass, headLock]);
      const row = (await tx.query('SELECT fingerprint FROM audit_key WHERE id = 1'))[0];
      if (row) return String(row.fingerprint);
      if (!this.readOnly) await tx.run('INSERT INTO audit_key (id, fingerprint) VALUES (1, ?)', [mine]);
      return mine;
    });
    if (!sameDigest(theirs, mine)) throw new AuditKeyError(`The audit key from ${this.keySource} is not the key of this database's audit log; not starting.`);
    const head = await this.head();
    if (!head) return;
    const at = anchorAtOpen(readCheckpoint(this.checkpointFile, this.key), head, this.keySource);
    if (at.kind === 'check-first-entry') {
      const refusal = firstEntryRefusal(this.key, this.keySource, (await this.db.query('SELECT * FROM audit ORDER BY seq LIMIT 1'))[0]!);
      if (refusal) throw refusal;
    } else if (at.kind === 'problem') this.anchorProblem = at.problem;
    else {
      this.anchor = at.checkpoint;
      this.anchorProblem = await this.extends(at.checkpoint, head);
    }
  }

  private async extends(c: Checkpoint, head?: Cursor): Promise<Problem | undefined> {
    const h = head ?? (await this.head());
    return extendsProblem(c, h, c.seq === 0 || (h?.seq ?? 0) < c.seq ? undefined : await this.entryHash(c.seq));
  }

  /** Appends one entry inside the caller's transaction, holding the head's lock to its end. */
  async append(tx: Tx, entry: AuditInput): Promise<AuditEntry> {
    await tx.query('SELECT pg_advisory_xact_lock(?, ?)', [lockClass, headLock]);
    const written = await this.insert(tx, entry);
    const checkpoint = checkpointAfter(written, this.every);
    if (checkpoint) {
      const cp = asCheckpoint(await this.insert(tx, checkpoint));
      // The file is written once the entry has committed, and only then.
      tx.onCommit(() => void this.advanceAnchor(cp).catch(() => undefined));
    }
    return written;
  }

  async appendDecision(tx: Tx, requestId: string, d: { status: 'approved' | 'rejected'; by: Person; at: Date; reason?: string }, entry: AuditInput): Promise<AuditEntry> {
    return this.append(tx, decisionEntry(requestId, d, entry));
  }

  private async insert(tx: Tx, entry: AuditInput): Promise<AuditEntry> {
    // The head is read in its own statement, after the lock: a statement's snapshot is taken when it starts.
    const row = newAuditRow(this.key, await this.head(tx), entry);
    await tx.run(insertWithOwnerSql, [...row.columns, entry.requestId ?? null]);
    return row.entry;
  }

  private async advanceAnchor(c: Checkpoint): Promise<void> {
    if (this.anchorProblem || this.readOnly) return;
    if (this.anchor) {
      if (c.seq <= this.anchor.seq) return;
      this.anchorProblem = await this.extends(this.anchor);
      if (this.anchorProblem) return;
    }
    writeCheckpoint(this.checkpointFile, this.key, c);
    this.anchor = c;
  }

  async list(filter: AuditFilter): Promise<AuditEntry[]> {
    if (!filter.visibleTo) {
      const q = auditListQuery(filter, 'all');
      return (await this.db.query(q.sql, q.args)).map(toAudit);
    }
    const pages = await Promise.all((['owner', 'actor'] as const).map((by) => {
      const q = auditListQuery(filter, by);
      return this.db.query(q.sql, q.args);
    }));
    return mergeVisible(pages, filter.limit ?? 20);
  }

  /** Checks at most `limit` entries after `from`, a page at a time. */
  private async checkRange(from: Cursor, limit: number): Promise<{ cursor: Cursor; checked: number; problem?: Problem }> {
    let cursor = from;
    let checked = 0;
    while (checked < limit) {
      const rows = await this.db.query('SELECT * FROM audit WHERE seq > ? ORDER BY seq LIMIT ?', [cursor.seq, Math.min(500, limit - checked)]);
      if (rows.length === 0) break;
      for (const row of rows) {
        const r = checkEntry(this.key, row, cursor);
        let problem = 'problem' in r ? r.problem : undefined;
        if (!problem && 'decision' in r && r.decision) {
          const requestId = r.decision.requestId;
          problem = checkDecision(r.decision, requestId === undefined ? undefined : (await this.db.query(decisionRowSql, [requestId]))[0]);
        }
        if (problem) return { cursor, checked, problem };
        cursor = { seq: Number(row.seq), hash: String(row.hash) };
        checked++;
      }
    }
    return { cursor, checked };
  }

  private async checkRequests(): Promise<Problem | undefined> {
    let after = '';
    for (;;) {
      const rows = await this.db.query(requestsPageSql, [...decisionEvents, after, 500]);
      const problem = undecidedProblem(rows, (await this.head())?.seq ?? 0);
      if (problem) return problem;
      if (rows.length === 0) return undefined;
      after = String(rows[rows.length - 1]!.id);
    }
  }

  private async checkAnchors(head: Cursor | undefined): Promise<Problem | undefined> {
    if (this.anchorProblem) return this.anchorProblem;
    const file = readCheckpoint(this.checkpointFile, this.key);
    if (file.state === 'invalid') return { brokenAt: (head?.seq ?? 0) + 1, reason: file.reason };
    if (file.state === 'absent') {
      // A file this instance had is gone. An instance that never had one (a new host) anchors from what it has verified.
      if (this.anchor) return { brokenAt: (head?.seq ?? 0) + 1, reason: `the checkpoint file ${this.checkpointFile} is missing` };
      if (this.verified.seq > 0 && !this.problem) {
        try {
          await this.advanceAnchor({ seq: this.verified.seq, head: this.verified.hash, count: this.verified.seq, at: new Date().toISOString() });
        } catch {
          // A full or read-only disk must not fail a history turn: the next checkpoint or the shutdown tries again.
        }
      }
      return undefined;
    }
    return this.extends(file.checkpoint, head);
  }

  /** The whole check (audit:verify). */
  async verify(): Promise<AuditVerdict> {
    const { cursor, problem } = await this.checkRange({ seq: 0, hash: genesisHash }, Infinity);
    if (problem) return { ok: false, ...problem };
    const requests = await this.checkRequests();
    if (requests) return { ok: false, ...requests };
    const anchors = await this.checkAnchors(cursor.seq ? cursor : undefined);
    if (anchors) return { ok: false, ...anchors };
    return { ok: true, entries: cursor.seq };
  }

  /** For history: moves the verified point forward by a bounded number of entries, then says where the chain stands. */
  async state(check = true): Promise<AuditChainState> {
    if (check && !this.problem) await this.forward(this.turnChecks);
    return this.describe();
  }

  /** True once it has caught up with the head. */
  private async forward(limit: number): Promise<boolean> {
    const r = await this.checkRange(this.verified, limit);
    if (r.problem) {
      this.problem = r.problem;
      return true;
    }
    // Another caller may have moved further meanwhile: the verified point only moves forward.
    if (r.checked > 0 && r.cursor.seq > this.verified.seq) {
      this.verified = r.cursor;
      this.verifiedAt = new Date();
    }
    return r.checked < limit;
  }

  private async describe(): Promise<AuditChainState> {
    const head = await this.head();
    const total = head?.seq ?? 0;
    const problem = this.problem ?? (this.verified.seq >= total ? await this.checkAnchors(head) : this.anchorProblem);
    if (problem) {
      this.problem = problem;
      return { state: 'broken', ...problem };
    }
    return { state: 'verified', through: this.verified.seq, at: this.verifiedAt.toISOString(), newer: Math.max(0, total - this.verified.seq), total };
  }

  private startBackground(intervalMs: number, fullEveryMs: number): void {
    const tick = (): void => {
      if (this.running || this.closed) return;
      this.running = this.backgroundPass(fullEveryMs)
        .catch(() => undefined) // the database away for a moment: the next tick tries again
        .finally(() => (this.running = undefined));
    };
    this.timer = setInterval(tick, intervalMs);
    this.timer.unref();
    setImmediate(tick);
  }

  private async backgroundPass(fullEveryMs: number): Promise<void> {
    const fromStart = this.verified.seq === 0;
    while (!this.closed && !this.problem && !(await this.forward(5000)));
    if (this.closed || this.problem) return;
    await this.describe();
    if (fromStart) this.lastFullPass = Date.now();
    if (Date.now() - this.lastFullPass < fullEveryMs) return;
    // Re-check everything already verified (a rewrite of an old entry), and the decisions against the requests table.
    const again = await this.checkRange({ seq: 0, hash: genesisHash }, this.verified.seq);
    if (!this.closed && again.problem) this.problem = again.problem;
    const requests = this.closed || this.problem ? undefined : await this.checkRequests();
    if (requests) this.problem = requests;
    this.lastFullPass = Date.now();
  }

  /** At shutdown: the checkpoint file takes the head this instance has seen. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
    try {
      const head = await this.head();
      if (head) await this.advanceAnchor({ seq: head.seq, head: head.hash, count: head.seq, at: new Date().toISOString() });
    } catch {
      // Shutting down anyway; the file keeps the previous checkpoint, which the database still extends.
    }
  }
}
