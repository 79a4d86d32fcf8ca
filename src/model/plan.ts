/**
 * Plans: what a change will do, as data stored with its request and shown on the approval card.
 * A plan is a list of steps (cmdlet calls and waits); the runner keeps each step's position, so a
 * restart resumes where it stopped instead of starting again from the top.
 */
import type { Site } from './inventory';

/** One property a change moves from the value the approver saw to a new one. */
export interface PlannedChange {
  property: string;
  /** The value read when the plan was made, as shown to the approver. The run checks it again. */
  from: string;
  to: string;
}

/** A parameter whose value is read from an earlier step's output when the step is bound. */
export interface FromStep {
  /** 1-based position of the earlier step. */
  step: number;
  /** A property of that step's first output object, e.g. "DisplayName". */
  property: string;
}

export interface CallStep {
  kind: 'call';
  title: string;
  cmdlet: string;
  /** Literal parameters, validated against the allow-list when the plan is made and again when bound. */
  params: Record<string, unknown>;
  /** Parameters that come from an earlier step's output, shown on the card as "from step N". */
  bind?: Record<string, FromStep>;
  /** Repeating the call lands in the same state, so an interrupted run may repeat it after a read-back. */
  repeatSafe: boolean;
}

/** When a wait step's read counts as done. */
export type WaitCondition =
  /** the read returns at least one object (not-found counts as not yet) */
  | { kind: 'found' }
  /** the first object's property equals the value (case-insensitive for text) */
  | { kind: 'equals'; property: string; value: string | boolean };

export interface WaitStep {
  kind: 'wait';
  title: string;
  /** A read-only cmdlet polled until the condition holds. */
  cmdlet: string;
  params: Record<string, unknown>;
  until: WaitCondition;
  /** Gives up this long after the wait started. */
  deadlineMs: number;
  /** Backoff: first interval, doubled each poll up to the maximum. */
  pollMs: { first: number; max: number };
  /** Said when the deadline passes, one line with what to do. */
  onDeadline: string;
  repeatSafe: true;
}

/** Writes the bot's own site inventory (no tenant change); read back from the store. */
export interface RecordStep {
  kind: 'record';
  title: string;
  site: Site;
  repeatSafe: true;
}

/**
 * Makes a gateway's key and CSR, or packs its issued certificate into a PFX (seed step 2, MTLS). What it
 * makes is kept encrypted by the bot and handed to the requester alone (a file, a one-time link and its
 * password in separate messages); nothing secret is stored with the request.
 */
export interface CertificateStep {
  kind: 'certificate';
  title: string;
  operation: 'request' | 'import' | 'issue';
  /** The gateway FQDN: the certificate's CN and DNS SAN. */
  gateway: string;
  /** import: the issued certificate (public), with any intermediates, PEM. */
  certificatePem?: string;
  /** Running it again makes a fresh key or PFX; an earlier one that reached the requester still works. */
  repeatSafe: true;
}

export type Step = CallStep | WaitStep | RecordStep | CertificateStep;

/** One read-back check: every property the change promises (changed or already right), and facts like VoicePolicy HybridVoice. */
export interface Expectation {
  property: string;
  value: string;
}

export interface Plan {
  /** The object changed, in the admin's words, e.g. "Bob Kelly (bob.kelly@contoso.com)". */
  target: string;
  /** A stable key for the target (a UPN, a site name, "tenant"), for history and locks. */
  subject: string;
  changes: PlannedChange[];
  /** Read-back checks beyond the changes themselves. */
  expectations: Expectation[];
  steps: Step[];
  /** The steps rendered as PowerShell lines, shown on the approval card. */
  commands: string[];
  /** What this request holds while open: "<subject>|<property>" and e.g. "number:tel:+1…". */
  locks: string[];
  /** Notes the approver should read (e.g. a cmdlet a current module no longer ships). */
  notes: string[];
}

export interface VerificationItem {
  property: string;
  expected: string;
  actual: string;
  result: 'pass' | 'fail' | 'not-reported';
}

/** A property whose value changed between approval and execution. */
export interface StaleProperty {
  property: string;
  approved: string;
  now: string;
}

export interface Outcome {
  verification?: VerificationItem[];
  /** Why it failed, one line. */
  error?: string;
  /** How the final state was established, e.g. "read back after restart". */
  note?: string;
  /** Set when the tenant no longer matched what the approver saw: nothing ran. */
  stale?: StaleProperty[];
}
