/**
 * The store on PostgreSQL (DATABASE_URL), for several bot instances sharing one database. The tables and
 * the audit rules are the SQLite store's (tables.ts, audit-rules.ts); what differs is how instances that do
 * not share memory stay exact:
 * - every state change is a compare-and-set UPDATE on the current status (PostgreSQL re-checks the
 *   WHERE on the newest row version, so of two instances only one wins a decision or a claim);
 * - filing takes an advisory lock per plan lock (in sorted order) before it looks for a holder, so two
 *   instances cannot both take the same gateway or user;
 * - the audit chain's head is one more advisory lock, always the last taken (no deadlock cycle with it);
 * - handled-activity ids, conversation addresses and heartbeats go through connections with
 *   synchronous_commit off, as the SQLite store sends them to its non-fsync connection.
 */
import fs from 'node:fs';
import type { Site } from '../model/inventory';
import type { SealedItems } from '../model/sealed-items';
import type { ConversationAddress, Person } from '../model/people';
import type { Outcome } from '../model/plan';
import { finalStatuses, type RequestRecord, type RequestStatus, type StepProgress } from '../model/request';
import { StoreUnavailable } from '../errors';
import { AuditKeyError } from './audit-key';
import type { AuditLogOptions } from './audit-log';
import { lockClass, PostgresAuditLog } from './postgres-audit-log';
import { databaseWhere, errorLine, PgDb } from './postgres-db';
import { createSealedItemTables, PostgresSealedItems } from './postgres-sealed-items';
import type { AuditChainState, AuditEntry, AuditFilter, AuditInput, AuditVerdict, BatchItemRecord, CardLocation, CreateResult, InstanceRecord, Store } from './store';
import { claimedByDead, holdingStatuses, instanceArgs, insertInstanceSql, listRequestsQuery, openByDedupeKeySql, owedNoticesQuery, schema, takeNoticeSql, toInstance, toRequest, type Row } from './tables';

/** Advisory-lock ids under lockClass (the audit head is 1). */
const schemaLock = 2;
/** How long handled-activity ids wait in memory to be committed together (as the SQLite store). */
const sightingBatchMs = 20;

const holding = holdingStatuses.map(() => '?').join(', ');

export class PostgresStore implements Store {
  private readonly addresses = new Map<string, string>();
  private readonly unwrittenSightings = new Map<string, string>();
  private sightingTimer: NodeJS.Timeout | undefined;
  private sightingWrite: Promise<void> = Promise.resolve();
  private sightings = 0;
  private instanceId: string | null = null;

  private constructor(
    private readonly db: PgDb,
    private readonly audit: PostgresAuditLog,
  ) {}

  /** Creates the tables if need be (one instance at a time) and opens the audit log. Throws AuditKeyError (one line) for a missing or wrong key. */
  static async open(url: string, dataDir: string, options: AuditLogOptions & { poolSize?: number } = {}): Promise<PostgresStore> {
    // The checkpoint file lives there, as with SQLite.
    fs.mkdirSync(dataDir, { recursive: true });
    const db = new PgDb(url, { poolSize: options.poolSize });
    try {
      if (!options.readOnly) {
        await db.tx(async (tx) => {
          await tx.query('SELECT pg_advisory_xact_lock(?, ?)', [lockClass, schemaLock]);
          await tx.run(schema);
          await tx.run('ALTER TABLE requests ADD COLUMN IF NOT EXISTS claimed_by TEXT');
          await tx.run('ALTER TABLE owed_notices ADD COLUMN IF NOT EXISTS taken_until TEXT');
          await PostgresAuditLog.createTables(tx);
          await createSealedItemTables(tx);
        });
      }
      return new PostgresStore(db, await PostgresAuditLog.open(db, dataDir, options));
    } catch (err) {
      await db.close();
      if (err instanceof AuditKeyError) throw err;
      throw new Error(`The PostgreSQL store at ${databaseWhere(url)} could not be opened: ${err instanceof StoreUnavailable ? err.reason : errorLine(err)}`);
    }
  }

  async createRequest(r: RequestRecord, audit: AuditInput, items: readonly Omit<BatchItemRecord, 'status'>[] = []): Promise<CreateResult> {
    return this.db.tx(async (tx): Promise<CreateResult> => {
      // Held to commit: an instance filing for the same lock waits here, then sees this request as its holder.
      for (const lock of [...r.plan.locks].sort()) await tx.query('SELECT pg_advisory_xact_lock(hashtextextended(?, 0))', [lock]);
      for (const lock of r.plan.locks) {
        const holder = (await tx.query(
          `SELECT r.id FROM request_locks l JOIN requests r ON r.id = l.request_id
           WHERE l.lock = ? AND (r.status IN (${holding}) OR (r.status = 'pending' AND r.expires_at > ?))`,
          [lock, ...holdingStatuses, r.createdAt],
        ))[0];
        if (holder) return { created: false, lock, heldBy: String(holder.id) };
      }
      await tx.run(
        `INSERT INTO requests (id, action, params, plan, requester_id, requester_name, tenant_id, conversation, status, created_at, expires_at, attempt, dedupe_key, position, steps, replans)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [r.id, r.command, JSON.stringify(r.params), JSON.stringify(r.plan), r.requester.id, r.requester.name, r.tenantId, JSON.stringify(r.conversation), r.status, r.createdAt, r.expiresAt, r.attempt, r.dedupeKey, r.position, JSON.stringify(r.steps), r.replans ?? null],
      );
      for (const lock of r.plan.locks) {
        await tx.run('INSERT INTO request_locks (lock, request_id) VALUES (?, ?) ON CONFLICT (lock) DO UPDATE SET request_id = excluded.request_id', [lock, r.id]);
      }
      for (const item of items) {
        await tx.run('INSERT INTO batch_items (request_id, idx, item, status) VALUES (?, ?, ?, ?)', [r.id, item.index, JSON.stringify(item), item.verdict === 'ready' ? 'pending' : 'skipped']);
      }
      await this.audit.append(tx, audit);
      return { created: true };
    });
  }

  async getRequest(id: string): Promise<RequestRecord | undefined> {
    const row = (await this.db.query('SELECT * FROM requests WHERE id = ?', [id]))[0];
    return row ? toRequest(row) : undefined;
  }

  async findOpenByDedupeKey(dedupeKey: string, now: Date): Promise<RequestRecord | undefined> {
    const [row] = await this.db.query(openByDedupeKeySql, [dedupeKey, ...holdingStatuses, now.toISOString()]);
    return row ? toRequest(row) : undefined;
  }

  async listRequests(filter: { statuses?: readonly RequestStatus[]; requesterId?: string; limit?: number }): Promise<RequestRecord[]> {
    const q = listRequestsQuery(filter);
    return (await this.db.query(q.sql, q.args)).map(toRequest);
  }

  async decide(id: string, d: { status: 'approved' | 'rejected'; by: Person; at: Date; reason?: string }, audit: AuditInput): Promise<RequestRecord | undefined> {
    return this.db.tx(async (tx) => {
      const [row] = await tx.query(
        "UPDATE requests SET status = ?, decided_by_id = ?, decided_by_name = ?, decided_at = ?, reason = ? WHERE id = ? AND status = 'pending' AND expires_at > ? RETURNING *",
        [d.status, d.by.id, d.by.name, d.at.toISOString(), d.reason ?? null, id, d.at.toISOString()],
      );
      if (!row) return undefined;
      await this.audit.appendDecision(tx, id, d, audit);
      return toRequest(row);
    });
  }

  async expire(now: Date): Promise<RequestRecord[]> {
    return this.db.tx(async (tx) => {
      // One statement takes every row it expires before the audit lock is taken: the head's lock stays the last one held.
      const expired = (await tx.query("UPDATE requests SET status = 'expired' WHERE status = 'pending' AND expires_at <= ? RETURNING *", [now.toISOString()]))
        .map(toRequest)
        .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
      for (const r of expired) {
        await this.audit.append(tx, { at: now.toISOString(), actor: 'system', event: 'request.expired', requestId: r.id, subject: r.plan.subject });
      }
      return expired;
    });
  }

  async claim(id: string, now: Date, leaseUntil: Date, audit: AuditInput): Promise<RequestRecord | undefined> {
    return this.db.tx(async (tx) => {
      const [row] = await tx.query(
        `UPDATE requests SET status = 'running', attempt = attempt + 1, lease_until = ?, claimed_by = ? WHERE id = ? AND (status = 'approved' OR (status = 'waiting' AND (next_run_at IS NULL OR next_run_at <= ?)) OR (status IN ('running', 'unknown') AND (lease_until IS NULL OR lease_until <= ? OR ${claimedByDead}))) RETURNING *`,
        [leaseUntil.toISOString(), this.instanceId, id, now.toISOString(), now.toISOString()],
      );
      if (!row) return undefined;
      await tx.run('INSERT INTO owed_notices (request_id) VALUES (?) ON CONFLICT DO NOTHING', [id]);
      const claimed = toRequest(row);
      await this.audit.append(tx, { ...audit, detail: { ...audit.detail, attempt: claimed.attempt } });
      return claimed;
    });
  }

  async finish(id: string, attempt: number, status: RequestStatus, outcome: Outcome, audit: AuditInput): Promise<RequestRecord | undefined> {
    return this.db.tx(async (tx) => {
      const [row] = await tx.query(
        "UPDATE requests SET status = ?, outcome = ?, lease_until = NULL, next_run_at = NULL WHERE id = ? AND status = 'running' AND attempt = ? RETURNING *",
        [status, JSON.stringify(outcome), id, attempt],
      );
      if (!row) return undefined;
      await this.audit.append(tx, audit);
      return toRequest(row);
    });
  }

  async listRecoverable(now: Date): Promise<RequestRecord[]> {
    const rows = await this.db.query(
      `SELECT * FROM requests WHERE status IN ('approved', 'waiting') OR (status IN ('running', 'unknown') AND (lease_until IS NULL OR lease_until <= ? OR ${claimedByDead})) ORDER BY created_at`,
      [now.toISOString()],
    );
    return rows.map(toRequest);
  }

  async saveProgress(id: string, attempt: number, position: number, steps: readonly StepProgress[], audit?: AuditInput): Promise<boolean> {
    return this.db.tx(async (tx) => {
      const changed = await tx.run("UPDATE requests SET position = ?, steps = ? WHERE id = ? AND status = 'running' AND attempt = ?", [position, JSON.stringify(steps), id, attempt]);
      if (changed === 1 && audit) await this.audit.append(tx, audit);
      return changed === 1;
    });
  }

  async park(id: string, attempt: number, nextRunAt: Date, position: number, steps: readonly StepProgress[]): Promise<RequestRecord | undefined> {
    const rows = await this.db.query(
      "UPDATE requests SET status = 'waiting', next_run_at = ?, position = ?, steps = ?, lease_until = NULL WHERE id = ? AND status = 'running' AND attempt = ? RETURNING *",
      [nextRunAt.toISOString(), position, JSON.stringify(steps), id, attempt],
    );
    return rows[0] ? toRequest(rows[0]) : undefined;
  }

  async listBatchItems(requestId: string): Promise<BatchItemRecord[]> {
    return (await this.db.query('SELECT * FROM batch_items WHERE request_id = ? ORDER BY idx', [requestId])).map((r) => ({
      ...(JSON.parse(String(r.item)) as Omit<BatchItemRecord, 'status' | 'result'>),
      status: String(r.status) as BatchItemRecord['status'],
      ...(r.result !== null ? { result: JSON.parse(String(r.result)) as Outcome } : {}),
    }));
  }

  async saveBatchItem(requestId: string, attempt: number, index: number, status: BatchItemRecord['status'], result?: Outcome): Promise<boolean> {
    return this.db.tx(async (tx) => {
      // FOR SHARE: a claim or finish of the request waits for this to commit, so a stale attempt cannot write after it.
      const holder = await tx.query("SELECT 1 FROM requests WHERE id = ? AND status = 'running' AND attempt = ? FOR SHARE", [requestId, attempt]);
      if (holder.length === 0) return false;
      await tx.run('UPDATE batch_items SET status = ?, result = ? WHERE request_id = ? AND idx = ?', [status, result ? JSON.stringify(result) : null, requestId, index]);
      return true;
    });
  }

  async listSites(): Promise<Site[]> {
    return (await this.db.query('SELECT site FROM sites ORDER BY name_key')).map((r) => JSON.parse(String(r.site)) as Site);
  }

  async getSite(name: string): Promise<Site | undefined> {
    const row = (await this.db.query('SELECT site FROM sites WHERE name_key = ?', [name.toLowerCase()]))[0];
    return row ? (JSON.parse(String(row.site)) as Site) : undefined;
  }

  async putSite(site: Site, audit: AuditInput): Promise<void> {
    await this.db.tx(async (tx) => {
      await tx.run('INSERT INTO sites (name_key, site) VALUES (?, ?) ON CONFLICT (name_key) DO UPDATE SET site = excluded.site', [site.name.toLowerCase(), JSON.stringify(site)]);
      await this.audit.append(tx, audit);
    });
  }

  async addCard(requestId: string, card: CardLocation): Promise<void> {
    await this.db.run('INSERT INTO request_cards (request_id, activity_id, conversation) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', [requestId, card.activityId, JSON.stringify(card.conversation)]);
  }

  async listCards(requestId: string): Promise<CardLocation[]> {
    return (await this.db.query('SELECT * FROM request_cards WHERE request_id = ? ORDER BY activity_id', [requestId])).map((r) => ({
      activityId: String(r.activity_id),
      conversation: JSON.parse(String(r.conversation)) as ConversationAddress,
    }));
  }

  async saveConversation(key: string, address: ConversationAddress): Promise<void> {
    const json = JSON.stringify(address);
    if (this.addresses.get(key) === json) return;
    await this.db.hint('INSERT INTO conversations (key, address) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET address = excluded.address', [key, json]);
    if (this.addresses.size >= 10_000) this.addresses.clear();
    this.addresses.set(key, json);
  }

  async getConversation(key: string): Promise<ConversationAddress | undefined> {
    const row = (await this.db.hint('SELECT address FROM conversations WHERE key = ?', [key]))[0];
    return row ? (JSON.parse(String(row.address)) as ConversationAddress) : undefined;
  }

  async alreadyHandled(activityId: string): Promise<boolean> {
    if (this.unwrittenSightings.has(activityId)) return true;
    return (await this.db.hint('SELECT 1 FROM seen_activities WHERE id = ?', [activityId])).length > 0;
  }

  async markHandled(activityId: string, at: Date): Promise<void> {
    if (this.unwrittenSightings.has(activityId)) return;
    // Batched as in the SQLite store (see there): one commit for the turns that end within a few milliseconds.
    this.unwrittenSightings.set(activityId, at.toISOString());
    if (!this.sightingTimer) {
      this.sightingTimer = setTimeout(() => void this.writeSightings(), sightingBatchMs);
      this.sightingTimer.unref();
    }
  }

  private writeSightings(): Promise<void> {
    clearTimeout(this.sightingTimer);
    this.sightingTimer = undefined;
    if (this.unwrittenSightings.size === 0) return this.sightingWrite;
    const batch = [...this.unwrittenSightings];
    // Kept in memory (and answered from there) until the database has them.
    const write = async (): Promise<void> => {
      await this.db.tx(async (tx) => {
        await tx.run(
          `INSERT INTO seen_activities (id, seen_at) SELECT * FROM unnest(?::text[], ?::text[]) ON CONFLICT DO NOTHING`,
          [batch.map(([id]) => id), batch.map(([, seenAt]) => seenAt)],
        );
        this.sightings += batch.length;
        if (this.sightings >= 1000) {
          this.sightings = 0;
          await tx.run('DELETE FROM seen_activities WHERE seen_at < ?', [new Date(Date.parse(batch[0]![1]) - 2 * 86_400_000).toISOString()]);
        }
      }, { hint: true });
      for (const [id] of batch) this.unwrittenSightings.delete(id);
    };
    this.sightingWrite = this.sightingWrite.then(write).catch(() => undefined);
    return this.sightingWrite;
  }

  async appendAudit(entry: AuditInput): Promise<AuditEntry> {
    return this.db.tx((tx) => this.audit.append(tx, entry));
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
    await this.db.run(insertInstanceSql, instanceArgs(i, now));
    this.instanceId = i.id;
  }

  async heartbeat(instanceId: string, now: Date): Promise<void> {
    await this.db.hint('UPDATE instances SET heartbeat_at = ? WHERE id = ? AND dead_at IS NULL', [now.toISOString(), instanceId]);
  }

  async listLiveInstances(host?: string): Promise<InstanceRecord[]> {
    const rows: Row[] = host === undefined
      ? await this.db.query('SELECT * FROM instances WHERE dead_at IS NULL ORDER BY started_at')
      : await this.db.query('SELECT * FROM instances WHERE dead_at IS NULL AND host = ? ORDER BY started_at', [host]);
    return rows.map(toInstance);
  }

  async markInstancesDead(ids: readonly string[], now: Date): Promise<void> {
    if (ids.length === 0) return;
    await this.db.run('UPDATE instances SET dead_at = ? WHERE id = ANY(?::text[]) AND dead_at IS NULL', [now.toISOString(), [...ids]]);
  }

  async extendLease(id: string, attempt: number, now: Date, until: Date): Promise<boolean> {
    const changed = await this.db.run(
      "UPDATE requests SET lease_until = GREATEST(lease_until, ?) WHERE id = ? AND status = 'running' AND attempt = ? AND lease_until > ?",
      [until.toISOString(), id, attempt, now.toISOString()],
    );
    return changed === 1;
  }

  async listOwedNotices(now: Date): Promise<RequestRecord[]> {
    const q = owedNoticesQuery(now, this.instanceId);
    return (await this.db.query(q.sql, q.args)).map(toRequest);
  }

  async takeNotice(requestId: string, now: Date, until: Date): Promise<boolean> {
    return (await this.db.run(takeNoticeSql, [until.toISOString(), requestId, now.toISOString()])) === 1;
  }

  async noticeDelivered(requestId: string): Promise<void> {
    await this.db.run('DELETE FROM owed_notices WHERE request_id = ?', [requestId]);
  }

  /** The key store's items and used links, shared by every instance on the database. */
  sealedItems(): SealedItems {
    return new PostgresSealedItems(this.db);
  }

  async close(): Promise<void> {
    await this.writeSightings();
    await this.audit.close();
    await this.db.close();
  }
}
