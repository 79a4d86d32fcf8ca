/**
 * The store: requests, decisions, executions, card locations, conversation addresses and the audit log.
 * Async so that a PostgreSQL implementation fits the same interface. Every state change is a
 * compare-and-set on the current status, and its audit entry commits in the same transaction.
 */
import type { ConversationAddress, Person } from '../chat/ports';
import type { Outcome, RequestRecord, RequestStatus } from '../workflow/request';

export interface AuditInput {
  at: string;
  actor: Person | 'system';
  event: string;
  requestId?: string;
  /** The object acted on (a UPN, a site), so history can be filtered by it. */
  subject?: string;
  code?: string;
  detail?: Record<string, unknown>;
}

export interface AuditEntry extends AuditInput {
  seq: number;
  prevHash: string;
  hash: string;
}

export interface CardLocation {
  conversation: ConversationAddress;
  activityId: string;
}

export interface Store {
  /** Stores a new request with its audit entry; nothing else happens before this commits. */
  createRequest(request: RequestRecord, audit: AuditInput): Promise<void>;
  getRequest(id: string): Promise<RequestRecord | undefined>;
  findOpenByDedupeKey(dedupeKey: string, now: Date): Promise<RequestRecord | undefined>;
  listRequests(filter: { statuses?: readonly RequestStatus[]; requesterId?: string; limit?: number }): Promise<RequestRecord[]>;

  /** pending -> approved | rejected, only while pending and unexpired. Undefined when another decision won. */
  decide(id: string, decision: { status: 'approved' | 'rejected'; by: Person; at: Date; reason?: string }, audit: AuditInput): Promise<RequestRecord | undefined>;
  /** pending -> expired for every request past its expiry. */
  expire(now: Date): Promise<RequestRecord[]>;
  /**
   * Takes an approved request (or a running one whose lease lapsed) for execution, with a new attempt
   * number that fences out any older attempt. Undefined when someone else holds it.
   */
  claim(id: string, now: Date, leaseUntil: Date, audit: AuditInput): Promise<RequestRecord | undefined>;
  /** running -> final status, only by the attempt that holds the claim. */
  finish(id: string, attempt: number, status: RequestStatus, outcome: Outcome, audit: AuditInput): Promise<RequestRecord | undefined>;
  /** Approved requests not yet started, and running ones whose lease lapsed (the process died). */
  listRecoverable(now: Date): Promise<RequestRecord[]>;

  addCard(requestId: string, card: CardLocation): Promise<void>;
  listCards(requestId: string): Promise<CardLocation[]>;

  saveConversation(key: string, address: ConversationAddress): Promise<void>;
  getConversation(key: string): Promise<ConversationAddress | undefined>;

  /**
   * Fast-path de-duplication of re-sent activities. An id is recorded once its turn has finished, so a
   * turn cut short by a crash is answered when Teams sends it again.
   */
  alreadyHandled(activityId: string): Promise<boolean>;
  /** Records a finished turn's activity id; true the first time. */
  firstSighting(activityId: string, at: Date): Promise<boolean>;

  appendAudit(entry: AuditInput): Promise<AuditEntry>;
  listAudit(filter: { requestId?: string; subject?: string; limit?: number }): Promise<AuditEntry[]>;
  /** Re-computes the hash chain; returns the first broken entry, if any. */
  verifyAudit(): Promise<{ ok: true; entries: number } | { ok: false; brokenAt: number; reason: string }>;

  close(): Promise<void>;
}
