/** Token buckets for the edge's incoming limits and the outbox's Teams limits. Time is injectable for tests. */

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly capacity: number,
    /** Tokens added per second. */
    readonly refillPerSecond: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = capacity;
    this.last = now();
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((t - this.last) / 1000) * this.refillPerSecond);
    this.last = t;
  }

  tryTake(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Milliseconds until a token is available (0 if one is). */
  waitMs(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.refillPerSecond) * 1000);
  }

  get full(): boolean {
    this.refill();
    return this.tokens >= this.capacity;
  }
}

/** One bucket per key (user, tenant, conversation), bounded in number: full buckets are the first dropped. */
export class KeyedBuckets {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly capacity: number,
    private readonly refillPerSecond: number,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 10_000,
  ) {}

  get(key: string): TokenBucket {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= this.maxKeys) this.evict();
      bucket = new TokenBucket(this.capacity, this.refillPerSecond, this.now);
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  tryTake(key: string): boolean {
    return this.get(key).tryTake();
  }

  /** A full bucket holds no history worth keeping; if none is full, the oldest goes. */
  private evict(): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.full) this.buckets.delete(key);
    }
    if (this.buckets.size >= this.maxKeys) this.buckets.delete(this.buckets.keys().next().value!);
  }
}

/** A bucket that holds `perWindow` over `windowMs` with the same burst: Teams states its limits this way. */
export const perWindow = (count: number, windowMs: number) => ({ capacity: count, refillPerSecond: count / (windowMs / 1000) });

/**
 * "At most `count` in any `windowMs`", as Teams states its limits. A token bucket of `count` refilling
 * `count` per window lets up to twice that through in one sliding window, so the outbox uses this instead.
 */
export class SlidingWindow {
  private readonly times: number[] = [];

  constructor(
    readonly count: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  private prune(t: number): void {
    while (this.times.length > 0 && this.times[0]! <= t - this.windowMs) this.times.shift();
  }

  waitMs(t = this.now()): number {
    this.prune(t);
    return this.times.length < this.count ? 0 : this.times[0]! + this.windowMs - t;
  }

  /** `t`: one instant for several windows taken together. */
  tryTake(t = this.now()): boolean {
    if (this.waitMs(t) > 0) return false;
    this.times.push(t);
    return true;
  }

  get full(): boolean {
    this.prune(this.now());
    return this.times.length === 0;
  }
}
