/**
 * Running one step of a plan: binding a call's parameters from earlier steps (validated against the
 * allow-list when bound), polling a wait step's read, and judging a read-back. Pure of storage: the
 * runner (executor.ts) records where it is before and after each of these.
 */
import { check, psText } from '../catalog/fields';
import type { CallStep, Expectation, PlannedChange, StaleProperty, VerificationItem, WaitStep } from '../model/plan';
import type { StepProgress } from '../model/request';
import { parseCall, type CmdletCall } from '../tenant/cmdlets';
import { TenantError, type TenantPort } from '../tenant/port';

/** The call as it will run: literal parameters plus those read from earlier steps' output. */
export function bindCall(step: CallStep, progress: readonly StepProgress[]): CmdletCall {
  const params: Record<string, unknown> = { ...step.params };
  for (const [name, from] of Object.entries(step.bind ?? {})) {
    const first = progress[from.step - 1]?.output?.[0];
    const value = first && typeof first === 'object' ? (first as Record<string, unknown>)[from.property] : undefined;
    if (value === undefined || value === null || value === '') throw new Error(`Step ${from.step} returned no ${from.property} for -${name}.`);
    params[name] = value;
  }
  return parseCall({ cmdlet: step.cmdlet, params });
}

/** Runs a validated call. The one cast is sound: parseCall checked params against this cmdlet's schema. */
export function runCall(tenant: TenantPort, c: CmdletCall, options: { requestId: string; timeoutMs: number }) {
  return tenant.run(c.cmdlet, c.params as never, options);
}

/** Outputs kept with a step: the first few objects, enough for later steps and the card. */
export function keepOutput(output: unknown): unknown[] {
  return Array.isArray(output) ? output.slice(0, 3) : output === null || output === undefined ? [] : [output];
}

export type PollResult = { met: true; output: unknown[] } | { met: false; output: unknown[] };

/** One poll of a wait step. Not-found counts as "not yet"; a refused read is an error. */
export async function pollOnce(tenant: TenantPort, step: WaitStep, options: { requestId: string; timeoutMs: number }): Promise<PollResult> {
  let output: unknown[];
  try {
    const c = parseCall({ cmdlet: step.cmdlet, params: step.params });
    output = keepOutput((await runCall(tenant, c, options)).output);
  } catch (err) {
    if (err instanceof TenantError && (err.kind === 'not-found' || err.kind === 'transient' || err.kind === 'timeout')) return { met: false, output: [] };
    throw err;
  }
  const first = output[0] as Record<string, unknown> | undefined;
  if (step.until.kind === 'found') return { met: output.length > 0, output };
  const actual = first?.[step.until.property];
  const want = step.until.value;
  const met = typeof want === 'string' && typeof actual === 'string' ? want.toLowerCase() === actual.toLowerCase() : actual === want;
  return { met, output };
}

/** The next poll: the first interval doubled per poll, capped, and never past the deadline (a wait step's, or followPolicy's). */
export function nextPollDelay(step: Pick<WaitStep, 'pollMs' | 'deadlineMs'>, polls: number, elapsedMs: number): number {
  const backoff = Math.min(step.pollMs.first * 2 ** Math.min(polls, 20), step.pollMs.max);
  return Math.max(0, Math.min(backoff, step.deadlineMs - elapsedMs));
}

/** Properties whose value now differs from what the approver saw. */
export function staleProperties(changes: readonly PlannedChange[], observed: Record<string, unknown>): StaleProperty[] {
  return changes
    .map((c) => ({ property: c.property, approved: c.from, now: psText(observed[c.property]) }))
    .filter((s) => s.approved.toLowerCase() !== s.now.toLowerCase());
}

export function verifyAgainst(expectations: readonly Expectation[], observed: Record<string, unknown>): VerificationItem[] {
  return expectations.map((e) => check(e.property, e.value, observed[e.property]));
}

/**
 * Asking after a change the tenant accepted and had not finished (TenantError 'in-progress'): from 15 s, doubling to
 * every 2 minutes, for up to 30 minutes after the step handed it over. Past that the read-back decides.
 */
export const followPolicy = { pollMs: { first: 15_000, max: 120_000 }, deadlineMs: 30 * 60_000 } as const;
