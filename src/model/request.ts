/** A request: one change (or batch) an operator asked for, bound to its exact plan, moving through approval. */
import type { ConversationAddress, Person } from './people';
import type { Outcome, Plan } from './plan';

export type RequestStatus =
  | 'pending'
  | 'approved'
  | 'running'
  /** between polls of a wait step; resumes at nextRunAt */
  | 'waiting'
  | 'verified'
  | 'failed'
  | 'rejected'
  | 'expired'
  /** the tenant changed after approval: nothing ran, re-plan to go on */
  | 'stale'
  /** interrupted mid-run and not yet reconciled by reading the tenant back */
  | 'unknown';

export const openStatuses: readonly RequestStatus[] = ['pending', 'approved', 'running', 'waiting', 'unknown'];
export const finalStatuses: readonly RequestStatus[] = ['verified', 'failed', 'rejected', 'expired', 'stale'];

/** Where the runner is in one step. */
export interface StepProgress {
  status: 'pending' | 'running' | 'done' | 'failed';
  /** Attempts of the request that started this step (fencing). */
  attempts: number;
  startedAt?: string;
  finishedAt?: string;
  /** The step's output (first objects only), for later steps' bound parameters and the card. */
  output?: unknown[];
  /** Wait steps: polls so far and when the wait started. */
  polls?: number;
  waitStartedAt?: string;
  /** The PowerShell line as bound (with values from earlier steps). */
  bound?: string;
  /**
   * A call step the tenant accepted but had not finished when the step's time ran out (a Graph operation): the
   * runner asks after it between polls instead of running the call again, and holds the request's locks meanwhile.
   */
  following?: { operation: TenantOperation; since: string; polls: number };
}

/** A change the tenant accepted and is still carrying out (a Graph long-running operation): how to ask after it. */
export interface TenantOperation {
  /** Who is carrying it out, as the admin knows it: "Microsoft Graph". */
  service: string;
  /** The operation's URL, as the service gave it (Graph's Location). */
  location: string;
  /** The service's own id for it, for the admin. */
  id?: string;
  /** What it does, in a few words: "the assignment of +14255550100". */
  what: string;
}

export interface RequestRecord {
  id: string;
  /** The command id in the catalog. */
  command: string;
  params: Record<string, unknown>;
  plan: Plan;
  requester: Person;
  tenantId: string;
  conversation: ConversationAddress;
  status: RequestStatus;
  createdAt: string;
  expiresAt: string;
  decidedBy?: Person;
  decidedAt?: string;
  reason?: string;
  attempt: number;
  leaseUntil?: string;
  outcome?: Outcome;
  dedupeKey: string;
  /** 0-based index of the next step to run. */
  position: number;
  steps: StepProgress[];
  /** When a waiting request runs again. */
  nextRunAt?: string;
  /** The request this one re-plans (after a stale plan). */
  replans?: string;
}
