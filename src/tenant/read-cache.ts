/**
 * A read-only cache in front of a tenant: each distinct read is made once, and reads fetched in bulk
 * beforehand can be primed so they are answered without a round trip. On PowerShell every read is a
 * round trip, so code that reads the same user several times in a short span (planning a batch, one
 * batch item's checks) shares the reads through this. Anything that changes the tenant is refused.
 */
import { cmdlets, type CmdletName, type CmdletOutput, type CmdletParams } from './cmdlets';
import type { CmdletRun, CmdletRunRecord, RunOptions, TenantDescription, TenantPort } from './port';

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
    if (cmdlets[cmdlet].effect !== 'read') throw new Error(`${cmdlet} changes the tenant; a read cache only reads.`);
    const key = ReadCache.key(cmdlet, params as Record<string, unknown>);
    let read = this.reads.get(key) as Promise<CmdletOutput<N>> | undefined;
    if (!read) {
      read = this.tenant.run(cmdlet, params, options).then((r) => r.output);
      this.reads.set(key, read);
      // A failed read is not remembered: the next caller asks again (and sees the error itself).
      read.catch(() => {
        if (this.reads.get(key) === read) this.reads.delete(key);
      });
    }
    return { output: await read, record: cachedRecord };
  }

  describe(): Promise<TenantDescription> {
    this.description ??= this.tenant.describe();
    return this.description;
  }

  /** The tenant underneath belongs to someone else: nothing to close here. */
  async close(): Promise<void> {}
}
