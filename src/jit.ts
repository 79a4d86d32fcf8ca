import v8 from 'node:v8';

/** Node 20's V8 (11.x) default --interrupt-budget: the bytecode a function runs between tier-up checks. */
const v8DefaultInterruptBudget = 67_584;

/**
 * Lets V8 optimize hot functions `factor` times sooner than it would by itself.
 *
 * A fresh Switchboard runs its first few thousand turns on unoptimized code for longer than a bare bot:
 * it has more code on a turn's path (the grammar, the catalog, card templating, the simulated tenant's
 * queries), and V8 counts each function's work separately. On Node 20 a quarter of V8's interrupt budget
 * cut the bot's CPU a turn by about a fifth at one conversation in the first 2,000 turns after warm-up
 * (docs/benchmarks.md, stop 16); optimizing sooner costs a few more compilations on the second core.
 * Node 22 and 24 (V8 12 and 13) count invocations under other flags, not measured here: there V8 keeps
 * its own thresholds. Returns whether the setting was applied. Set at start, before the turns run.
 */
export function tierUpSooner(factor: number): boolean {
  if (factor <= 1 || Number(process.versions.v8.split('.')[0]) !== 11) return false;
  v8.setFlagsFromString(`--interrupt-budget=${Math.round(v8DefaultInterruptBudget / factor)}`);
  return true;
}
