/**
 * Starts a bounded number of turns per event-loop iteration. On Node 20, libuv accepts one pending
 * connection per iteration; letting every queued turn start in one long iteration starves new
 * connections (the p99 > 1 s tail in ../shared/reference/latency-notes.md, "fix C" starts one).
 * One per iteration halves throughput at 50 conversations, so the queue starts one only while connections
 * are arriving (a channel opening its pool: more are likely waiting in the accept queue behind the first),
 * and the larger bound measured in docs/benchmarks.md once the connections are open.
 */
export interface TurnQueueOptions {
  /** Turns started per iteration once connections have stopped arriving. */
  perIteration: number;
  /** For this long after a new connection was accepted, one turn starts per iteration. */
  connectingMs: number;
}

export class TurnQueue {
  private readonly queue: (() => void)[] = [];
  private scheduled = false;
  private lastConnectionAt = -Infinity;
  private running = 0;
  private readonly options: TurnQueueOptions;

  constructor(options: Partial<TurnQueueOptions> = {}) {
    this.options = { perIteration: 1, connectingMs: 100, ...options };
  }

  /** The server accepted a connection: others may be waiting for the next iterations. */
  connectionAccepted(now = performance.now()): void {
    this.lastConnectionAt = now;
  }

  /** Turns started and not yet settled. */
  get inFlight(): number {
    return this.running;
  }

  run<T>(turn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push(() => {
        this.running++;
        void turn().finally(() => this.running--).then(resolve, reject);
      });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.drain());
      }
    });
  }

  /** How many turns the next iteration starts. */
  bound(now = performance.now()): number {
    return now - this.lastConnectionAt < this.options.connectingMs ? 1 : this.options.perIteration;
  }

  private drain(): void {
    const n = this.bound();
    for (let i = 0; i < n && this.queue.length; i++) this.queue.shift()!();
    if (this.queue.length) setImmediate(() => this.drain());
    else this.scheduled = false;
  }
}
