/**
 * Numbers through Microsoft Graph where Graph covers it (../shared/reference/graph-teams-phone.md): a tenant port that
 * carries out Set-CsPhoneNumberAssignment (the Assignment set) as Graph v1.0's assignNumber and passes every other
 * cmdlet to the backend it wraps (PowerShell: voice routes, SBCs and policies are not in Graph). The plan, the approval
 * and the read-back stay the same: the runner reads the user back through the wrapped backend.
 *
 *   POST /admin/teams/telephoneNumberManagement/numberAssignments/assignNumber
 *        { telephoneNumber, assignmentTargetId: <user object id>, numberType: directRouting | callingPlan | operatorConnect }
 *   -> 202 Accepted, Location: .../operations('<id>'), polled until succeeded, failed or skipped.
 *
 * An operation still running when the step's follow time is up ends the step 'in-progress' with its Location: the
 * runner keeps the request (and its locks) and asks after it with follow() between polls, so an assignment that
 * lands late is reported as it lands, and no newer change to the user can start before it.
 */
import { z } from 'zod';
import { oneLine } from '../../errors';
import type { CmdletName, CmdletParams } from '../cmdlets';
import type { TenantOperation } from '../../model/request';
import { TenantError, type CmdletRun, type CmdletRunRecord, type FollowResult, type ReadCall, type ReadOutcome, type RunOptions, type TenantDescription, type TenantPort, type TenantReadiness } from '../port';
import type { GraphClient } from './client';

const Operation = z.object({
  id: z.string(),
  status: z.enum(['notStarted', 'running', 'succeeded', 'failed', 'skipped']),
  numbers: z.array(z.object({ resourceLocation: z.string().nullish(), status: z.string().nullish(), statusDetail: z.string().nullish() })).nullish(),
});

/** The cmdlets this port carries out through Graph instead of the backend it wraps. */
export const cmdletsThroughGraph: readonly CmdletName[] = ['Set-CsPhoneNumberAssignment'];

const numberTypes = { DirectRouting: 'directRouting', CallingPlan: 'callingPlan', OperatorConnect: 'operatorConnect' } as const;

export interface GraphNumberAssignmentOptions {
  /** First and longest wait between operation polls, ms. */
  pollMs?: { first: number; max: number };
  /** How long an assignment may take when the step gives no limit, ms. */
  defaultTimeoutMs?: number;
  /**
   * How long the step itself follows an accepted assignment, ms (at most the step's limit): past it the step ends
   * 'in-progress' and the runner asks after the operation between polls instead of holding a pwsh-sized lease.
   */
  followMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export class GraphNumberAssignment implements TenantPort {
  readonly runMany?: (calls: readonly ReadCall[], options?: RunOptions) => Promise<ReadOutcome[]>;
  private readonly pollMs: { first: number; max: number };
  private readonly defaultTimeoutMs: number;
  private readonly followMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly inner: TenantPort,
    private readonly graph: GraphClient,
    options: GraphNumberAssignmentOptions = {},
  ) {
    if (inner.runMany) this.runMany = (calls, o) => inner.runMany!(calls, o);
    this.pollMs = options.pollMs ?? { first: 500, max: 5_000 };
    this.defaultTimeoutMs = options.defaultTimeoutMs ?? 120_000;
    this.followMs = options.followMs ?? 60_000;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  get backend() {
    return this.inner.backend;
  }

  async describe(): Promise<TenantDescription> {
    const d = await this.inner.describe();
    return { ...d, moduleVersion: `${d.moduleVersion}; numbers through Microsoft Graph v1.0`, throughGraph: cmdletsThroughGraph };
  }

  async ready(): Promise<TenantReadiness> {
    const inner = this.inner.ready ? await this.inner.ready() : { ready: true };
    if (!inner.ready) return inner;
    try {
      await this.graph.accessToken();
      return { ready: true };
    } catch (err) {
      return { ready: false, reason: (err as Error).message };
    }
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  async run<N extends CmdletName>(cmdlet: N, params: CmdletParams<N>, options?: RunOptions): Promise<CmdletRun<N>> {
    if (cmdlet !== 'Set-CsPhoneNumberAssignment') return this.inner.run(cmdlet, params, options);
    return (await this.assignNumber(params as CmdletParams<'Set-CsPhoneNumberAssignment'>, options)) as CmdletRun<N>;
  }

  private async assignNumber(params: CmdletParams<'Set-CsPhoneNumberAssignment'>, options?: RunOptions): Promise<CmdletRun<'Set-CsPhoneNumberAssignment'>> {
    const started = performance.now();
    const path = '/admin/teams/telephoneNumberManagement/numberAssignments/assignNumber';
    let command = `POST ${path}`;
    let attempts = 0;
    const record = (outcome: CmdletRunRecord['outcome'], error?: string): CmdletRunRecord => ({ command, durationMs: performance.now() - started, session: `graph ${this.graph.origin}`, outcome, attempts, ...(error ? { error } : {}) });
    const fail = (err: unknown): never => {
      const e = err instanceof TenantError ? err : new TenantError('cmdlet-error', oneLine((err as Error).message));
      if (e.kind === 'in-progress') throw e;
      throw new TenantError(e.kind, e.message, record('error', e.message));
    };
    try {
      // Graph names the user by object id; the wrapped backend resolves the identity as the cmdlet would.
      const [user] = (await this.inner.run('Get-CsOnlineUser', { Identity: params.Identity }, options)).output;
      if (!user) throw new TenantError('not-found', `Management object not found for identity "${params.Identity}".`);
      const body = { telephoneNumber: params.TelephoneNumber, assignmentTargetId: user.Identity, numberType: numberTypes[params.NumberType] };
      command = `POST ${path} ${JSON.stringify(body)}`;
      attempts = 1;
      // One limit for all of it (throttling, the operation), inside the lease the runner holds for the step.
      const limitMs = options?.timeoutMs ?? this.defaultTimeoutMs;
      const deadline = Date.now() + limitMs;
      const accepted = await this.graph.request('POST', path, body, { deadline });
      const location = accepted.headers.get('location');
      // From here on Graph has the request: whatever goes wrong, the outcome is unknown, not a failure, so the
      // runner reads the tenant back instead of releasing the request as failed.
      if (accepted.status !== 202 || !location) throw new TenantError('timeout', `Microsoft Graph answered ${accepted.status} without an operation to follow; whether ${params.TelephoneNumber} is assigned is unknown until the read-back.`);
      const operationUrl = new URL(location, this.graph.origin);
      if (operationUrl.origin !== this.graph.origin) throw new TenantError('timeout', `Microsoft Graph put the operation on ${operationUrl.origin}, not ${this.graph.origin}; not followed, so whether ${params.TelephoneNumber} is assigned is unknown until the read-back.`);
      const operation: TenantOperation = { service: 'Microsoft Graph', location: operationUrl.href, what: `the assignment of ${params.TelephoneNumber}` };
      // Followed here for a while; past that, the runner asks after it between polls (follow), holding the request.
      const followUntil = Date.now() + Math.min(limitMs, this.followMs);
      let wait = this.pollMs.first;
      for (;;) {
        const polled = await this.poll(operation, followUntil);
        if (polled.op) operation.id = polled.op.id;
        if (polled.op?.status === 'succeeded') return { output: null, record: record('ok') };
        if (polled.op && (polled.op.status === 'failed' || polled.op.status === 'skipped')) throw operationFailed(polled.op, operation.what);
        if (Date.now() + wait > followUntil) {
          const message = `Microsoft Graph accepted ${operation.what} and is ${polled.state}${operation.id ? ` (operation ${operation.id})` : ''}.`;
          throw new TenantError('in-progress', oneLine(message, 400), { ...record('accepted'), error: polled.state }, operation);
        }
        await this.sleep(wait);
        wait = Math.min(this.pollMs.max, wait * 2);
      }
    } catch (err) {
      return fail(err);
    }
  }

  async follow(operation: TenantOperation, options?: RunOptions): Promise<FollowResult> {
    const started = performance.now();
    const record = (outcome: 'ok' | 'error', error?: string): CmdletRunRecord => ({ command: `GET ${operation.location}`, durationMs: performance.now() - started, session: `graph ${this.graph.origin}`, outcome, attempts: 1, ...(error ? { error } : {}) });
    // The location comes from our own store, but it still only ever goes to the Graph origin this bot is set up for.
    if (new URL(operation.location).origin !== this.graph.origin) {
      throw new TenantError('not-found', `${operation.what} was accepted by Microsoft Graph at ${new URL(operation.location).origin}, which is not the Graph this bot uses now (${this.graph.origin}); it cannot be followed.`, record('error', 'another origin'));
    }
    const polled = await this.poll(operation, Date.now() + (options?.timeoutMs ?? 30_000));
    if (polled.gone) throw new TenantError('not-found', `Microsoft Graph no longer knows the operation for ${operation.what}${operation.id ? ` (${operation.id})` : ''}.`, record('error', polled.state));
    if (polled.op?.status === 'succeeded') return { done: true, record: record('ok') };
    if (polled.op && (polled.op.status === 'failed' || polled.op.status === 'skipped')) {
      const err = operationFailed(polled.op, operation.what);
      throw new TenantError(err.kind, err.message, record('error', err.message));
    }
    return { done: false, state: polled.state };
  }

  /** One look at the operation: what Graph says, or why it could not say (a failed look is only asked again later). */
  private async poll(operation: TenantOperation, deadline: number): Promise<{ op?: z.infer<typeof Operation>; state: string; gone?: true }> {
    try {
      const parsed = Operation.safeParse((await this.graph.request('GET', operation.location, undefined, { deadline })).body);
      if (!parsed.success) return { state: 'in a state Switchboard could not read' };
      return { op: parsed.data, state: `still ${parsed.data.status}` };
    } catch (err) {
      if (err instanceof TenantError && err.kind === 'not-found') return { state: oneLine(err.message, 200), gone: true };
      return { state: `not readable just now (${oneLine((err as Error).message, 200)})` };
    }
  }
}

/** `what`: the operation's own words, "the assignment of +14255550100". */
function operationFailed(op: z.infer<typeof Operation>, what: string): TenantError {
  const detail = op.numbers?.map((n) => n.statusDetail).filter(Boolean).join('; ');
  return new TenantError('cmdlet-error', oneLine(`Microsoft Graph ${op.status} ${what}${detail ? `: ${detail}` : ''} (operation ${op.id}).`, 400));
}
