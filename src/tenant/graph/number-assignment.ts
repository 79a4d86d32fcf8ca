/**
 * Numbers through Microsoft Graph where Graph covers it (../shared/reference/graph-teams-phone.md): a tenant port that
 * carries out Set-CsPhoneNumberAssignment (the Assignment set) as Graph v1.0's assignNumber and passes every other
 * cmdlet to the backend it wraps (PowerShell: voice routes, SBCs and policies are not in Graph). The plan, the approval
 * and the read-back stay the same: the runner reads the user back through the wrapped backend.
 *
 *   POST /admin/teams/telephoneNumberManagement/numberAssignments/assignNumber
 *        { telephoneNumber, assignmentTargetId: <user object id>, numberType: directRouting | callingPlan | operatorConnect }
 *   -> 202 Accepted, Location: .../operations('<id>'), polled until succeeded, failed or skipped.
 */
import { z } from 'zod';
import { oneLine } from '../../errors';
import type { CmdletName, CmdletParams } from '../cmdlets';
import { TenantError, type CmdletRun, type CmdletRunRecord, type ReadCall, type ReadOutcome, type RunOptions, type TenantDescription, type TenantPort, type TenantReadiness } from '../port';
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
  sleep?: (ms: number) => Promise<void>;
}

export class GraphNumberAssignment implements TenantPort {
  readonly runMany?: (calls: readonly ReadCall[], options?: RunOptions) => Promise<ReadOutcome[]>;
  private readonly pollMs: { first: number; max: number };
  private readonly defaultTimeoutMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly inner: TenantPort,
    private readonly graph: GraphClient,
    options: GraphNumberAssignmentOptions = {},
  ) {
    if (inner.runMany) this.runMany = (calls, o) => inner.runMany!(calls, o);
    this.pollMs = options.pollMs ?? { first: 500, max: 5_000 };
    this.defaultTimeoutMs = options.defaultTimeoutMs ?? 120_000;
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
    const record = (outcome: 'ok' | 'error', error?: string): CmdletRunRecord => ({ command, durationMs: performance.now() - started, session: `graph ${this.graph.origin}`, outcome, attempts, ...(error ? { error } : {}) });
    const fail = (err: unknown): never => {
      const e = err instanceof TenantError ? err : new TenantError('cmdlet-error', oneLine((err as Error).message));
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
      let wait = this.pollMs.first;
      let lastProblem = '';
      for (;;) {
        let op: z.infer<typeof Operation> | undefined;
        try {
          const polled = Operation.safeParse((await this.graph.request('GET', operationUrl.href, undefined, { deadline })).body);
          if (polled.success) op = polled.data;
          else lastProblem = 'an operation Switchboard could not read';
        } catch (err) {
          // A poll is a read: a failed one is asked again until the limit.
          if (!(err instanceof TenantError) || err.kind === 'timeout') throw asUnknown(err, params.TelephoneNumber);
          lastProblem = err.message;
        }
        if (op?.status === 'succeeded') return { output: null, record: record('ok') };
        if (op && (op.status === 'failed' || op.status === 'skipped')) {
          const detail = op.numbers?.map((n) => n.statusDetail).filter(Boolean).join('; ');
          throw new TenantError('cmdlet-error', oneLine(`Microsoft Graph ${op.status} the assignment of ${params.TelephoneNumber}${detail ? `: ${detail}` : ''} (operation ${op.id}).`, 400));
        }
        if (Date.now() + wait > deadline) {
          const state = op ? `still ${op.status}` : `not readable (${lastProblem})`;
          throw new TenantError('timeout', oneLine(`The assignment of ${params.TelephoneNumber} was ${state} in Microsoft Graph after ${Math.round(limitMs / 1000)} s${op ? ` (operation ${op.id})` : ''}; whether it lands is unknown, and the read-back will tell.`, 400));
        }
        await this.sleep(wait);
        wait = Math.min(this.pollMs.max, wait * 2);
      }
    } catch (err) {
      return fail(err);
    }
  }
}

function asUnknown(err: unknown, number: string): TenantError {
  const message = err instanceof Error ? err.message : String(err);
  return new TenantError('timeout', oneLine(`Following the assignment of ${number} failed (${message}); whether it lands is unknown, and the read-back will tell.`, 400));
}
