/**
 * A command: one thing Switchboard does, declared in one file under commands/. Shared code reads only
 * what is declared here (kind, input, who may run it, how to plan, observe and answer); it never
 * branches on which command it is.
 *
 *   check     read-only: answers at once, no approval (status, listings, checks)
 *   change    request -> approval -> run the plan's steps -> read back and verify
 *   batch     many items under one approval, a result per item
 *   decision  acts on a request (approve / reject typed as text), with the same authorization as a card
 */
import type { z } from 'zod';
import type { Clock } from '../clock';
import type { Actor, IncomingFile, OutgoingMessage } from '../model/people';
import type { Plan } from '../model/plan';
import type { Store } from '../store/store';
import type { ReadCall, TenantPort } from '../tenant/port';
import type { GatewayCertificates } from '../certs/gateway-certificates';

export type Risk = 'low' | 'medium' | 'high';

/** Operational settings a command's plan reads (from configuration). */
export interface CommandSettings {
  /** Waiting for a new account in Skype for Business Online: first poll interval and deadline. */
  accountSync: { firstPollMs: number; deadlineMs: number };
}

/** What a command may use. Built by the conversation core for each turn (or by the runner). */
export interface CommandContext {
  tenant: TenantPort;
  store: Store;
  clock: Clock;
  settings: CommandSettings;
  /** Gateway keys and PFX files the bot holds (seed step 2, MTLS). */
  certificates: GatewayCertificates;
  actor: Actor;
  isApprover: boolean;
  /** The whole catalog (help lists it; passed in so no command imports the catalog's index). */
  commands: readonly Command[];
  /** Files that came with the message (e.g. a CSV in a personal chat). */
  files: readonly IncomingFile[];
  /** Shows how a long check is getting on (one message, updated in place). Optional: a runner has no chat. */
  progress?(text: string): Promise<void>;
  /** Decide on a request, as a card click would (decision commands). */
  decide(requestId: string, verdict: 'approve' | 'reject', reason?: string): Promise<OutgoingMessage>;
}

/** What the runner gives a change command when it reads the tenant back: no actor, no chat. */
export type ReadContext = Pick<CommandContext, 'tenant' | 'store' | 'clock' | 'certificates'>;

interface CommandBase<Input extends Record<string, unknown>> {
  /** kebab-case id, also the card action name. */
  id: string;
  title: string;
  /** One line for help. */
  summary: string;
  /** The syntax shown in help, e.g. "enable voice for <user> [number <E.164>]". */
  usage: string;
  /** Utterances that must parse to this command (tested). */
  examples: string[];
  /** Anchored, case-insensitive patterns over the normalized text; named groups become raw fields. */
  patterns: RegExp[];
  /** Validates raw fields (from the text or a form card) into the command's input. */
  input: z.ZodType<Input, Record<string, unknown>>;
  /** The field that names a user: resolved to exactly one UPN (or a choice card) before anything else. */
  userField?: keyof Input & string;
  /** Fields without which the command cannot go on: a form (when declared) or a question asks for them. */
  required: readonly (keyof Input & string)[];
  /** The question for a missing field when there is no form, e.g. "Which user?". */
  ask?: Partial<Record<keyof Input & string, string>>;
  /** The field a text file attached to the message fills when it is not given (a CSV in a personal chat). */
  fileField?: keyof Input & string;
  /** The form card (cards/<formCard>.json) that asks for the details, with its prefilled data. */
  formCard?: string;
  formData?(ctx: CommandContext, input: Partial<Input>): Promise<Record<string, unknown>>;
  /** Who sees and may run it: approver-only commands are hidden from everyone else in help. */
  audience: 'everyone' | 'approvers';
  /**
   * The reads the command makes that do not depend on which user the input names (who holds the number asked
   * for, the tenant's hybrid settings): they go in the same round trip as the user lookup. `input.user` may
   * still be a name here.
   */
  reads?(input: Input): ReadCall[];
}

export interface CheckCommand<Input extends Record<string, unknown> = Record<string, unknown>> extends CommandBase<Input> {
  kind: 'check' | 'decision';
  run(ctx: CommandContext, input: Input): Promise<OutgoingMessage>;
}

export interface ChangeCommand<Input extends Record<string, unknown> = Record<string, unknown>> extends CommandBase<Input> {
  kind: 'change';
  risk: Risk;
  /** The limit for one step's cmdlet; the backend's own per-command timeout still caps it. */
  timeoutMs: number;
  /**
   * Reads the tenant and returns the exact change, or throws a Refusal: bad input, a rule of the
   * procedure broken, or nothing to change (said, never filed).
   */
  plan(ctx: CommandContext, input: Input): Promise<Plan>;
  /**
   * Reads the current value of every property the plan names (changes and expectations). The runner
   * calls it before the first step (is the tenant still what the approver saw?) and after the last
   * (verification). `undefined` means the module in front of us does not report that property.
   */
  observe(ctx: ReadContext, input: Input, subject: string): Promise<Record<string, unknown>>;
}

/** One item of a batch: a verdict, and when it is ready, the change commands (with their plans) it runs. */
export interface BatchItem {
  /** Stable key for the item, e.g. the row's user. */
  key: string;
  /** How the item reads in tables, e.g. "row 3: bob.kelly@contoso.com". */
  label: string;
  verdict: 'ready' | 'skip' | 'error';
  /** Why it is skipped (already in the wanted state) or in error (one line). */
  reason?: string;
  /** The parts this item runs, in order, each a change command of the catalog with its plan. */
  parts: { command: string; params: Record<string, unknown>; plan: Plan }[];
}

export interface BatchCommand<Input extends Record<string, unknown> = Record<string, unknown>> extends CommandBase<Input> {
  kind: 'batch';
  risk: Risk;
  timeoutMs: number;
  /** Title of the batch as a whole, e.g. "120 users from voice.csv". */
  describe(input: Input, items: readonly BatchItem[]): { target: string; subject: string };
  /** Reads the rows and plans each one; a bad row gets its reason and does not stop the others. */
  items(ctx: CommandContext, input: Input): Promise<BatchItem[]>;
}

export type Command = CheckCommand | ChangeCommand | BatchCommand;

/** Erases the input type so commands of different inputs can share one list. */
export function defineCommand<Input extends Record<string, unknown>>(command: CheckCommand<Input> | ChangeCommand<Input> | BatchCommand<Input>): Command {
  return command as unknown as Command;
}
