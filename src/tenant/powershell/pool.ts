/**
 * A bounded pool of warm pwsh sessions. Sessions start on demand up to `size`, are handed to one command at a
 * time, health-checked after sitting idle, and replaced after `maxCommandsPerSession` commands or on any doubt.
 * Waiting for a free session is bounded too.
 */
import { TenantError } from '../port';
import type { PwshSession } from './session';

export interface PoolOptions {
  size: number;
  maxCommandsPerSession: number;
  /** How long a caller may wait for a free session before failing with 'timeout'. */
  acquireTimeoutMs: number;
  /** A session idle longer than this is pinged before use. */
  healthCheckIdleMs: number;
  start: () => Promise<PwshSession>;
}

interface Waiter {
  resolve: (s: PwshSession) => void;
  reject: (e: unknown) => void;
  timer: NodeJS.Timeout;
}

export class SessionPool {
  private readonly idle: PwshSession[] = [];
  private readonly waiters: Waiter[] = [];
  private readonly stopping = new Set<Promise<void>>();
  /** Sessions alive or starting, idle or busy. */
  private count = 0;
  private closed = false;
  /** Every session ever started, for tests and describe(). */
  started = 0;

  constructor(private readonly options: PoolOptions) {}

  async acquire(): Promise<PwshSession> {
    if (this.closed) throw new TenantError('crashed', 'The PowerShell session pool is closed.');
    while (this.idle.length > 0) {
      const session = this.idle.pop()!;
      if (!session.alive) {
        this.drop(session);
        continue;
      }
      if (Date.now() - session.lastUsedAt > this.options.healthCheckIdleMs && !(await session.ping(5000))) {
        this.drop(session);
        continue;
      }
      return session;
    }
    if (this.count < this.options.size) return this.startOne();
    return new Promise<PwshSession>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          reject(new TenantError('timeout', `No PowerShell session became free within ${this.options.acquireTimeoutMs / 1000} s (pool size ${this.options.size}).`));
        }, this.options.acquireTimeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  /** Returns a session after a command. `discard` when anything about it is in doubt. */
  release(session: PwshSession, discard = false): void {
    if (discard || !session.alive || session.commands >= this.options.maxCommandsPerSession || this.closed) {
      this.drop(session);
      if (this.waiters.length > 0 && this.count < this.options.size) this.startFor(this.waiters.shift()!);
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) {
      clearTimeout(waiter.timer);
      waiter.resolve(session);
    } else {
      this.idle.push(session);
    }
  }

  async withSession<T>(fn: (session: PwshSession) => Promise<{ value: T; discard: boolean }>): Promise<T> {
    const session = await this.acquire();
    // fn reports doubts as { discard: true }; a throw is itself a doubt.
    let discard = true;
    try {
      const result = await fn(session);
      discard = result.discard;
      return result.value;
    } finally {
      this.release(session, discard);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new TenantError('crashed', 'The PowerShell session pool was closed.'));
    }
    for (const s of this.idle.splice(0)) this.drop(s);
    await Promise.all([...this.stopping]);
  }

  private async startOne(): Promise<PwshSession> {
    this.count++;
    this.started++;
    try {
      return await this.options.start();
    } catch (err) {
      this.count--;
      if (this.waiters.length > 0) this.startFor(this.waiters.shift()!);
      throw err;
    }
  }

  private startFor(waiter: Waiter): void {
    clearTimeout(waiter.timer);
    this.startOne().then(waiter.resolve, waiter.reject);
  }

  private drop(session: PwshSession): void {
    this.count--;
    const stop = session.kill();
    this.stopping.add(stop);
    void stop.finally(() => this.stopping.delete(stop));
  }
}
