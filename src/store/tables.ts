/**
 * The store's tables other than the audit log, in SQL both SQLite and PostgreSQL run (plain types, ISO-8601
 * text times), and a request as a row of them.
 */
import type { ConversationAddress } from '../model/people';
import type { Outcome } from '../model/plan';
import { finalStatuses, openStatuses, type RequestRecord, type RequestStatus, type StepProgress } from '../model/request';
import type { Row } from './audit-rules';
import type { InstanceRecord } from './store';

export type { Row } from './audit-rules';

export const schema = `
CREATE TABLE IF NOT EXISTS requests (
  id TEXT PRIMARY KEY,
  action TEXT NOT NULL,
  params TEXT NOT NULL,
  plan TEXT NOT NULL,
  requester_id TEXT NOT NULL,
  requester_name TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  conversation TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  decided_by_id TEXT,
  decided_by_name TEXT,
  decided_at TEXT,
  reason TEXT,
  attempt INTEGER NOT NULL DEFAULT 0,
  lease_until TEXT,
  outcome TEXT,
  dedupe_key TEXT NOT NULL,
  position INTEGER NOT NULL DEFAULT 0,
  steps TEXT NOT NULL DEFAULT '[]',
  next_run_at TEXT,
  replans TEXT
);
CREATE TABLE IF NOT EXISTS request_locks (
  lock TEXT PRIMARY KEY,
  request_id TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS batch_items (
  request_id TEXT NOT NULL,
  idx INTEGER NOT NULL,
  item TEXT NOT NULL,
  status TEXT NOT NULL,
  result TEXT,
  PRIMARY KEY (request_id, idx)
);
CREATE TABLE IF NOT EXISTS sites (
  name_key TEXT PRIMARY KEY,
  site TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS requests_status ON requests (status);
CREATE INDEX IF NOT EXISTS requests_dedupe ON requests (dedupe_key, status);
CREATE TABLE IF NOT EXISTS request_cards (
  request_id TEXT NOT NULL,
  activity_id TEXT NOT NULL,
  conversation TEXT NOT NULL,
  PRIMARY KEY (request_id, activity_id)
);
CREATE TABLE IF NOT EXISTS conversations (
  key TEXT PRIMARY KEY,
  address TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS seen_activities (
  id TEXT PRIMARY KEY,
  seen_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS instances (
  id TEXT PRIMARY KEY,
  pid INTEGER NOT NULL,
  host TEXT NOT NULL,
  process_start TEXT NOT NULL,
  started_at TEXT NOT NULL,
  heartbeat_at TEXT NOT NULL,
  dead_at TEXT,
  data_dir TEXT
);
CREATE TABLE IF NOT EXISTS owed_notices (
  request_id TEXT PRIMARY KEY,
  taken_until TEXT
);
`;

/** Running requests whose claiming process is known dead: recoverable at once, whatever their lease says. */
export const claimedByDead = "claimed_by IN (SELECT id FROM instances WHERE dead_at IS NOT NULL)";


export function toRequest(r: Row): RequestRecord {
  const s = (k: string) => (r[k] === null || r[k] === undefined ? undefined : String(r[k]));
  return {
    id: String(r.id),
    command: String(r.action),
    params: JSON.parse(String(r.params)) as Record<string, unknown>,
    plan: JSON.parse(String(r.plan)) as RequestRecord['plan'],
    requester: { id: String(r.requester_id), name: String(r.requester_name) },
    tenantId: String(r.tenant_id),
    conversation: JSON.parse(String(r.conversation)) as ConversationAddress,
    status: String(r.status) as RequestStatus,
    createdAt: String(r.created_at),
    expiresAt: String(r.expires_at),
    ...(s('decided_by_id') ? { decidedBy: { id: s('decided_by_id')!, name: s('decided_by_name') ?? '' } } : {}),
    ...(s('decided_at') ? { decidedAt: s('decided_at') } : {}),
    ...(s('reason') ? { reason: s('reason') } : {}),
    attempt: Number(r.attempt),
    ...(s('lease_until') ? { leaseUntil: s('lease_until') } : {}),
    ...(s('outcome') ? { outcome: JSON.parse(s('outcome')!) as Outcome } : {}),
    dedupeKey: String(r.dedupe_key),
    position: Number(r.position ?? 0),
    steps: JSON.parse(String(r.steps ?? '[]')) as StepProgress[],
    ...(s('next_run_at') ? { nextRunAt: s('next_run_at') } : {}),
    ...(s('replans') ? { replans: s('replans') } : {}),
  };
}

/** Requests in these states hold their locks (a pending one only until it expires). */
export const holdingStatuses = openStatuses.filter((st) => st !== 'pending');

export const insertInstanceSql = 'INSERT INTO instances (id, pid, host, process_start, started_at, heartbeat_at, data_dir) VALUES (?, ?, ?, ?, ?, ?, ?)';

export function instanceArgs(i: Omit<InstanceRecord, 'heartbeatAt' | 'deadAt'>, now: Date): (string | number | null)[] {
  return [i.id, i.pid, i.host, i.processStart, i.startedAt, now.toISOString(), i.dataDir ?? null];
}

export function toInstance(r: Row): InstanceRecord {
  return {
    id: String(r.id), pid: Number(r.pid), host: String(r.host), processStart: String(r.process_start),
    startedAt: String(r.started_at), heartbeatAt: String(r.heartbeat_at),
    ...(r.data_dir !== null && r.data_dir !== undefined ? { dataDir: String(r.data_dir) } : {}),
  };
}

/** The newest open request with a dedupe key (`?`: the key, the holding statuses, now). */
export const openByDedupeKeySql = `SELECT * FROM requests WHERE dedupe_key = ? AND (status IN (${holdingStatuses.map(() => '?').join(', ')}) OR (status = 'pending' AND expires_at > ?)) ORDER BY created_at DESC LIMIT 1`;

export function listRequestsQuery(filter: { statuses?: readonly RequestStatus[]; requesterId?: string; limit?: number }): { sql: string; args: (string | number)[] } {
  const where: string[] = [];
  const args: (string | number)[] = [];
  if (filter.statuses?.length) {
    where.push(`status IN (${filter.statuses.map(() => '?').join(', ')})`);
    args.push(...filter.statuses);
  }
  if (filter.requesterId) {
    where.push('requester_id = ?');
    args.push(filter.requesterId);
  }
  args.push(filter.limit ?? 50);
  return { sql: `SELECT * FROM requests ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id LIMIT ?`, args };
}

/**
 * An instance whose heartbeat (every 5 s) is this old is taken for gone when only a notice is at stake: on
 * another host its death is never seen from here, and a wrong guess costs a requester a second message.
 */
export const heartbeatStaleMs = 60_000;

/**
 * Final requests whose requester is still owed the outcome, claimed by an instance dead or gone quiet (never
 * `self`, which tells its own), and not being told right now.
 */
export function owedNoticesQuery(now: Date, self: string | null): { sql: string; args: string[] } {
  return {
    sql: `SELECT r.* FROM owed_notices o JOIN requests r ON r.id = o.request_id
      WHERE r.status IN (${finalStatuses.map(() => '?').join(', ')}) AND (o.taken_until IS NULL OR o.taken_until <= ?)
        AND r.claimed_by IN (SELECT id FROM instances WHERE id <> ? AND (dead_at IS NOT NULL OR heartbeat_at <= ?))
      ORDER BY r.created_at`,
    args: [...finalStatuses, now.toISOString(), self ?? '', new Date(now.getTime() - heartbeatStaleMs).toISOString()],
  };
}

/** Takes an owed notice for a while (`?`: until, id, now): of several instances, one tells. */
export const takeNoticeSql = 'UPDATE owed_notices SET taken_until = ? WHERE request_id = ? AND (taken_until IS NULL OR taken_until <= ?)';
