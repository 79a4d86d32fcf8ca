/**
 * Child process for test/jit.test.ts: applies JIT_TIER_UP_FACTOR from argv through src/jit.ts, then
 * prints whether it was applied and how many calls a small hot function takes before V8 marks it for
 * optimization (or optimizes it), read with %GetOptimizationStatus.
 */
import v8 from 'node:v8';
import { tierUpSooner } from '../../src/jit';

const applied = tierUpSooner(Number(process.argv[2]));
v8.setFlagsFromString('--allow-natives-syntax');
// Compiled after the flag, so the natives syntax parses; the same source in every run.
const status = new Function('f', 'return %GetOptimizationStatus(f)') as (f: unknown) => number;
const hot = new Function('a', 'let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * 2 + (a[i] >> 1); return s;') as (a: number[]) => number;
// V8's OptimizationStatus bits: optimized (4), marked for optimization (8), marked for concurrent
// optimization (9), optimizing concurrently (10).
const optimizedOrMarked = (1 << 4) | (1 << 8) | (1 << 9) | (1 << 10);
const input = Array.from({ length: 20 }, (_, i) => i);
let calls = 0;
while (calls < 100_000) {
  hot(input);
  calls++;
  if ((status(hot) & optimizedOrMarked) !== 0) break;
}
process.stdout.write(`${applied} ${calls}\n`);
