/** A request: one change an operator asked for, bound to its exact plan, moving through approval. */
import type { ConversationAddress, Person } from '../chat/ports';

export type RequestStatus =
  | 'pending'
  | 'approved'
  | 'running'
  | 'verified'
  | 'failed'
  | 'rejected'
  | 'expired'
  /** interrupted mid-run and not yet reconciled by reading the tenant back */
  | 'unknown';

export const openStatuses: readonly RequestStatus[] = ['pending', 'approved', 'running', 'unknown'];

/** One property the change moves from its current value to a new one. */
export interface PlannedChange {
  property: string;
  from: string;
  to: string;
}

export interface Plan {
  /** The object changed, in the admin's words, e.g. "Bob Kelly (bob.kelly@contoso.com)". */
  target: string;
  /** A stable key for the target (a UPN, a site name), for history and de-duplication. */
  subject: string;
  changes: PlannedChange[];
  /** The exact cmdlet calls that will run, as data. */
  calls: { cmdlet: string; params: Record<string, unknown> }[];
  /** The same calls rendered as PowerShell lines, shown on the approval card. */
  commands: string[];
  /** Notes the approver should read (e.g. a cmdlet a current module no longer ships). */
  notes: string[];
}

export interface VerificationItem {
  property: string;
  expected: string;
  actual: string;
  result: 'pass' | 'fail' | 'not-reported';
}

export interface Outcome {
  verification?: VerificationItem[];
  /** Why it failed, one line. */
  error?: string;
  /** How the final state was established, e.g. "read back after restart". */
  note?: string;
}

export interface RequestRecord {
  id: string;
  action: string;
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
}
