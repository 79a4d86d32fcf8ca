/**
 * The store: requests, decisions, executions, card locations, conversation addresses and the audit log.
 * Async so that a PostgreSQL implementation fits the same interface. Every state change is a
 * compare-and-set on the current status, and its audit entry commits in the same transaction.
 */
import type { Site } from '../model/inventory';
import type { SealedItems } from '../model/sealed-items';
import type { ConversationAddress, Person } from '../model/people';
import type { Outcome } from '../model/plan';
import type { RequestRecord, RequestStatus, StepProgress } from '../model/request';

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

export interface AuditFilter {
  requestId?: string;
  /** Matched case-insensitively (subjects are stored normalized, and indexed). */
  subject?: string;
  /** A non-approver's Entra id: only entries of their own requests and their own acts (a refused click). */
  visibleTo?: string;
  limit?: number;
}

export type AuditVerdict = { ok: true; entries: number } | { ok: false; brokenAt: number; reason: string };

/** The chain as history shows it: verified through an entry (at a time), and how many newer ones are not yet. */
export type AuditChainState =
  | { state: 'verified'; through: number; at: string; newer: number; total: number }
  | { state: 'broken'; brokenAt: number; reason: string };

export interface CardLocation {
  conversation: ConversationAddress;
  activityId: string;
}

/** One item of a batch request as stored: its plan parts and, once run, its result. */
export interface BatchItemRecord {
  index: number;
  key: string;
  label: string;
  verdict: 'ready' | 'skip' | 'error';
  reason?: string;
  parts: { command: string; params: Record<string, unknown>; plan: RequestRecord['plan'] }[];
  status: 'pending' | 'running' | 'verified' | 'failed' | 'skipped';
  result?: Outcome;
}

/** One bot process as it registered itself in the store (see registerInstance). */
export interface InstanceRecord {
  id: string;
  pid: number;
  host: string;
  /** The process's start time as the OS reports it (/proc/<pid>/stat): tells a reused pid apart. */
  processStart: string;
  startedAt: string;
  heartbeatAt: string;
  /** Set once a later process saw this one gone and made sure its pwsh sessions were gone too. */
  deadAt?: string;
  /** The DATA_DIR it ran on, where its pwsh sessions are recorded (absent in records from before it was kept). */
  dataDir?: string;
}

export type CreateResult = { created: true } | { created: false; lock: string; heldBy: string };

export interface Store {
  /**
   * Stores a new request with its audit entry and takes its plan's locks, all in one transaction;
   * nothing else happens before this commits. Refused (nothing stored) when an open request holds a lock.
   */
  createRequest(request: RequestRecord, audit: AuditInput, items?: readonly Omit<BatchItemRecord, 'status'>[]): Promise<CreateResult>;
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
  /** Records the runner's place (step position and each step's progress), only by the attempt that holds the claim. */
  saveProgress(id: string, attempt: number, position: number, steps: readonly StepProgress[], audit?: AuditInput): Promise<boolean>;
  /** running -> waiting until `nextRunAt` (a wait step between polls), by the holding attempt. */
  park(id: string, attempt: number, nextRunAt: Date, position: number, steps: readonly StepProgress[]): Promise<RequestRecord | undefined>;
  /** running -> final status, only by the attempt that holds the claim. */
  finish(id: string, attempt: number, status: RequestStatus, outcome: Outcome, audit: AuditInput): Promise<RequestRecord | undefined>;
  /** Approved requests not yet started, waiting ones (with their time), and running ones whose lease lapsed. */
  listRecoverable(now: Date): Promise<RequestRecord[]>;

  listBatchItems(requestId: string): Promise<BatchItemRecord[]>;
  /** Records one item's status and result, only by the attempt that holds the batch's claim. */
  saveBatchItem(requestId: string, attempt: number, index: number, status: BatchItemRecord['status'], result?: Outcome): Promise<boolean>;

  /** The bot's PSTN site inventory. */
  listSites(): Promise<Site[]>;
  getSite(name: string): Promise<Site | undefined>;
  /** Creates or replaces a site, with its audit entry. */
  putSite(site: Site, audit: AuditInput): Promise<void>;

  addCard(requestId: string, card: CardLocation): Promise<void>;
  listCards(requestId: string): Promise<CardLocation[]>;

  saveConversation(key: string, address: ConversationAddress): Promise<void>;
  getConversation(key: string): Promise<ConversationAddress | undefined>;

  /**
   * Fast-path de-duplication of re-sent activities. An id is recorded once its turn has finished, so a
   * turn cut short by a crash is answered when Teams sends it again.
   */
  alreadyHandled(activityId: string): Promise<boolean>;
  /**
   * Records a finished turn's activity id. The turn asked alreadyHandled before it ran, so this does not ask
   * again; recording an id twice (two copies answered at once) keeps the first.
   */
  markHandled(activityId: string, at: Date): Promise<void>;

  appendAudit(entry: AuditInput): Promise<AuditEntry>;
  listAudit(filter: AuditFilter): Promise<AuditEntry[]>;
  /**
   * Re-computes the whole HMAC chain (paging through it), the decisions against the requests table and
   * the head against the checkpoint file; returns the first broken entry, if any. Not for a chat turn.
   */
  verifyAudit(): Promise<AuditVerdict>;
  /**
   * Bounded work for a chat turn: checks at most one checkpoint interval past the last verified entry
   * (none with `check: false`), then says where the chain stands.
   */
  auditState(options?: { check?: boolean }): Promise<AuditChainState>;

  /**
   * Registers this bot process; every later claim through this store records its id, so a restarted bot
   * knows which running requests the dead process held (no lease to wait out).
   */
  registerInstance(instance: Omit<InstanceRecord, 'heartbeatAt' | 'deadAt'>, now: Date): Promise<void>;
  heartbeat(instanceId: string, now: Date): Promise<void>;
  /** Instances not yet marked dead, on one host or all. */
  listLiveInstances(host?: string): Promise<InstanceRecord[]>;
  /** Marks instances dead: from then on, running requests they had claimed are recoverable at once. */
  markInstancesDead(ids: readonly string[], now: Date): Promise<void>;
  /**
   * Extends the holding attempt's lease to at least `until`, only while it still holds the claim and its
   * lease has not lapsed: a command may start only under a lease that outlasts it.
   */
  extendLease(id: string, attempt: number, now: Date, until: Date): Promise<boolean>;
  /**
   * Final requests whose requester is still owed the outcome, claimed by an instance now dead (or, on another
   * host, silent for a minute), and not taken by another instance at the moment.
   */
  listOwedNotices(now: Date): Promise<RequestRecord[]>;
  /** Takes an owed notice until `until`: true for the one instance that is to tell it. */
  takeNotice(requestId: string, now: Date, until: Date): Promise<boolean>;
  /** The requester was told the outcome. */
  noticeDelivered(requestId: string): Promise<void>;

  /**
   * Where the key store keeps sealed keys and PFX files when several instances share this store; absent,
   * they are files under DATA_DIR/keys (one instance).
   */
  sealedItems?(): SealedItems;

  close(): Promise<void>;
}
