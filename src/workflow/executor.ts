/**
 * Carries out approved requests: claim (with an attempt number that fences out stale runs), run the
 * approved calls exactly as planned, read the tenant back, record everything. After a crash, an
 * interrupted request is never re-run blindly: the tenant is read back first.
 */
import { findAction } from '../catalog/index';
import type { Action } from '../catalog/action';
import type { Clock } from '../clock';
import type { Logger } from '../log';
import type { Store } from '../store/store';
import { parseCall, type CmdletCall } from '../tenant/cmdlets';
import { TenantError, type CmdletRunRecord, type TenantPort } from '../tenant/port';
import type { RequestNotifier } from './notifier';
import type { Outcome, RequestRecord } from './request';
import { oneLine } from '../errors';

export class Executor {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly store: Store,
    private readonly tenant: TenantPort,
    private readonly notifier: RequestNotifier,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** Starts a request in the background; the caller (an invoke) does not wait. */
  schedule(requestId: string): void {
    const p = this.execute(requestId).catch((err) => this.log.error({ err, requestId }, 'execution crashed'));
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  /** Resolves when every scheduled execution has finished (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  /** At start: pick up approved requests never started and runs interrupted by a crash. */
  async recover(): Promise<void> {
    for (const r of await this.store.listRecoverable(this.clock.now())) this.schedule(r.id);
  }

  async execute(requestId: string): Promise<void> {
    const current = await this.store.getRequest(requestId);
    if (!current) return;
    const action = findAction(current.action);
    if (!action) return;
    const interrupted = current.status === 'running' || current.status === 'unknown';
    const now = this.clock.now();
    const lease = new Date(now.getTime() + action.timeoutMs * (current.plan.calls.length + 2) + 60_000);
    const claimed = await this.store.claim(requestId, now, lease, {
      at: now.toISOString(), actor: 'system', event: interrupted ? 'execution.resumed' : 'execution.started', requestId, subject: current.plan.subject,
    });
    if (!claimed) return;
    await this.notifier.refreshCards(claimed);

    let finished: RequestRecord | undefined;
    if (interrupted) {
      finished = await this.reconcile(claimed, action);
    } else {
      finished = await this.runAndVerify(claimed, action);
    }
    if (finished) {
      await this.notifier.refreshCards(finished);
      await this.notifier.tellRequester(finished);
    }
  }

  /** The previous attempt died mid-run: read back, and re-run only what is idempotent by value. */
  private async reconcile(r: RequestRecord, action: Action): Promise<RequestRecord | undefined> {
    const input = action.input.parse(r.params);
    try {
      const items = await action.verify({ tenant: this.tenant }, input, r.plan);
      if (items.every((i) => i.result !== 'fail')) {
        return this.finish(r, 'verified', { verification: items, note: 'the change had landed before the interruption; verified by read-back' });
      }
    } catch (err) {
      this.log.warn({ err, requestId: r.id }, 'read-back after interruption failed');
    }
    if (!action.idempotent) {
      return this.finish(r, 'failed', { error: 'Interrupted mid-run and the tenant does not show the change; not re-run because this action is not safe to repeat. Check the tenant and request again.' });
    }
    return this.runAndVerify(r, action);
  }

  private async runAndVerify(r: RequestRecord, action: Action): Promise<RequestRecord | undefined> {
    const input = action.input.parse(r.params);
    for (const stored of r.plan.calls) {
      let c: CmdletCall;
      try {
        c = parseCall(stored);
      } catch (err) {
        return this.finish(r, 'failed', { error: oneLine((err as Error).message) });
      }
      try {
        const run = await runCall(this.tenant, c, { requestId: r.id, timeoutMs: action.timeoutMs });
        await this.auditRun(r, run.record);
      } catch (err) {
        if (err instanceof TenantError) {
          if (err.record) await this.auditRun(r, err.record);
          const error = oneLine(`${stored.cmdlet}: ${err.message}`);
          // A timeout or a crash leaves the outcome unknown: read the tenant back instead of guessing.
          if (err.kind === 'timeout' || err.kind === 'crashed') return this.afterUnknownOutcome(r, action, input, error);
          return this.finish(r, 'failed', { error });
        }
        throw err;
      }
    }
    try {
      const verification = await action.verify({ tenant: this.tenant }, input, r.plan);
      const ok = verification.every((v) => v.result !== 'fail');
      return this.finish(r, ok ? 'verified' : 'failed', { verification, ...(ok ? {} : { error: 'The change ran but the read-back does not match.' }) });
    } catch (err) {
      return this.finish(r, 'failed', { error: oneLine(`The change ran but could not be read back: ${(err as Error).message}`) });
    }
  }

  private async afterUnknownOutcome(r: RequestRecord, action: Action, input: Record<string, unknown>, error: string): Promise<RequestRecord | undefined> {
    try {
      const verification = await action.verify({ tenant: this.tenant }, input, r.plan);
      if (verification.every((v) => v.result !== 'fail')) {
        return this.finish(r, 'verified', { verification, note: 'the command did not answer in time, but the read-back shows the change' });
      }
      return this.finish(r, 'failed', { verification, error, note: 'read back: the change is not in the tenant' });
    } catch (readErr) {
      return this.finish(r, 'failed', { error: oneLine(`${error} Reading the tenant back failed too (${(readErr as Error).message}); check the user before trying again.`) });
    }
  }

  private async auditRun(r: RequestRecord, record: CmdletRunRecord): Promise<void> {
    await this.store.appendAudit({
      at: this.clock.now().toISOString(), actor: 'system', event: 'cmdlet.run', requestId: r.id, subject: r.plan.subject,
      code: record.outcome, detail: { ...record },
    });
  }

  private async finish(r: RequestRecord, status: 'verified' | 'failed', outcome: Outcome): Promise<RequestRecord | undefined> {
    const done = await this.store.finish(r.id, r.attempt, status, outcome, {
      at: this.clock.now().toISOString(), actor: 'system', event: `execution.${status}`, requestId: r.id, subject: r.plan.subject,
      detail: { attempt: r.attempt, ...outcome },
    });
    if (!done) this.log.warn({ requestId: r.id, attempt: r.attempt }, 'a newer attempt holds this request; result dropped');
    return done;
  }
}

/** Runs a validated call. The one cast is sound: parseCall checked params against this cmdlet's schema. */
export function runCall(tenant: TenantPort, c: CmdletCall, options: { requestId: string; timeoutMs: number }) {
  return tenant.run(c.cmdlet, c.params as never, options);
}
