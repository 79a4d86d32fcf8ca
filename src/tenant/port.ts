/**
 * The tenant port: the one way Switchboard touches a Microsoft 365 tenant. Backends: the simulated
 * tenant (sim/), PowerShell through node-powershell (powershell/), and PowerShell against the
 * stand-in module in tenant-stub/ (same runner, fake cmdlets).
 */
import type { TenantOperation } from '../model/request';
import { cmdlets, isCmdletName, type CmdletCall, type CmdletName, type CmdletOutput, type CmdletParams } from './cmdlets';

export type TenantBackendName = 'sim' | 'powershell' | 'powershell-stub';

export interface RunOptions {
  /** The request on whose behalf the cmdlet runs, for the audit trail. */
  requestId?: string;
  /** The action's own limit; a backend's configured per-command timeout still caps it. */
  timeoutMs?: number;
}

/** What a backend reports about one cmdlet run, success or not. Goes to the audit log. */
export interface CmdletRunRecord {
  /** The command as bound, rendered as PowerShell text with secrets redacted. */
  command: string;
  durationMs: number;
  /** Which session ran it (a pwsh process id, or "sim"). */
  session: string;
  /** 'accepted': the service took the change and is still carrying it out (see TenantPort.follow). */
  outcome: 'ok' | 'error' | 'accepted';
  attempts: number;
  error?: string;
}

export interface CmdletRun<N extends CmdletName> {
  output: CmdletOutput<N>;
  record: CmdletRunRecord;
}

/** The allow-listed cmdlets that only read the tenant. */
export type ReadCmdletName = { [N in CmdletName]: (typeof cmdlets)[N]['effect'] extends 'read' ? N : never }[CmdletName];

/** One read-only call, as data: what `runMany` takes. */
export type ReadCall = { [N in ReadCmdletName]: CmdletCall<N> }[ReadCmdletName];

/** What one call of a `runMany` came to: its output, or the error `run` would have thrown for it. */
export type ReadOutcome = { ok: true; output: CmdletOutput<ReadCmdletName> } | { ok: false; error: TenantError };

export interface TenantPort {
  readonly backend: TenantBackendName;
  /**
   * Runs one allow-listed cmdlet. Parameters are validated against the allow-list before anything
   * runs. Failures throw TenantError, whose `record` says what ran.
   */
  run<N extends CmdletName>(cmdlet: N, params: CmdletParams<N>, options?: RunOptions): Promise<CmdletRun<N>>;
  /**
   * Runs several read-only calls in one round trip, one outcome per call in order: a call that fails
   * (a bad parameter, an identity not found) does not fail the others, and a round trip that fails
   * fails them all. Made once, without the retries `run` makes: a caller that needs a failed read
   * makes it again with `run`. Anything but reads is refused (TenantError 'not-allowed') before
   * anything runs. Optional: a backend without round trips (the simulated tenant) has none, and
   * callers run each call instead (ReadCache.runMany does both).
   */
  runMany?(calls: readonly ReadCall[], options?: RunOptions): Promise<ReadOutcome[]>;
  /** Module facts that change how results read (e.g. properties a module version no longer reports). */
  describe(): Promise<TenantDescription>;
  /**
   * Whether the backend can serve commands now (e.g. the MicrosoftTeams module loads and connects), with the
   * reason when not; /readyz reports it. Optional: a backend without it is always ready.
   */
  ready?(): Promise<TenantReadiness>;
  /**
   * Asks once after a change the tenant accepted but had not finished (a TenantError 'in-progress' carries the
   * operation): done, with what ran, or still going, in the service's words. A failed operation throws
   * TenantError 'cmdlet-error'; one the service no longer knows throws 'not-found'. Optional: a backend whose
   * changes finish inside the call (PowerShell, the simulated tenant) never hands out an operation.
   */
  follow?(operation: TenantOperation, options?: RunOptions): Promise<FollowResult>;
  close(): Promise<void>;
}

export type FollowResult = { done: true; record: CmdletRunRecord } | { done: false; state: string };

export interface TenantReadiness {
  ready: boolean;
  reason?: string;
}

export interface TenantDescription {
  backend: TenantBackendName;
  /** e.g. "MicrosoftTeams 7.3.0", "simulated (CCE-era cmdlet semantics)". */
  moduleVersion: string;
  /**
   * The allow-listed cmdlets the module in front of us has, so a command can choose (e.g. Set-MsolUser where
   * MSOnline is loaded, Update-MgUser where it is not). The simulated tenant has them all.
   */
  availableCmdlets: readonly string[];
  /** Cmdlets this port carries out through Microsoft Graph instead (e.g. Set-CsPhoneNumberAssignment as assignNumber). */
  throughGraph?: readonly CmdletName[];
}

export type TenantErrorKind =
  /** the identity or object does not exist */
  | 'not-found'
  /** the cmdlet refused the parameters (binding or validation) */
  | 'invalid-parameter'
  /** the cmdlet ran and reported an error */
  | 'cmdlet-error'
  /** throttled or connection lost: transient */
  | 'transient'
  /** the command ran past its timeout and its process was killed */
  | 'timeout'
  /** the PowerShell process died */
  | 'crashed'
  /** the cmdlet or a parameter is not on the allow-list */
  | 'not-allowed'
  /** the service accepted the change and is still carrying it out: `operation` says how to ask after it */
  | 'in-progress';

export class TenantError extends Error {
  constructor(
    readonly kind: TenantErrorKind,
    message: string,
    readonly record?: CmdletRunRecord,
    readonly operation?: TenantOperation,
  ) {
    super(message);
    this.name = 'TenantError';
  }
}

/** Refuses a batch that holds anything but allow-listed reads, before anything runs. */
export function assertReadCalls(calls: readonly { cmdlet: string }[]): void {
  for (const { cmdlet } of calls) {
    if (!isCmdletName(cmdlet)) throw new TenantError('not-allowed', `The term '${cmdlet}' is not an allowed cmdlet.`);
    if (cmdlets[cmdlet].effect !== 'read') throw new TenantError('not-allowed', `${cmdlet} changes the tenant; only reads are made together.`);
  }
}
