/**
 * An action: one change Switchboard can make, declared in one file. The workflow reads only what is
 * declared here (input, risk, timeout, how to plan and verify); it never branches on which action it is.
 */
import type { z } from 'zod';
import type { TenantPort } from '../tenant/port';
import type { Plan, VerificationItem } from '../workflow/request';

export type Risk = 'low' | 'medium' | 'high';

export interface ActionContext {
  tenant: TenantPort;
}

export interface Action<Input extends Record<string, unknown> = Record<string, unknown>> {
  /** kebab-case id, also the card action name. */
  id: string;
  title: string;
  /** One line for help. */
  summary: string;
  /** The command syntax shown in help, e.g. "enable voice for <user> [number <E.164>]". */
  usage: string;
  /** Utterances that must parse to this action (tested). */
  examples: string[];
  /**
   * Patterns over the command text; named groups become raw input fields. Anchored, case-insensitive.
   * Exactly one action may match a command.
   */
  patterns: RegExp[];
  /** Validates raw input (from the command text or the form card) into the action's parameters. */
  input: z.ZodType<Input, Record<string, unknown>>;
  /**
   * The input field that names a user, if any: the conversation resolves it to exactly one user
   * (a choice card when several match) and replaces it with that user's UPN before planning.
   */
  userField?: keyof Input & string;
  /** Fields that must be present to skip the form; otherwise the form card is shown. */
  required: readonly (keyof Input & string)[];
  /** The form card (cards/<formCard>.json) that asks for the details. */
  formCard: string;
  risk: Risk;
  /** Repeating the calls lands in the same state, so an interrupted run may be re-run after a read-back. */
  idempotent: boolean;
  timeoutMs: number;
  /** Data for the form card, prefilled with what is known. */
  formData(ctx: ActionContext, input: Partial<Input>): Promise<Record<string, unknown>>;
  /** Reads the tenant and returns the exact change, or throws a Refusal (e.g. nothing to change). */
  plan(ctx: ActionContext, input: Input): Promise<Plan>;
  /** Reads the tenant back and checks each property the change promised. */
  verify(ctx: ActionContext, input: Input, plan: Plan): Promise<VerificationItem[]>;
}

/** Erases the input type so actions of different inputs can share one list. */
export function defineAction<Input extends Record<string, unknown>>(action: Action<Input>): Action {
  return action as unknown as Action;
}
