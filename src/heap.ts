import v8 from 'node:v8';

/**
 * How far V8 lets the old generation grow past what survived the last full GC before it collects again.
 * Left to itself (0) V8 picks up to 300% on a machine with memory to spare, so a bot with 35 MB live holds
 * 140 MB for it; Switchboard's live heap is small and flat, and a full GC of it is short next to a turn
 * (docs/benchmarks.md, RSS), so 50% by default keeps its RSS near what it uses.
 * Set at start, before the heap has grown: V8 reads it at each full GC.
 */
export function limitHeapGrowth(percent: number): void {
  if (percent > 0) v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}
