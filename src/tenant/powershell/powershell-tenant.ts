/**
 * The TenantPort over PowerShell: validate against the allow-list, build a data-only script, run it on a warm
 * session, parse the result with the cmdlet's zod schema, map errors, retry what may be retried, and record it all.
 */
import { cmdletNames, cmdlets, type CmdletName, type CmdletOutput, type CmdletParams } from '../cmdlets';
import {
  assertReadCalls, TenantError, type CmdletRun, type CmdletRunRecord, type ReadCall, type ReadCmdletName, type ReadOutcome, type RunOptions, type TenantBackendName,
  type TenantDescription, type TenantPort, type TenantReadiness,
} from '../port';
import { buildBatchScript, buildScriptUnchecked, newMarker, validateParams } from './script';
import { readBatchEnvelopes, UnparsableOutput, type Envelope } from './envelope';
import { classifyError, isAuthExpired } from './errors';
import { SessionFailure, type PwshSession } from './session';
import type { SessionPool } from './pool';
import { backoffDelayMs, shouldRetry, type RetryPolicy } from './retry';
import { renderForRecord } from './redact';

export interface PowerShellTenantParts {
  backend: Exclude<TenantBackendName, 'sim'>;
  pool: SessionPool;
  commandTimeoutMs: number;
  retry: RetryPolicy;
  /** e.g. "MicrosoftTeams" or "SwitchboardStub (stand-in for MicrosoftTeams, profile cce)". */
  moduleLabel: (version: string) => string;
  /** The allow-listed cmdlets the module provides; all of them when absent. */
  availableCmdlets?: readonly string[];
  sleep?: (ms: number) => Promise<void>;
}

type AttemptResult = { sessionId: string; output: unknown } | { sessionId: string; error: TenantError };

/** A call of a batch that passed validation, with where its outcome goes. */
interface BatchCall {
  index: number;
  cmdlet: ReadCmdletName;
  params: Record<string, unknown>;
  command: string;
}

/** A batch on one session: each call's output or error, or one error for the round trip. */
type BatchResult = { sessionId: string; results: ({ output: unknown } | { error: TenantError })[] } | { sessionId: string; error: TenantError };

const sleepFor = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class PowerShellTenant implements TenantPort {
  readonly backend: Exclude<TenantBackendName, 'sim'>;

  constructor(private readonly parts: PowerShellTenantParts) {
    this.backend = parts.backend;
  }

  async run<N extends CmdletName>(cmdlet: N, params: CmdletParams<N>, options?: RunOptions): Promise<CmdletRun<N>> {
    const started = performance.now();
    const command = renderForRecord(String(cmdlet), params);
    let attempts = 0;
    let session = 'none';
    const record = (outcome: 'ok' | 'error', error?: string): CmdletRunRecord => ({
      command, durationMs: performance.now() - started, session, outcome, attempts, ...(error ? { error } : {}),
    });
    const fail = (err: TenantError): never => {
      throw new TenantError(err.kind, err.message, record('error', err.message));
    };
    let validated: Record<string, unknown>;
    try {
      validated = validateParams(cmdlet, params);
    } catch (err) {
      return fail(err instanceof TenantError ? err : new TenantError('invalid-parameter', String(err)));
    }
    const spec = cmdlets[cmdlet];
    // The operator's PS_COMMAND_TIMEOUT_S caps whatever an action declares.
    const timeoutMs = Math.min(options?.timeoutMs ?? this.parts.commandTimeoutMs, this.parts.commandTimeoutMs);
    for (;;) {
      attempts++;
      try {
        const { output, sessionId } = await this.attempt(cmdlet, validated, timeoutMs);
        session = sessionId;
        return { output: output as CmdletOutput<N>, record: record('ok') };
      } catch (err) {
        const tenantError = err instanceof TenantError ? err : new TenantError('cmdlet-error', String(err));
        if (tenantError.record) session = tenantError.record.session;
        if (!shouldRetry(tenantError.kind, spec.effect, attempts, this.parts.retry)) return fail(tenantError);
        await (this.parts.sleep ?? sleepFor)(backoffDelayMs(attempts, this.parts.retry));
      }
    }
  }

  /**
   * Several reads in one script on one session (one round trip), one outcome per call. A call the allow-list
   * refuses fails alone and is not sent; a lapsed token reconnects and sends the batch once more; no other retry.
   */
  async runMany(calls: readonly ReadCall[], options?: RunOptions): Promise<ReadOutcome[]> {
    assertReadCalls(calls);
    const started = performance.now();
    const outcomes: ReadOutcome[] = new Array(calls.length);
    const failed = (command: string, session: string, attempts: number, err: TenantError): ReadOutcome => ({
      ok: false,
      error: new TenantError(err.kind, err.message, { command, durationMs: performance.now() - started, session, outcome: 'error', attempts, error: err.message }),
    });
    const valid: BatchCall[] = [];
    calls.forEach((c, index) => {
      const command = renderForRecord(c.cmdlet, c.params);
      try {
        valid.push({ index, cmdlet: c.cmdlet, params: validateParams(c.cmdlet, c.params), command });
      } catch (err) {
        outcomes[index] = failed(command, 'none', 0, err instanceof TenantError ? err : new TenantError('invalid-parameter', String(err)));
      }
    });
    if (valid.length === 0) return outcomes;
    const timeoutMs = Math.min(options?.timeoutMs ?? this.parts.commandTimeoutMs, this.parts.commandTimeoutMs);
    let result: BatchResult;
    try {
      result = await this.attemptBatch(valid, timeoutMs);
    } catch (err) {
      // No session to run on (none free in time, or none would start).
      result = { sessionId: 'none', error: err instanceof TenantError ? err : new TenantError('cmdlet-error', String(err)) };
    }
    valid.forEach((c, i) => {
      const r = 'error' in result ? result : result.results[i]!;
      outcomes[c.index] = 'error' in r ? failed(c.command, result.sessionId, 1, r.error) : { ok: true, output: r.output as CmdletOutput<ReadCmdletName> };
    });
    return outcomes;
  }

  private async attemptBatch(calls: readonly BatchCall[], timeoutMs: number): Promise<BatchResult> {
    const label = `Batched reads (${calls.map((c) => c.cmdlet).join(', ')})`;
    return this.parts.pool.withSession<BatchResult>(async (s) => {
      s.commands += calls.length;
      const sessionId = `${s.id}#${s.commands}`;
      try {
        let envelopes = await this.invokeBatch(s, calls, timeoutMs);
        if (envelopes.some((e) => !e.ok && isAuthExpired(e.error))) {
          // The token lapsed: connect again on the same process and send the reads once more.
          await s.connect();
          envelopes = await this.invokeBatch(s, calls, timeoutMs);
        }
        const results = envelopes.map((e, i) => {
          if (!e.ok) return { error: new TenantError(classifyError(e.error), e.error.message) };
          try {
            return { output: this.parseOutput(calls[i]!.cmdlet, e.output, sessionId) };
          } catch (err) {
            return { error: err as TenantError };
          }
        });
        return { value: { sessionId, results }, discard: false };
      } catch (err) {
        const error = err instanceof SessionFailure
          ? this.sessionError(label, err, timeoutMs)
          : err instanceof UnparsableOutput
            ? new TenantError('cmdlet-error', `${label} produced output Switchboard could not read (${err.message}); the PowerShell process was replaced.`)
            : new TenantError('cmdlet-error', `Could not (re)connect the PowerShell session: ${(err as Error).message}`);
        return { value: { sessionId, error }, discard: true };
      }
    });
  }

  /** The calls' envelopes, in order; a batch whose own envelope reports an error gives it to every call. */
  private async invokeBatch(s: PwshSession, calls: readonly BatchCall[], timeoutMs: number): Promise<Envelope[]> {
    const marker = newMarker();
    const envelope = await s.invoke(buildBatchScript(calls, marker), marker, timeoutMs);
    if (!envelope.ok) return calls.map(() => envelope);
    return readBatchEnvelopes(envelope.output, calls.length);
  }

  /** One attempt on one session. Cmdlet errors keep the session; any doubt about the process discards it. */
  private async attempt(cmdlet: CmdletName, params: Record<string, unknown>, timeoutMs: number): Promise<{ output: unknown; sessionId: string }> {
    const result = await this.parts.pool.withSession<AttemptResult>(async (s) => {
      s.commands++;
      const sessionId = `${s.id}#${s.commands}`;
      try {
        let envelope = await this.invoke(s, cmdlet, params, timeoutMs);
        if (!envelope.ok && isAuthExpired(envelope.error)) {
          // The token lapsed: connect again on the same process and retry once.
          await s.connect();
          envelope = await this.invoke(s, cmdlet, params, timeoutMs);
        }
        if (!envelope.ok) return { value: { sessionId, error: new TenantError(classifyError(envelope.error), envelope.error.message) }, discard: false };
        try {
          return { value: { sessionId, output: this.parseOutput(cmdlet, envelope.output, sessionId) }, discard: false };
        } catch (err) {
          return { value: { sessionId, error: err as TenantError }, discard: false };
        }
      } catch (err) {
        const error = err instanceof SessionFailure
          ? this.sessionError(cmdlet, err, timeoutMs)
          : new TenantError('cmdlet-error', `Could not (re)connect the PowerShell session: ${(err as Error).message}`);
        return { value: { sessionId, error }, discard: true };
      }
    });
    if ('error' in result) {
      throw new TenantError(result.error.kind, result.error.message, { command: '', durationMs: 0, session: result.sessionId, outcome: 'error', attempts: 0 });
    }
    return { sessionId: result.sessionId, output: result.output };
  }

  /** `params` were validated once by run (validateParams); the script is built from them as they are. */
  private invoke(s: PwshSession, cmdlet: CmdletName, params: Record<string, unknown>, timeoutMs: number) {
    const marker = newMarker();
    return s.invoke(buildScriptUnchecked(cmdlet, params, marker), marker, timeoutMs);
  }

  private parseOutput(cmdlet: CmdletName, output: unknown[], sessionId: string): unknown {
    const schema = cmdlets[cmdlet].output;
    // Cmdlets that "do not return any objects" print nothing; the allow-list models that as null.
    const value = output.length === 0 && schema.safeParse(null).success ? null : output;
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new TenantError('cmdlet-error', `${cmdlet} returned output that does not match what Switchboard expects (${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}) on ${sessionId}.`);
    }
    return parsed.data;
  }

  /** `cmdlet` names what ran: a cmdlet, or the batched reads. */
  private sessionError(cmdlet: string, failure: SessionFailure, timeoutMs: number): TenantError {
    switch (failure.kind) {
      case 'timeout':
        return new TenantError('timeout', `${cmdlet} did not finish within ${timeoutMs / 1000} s and was stopped: ${failure.message}. Whether it took effect is unknown; check before retrying.`);
      case 'crashed':
        return new TenantError('crashed', `${cmdlet} failed because ${failure.message}. A new PowerShell process will serve the next request.`);
      case 'unparsable':
        return new TenantError('cmdlet-error', `${cmdlet} produced output Switchboard could not read (${failure.message}); the PowerShell process was replaced.`);
    }
  }

  async describe(): Promise<TenantDescription> {
    const version = await this.parts.pool.withSession(async (s) => ({ value: s.moduleVersion, discard: false }));
    // TODO(availableCmdlets): for the real module, report what `Get-Command -Name <allow-list>` finds at connect
    // (current MicrosoftTeams versions drop the CCE-era cmdlets, and a host may lack MSOnline); until then the real
    // backend claims every allow-listed cmdlet. The stand-in passes its profile's list.
    return { backend: this.backend, moduleVersion: this.parts.moduleLabel(version), availableCmdlets: this.parts.availableCmdlets ?? cmdletNames };
  }

  private readiness: { at: number; value: Promise<TenantReadiness> } | undefined;

  /**
   * Ready when a session starts, imports the module and connects. A failure (e.g. no MicrosoftTeams module
   * for this pwsh) is kept for 30 s so a readiness probe does not start a pwsh per call.
   */
  ready(): Promise<TenantReadiness> {
    const now = Date.now();
    if (this.readiness && now - this.readiness.at < 30_000) return this.readiness.value;
    const value = this.parts.pool
      .withSession(async (s) => ({ value: s.moduleVersion, discard: false }))
      .then(
        (): TenantReadiness => ({ ready: true }),
        (err: unknown): TenantReadiness => ({ ready: false, reason: notReadyReason(err) }),
      );
    // A success is not cached: the next check is cheap (an idle session) and sees a session that died.
    this.readiness = { at: now, value };
    void value.then((r) => {
      if (r.ready && this.readiness?.value === value) this.readiness = undefined;
    });
    return value;
  }

  async close(): Promise<void> {
    await this.parts.pool.close();
  }
}

/** One line for /readyz: a missing module is named as such, anything else as the connect error. */
function notReadyReason(err: unknown): string {
  const message = (err instanceof Error ? err.message : String(err)).split('\n')[0]!.trim();
  const missing = /module '([^']+)' was not loaded because no valid module file was found/i.exec(message);
  if (missing) return `the ${missing[1]} PowerShell module is not installed for this pwsh (Install-Module ${missing[1]} -Scope AllUsers).`;
  return `PowerShell session could not start or connect: ${message}`;
}
