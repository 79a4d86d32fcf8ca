/**
 * Starts at most one turn per event-loop iteration. On Node 20, libuv accepts one pending connection
 * per iteration; letting many turns start in one long iteration starves new connections (the p99 > 1 s
 * tail measured in ../shared/reference/latency-notes.md, "fix C").
 */
export class TurnQueue {
  private readonly queue: (() => void)[] = [];
  private scheduled = false;

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
    this.queue.shift()?.();
    if (this.queue.length) setImmediate(() => this.drain());
    else this.scheduled = false;
  }
}
