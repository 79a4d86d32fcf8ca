/**
 * Starts a bounded number of turns per event-loop iteration. On Node 20, libuv accepts one pending
 * connection per iteration; letting every queued turn start in one long iteration starves new
 * connections (the p99 > 1 s tail in ../shared/reference/latency-notes.md, "fix C" starts one).
 * One per iteration halves throughput at 50 conversations; the server uses a larger bound measured in
 * docs/benchmarks.md that keeps both p50 and p99 within the target.
 */
export class TurnQueue {
  private readonly queue: (() => void)[] = [];
  private scheduled = false;

  /** How many turns may start in one iteration: 1 keeps accepts fastest, more buys throughput. */
  constructor(private readonly perIteration = 1) {}

  run<T>(turn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push(() => void turn().then(resolve, reject));
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.drain());
      }
    });
  }

  private drain(): void {
    for (let i = 0; i < this.perIteration && this.queue.length; i++) this.queue.shift()!();
    if (this.queue.length) setImmediate(() => this.drain());
    else this.scheduled = false;
  }
}
