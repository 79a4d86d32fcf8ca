/**
 * What an audit entry is and what makes one sound, apart from the database that holds it: the row shape,
 * the form an entry is hashed in, the index columns, and the checks of one entry against the one before it
 * and of a decision entry against its request. The SQLite log (audit-log.ts) and the PostgreSQL one
 * (postgres-audit-log.ts) differ only in how they read and write rows.
 */
import type { Person } from '../model/people';
import type { RequestStatus } from '../model/request';
import { chainHash, genesisHash, sameDigest, type Checkpoint } from './audit-chain';
import { AuditKeyError } from './audit-key';
import type { CheckpointRead } from './checkpoint';
import type { AuditEntry, AuditFilter, AuditInput } from './store';

export type Row = Record<string, string | number | boolean | null>;

/** Plain SQL both databases run. */
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

/** Created after the columns exist (a SQLite data directory from before them gets them first). */
export const auditIndexes = `
DROP INDEX IF EXISTS audit_subject;
CREATE INDEX IF NOT EXISTS audit_subject_key ON audit (subject_key, seq);
CREATE INDEX IF NOT EXISTS audit_owner ON audit (owner_id, seq);
CREATE INDEX IF NOT EXISTS audit_actor ON audit (actor_id, seq);
`;

/** The statuses a request can only be in after an approval. */
export const approvedStatuses: readonly RequestStatus[] = ['approved', 'running', 'waiting', 'unknown', 'verified', 'failed', 'stale'];
export const decisionEvents: readonly string[] = ['request.approved', 'request.rejected'];

/** The decision as the requests table holds it, carried by the decision's audit entry. */
export interface DecisionRecord {
  status: 'approved' | 'rejected';
  decidedById: string;
  decidedByName: string;
  decidedAt: string;
  reason: string | null;
}

/** A problem found at an entry (or, for the anchors, at the entry where the log should go on). */
export interface Problem {
  brokenAt: number;
  reason: string;
}

/** Where a pass has got to: the last entry checked and its hash. */
export interface Cursor {
  seq: number;
  hash: string;
}

export function normalizeSubject(subject: string): string {
  return subject.trim().toLowerCase();
}

export function actorId(actor: Person | 'system'): string | null {
  return actor === 'system' ? null : actor.id;
}

/** The SQL of the history queries (`?` placeholders), exported so a test can ask SQLite for its plan. */
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

/** A non-approver's history: entries of their own requests and their own acts, two index walks merged. */
export function mergeVisible(pages: readonly Row[][], limit: number): AuditEntry[] {
  const seen = new Map<number, AuditEntry>();
  for (const rows of pages) for (const r of rows) seen.set(Number(r.seq), toAudit(r));
  return [...seen.values()].sort((a, b) => b.seq - a.seq).slice(0, limit);
}

export function toAudit(r: Row): AuditEntry {
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

/** Whether an entry carries the key's HMAC (the oldest entry, when there is no checkpoint file to check the key). */
export function signedBy(key: Buffer, row: Row): boolean {
  try {
    const e = toAudit(row);
    return sameDigest(e.hash, chainHash(key, e.prevHash, e.seq, content(e)));
  } catch {
    return false;
  }
}

/** One entry as it is written: the columns of its row, its hash over its JSON round trip, and what is returned. */
export interface NewAuditRow {
  entry: AuditEntry;
  /** In the column order of `insertAuditSql`, less owner_id (which the writer looks up). */
  columns: (string | number | null)[];
}

export const insertAuditSql =
  'INSERT INTO audit (seq, at, actor, event, request_id, subject, code, detail, prev_hash, hash, subject_key, actor_id, owner_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';

export function newAuditRow(key: Buffer, last: Cursor | undefined, entry: AuditInput): NewAuditRow {
  const seq = last ? last.seq + 1 : 1;
  const prevHash = last ? last.hash : genesisHash;
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
  const hash = chainHash(key, prevHash, seq, stored);
  return {
    entry: { ...stored, seq, prevHash, hash },
    columns: [seq, entry.at, actorJson, entry.event, entry.requestId ?? null, entry.subject ?? null, entry.code ?? null, detailJson, prevHash, hash,
      entry.subject !== undefined ? normalizeSubject(entry.subject) : null, actorId(stored.actor)],
  };
}

/** Every N entries the log signs its own head with an `audit.checkpoint` entry, which follows the entry it names. */
export function checkpointAfter(written: AuditEntry, every: number): AuditInput | undefined {
  if ((written.seq + 1) % every !== 0) return undefined;
  const through = written.seq;
  return { at: written.at, actor: 'system', event: 'audit.checkpoint', detail: { through, head: written.hash, count: through } };
}

export function asCheckpoint(e: AuditEntry): Checkpoint {
  return { seq: e.seq, head: e.hash, count: e.seq, at: e.at };
}

/** A decision's entry, carrying the decision columns exactly as the requests table holds them. */
export function decisionEntry(requestId: string, d: { status: 'approved' | 'rejected'; by: Person; at: Date; reason?: string }, entry: AuditInput): AuditInput {
  const decision: DecisionRecord = { status: d.status, decidedById: d.by.id, decidedByName: d.by.name, decidedAt: d.at.toISOString(), reason: d.reason ?? null };
  return { ...entry, requestId: entry.requestId ?? requestId, detail: { ...entry.detail, decision } };
}

/**
 * One entry against the one before it: its number, its link, its HMAC, its index columns, and a checkpoint
 * entry's claim. A decision entry still needs its request's row: `decision` names the entry to check with
 * checkDecision.
 */
export function checkEntry(key: Buffer, row: Row, prev: Cursor): { problem: Problem } | { decision?: AuditEntry } {
  const seq = Number(row.seq);
  const expected = prev.seq + 1;
  if (seq !== expected) return { problem: { brokenAt: seq, reason: `entry ${expected} is missing` } };
  let e: AuditEntry;
  try {
    e = toAudit(row);
  } catch {
    return { problem: { brokenAt: seq, reason: 'the entry is not readable' } };
  }
  if (e.prevHash !== prev.hash) return { problem: { brokenAt: seq, reason: 'previous-hash link does not match' } };
  if (!sameDigest(e.hash, chainHash(key, e.prevHash, seq, content(e)))) return { problem: { brokenAt: seq, reason: 'content does not match its hash' } };
  const subjectKey = e.subject !== undefined ? normalizeSubject(e.subject) : null;
  if (row.subject_key !== subjectKey || row.actor_id !== actorId(e.actor)) return { problem: { brokenAt: seq, reason: 'its index columns do not match its content' } };
  if (e.event === 'audit.checkpoint') {
    const d = e.detail ?? {};
    if (d.through !== seq - 1 || d.head !== prev.hash || d.count !== seq - 1) return { problem: { brokenAt: seq, reason: 'the checkpoint entry does not match the chain before it' } };
  }
  if (decisionEvents.includes(e.event) || e.detail?.decision !== undefined) return { decision: e };
  return {};
}

/** The SQL that reads a decision entry's request (one `?`: the request id). */
export const decisionRowSql = 'SELECT status, decided_by_id, decided_by_name, decided_at, reason FROM requests WHERE id = ?';

/** A decision entry against its request's row (decisionRowSql), or undefined when the request is not there. */
export function checkDecision(e: AuditEntry, r: Row | undefined): Problem | undefined {
  const d = e.detail?.decision as Partial<DecisionRecord> | undefined;
  const at = { brokenAt: e.seq };
  if (!d || !e.requestId) return { ...at, reason: 'the decision entry does not carry the decision' };
  if (!r) return { ...at, reason: `request ${e.requestId}, decided in this entry, is not in the requests table` };
  const differs: string[] = [];
  if (r.decided_by_id !== d.decidedById || r.decided_by_name !== d.decidedByName) differs.push('decided_by');
  if (r.decided_at !== d.decidedAt) differs.push('decided_at');
  if ((r.reason ?? null) !== (d.reason ?? null)) differs.push('reason');
  const status = String(r.status) as RequestStatus;
  if (d.status === 'rejected' ? status !== 'rejected' : !approvedStatuses.includes(status)) differs.push('status');
  return differs.length ? { ...at, reason: `request ${e.requestId}'s decision in the requests table (${differs.join(', ')}) differs from this entry` } : undefined;
}

/** The SQL of a page of requests for the decided-without-an-entry check (`?`: the decision events, after id, limit). */
export const requestsPageSql = `SELECT r.id, r.status, r.decided_at, EXISTS (SELECT 1 FROM audit a WHERE a.request_id = r.id AND a.event IN (${decisionEvents.map(() => '?').join(', ')})) AS has_entry
  FROM requests r WHERE r.id > ? ORDER BY r.id LIMIT ?`;

/** A request that holds a decision (or a status only a decision leads to) with no decision entry. */
export function undecidedProblem(rows: readonly Row[], headSeq: number): Problem | undefined {
  for (const r of rows) {
    const decided = r.decided_at !== null || approvedStatuses.includes(String(r.status) as RequestStatus) || r.status === 'rejected';
    if (decided && !(r.has_entry === true || Number(r.has_entry) === 1)) {
      return { brokenAt: headSeq, reason: `request ${String(r.id)} is ${String(r.status)} with a decision that no audit entry records` };
    }
  }
  return undefined;
}

/** Whether the database still holds a checkpoint's entry, with its hash, at or before its head. */
export function extendsProblem(c: Checkpoint, head: Cursor | undefined, hashAtCheckpoint: string | undefined): Problem | undefined {
  if (c.seq === 0) return undefined;
  const last = head?.seq ?? 0;
  if (last < c.seq) {
    return { brokenAt: last + 1, reason: `entries ${last + 1} to ${c.seq} are missing: the checkpoint file names entry ${c.seq} (the newest entries were deleted)` };
  }
  if (hashAtCheckpoint === undefined || !sameDigest(hashAtCheckpoint, c.head)) return { brokenAt: c.seq, reason: `entry ${c.seq} differs from the checkpoint file` };
  return undefined;
}

/**
 * What the checkpoint file tells at open about a log that has entries. A file signed with another key stops
 * start-up (AuditKeyError); without a file, the oldest entry must carry the key's HMAC (`check-first-entry`,
 * then firstEntryRefusal); an unreadable file is a problem for history to report, not a refusal to start.
 */
export function anchorAtOpen(file: CheckpointRead, head: Cursor, keySource: string): { kind: 'check-first-entry' } | { kind: 'problem'; problem: Problem } | { kind: 'anchor'; checkpoint: Checkpoint } {
  if (file.state === 'invalid' && /not signed by this audit key/.test(file.reason)) {
    throw new AuditKeyError(`The audit key from ${keySource} does not match this audit log (${file.reason}); not starting.`);
  }
  if (file.state === 'absent') return { kind: 'check-first-entry' };
  if (file.state === 'invalid') return { kind: 'problem', problem: { brokenAt: head.seq + 1, reason: file.reason } };
  return { kind: 'anchor', checkpoint: file.checkpoint };
}

export function firstEntryRefusal(key: Buffer, keySource: string, first: Row): AuditKeyError | undefined {
  return signedBy(key, first)
    ? undefined
    : new AuditKeyError(`The audit key from ${keySource} did not sign entry ${Number(first.seq)} of this audit log (wrong key, or the entry was rewritten: run npm run audit:verify); not starting.`);
}
