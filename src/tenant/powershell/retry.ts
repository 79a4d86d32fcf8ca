/** When and how long to wait before retrying a failed cmdlet. */
import type { CmdletEffect } from '../cmdlets';
import type { TenantErrorKind } from '../port';

export interface RetryPolicy {
  /** Total attempts including the first. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { attempts: 4, baseDelayMs: 250, maxDelayMs: 8000 };

/**
 * Whether a failed attempt may be repeated without knowing if it took effect. 'read' and 'set' (set to given
 * values) land in the same state when repeated. A new effect (e.g. 'create', 'append') must decide here: the
 * `never` check makes adding one a compile error until it does, so nothing non-idempotent is retried blindly.
 */
export function mayRetryBlindly(effect: CmdletEffect): boolean {
  switch (effect) {
    case 'read':
    case 'set':
      return true;
    // A create that timed out or lost its connection may have landed: only a read-back can tell.
    case 'create':
      return false;
    default: {
      const unhandled: never = effect;
      void unhandled;
      return false;
    }
  }
}

/** Only failures that say "try again later" are retried; timeouts and crashes are reported to the caller. */
export function shouldRetry(kind: TenantErrorKind, effect: CmdletEffect, attempt: number, policy: RetryPolicy): boolean {
  return kind === 'transient' && mayRetryBlindly(effect) && attempt < policy.attempts;
}

/** Exponential backoff with jitter (half fixed, half random) so several sessions do not retry in lockstep. */
export function backoffDelayMs(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(exponential / 2 + random() * (exponential / 2));
}
