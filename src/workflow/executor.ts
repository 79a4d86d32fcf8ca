/**
 * The runner: carries out approved requests step by step. Each step's position, attempt and output
 * are stored before and after it runs, under a claim whose attempt number fences out any older run.
 * Before the first step the tenant is read again: if it no longer shows what the approver saw, nothing
 * runs and the request goes stale. A wait step parks the request (`waiting`) between polls. After a
 * crash the tenant is read back first, and the run resumes at the interrupted step, never from the top.
 */
import type { BatchCommand, ChangeCommand, Command, ReadContext } from '../catalog/command';
import type { Clock } from '../clock';
import { oneLine } from '../errors';
import { withLogFields, type Logger } from '../log';
import type { GatewayCertificates } from '../certs/gateway-certificates';
import type { CallStep, CertificateStep, Outcome, Plan, RecordStep, VerificationItem, WaitStep } from '../model/plan';
import type { RequestRecord, StepProgress } from '../model/request';
import type { CheckItem } from '../model/check';
import type { BatchItemRecord, Store } from '../store/store';
import { renderCall } from '../tenant/render';
import { TenantError, type CmdletRunRecord, type FollowResult, type TenantPort } from '../tenant/port';
import { ReadCache } from '../tenant/read-cache';
import { defaultRetryPolicy } from '../tenant/powershell/retry';
import { faultPoint, plantedBug } from './faults';
import type { RequestNotifier } from './notifier';
import { bindCall, followPolicy, keepOutput, nextPollDelay, pollOnce, runCall, staleProperties, verifyAgainst } from './steps';

type Finish = RequestRecord | undefined;

/** How long ending a command that ran past its timeout may take: SIGKILL, then up to 2 s for the pipes to close. */
export const commandKillMs = 5_000;

/**
 * The longest one command can keep the tenant in doubt: every attempt the retry policy allows running to its
 * timeout, the backoffs between, and the kill. A step starts only under a lease that outlasts this, so by the
 * time the lease lapses and a newer attempt may claim, the older attempt's command has answered or been killed.
 */
export function commandBoundMs(timeoutMs: number): number {
  const { attempts, maxDelayMs } = defaultRetryPolicy;
  return attempts * timeoutMs + (attempts - 1) * maxDelayMs + commandKillMs;
}
/** The run a followed step belongs to: the request, its plan and progress, and how to keep them. */
type FollowScope = {
  r: RequestRecord;
  command: ChangeCommand;
  input: Record<string, unknown>;
  plan: Plan;
  steps: StepProgress[];
  /** false inside a batch: wait in place instead of parking the request. */
  park: boolean;
  save: (position: number, steps: StepProgress[]) => Promise<boolean>;
};
/** What running one plan's steps came to, before the request is finished. */
type StepsResult = { kind: 'done'; checks: VerificationItem[] } | { kind: 'parked' } | { kind: 'fenced' } | { kind: 'final'; status: 'verified' | 'failed' | 'stale'; outcome: Outcome };

export class Executor {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly tenant: TenantPort,
    private readonly notifier: RequestNotifier,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly findCommand: (id: string) => Command | undefined,
    private readonly certificates: GatewayCertificates,
  ) {}

  private get readContext(): ReadContext {
    return { tenant: this.tenant, store: this.store, clock: this.clock, certificates: this.certificates };
  }

  /** Starts a request in the background; the caller (an invoke) does not wait. */
  schedule(requestId: string): void {
    if (this.closed) return;
    const p = withLogFields({ requestId }, () => this.execute(requestId)).catch((err) => this.log.error({ err, requestId }, 'execution crashed'));
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  /** Runs a waiting request again when its next poll is due (a timer here; maintenance catches the rest). */
  private wake(r: Pick<RequestRecord, 'id' | 'nextRunAt'>): void {
    if (this.closed) return;
    const delay = r.nextRunAt ? new Date(r.nextRunAt).getTime() - this.clock.now().getTime() : 0;
    const existing = this.timers.get(r.id);
    if (delay <= 0) {
      if (existing) clearTimeout(existing);
      this.timers.delete(r.id);
      return this.schedule(r.id);
    }
    if (existing) return;
    const timer = setTimeout(() => {
      this.timers.delete(r.id);
      this.schedule(r.id);
    }, delay);
    timer.unref();
    this.timers.set(r.id, timer);
  }

  /** Resolves when every scheduled execution has finished (tests, shutdown). Parked requests stay parked. */
  async idle(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  /** Stops polling timers; running executions finish (await idle()). */
  stop(): void {
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  /** At start and periodically: approved requests never started, due waits, runs interrupted by a crash. */
  async recover(): Promise<void> {
    for (const r of await this.store.listRecoverable(this.clock.now())) {
      if (r.status === 'waiting') this.wake(r);
      else this.schedule(r.id);
    }
    // Finished by a process that died before telling the requester: tell them now (at least once; of
    // several instances, the one that takes the notice, for as long as telling may take).
    const now = this.clock.now();
    for (const r of await this.store.listOwedNotices(now)) {
      if (!(await this.store.takeNotice(r.id, now, new Date(now.getTime() + 120_000)))) continue;
      await this.notifier.refreshCards(r);
      await this.notifier.tellRequester(r);
      await this.store.noticeDelivered(r.id);
    }
  }

  async execute(requestId: string): Promise<void> {
    const current = await this.store.getRequest(requestId);
    if (!current) return;
    const command = this.findCommand(current.command);
    if (!command || (command.kind !== 'change' && command.kind !== 'batch')) {
      this.log.error({ requestId, command: current.command }, 'request names no change command of this catalog');
      return;
    }
    const interrupted = current.status === 'running' || current.status === 'unknown';
    if (current.status === 'approved') faultPoint('after-decision');
    const now = this.clock.now();
    const units = command.kind === 'batch' ? (await this.store.listBatchItems(requestId)).length * 3 : current.plan.steps.length;
    const lease = new Date(now.getTime() + command.timeoutMs * (units + 2) + 60_000);
    const claimed = await this.store.claim(requestId, now, lease, {
      at: now.toISOString(), actor: 'system', event: interrupted ? 'execution.resumed' : current.status === 'waiting' ? 'execution.poll' : 'execution.started', requestId, subject: current.plan.subject,
      detail: { position: current.position },
    });
    if (!claimed) return;
    if (current.status !== 'waiting') {
      this.log.info({ command: current.command, subject: current.plan.subject, attempt: claimed.attempt, position: current.position }, interrupted ? 'resuming an interrupted request' : 'running an approved request');
      await this.notifier.refreshCards(claimed);
    }

    const finished = command.kind === 'batch' ? await this.runBatch(claimed, command, interrupted) : await this.runRequest(claimed, command, interrupted);
    if (finished) {
      await this.notifier.refreshCards(finished);
      await this.notifier.tellRequester(finished);
      await this.store.noticeDelivered(finished.id);
    }
  }

  private async runRequest(r: RequestRecord, command: ChangeCommand, interrupted: boolean): Promise<Finish> {
    let input: Record<string, unknown>;
    try {
      input = command.input.parse(r.params);
    } catch (err) {
      return this.finish(r, 'failed', { error: oneLine(`The stored input no longer validates: ${(err as Error).message}`) });
    }
    const result = await this.runSteps(r, command, input, r.plan, r.steps, r.position, interrupted, { park: true });
    if (result.kind === 'parked' || result.kind === 'fenced') return undefined;
    if (result.kind === 'final') return this.finish(r, result.status, result.outcome);
    const [status, outcome] = await this.verify(command, input, r.plan);
    return this.finish(r, status, result.checks.length ? { ...outcome, verification: [...result.checks, ...(outcome.verification ?? [])] } : outcome);
  }

  /**
   * Runs a plan's steps from `position`: the stale check before the first one, a read-back after an
   * interruption, then each step with its progress stored around it.
   */
  private async runSteps(
    r: RequestRecord,
    command: ChangeCommand,
    input: Record<string, unknown>,
    plan: Plan,
    stored: readonly StepProgress[],
    position: number,
    interrupted: boolean,
    options: { park: boolean; save?: (position: number, steps: StepProgress[]) => Promise<boolean> },
  ): Promise<StepsResult> {
    const steps: StepProgress[] = plan.steps.map((_, i) => ({ ...(stored[i] ?? { status: 'pending', attempts: 0 }) }));
    const save = options.save ?? ((pos: number, s: StepProgress[]) => this.store.saveProgress(r.id, r.attempt, pos, s));
    const untouched = position === 0 && steps.every((s) => s.status === 'pending');

    // The planted bug the fault campaign's checker must catch: an interrupted step re-run without a read-back.
    if (untouched || (interrupted && !plantedBug('rerun-without-readback'))) {
      let observed: Record<string, unknown>;
      try {
        observed = await command.observe(this.readContext, input, plan.subject);
      } catch (err) {
        return { kind: 'final', status: 'failed', outcome: { error: oneLine(`Could not read the tenant before running: ${(err as Error).message}`), note: 'nothing ran' } };
      }
      if (untouched && !interrupted) {
        // Approval is bound to the state the approver saw: anything else, and nothing runs.
        const stale = staleProperties(plan.changes, observed);
        if (stale.length) return { kind: 'final', status: 'stale', outcome: { stale, error: `The tenant changed since this was approved: ${stale.map((s) => `${s.property} was ${s.approved}, is now ${s.now}`).join('; ')}. Nothing ran; re-plan to go on.` } };
      } else {
        const verification = verifyAgainst(plan.expectations, observed);
        // Only a plan whose result can be read back is judged by it; a certificate step is run again instead.
        if (plan.changes.length && plan.expectations.length && verification.every((v) => v.result !== 'fail')) {
          return { kind: 'final', status: 'verified', outcome: { verification, note: 'the change had landed before the interruption; verified by read-back, nothing re-run' } };
        }
        const step = plan.steps[position];
        // A step handed over as still running in the tenant is asked after below, not run again.
        if (step && steps[position]?.status === 'running' && !step.repeatSafe && !steps[position]?.following) {
          return { kind: 'final', status: 'failed', outcome: { verification, error: `Interrupted during step ${position + 1} (${step.title}), which is not safe to repeat, and the tenant does not show the change. Check the tenant and request again.` } };
        }
      }
    }

    const checks: VerificationItem[] = [];
    for (let pos = position; pos < plan.steps.length; pos++) {
      const step = plan.steps[pos]!;
      const progress = steps[pos]!;
      if (progress.status === 'done') continue;
      faultPoint('before-step');
      if (step.kind === 'wait') {
        const waited = await this.waitStep(r, command, step, pos, steps, options.park, save);
        if (waited) return waited;
        continue;
      }
      if (step.kind === 'call' && progress.following) {
        const followed = await this.followStep({ r, command, input, plan, steps, park: options.park, save }, pos);
        if (followed) return followed;
        progress.status = 'done';
        progress.finishedAt = this.clock.now().toISOString();
        if (!(await save(pos + 1, steps))) return { kind: 'fenced' };
        continue;
      }
      progress.status = 'running';
      progress.attempts += 1;
      progress.startedAt = this.clock.now().toISOString();
      this.log.info({ step: pos + 1, of: plan.steps.length, attempt: progress.attempts }, `step ${pos + 1}: ${step.title}`);
      if (step.kind === 'record') {
        if (!(await save(pos, steps))) return { kind: 'fenced' };
        await this.recordSite(r, step);
      } else if (step.kind === 'certificate') {
        const made = await this.certificateStep(r, command, step, pos, steps, save);
        if ('kind' in made) return made;
        checks.push(...made.checks);
      } else {
        const ran = await this.callStep(r, command, input, plan, step, pos, steps, options.park, save);
        if (ran) return ran;
      }
      progress.status = 'done';
      progress.finishedAt = this.clock.now().toISOString();
      if (!(await save(pos + 1, steps))) return { kind: 'fenced' };
    }
    return { kind: 'done', checks };
  }

  private async callStep(
    r: RequestRecord,
    command: ChangeCommand,
    input: Record<string, unknown>,
    plan: Plan,
    step: CallStep,
    pos: number,
    steps: StepProgress[],
    park: boolean,
    save: (position: number, steps: StepProgress[]) => Promise<boolean>,
  ): Promise<StepsResult | undefined> {
    const progress = steps[pos]!;
    let bound;
    try {
      bound = bindCall(step, steps);
    } catch (err) {
      progress.status = 'failed';
      await save(pos, steps);
      return { kind: 'final', status: 'failed', outcome: { error: oneLine(`Step ${pos + 1} (${step.title}): ${(err as Error).message}`) } };
    }
    progress.bound = renderCall(bound);
    // Recorded as running before the tenant sees it, so a crash from here on is read back, not guessed.
    if (!(await save(pos, steps))) return { kind: 'fenced' };
    if (!(await this.holdLease(r, command.timeoutMs))) return { kind: 'fenced' };
    try {
      const run = await runCall(this.tenant, bound, { requestId: r.id, timeoutMs: command.timeoutMs });
      faultPoint('after-tenant-write');
      progress.output = keepOutput(run.output);
      await this.auditRun(r, run.record, pos);
      return undefined;
    } catch (err) {
      if (!(err instanceof TenantError)) throw err;
      if (err.record) await this.auditRun(r, err.record, pos);
      const where = plan.steps.length > 1 ? `Step ${pos + 1} of ${plan.steps.length}, ${step.cmdlet}` : step.cmdlet;
      const error = oneLine(`${where}: ${err.message}`);
      if (err.kind === 'in-progress' && err.operation) {
        // Accepted and still going: ask after it between polls, holding the request (and its locks), rather than
        // judge it by a read-back that may come before it lands.
        progress.following = { operation: err.operation, since: this.clock.now().toISOString(), polls: 0 };
        return this.awaitFollow({ r, command, input, plan, steps, park, save }, pos);
      }
      if (err.kind === 'timeout' || err.kind === 'crashed' || err.kind === 'in-progress') return this.settleByReadBack(command, input, plan, error, 'the command did not answer in time, but the read-back shows the change');
      progress.status = 'failed';
      await save(pos, steps);
      return { kind: 'final', status: 'failed', outcome: { error } };
    }
  }

  /** A change whose outcome is unknown (a timeout, a crash, an operation no longer followed): the read-back decides. */
  private async settleByReadBack(command: ChangeCommand, input: Record<string, unknown>, plan: Plan, error: string, landedNote: string): Promise<StepsResult> {
    const [status, outcome] = await this.verify(command, input, plan);
    if (status === 'verified') return { kind: 'final', status, outcome: { ...outcome, note: landedNote } };
    return { kind: 'final', status: 'failed', outcome: { ...(outcome.verification ? { verification: outcome.verification } : {}), error, note: 'read back: the change is not in the tenant' } };
  }

  /**
   * One look at a change the tenant accepted and had not finished: done (undefined, the step is complete), failed,
   * or the request waits for the next look. Past followPolicy's deadline, or once the operation cannot be asked
   * after, the read-back decides.
   */
  private async followStep(run: FollowScope, pos: number): Promise<StepsResult | undefined> {
    const { r, command, input, plan, steps, save } = run;
    const progress = steps[pos]!;
    const following = progress.following!;
    const { operation } = following;
    const where = plan.steps.length > 1 ? `Step ${pos + 1} of ${plan.steps.length}` : plan.steps[pos]!.title;
    if (!(await this.holdLease(r, command.timeoutMs))) return { kind: 'fenced' };
    let result: FollowResult;
    try {
      if (!this.tenant.follow) throw new TenantError('not-found', `${operation.service} took ${operation.what}, but this bot no longer sends changes there, so it cannot ask after it.`);
      result = await this.tenant.follow(operation, { requestId: r.id, timeoutMs: command.timeoutMs });
    } catch (err) {
      if (!(err instanceof TenantError)) throw err;
      if (err.record) await this.auditRun(r, err.record, pos);
      delete progress.following;
      const error = oneLine(`${where}: ${err.message}`);
      if (err.kind !== 'cmdlet-error') return this.settleByReadBack(command, input, plan, error, `${operation.service} could no longer be asked, but the read-back shows the change`);
      progress.status = 'failed';
      await save(pos, steps);
      return { kind: 'final', status: 'failed', outcome: { error } };
    }
    following.polls += 1;
    if (result.done) {
      await this.auditRun(r, result.record, pos);
      this.log.info({ step: pos + 1, polls: following.polls, operation: operation.id }, `${operation.service} finished ${operation.what}`);
      delete progress.following;
      progress.output = [];
      return undefined;
    }
    const elapsed = this.clock.now().getTime() - new Date(following.since).getTime();
    if (elapsed >= followPolicy.deadlineMs) {
      delete progress.following;
      const error = oneLine(`${where}: ${operation.service} was ${result.state} with ${operation.what} after ${Math.round(followPolicy.deadlineMs / 60_000)} min${operation.id ? ` (operation ${operation.id})` : ''}, and Switchboard stopped asking. It may still land: check it there before asking again.`);
      return this.settleByReadBack(command, input, plan, error, `${operation.service} was still reporting it running, but the read-back shows the change`);
    }
    return this.awaitFollow(run, pos);
  }

  /** Until the next look at an accepted operation: parked (a timer and maintenance wake it), or, in a batch, here. */
  private async awaitFollow(run: FollowScope, pos: number): Promise<StepsResult | undefined> {
    const { r, steps, park, save } = run;
    const following = steps[pos]!.following!;
    const { operation } = following;
    const now = this.clock.now();
    const delay = nextPollDelay(followPolicy, following.polls, now.getTime() - new Date(following.since).getTime());
    if (!park) {
      if (!(await save(pos, steps))) return { kind: 'fenced' };
      await new Promise((resolve) => setTimeout(resolve, delay));
      return this.followStep(run, pos);
    }
    const parked = await this.store.park(r.id, r.attempt, new Date(now.getTime() + delay), pos, steps);
    if (!parked) return { kind: 'fenced' };
    this.log.info({ step: pos + 1, polls: following.polls, operation: operation.id, nextPollAt: parked.nextRunAt }, `waiting: ${operation.service} is carrying out ${operation.what}`);
    if (following.polls === 0) {
      await this.notifier.tellProgress(parked, oneLine(`${r.id}: ${operation.service} accepted ${operation.what} and is still carrying it out${operation.id ? ` (operation ${operation.id})` : ''}. I'm asking after it every few minutes, for up to ${Math.round(followPolicy.deadlineMs / 60_000)} min, and will report what the tenant reads back; nothing else changes ${r.plan.target} meanwhile.`, 600));
    }
    await this.notifier.refreshCards(parked);
    this.wake(parked);
    return { kind: 'parked' };
  }

  /** One poll of a wait step: done (undefined), or the request is parked until the next poll, or gives up. */
  private async waitStep(
    r: RequestRecord,
    command: ChangeCommand,
    step: WaitStep,
    pos: number,
    steps: StepProgress[],
    park: boolean,
    save: (position: number, steps: StepProgress[]) => Promise<boolean>,
  ): Promise<StepsResult | undefined> {
    const progress = steps[pos]!;
    const now = this.clock.now();
    progress.status = 'running';
    progress.waitStartedAt ??= now.toISOString();
    progress.startedAt ??= progress.waitStartedAt;
    let result;
    try {
      result = await pollOnce(this.tenant, step, { requestId: r.id, timeoutMs: command.timeoutMs });
    } catch (err) {
      progress.status = 'failed';
      await save(pos, steps);
      return { kind: 'final', status: 'failed', outcome: { error: oneLine(`Step ${pos + 1} (${step.title}): ${(err as Error).message}`) } };
    }
    progress.polls = (progress.polls ?? 0) + 1;
    if (result.met) {
      progress.output = result.output;
      this.log.info({ step: pos + 1, polls: progress.polls }, `condition met: ${step.title}`);
      return undefined;
    }
    const elapsed = now.getTime() - new Date(progress.waitStartedAt).getTime();
    if (elapsed >= step.deadlineMs) {
      progress.status = 'failed';
      await save(pos, steps);
      return { kind: 'final', status: 'failed', outcome: { error: step.onDeadline } };
    }
    const delay = nextPollDelay(step, progress.polls - 1, elapsed);
    if (!park) {
      // Inside a batch there is no parking: wait here (bounded by the step's deadline).
      if (!(await save(pos, steps))) return { kind: 'fenced' };
      await new Promise((resolve) => setTimeout(resolve, delay));
      return this.waitStep(r, command, step, pos, steps, park, save);
    }
    const parked = await this.store.park(r.id, r.attempt, new Date(now.getTime() + delay), pos, steps);
    if (!parked) return { kind: 'fenced' };
    this.log.info({ step: pos + 1, polls: progress.polls, nextPollAt: parked.nextRunAt }, `waiting: ${step.title}`);
    if (progress.polls === 1) await this.notifier.tellProgress(parked, `${r.id}: waiting for ${step.title.toLowerCase()} (checked every few minutes, up to ${Math.round(step.deadlineMs / 60_000)} min). The card shows each check.`);
    await this.notifier.refreshCards(parked);
    this.wake(parked);
    return { kind: 'parked' };
  }

  /**
   * A gateway's key and CSR, or its PFX: made, then handed to the requester alone. The step's checks are
   * its verification (what was made cannot be read back as a value the plan knew). Only non-secret facts
   * are stored and audited.
   */
  private async certificateStep(
    r: RequestRecord,
    command: ChangeCommand,
    step: CertificateStep,
    pos: number,
    steps: StepProgress[],
    save: (position: number, steps: StepProgress[]) => Promise<boolean>,
  ): Promise<StepsResult | { checks: VerificationItem[] }> {
    const progress = steps[pos]!;
    if (!(await save(pos, steps))) return { kind: 'fenced' };
    if (!(await this.holdLease(r, command.timeoutMs))) return { kind: 'fenced' };
    const failed = async (error: string, verification?: VerificationItem[]): Promise<StepsResult> => {
      progress.status = 'failed';
      await save(pos, steps);
      return { kind: 'final', status: 'failed', outcome: { error: oneLine(`Step ${pos + 1} (${step.title}): ${error}`), ...(verification ? { verification } : {}) } };
    };
    let made;
    try {
      made = await this.certificates.run(step);
    } catch (err) {
      return failed((err as Error).message);
    }
    const checks = made.items.map(checkAsVerification);
    await this.store.appendAudit({
      at: this.clock.now().toISOString(), actor: 'system', event: `certificate.${step.operation}`, requestId: r.id, subject: r.plan.subject,
      code: made.deliveries.length ? 'ok' : 'error', detail: { step: pos + 1, gateway: step.gateway, ...made.record, checks: made.items.map((i) => `${i.check}: ${i.status}`) },
    });
    this.log.info({ step: pos + 1, gateway: step.gateway, operation: step.operation, ...made.record }, made.deliveries.length ? `certificate ${step.operation}: made` : `certificate ${step.operation}: checks failed`);
    if (made.deliveries.length === 0) return failed('the certificate did not pass its checks; nothing was made', checks);
    try {
      await this.notifier.deliverPrivately(r, made.deliveries);
    } catch (err) {
      return failed(`made, but could not be handed to you: ${(err as Error).message}. Request it again.`, checks);
    }
    progress.output = [{ ...made.record, delivered: 'to the requester\'s 1:1 chat' }];
    return { checks };
  }

  private async recordSite(r: RequestRecord, step: RecordStep): Promise<void> {
    await this.store.putSite(step.site, {
      at: this.clock.now().toISOString(), actor: 'system', event: 'inventory.site', requestId: r.id, subject: `site:${step.site.name.toLowerCase()}`,
      detail: { site: step.site },
    });
  }

  /**
   * The fence at the tenant for an attempt that is alive but stuck: before a command starts, the attempt's
   * lease must still run and is extended past the command's worst case (a batch's claim, for its parts).
   */
  private async holdLease(r: RequestRecord, timeoutMs: number): Promise<boolean> {
    const now = this.clock.now();
    return this.store.extendLease(r.id, r.attempt, now, new Date(now.getTime() + commandBoundMs(timeoutMs)));
  }

  /** Reads the tenant back and judges every expectation of the plan. */
  private async verify(command: ChangeCommand, input: Record<string, unknown>, plan: Plan): Promise<['verified' | 'failed', Outcome]> {
    try {
      const observed = await command.observe(this.readContext, input, plan.subject);
      faultPoint('during-readback');
      const verification = verifyAgainst(plan.expectations, observed);
      const ok = verification.every((v) => v.result !== 'fail');
      return [ok ? 'verified' : 'failed', { verification, ...(ok ? {} : { error: 'The change ran but the read-back does not match.' }) }];
    } catch (err) {
      return ['failed', { error: oneLine(`The change ran but could not be read back: ${(err as Error).message}`) }];
    }
  }

  /**
   * A batch: each ready item's parts run in order; a failing item does not stop the others. A few items
   * run at once (the PowerShell pool serves them side by side; the store is written per item). Each item
   * is marked running before its first part and final after its last, by this attempt only, so a
   * restart reads a running item back before running it again.
   */
  private async runBatch(r: RequestRecord, _command: BatchCommand, interrupted: boolean): Promise<Finish> {
    const concurrency = 4;
    const items = (await this.store.listBatchItems(r.id)).filter((i) => i.status === 'pending' || i.status === 'running');
    const progress = this.notifier.batchProgress(r.id);
    let next = 0;
    let fenced = false;
    const worker = async () => {
      while (!fenced && next < items.length) {
        const item = items[next++]!;
        const resumed = interrupted && item.status === 'running';
        if (!(await this.store.saveBatchItem(r.id, r.attempt, item.index, 'running'))) {
          fenced = true;
          return;
        }
        const [status, outcome] = await this.runItem(r, item, resumed);
        if (!(await this.store.saveBatchItem(r.id, r.attempt, item.index, status, outcome))) {
          fenced = true;
          return;
        }
        progress.tick();
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
    await progress.flush();
    // A newer attempt took the batch over: it finishes it, this one records nothing more.
    if (fenced) return undefined;
    const done = await this.store.listBatchItems(r.id);
    const count = (s: BatchItemRecord['status']) => done.filter((i) => i.status === s).length;
    const failed = count('failed');
    const errors = done.filter((i) => i.verdict === 'error').length;
    const summary = `${count('verified')} verified, ${failed} failed, ${done.length - count('verified') - failed - errors} skipped, ${errors} in error`;
    // The requester's line ends this with a full stop.
    return this.finish(r, failed ? 'failed' : 'verified', { note: summary, ...(failed ? { error: `${summary}; the results list each row` } : {}) });
  }

  /**
   * One item's parts. Every part is read first, the reads shared (the parts read the same user), and
   * checked against what the approver saw before any part runs; after an interruption that read says
   * which parts had landed, and those are not run again. Then each remaining part's steps run in order,
   * and all parts are read back together. An item's steps are not stored one by one: its status
   * (running, then final) is what a restart goes by.
   */
  private async runItem(r: RequestRecord, item: BatchItemRecord, resumed: boolean): Promise<['verified' | 'failed', Outcome]> {
    const parts: { command: ChangeCommand; input: Record<string, unknown>; plan: Plan; landed: boolean }[] = [];
    for (const part of item.parts) {
      const command = this.findCommand(part.command);
      if (!command || command.kind !== 'change') return ['failed', { error: `No change command ${part.command}.` }];
      try {
        parts.push({ command, input: command.input.parse(part.params), plan: part.plan, landed: false });
      } catch (err) {
        return ['failed', { error: oneLine(`The stored input no longer validates: ${(err as Error).message}`) }];
      }
    }
    if (parts.some((p) => p.plan.steps.some((s) => s.kind !== 'call'))) return this.runItemStepByStep(r, parts, resumed);

    const reads = new ReadCache(this.tenant);
    const ctx: ReadContext = { tenant: reads, store: this.store, clock: this.clock, certificates: this.certificates };
    const observeAll = () => Promise.all(parts.map((p) => p.command.observe(ctx, p.input, p.plan.subject)));
    let before: Record<string, unknown>[];
    try {
      before = await observeAll();
    } catch (err) {
      return ['failed', { error: oneLine(`Could not read the tenant before running: ${(err as Error).message}`), note: 'nothing ran' }];
    }
    const notes: string[] = [];
    if (!resumed) {
      // Approval is bound to the state the approver saw, for the whole row: anything else, and none of it runs.
      const stale = parts.flatMap((p, i) => staleProperties(p.plan.changes, before[i]!));
      if (stale.length) return ['failed', { stale, error: `The tenant changed since this was approved: ${stale.map((s) => `${s.property} was ${s.approved}, is now ${s.now}`).join('; ')}. Nothing ran for this row.` }];
    } else {
      parts.forEach((p, i) => {
        p.landed = p.plan.changes.length > 0 && verifyAgainst(p.plan.expectations, before[i]!).every((v) => v.result !== 'fail');
      });
      const unsafe = parts.find((p) => !p.landed && p.plan.steps.some((s) => !s.repeatSafe));
      if (unsafe) return ['failed', { error: `Interrupted while ${unsafe.command.title.toLowerCase()} may have been running, which is not safe to repeat, and the tenant does not show the change. Check the tenant and request again.` }];
      const landed = parts.filter((p) => p.landed).length;
      if (landed === parts.length) notes.push('the change had landed before the interruption; verified by read-back, nothing re-run');
      else if (landed) notes.push(`${landed} of ${parts.length} parts had landed before the interruption (read back, not re-run); the rest ran`);
    }

    for (const p of parts) {
      if (p.landed) continue;
      const steps: StepProgress[] = p.plan.steps.map(() => ({ status: 'pending', attempts: 0 }));
      for (let pos = 0; pos < p.plan.steps.length; pos++) {
        const progress = steps[pos]!;
        progress.status = 'running';
        progress.attempts += 1;
        // Audited under the row's user (the part's subject), so `history <user>` shows what a batch did to them.
        const ran = await this.callStep({ ...r, plan: p.plan }, p.command, p.input, p.plan, p.plan.steps[pos] as CallStep, pos, steps, false, async () => true);
        if (ran?.kind === 'final' && ran.status === 'verified') break; // it timed out, but the read-back shows the change
        if (ran) return ['failed', ran.kind === 'final' ? ran.outcome : { error: 'interrupted' }];
        progress.status = 'done';
      }
    }

    reads.clear();
    let after: Record<string, unknown>[];
    try {
      after = await observeAll();
    } catch (err) {
      return ['failed', { error: oneLine(`The change ran but could not be read back: ${(err as Error).message}`) }];
    }
    const verification = parts.flatMap((p, i) => verifyAgainst(p.plan.expectations, after[i]!));
    const wrong = verification.filter((v) => v.result === 'fail');
    const note = notes.length ? { note: notes.join('; ') } : {};
    if (wrong.length) return ['failed', { verification, error: `The change ran but the read-back does not match: ${wrong.map((v) => `${v.property} is ${v.actual}, expected ${v.expected}`).join('; ')}.`, ...note }];
    return ['verified', { verification, ...note }];
  }

  /** Parts with waits or records: each through the full step runner, in order. */
  private async runItemStepByStep(r: RequestRecord, parts: { command: ChangeCommand; input: Record<string, unknown>; plan: Plan }[], resumed: boolean): Promise<['verified' | 'failed', Outcome]> {
    const verification: VerificationItem[] = [];
    for (const { command, input, plan } of parts) {
      const stored: StepProgress[] = resumed ? plan.steps.map((_, i) => ({ status: i === 0 ? 'running' : 'pending', attempts: 0 })) : [];
      const result = await this.runSteps(r, command, input, plan, stored, 0, resumed, { park: false, save: async () => true });
      if (result.kind === 'fenced' || result.kind === 'parked') return ['failed', { error: 'interrupted', verification }];
      if (result.kind === 'final') {
        verification.push(...(result.outcome.verification ?? []));
        if (result.status !== 'verified') return ['failed', { ...result.outcome, verification }];
        continue;
      }
      const [status, outcome] = await this.verify(command, input, plan);
      verification.push(...(outcome.verification ?? []));
      if (status !== 'verified') return ['failed', { ...outcome, verification }];
    }
    return ['verified', { verification }];
  }

  private async auditRun(r: RequestRecord, record: CmdletRunRecord, pos: number): Promise<void> {
    // The command as bound (secrets already redacted by the runner), as the audit keeps it.
    this.log.info({ step: pos + 1, command: record.command, session: record.session, ms: Math.round(record.durationMs), attempts: record.attempts, ...(record.error ? { error: record.error } : {}) }, `cmdlet ${record.outcome}`);
    await this.store.appendAudit({
      at: this.clock.now().toISOString(), actor: 'system', event: 'cmdlet.run', requestId: r.id, subject: r.plan.subject,
      code: record.outcome, detail: { ...record, step: pos + 1 },
    });
  }

  private async finish(r: RequestRecord, status: 'verified' | 'failed' | 'stale', outcome: Outcome): Promise<Finish> {
    const done = await this.store.finish(r.id, r.attempt, status, outcome, {
      at: this.clock.now().toISOString(), actor: 'system', event: `execution.${status}`, requestId: r.id, subject: r.plan.subject,
      detail: { attempt: r.attempt, ...outcome },
    });
    if (!done) this.log.warn({ requestId: r.id, attempt: r.attempt }, 'a newer attempt holds this request; result dropped');
    else if (status === 'verified') this.log.info({ note: outcome.note }, 'request verified');
    else this.log.warn({ error: outcome.error }, status === 'stale' ? 'request went stale: the tenant changed since approval, nothing ran' : 'request failed');
    return done;
  }
}

/** A check of a certificate step as a line of the read-back: a warning (e.g. few days left) is a pass with its evidence. */
function checkAsVerification(item: CheckItem): VerificationItem {
  return { property: item.check, expected: 'pass', actual: item.status === 'pass' ? item.evidence : `${item.status}: ${item.evidence}`, result: item.status === 'fail' ? 'fail' : 'pass' };
}
