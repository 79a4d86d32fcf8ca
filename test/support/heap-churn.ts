/**
 * Child process for test/heap.test.ts: applies HEAP_GROWTH_PERCENT from argv through src/heap.ts, keeps
 * 100,000 small objects live while replacing them at random (old objects die in the old generation, as
 * a long-running bot's do), and prints the largest heap V8 held meanwhile, in MB.
 */
import v8 from 'node:v8';
import { limitHeapGrowth } from '../../src/heap';

limitHeapGrowth(Number(process.argv[2]));
const live: { a: number[]; s: string }[] = [];
for (let i = 0; i < 100_000; i++) live.push({ a: [i, i + 1, i + 2], s: `item ${i}` });
let peak = 0;
for (let round = 0; round < 30; round++) {
  for (let j = 0; j < 50_000; j++) {
    const k = Math.floor(Math.random() * live.length);
    live[k] = { a: [j, round, k], s: `r${round} ${j}` };
  }
  peak = Math.max(peak, v8.getHeapStatistics().total_heap_size);
}
console.log(Math.round(peak / 1e6));
