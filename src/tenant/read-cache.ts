/**
 * A read-only cache in front of a tenant: each distinct read is made once, and reads fetched in bulk
 * beforehand can be primed so they are answered without a round trip. On PowerShell every read is a
 * round trip, so code that reads the same user several times in a short span (planning a batch, one
 * batch item's checks) shares the reads through this, and reads known ahead are made together (prefetch: one
 * round trip where the tenant has runMany). Anything that changes the tenant is refused.
 */
import { type CmdletCall, type CmdletName, type CmdletOutput, type CmdletParams } from './cmdlets';
import { assertReadCalls, TenantError, type CmdletRun, type CmdletRunRecord, type ReadCall, type ReadCmdletName, type ReadOutcome, type RunOptions, type TenantDescription, type TenantPort } from './port';

const cachedRecord: CmdletRunRecord = { command: '(answered from the read cache)', durationMs: 0, session: 'cache', outcome: 'ok', attempts: 0 };

export class ReadCache implements TenantPort {
  private readonly reads = new Map<string, Promise<unknown>>();
  private description: Promise<TenantDescription> | undefined;

  constructor(private readonly tenant: TenantPort) {}

  get backend() {
    return this.tenant.backend;
  }

  /** Identities compare without case, as the cmdlets resolve them. */
  private static key(cmdlet: string, params: Record<string, unknown>): string {
    const entries = Object.entries(params)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, k === 'Identity' && typeof v === 'string' ? v.toLowerCase() : v] as const)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `${cmdlet} ${JSON.stringify(entries)}`;
  }

  /** Records what a read returns, as if it had been made. */
  prime<N extends CmdletName>(cmdlet: N, params: CmdletParams<N>, output: CmdletOutput<N>): void {
    this.reads.set(ReadCache.key(cmdlet, params as Record<string, unknown>), Promise.resolve(output));
  }

  /** Forgets every read (after the tenant was changed). */
  clear(): void {
    this.reads.clear();
  }

  async run<N extends CmdletName>(cmdlet: N, params: CmdletParams<N>, options?: RunOptions): Promise<CmdletRun<N>> {
    // Refused as runMany refuses it (a TenantError the caller reports), before anything runs.
    assertReadCalls([{ cmdlet }]);
    const key = ReadCache.key(cmdlet, params as Record<string, unknown>);
    let read = this.reads.get(key) as Promise<CmdletOutput<N>> | undefined;
    if (!read) {
      read = this.tenant.run(cmdlet, params, options).then((r) => r.output);
      this.remember(key, read);
    }
    return { output: await read, record: cachedRecord };
  }

  /**
   * Several reads at once: those made already are answered from here, the rest in one runMany of the tenant
   * underneath (or, where it has none, each with run, in parallel). Each success is remembered like a run's;
   * a failure is not (but for a timeout: see remember), so the next run of it asks again and reports it itself.
   */
  async runMany(calls: readonly ReadCall[], options?: RunOptions): Promise<ReadOutcome[]> {
    assertReadCalls(calls);
    const keys = calls.map((c) => ReadCache.key(c.cmdlet, c.params));
    const misses = new Map<string, ReadCall>();
    calls.forEach((c, i) => {
      if (!this.reads.has(keys[i]!)) misses.set(keys[i]!, c);
    });
    if (misses.size > 0) {
      const batch = this.readAll([...misses.values()], options);
      [...misses.keys()].forEach((key, i) => {
        this.remember(key, batch.then((outcomes) => {
          const outcome = outcomes[i]!;
          if (!outcome.ok) throw outcome.error;
          return outcome.output;
        }));
      });
    }
    return Promise.all(keys.map((key) => outcomeOf(this.reads.get(key)!)));
  }

  /**
   * Makes reads ahead, together, so the runs that follow are answered from here; a read that fails is left to
   * them. Only where the tenant batches: elsewhere it would only make reads early, or ones never asked for.
   */
  async prefetch(calls: readonly ReadCall[], options?: RunOptions): Promise<void> {
    // Without a round trip to save (the simulated tenant), each read is made when it is asked for, if it is.
    if (!this.batches()) return;
    await this.runMany(calls, options);
  }

  /** Whether reads made together cost one round trip underneath, however many caches are stacked on the tenant. */
  private batches(): boolean {
    return this.tenant instanceof ReadCache ? this.tenant.batches() : this.tenant.runMany !== undefined;
  }

  private readAll(calls: readonly ReadCall[], options?: RunOptions): Promise<ReadOutcome[]> {
    if (this.tenant.runMany) return this.tenant.runMany(calls, options);
    const run = <N extends ReadCmdletName>(c: CmdletCall<N>) => this.tenant.run(c.cmdlet, c.params, options).then((r) => r.output);
    return Promise.all(calls.map((c) => outcomeOf(run(c))));
  }

  /**
   * A read in flight or made. A failed read is not remembered: the next caller asks again (and sees the error
   * itself). Except a timeout: the tenant did not answer within the command timeout, and asking again would make
   * the person wait as long again for the same silence (a filing whose batched reads timed out would wait twice).
   */
  private remember(key: string, read: Promise<unknown>): void {
    this.reads.set(key, read);
    read.catch((err: unknown) => {
      if (err instanceof TenantError && err.kind === 'timeout') return;
      if (this.reads.get(key) === read) this.reads.delete(key);
    });
  }

  describe(): Promise<TenantDescription> {
    this.description ??= this.tenant.describe();
    return this.description;
  }

  /** The tenant underneath belongs to someone else: nothing to close here. */
  async close(): Promise<void> {}
}

/** A read's outcome: its output, or the TenantError it failed with (anything else is not the tenant's answer, and throws). */
function outcomeOf(read: Promise<unknown>): Promise<ReadOutcome> {
  return read.then(
    (output): ReadOutcome => ({ ok: true, output: output as CmdletOutput<ReadCmdletName> }),
    (error: unknown): ReadOutcome => {
      if (error instanceof TenantError) return { ok: false, error };
      throw error;
    },
  );
}
