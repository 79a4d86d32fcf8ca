/**
 * The store on SQLite (better-sqlite3) under DATA_DIR. WAL with synchronous=FULL: a committed request,
 * decision or audit entry survives a crash of the process or of the machine. The SQL is kept portable
 * (plain types, ISO-8601 text times, no SQLite-only functions): tables.ts is shared with postgres-store.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Site } from '../model/inventory';
import type { ConversationAddress, Person } from '../model/people';
import type { Outcome } from '../model/plan';
import { finalStatuses, type RequestRecord, type RequestStatus, type StepProgress } from '../model/request';
import { AuditLog, type AuditLogOptions } from './audit-log';
import { claimedByDead, holdingStatuses, instanceArgs, insertInstanceSql, listRequestsQuery, openByDedupeKeySql, owedNoticesQuery, schema, takeNoticeSql, toInstance, toRequest, type Row } from './tables';
import type { AuditChainState, AuditEntry, AuditFilter, AuditInput, AuditVerdict, BatchItemRecord, CardLocation, CreateResult, InstanceRecord, Store } from './store';

/** How long handled-activity ids wait in memory to be committed together (see markHandled). */
export const SIGHTING_BATCH_MS = 20;

export class SqliteStore implements Store {
  private readonly db: Database.Database;
  /**
   * Conversation addresses and handled-activity ids are hints, not records: losing the last few to a
   * power cut (or, for handled ids, the last SIGHTING_BATCH_MS's to a crash) costs at most a repeated
   * reply. They go through a second connection that does not wait for fsync (WAL + synchronous=NORMAL
   * still survives a crash of the process), keeping three disk syncs off every turn. Requests, decisions and the audit log stay on the synchronous=FULL connection.
   */
  private readonly hints: Database.Database;
  /** The last address stored per key, so an unchanged address is not written again on every turn. */
  private readonly addresses = new Map<string, string>();
  private readonly statements = new Map<string, Database.Statement>();
  private sightings = 0;
  /** Handled-activity ids of the last SIGHTING_BATCH_MS, written together (writeSightings). */
  private readonly unwrittenSightings = new Map<string, string>();
  private sightingTimer: NodeJS.Timeout | undefined;
  /** The audit table, its HMAC chain and its anchors outside the database (audit-log.ts). */
  private readonly audit: AuditLog;
  /** This process's instance id once registered; claims record it. */
  private instanceId: string | null = null;

  /** Prepared once per SQL text and connection: preparing costs more than running these small statements. */
  private q(sql: string, db: Database.Database = this.db): Database.Statement {
    const key = `${db === this.hints ? 'h' : 'd'}:${sql}`;
    let st = this.statements.get(key);
    if (!st) {
      st = db.prepare(sql);
      this.statements.set(key, st);
    }
    return st;
  }

  /** Throws AuditKeyError (one line) when the audit key is missing or wrong for an existing audit log. */
  constructor(dataDir: string, auditOptions: AuditLogOptions = {}) {
    fs.mkdirSync(dataDir, { recursive: true });
    const file = path.join(dataDir, 'switchboard.db');
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(schema);
    // Data directories from before step plans: add the runner's columns in place.
    const columns = new Set((this.db.prepare('PRAGMA table_info(requests)').all() as Row[]).map((c) => String(c.name)));
    const added: [string, string][] = [['position', 'INTEGER NOT NULL DEFAULT 0'], ['steps', "TEXT NOT NULL DEFAULT '[]'"], ['next_run_at', 'TEXT'], ['replans', 'TEXT']];
    for (const [name, type] of added) if (!columns.has(name)) this.db.exec(`ALTER TABLE requests ADD COLUMN ${name} ${type}`);
    // The instance (bot process) that holds a running request's claim.
    if (!columns.has('claimed_by')) this.db.exec('ALTER TABLE requests ADD COLUMN claimed_by TEXT');
    const columnsOf = (table: string) => new Set((this.db.prepare(`PRAGMA table_info(${table})`).all() as Row[]).map((c) => String(c.name)));
    if (!columnsOf('instances').has('data_dir')) this.db.exec('ALTER TABLE instances ADD COLUMN data_dir TEXT');
    if (!columnsOf('owed_notices').has('taken_until')) this.db.exec('ALTER TABLE owed_notices ADD COLUMN taken_until TEXT');
    try {
      this.audit = new AuditLog(this.db, dataDir, auditOptions);
    } catch (err) {
      this.db.close();
      throw err;
    }
    this.hints = new Database(file);
    this.hints.pragma('synchronous = NORMAL');
    this.hints.pragma('busy_timeout = 5000');
  }

  /**
   * One transaction; then, once it has committed, the checkpoint file takes a checkpoint entry it wrote,
   * before anything else can read the log (another turn, or another process on this DATA_DIR).
   */
  private write<T>(body: () => T): T {
    const result = this.db.transaction(body)();
    this.audit.afterCommit();
    return result;
  }

  private appendAuditSync(entry: AuditInput): AuditEntry {
    return this.audit.append(entry);
  }

  private getSync(id: string): RequestRecord | undefined {
    const row = this.q('SELECT * FROM requests WHERE id = ?').get(id) as Row | undefined;
    return row ? toRequest(row) : undefined;
  }

  async createRequest(r: RequestRecord, audit: AuditInput, items: readonly Omit<BatchItemRecord, 'status'>[] = []): Promise<CreateResult> {
    return this.write((): CreateResult => {
      for (const lock of r.plan.locks) {
        const holder = this.q(
          `SELECT r.id FROM request_locks l JOIN requests r ON r.id = l.request_id
           WHERE l.lock = ? AND (r.status IN (${holdingStatuses.map(() => '?').join(', ')}) OR (r.status = 'pending' AND r.expires_at > ?))`,
        ).get(lock, ...holdingStatuses, r.createdAt) as Row | undefined;
        if (holder) return { created: false, lock, heldBy: String(holder.id) };
      }
      this.q(
        `INSERT INTO requests (id, action, params, plan, requester_id, requester_name, tenant_id, conversation, status, created_at, expires_at, attempt, dedupe_key, position, steps, replans)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(r.id, r.command, JSON.stringify(r.params), JSON.stringify(r.plan), r.requester.id, r.requester.name, r.tenantId, JSON.stringify(r.conversation), r.status, r.createdAt, r.expiresAt, r.attempt, r.dedupeKey, r.position, JSON.stringify(r.steps), r.replans ?? null);
      for (const lock of r.plan.locks) {
        this.q('INSERT INTO request_locks (lock, request_id) VALUES (?, ?) ON CONFLICT (lock) DO UPDATE SET request_id = excluded.request_id').run(lock, r.id);
      }
      for (const item of items) {
        this.q('INSERT INTO batch_items (request_id, idx, item, status) VALUES (?, ?, ?, ?)').run(r.id, item.index, JSON.stringify(item), item.verdict === 'ready' ? 'pending' : 'skipped');
      }
      this.appendAuditSync(audit);
      return { created: true };
    });
  }

  async getRequest(id: string): Promise<RequestRecord | undefined> {
    return this.getSync(id);
  }

  async findOpenByDedupeKey(dedupeKey: string, now: Date): Promise<RequestRecord | undefined> {
    const row = this.q(openByDedupeKeySql).get(dedupeKey, ...holdingStatuses, now.toISOString()) as Row | undefined;
    return row ? toRequest(row) : undefined;
  }

  async listRequests(filter: { statuses?: readonly RequestStatus[]; requesterId?: string; limit?: number }): Promise<RequestRecord[]> {
    const q = listRequestsQuery(filter);
    return (this.q(q.sql).all(...q.args) as Row[]).map(toRequest);
  }

  async decide(id: string, d: { status: 'approved' | 'rejected'; by: Person; at: Date; reason?: string }, audit: AuditInput): Promise<RequestRecord | undefined> {
    return this.write(() => {
      const changed = this.db
        .prepare("UPDATE requests SET status = ?, decided_by_id = ?, decided_by_name = ?, decided_at = ?, reason = ? WHERE id = ? AND status = 'pending' AND expires_at > ?")
        .run(d.status, d.by.id, d.by.name, d.at.toISOString(), d.reason ?? null, id, d.at.toISOString()).changes;
      if (changed !== 1) return undefined;
      this.audit.appendDecision(id, d, audit);
      return this.getSync(id);
    });
  }

  async expire(now: Date): Promise<RequestRecord[]> {
    return this.write(() => {
      const due = (this.q("SELECT * FROM requests WHERE status = 'pending' AND expires_at <= ?").all(now.toISOString()) as Row[]).map(toRequest);
      const expired: RequestRecord[] = [];
      for (const r of due) {
        if (this.q("UPDATE requests SET status = 'expired' WHERE id = ? AND status = 'pending'").run(r.id).changes !== 1) continue;
        this.appendAuditSync({ at: now.toISOString(), actor: 'system', event: 'request.expired', requestId: r.id, subject: r.plan.subject });
        expired.push({ ...r, status: 'expired' });
      }
      return expired;
    });
  }

  async claim(id: string, now: Date, leaseUntil: Date, audit: AuditInput): Promise<RequestRecord | undefined> {
    return this.write(() => {
      const changed = this.db
        .prepare(
          `UPDATE requests SET status = 'running', attempt = attempt + 1, lease_until = ?, claimed_by = ? WHERE id = ? AND (status = 'approved' OR (status = 'waiting' AND (next_run_at IS NULL OR next_run_at <= ?)) OR (status IN ('running', 'unknown') AND (lease_until IS NULL OR lease_until <= ? OR ${claimedByDead})))`,
        )
        .run(leaseUntil.toISOString(), this.instanceId, id, now.toISOString(), now.toISOString()).changes;
      if (changed !== 1) return undefined;
      this.q('INSERT OR IGNORE INTO owed_notices (request_id) VALUES (?)').run(id);
      const claimed = this.getSync(id)!;
      this.appendAuditSync({ ...audit, detail: { ...audit.detail, attempt: claimed.attempt } });
      return claimed;
    });
  }

  async finish(id: string, attempt: number, status: RequestStatus, outcome: Outcome, audit: AuditInput): Promise<RequestRecord | undefined> {
    return this.write(() => {
      const changed = this.db
        .prepare("UPDATE requests SET status = ?, outcome = ?, lease_until = NULL, next_run_at = NULL WHERE id = ? AND status = 'running' AND attempt = ?")
        .run(status, JSON.stringify(outcome), id, attempt).changes;
      if (changed !== 1) return undefined;
      this.appendAuditSync(audit);
      return this.getSync(id);
    });
  }

  async listRecoverable(now: Date): Promise<RequestRecord[]> {
    const rows = this.q(
      `SELECT * FROM requests WHERE status IN ('approved', 'waiting') OR (status IN ('running', 'unknown') AND (lease_until IS NULL OR lease_until <= ? OR ${claimedByDead})) ORDER BY created_at`,
    ).all(now.toISOString()) as Row[];
    return rows.map(toRequest);
  }

  async saveProgress(id: string, attempt: number, position: number, steps: readonly StepProgress[], audit?: AuditInput): Promise<boolean> {
    return this.write(() => {
      const changed = this.q("UPDATE requests SET position = ?, steps = ? WHERE id = ? AND status = 'running' AND attempt = ?").run(position, JSON.stringify(steps), id, attempt).changes;
      if (changed === 1 && audit) this.appendAuditSync(audit);
      return changed === 1;
    });
  }

  async park(id: string, attempt: number, nextRunAt: Date, position: number, steps: readonly StepProgress[]): Promise<RequestRecord | undefined> {
    const changed = this.q("UPDATE requests SET status = 'waiting', next_run_at = ?, position = ?, steps = ?, lease_until = NULL WHERE id = ? AND status = 'running' AND attempt = ?")
      .run(nextRunAt.toISOString(), position, JSON.stringify(steps), id, attempt).changes;
    return changed === 1 ? this.getSync(id) : undefined;
  }

  async listBatchItems(requestId: string): Promise<BatchItemRecord[]> {
    return (this.q('SELECT * FROM batch_items WHERE request_id = ? ORDER BY idx').all(requestId) as Row[]).map((r) => ({
      ...(JSON.parse(String(r.item)) as Omit<BatchItemRecord, 'status' | 'result'>),
      status: String(r.status) as BatchItemRecord['status'],
      ...(r.result !== null ? { result: JSON.parse(String(r.result)) as Outcome } : {}),
    }));
  }

  async saveBatchItem(requestId: string, attempt: number, index: number, status: BatchItemRecord['status'], result?: Outcome): Promise<boolean> {
    return this.write(() => {
      const holder = this.q("SELECT 1 FROM requests WHERE id = ? AND status = 'running' AND attempt = ?").get(requestId, attempt);
      if (!holder) return false;
      this.q('UPDATE batch_items SET status = ?, result = ? WHERE request_id = ? AND idx = ?').run(status, result ? JSON.stringify(result) : null, requestId, index);
      return true;
    });
  }

  async listSites(): Promise<Site[]> {
    return (this.q('SELECT site FROM sites ORDER BY name_key').all() as Row[]).map((r) => JSON.parse(String(r.site)) as Site);
  }

  async getSite(name: string): Promise<Site | undefined> {
    const row = this.q('SELECT site FROM sites WHERE name_key = ?').get(name.toLowerCase()) as Row | undefined;
    return row ? (JSON.parse(String(row.site)) as Site) : undefined;
  }

  async putSite(site: Site, audit: AuditInput): Promise<void> {
    this.write(() => {
      this.q('INSERT INTO sites (name_key, site) VALUES (?, ?) ON CONFLICT (name_key) DO UPDATE SET site = excluded.site').run(site.name.toLowerCase(), JSON.stringify(site));
      this.appendAuditSync(audit);
    });
  }

  async addCard(requestId: string, card: CardLocation): Promise<void> {
    this.q('INSERT OR IGNORE INTO request_cards (request_id, activity_id, conversation) VALUES (?, ?, ?)').run(requestId, card.activityId, JSON.stringify(card.conversation));
  }

  async listCards(requestId: string): Promise<CardLocation[]> {
    return (this.q('SELECT * FROM request_cards WHERE request_id = ?').all(requestId) as Row[]).map((r) => ({
      activityId: String(r.activity_id),
      conversation: JSON.parse(String(r.conversation)) as ConversationAddress,
    }));
  }

  async saveConversation(key: string, address: ConversationAddress): Promise<void> {
    const json = JSON.stringify(address);
    if (this.addresses.get(key) === json) return;
    this.q('INSERT INTO conversations (key, address) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET address = excluded.address', this.hints).run(key, json);
    if (this.addresses.size >= 10_000) this.addresses.clear();
    this.addresses.set(key, json);
  }

  async getConversation(key: string): Promise<ConversationAddress | undefined> {
    const row = this.q('SELECT address FROM conversations WHERE key = ?', this.hints).get(key) as Row | undefined;
    return row ? (JSON.parse(String(row.address)) as ConversationAddress) : undefined;
  }

  async alreadyHandled(activityId: string): Promise<boolean> {
    return this.unwrittenSightings.has(activityId) || this.q('SELECT 1 FROM seen_activities WHERE id = ?', this.hints).get(activityId) !== undefined;
  }

  async markHandled(activityId: string, at: Date): Promise<void> {
    if (this.unwrittenSightings.has(activityId)) return;
    // One commit for all the turns that end within SIGHTING_BATCH_MS, not one per turn: a commit costs more
    // than the insert, and one turn at a time would pay it on every turn. Until it is written the id is
    // answered from memory; a crash in the window loses at most that window's ids, and Teams re-sends
    // after seconds, not milliseconds (a filed request keeps its own dedupe key besides).
    this.unwrittenSightings.set(activityId, at.toISOString());
    if (!this.sightingTimer) {
      this.sightingTimer = setTimeout(() => this.writeSightings(), SIGHTING_BATCH_MS);
      this.sightingTimer.unref();
    }
  }

  private writeSightings(): void {
    clearTimeout(this.sightingTimer);
    this.sightingTimer = undefined;
    if (this.unwrittenSightings.size === 0 || !this.hints.open) return;
    const batch = [...this.unwrittenSightings];
    const insert = this.q('INSERT OR IGNORE INTO seen_activities (id, seen_at) VALUES (?, ?)', this.hints);
    this.hints.transaction(() => {
      for (const [id, seenAt] of batch) insert.run(id, seenAt);
    })();
    this.unwrittenSightings.clear();
    // Teams re-sends within minutes; ids older than two days only take space.
    this.sightings += batch.length;
    if (this.sightings >= 1000) {
      this.sightings = 0;
      this.q('DELETE FROM seen_activities WHERE seen_at < ?', this.hints).run(new Date(Date.parse(batch[0]![1]) - 2 * 86_400_000).toISOString());
    }
  }

  async appendAudit(entry: AuditInput): Promise<AuditEntry> {
    return this.write(() => this.appendAuditSync(entry));
  }

  async listAudit(filter: AuditFilter): Promise<AuditEntry[]> {
    return this.audit.list(filter);
  }

  async verifyAudit(): Promise<AuditVerdict> {
    return this.audit.verify();
  }

  async auditState(options: { check?: boolean } = {}): Promise<AuditChainState> {
    return this.audit.state(options.check ?? true);
  }

  async registerInstance(i: Omit<InstanceRecord, 'heartbeatAt' | 'deadAt'>, now: Date): Promise<void> {
    this.q(insertInstanceSql).run(...instanceArgs(i, now));
    this.instanceId = i.id;
  }

  async heartbeat(instanceId: string, now: Date): Promise<void> {
    this.q('UPDATE instances SET heartbeat_at = ? WHERE id = ? AND dead_at IS NULL', this.hints).run(now.toISOString(), instanceId);
  }

  async listLiveInstances(host?: string): Promise<InstanceRecord[]> {
    const rows = (host === undefined
      ? this.q('SELECT * FROM instances WHERE dead_at IS NULL ORDER BY started_at').all()
      : this.q('SELECT * FROM instances WHERE dead_at IS NULL AND host = ? ORDER BY started_at').all(host)) as Row[];
    return rows.map(toInstance);
  }

  async markInstancesDead(ids: readonly string[], now: Date): Promise<void> {
    this.write(() => {
      for (const id of ids) this.q('UPDATE instances SET dead_at = ? WHERE id = ? AND dead_at IS NULL').run(now.toISOString(), id);
    });
  }

  async extendLease(id: string, attempt: number, now: Date, until: Date): Promise<boolean> {
    const changed = this.q("UPDATE requests SET lease_until = MAX(lease_until, ?) WHERE id = ? AND status = 'running' AND attempt = ? AND lease_until > ?")
      .run(until.toISOString(), id, attempt, now.toISOString()).changes;
    return changed === 1;
  }

  async listOwedNotices(now: Date): Promise<RequestRecord[]> {
    const q = owedNoticesQuery(now, this.instanceId);
    return (this.q(q.sql).all(...q.args) as Row[]).map(toRequest);
  }

  async takeNotice(requestId: string, now: Date, until: Date): Promise<boolean> {
    return this.q(takeNoticeSql).run(until.toISOString(), requestId, now.toISOString()).changes === 1;
  }

  async noticeDelivered(requestId: string): Promise<void> {
    this.q('DELETE FROM owed_notices WHERE request_id = ?').run(requestId);
  }

  async close(): Promise<void> {
    this.writeSightings();
    this.audit.close();
    this.hints.close();
    this.db.close();
  }
}
