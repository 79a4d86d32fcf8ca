/** Small statistics helpers for the benchmarks. */

/** Nearest-rank percentile (p in 0..100) of unsorted samples; NaN when there are none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

/** The middle value; the mean of the two middle values for an even count. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function mean(values: readonly number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN;
}

export function max(values: readonly number[]): number {
  return values.length ? values.reduce((a, b) => (b > a ? b : a), -Infinity) : NaN;
}

/** Formats milliseconds: one decimal below 100 ms, whole numbers above. */
export function ms(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  return v < 100 ? v.toFixed(1) : v.toFixed(0);
}

export function range(values: readonly number[]): string {
  if (!values.length) return 'n/a';
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return lo === hi ? ms(lo) : `${ms(lo)}–${ms(hi)}`;
}
