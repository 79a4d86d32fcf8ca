import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { loadConfig } from '../src/config';

const v8Major = Number(process.versions.v8.split('.')[0]);

/** A fresh process with this factor: whether it was applied, and calls until V8 optimizes a hot function. */
function tierUp(factor: number): { applied: boolean; calls: number } {
  const [applied, calls] = execFileSync(process.execPath, ['--import', 'tsx', 'test/support/jit-tier-up.ts', String(factor)], { encoding: 'utf8', timeout: 30_000 }).trim().split(' ');
  return { applied: applied === 'true', calls: Number(calls) };
}

describe('JIT_TIER_UP_FACTOR', () => {
  it('is 4 unless set, and refuses 0 in one line', () => {
    assert.equal(loadConfig({}).JIT_TIER_UP_FACTOR, 4);
    assert.equal(loadConfig({ JIT_TIER_UP_FACTOR: '1' }).JIT_TIER_UP_FACTOR, 1);
    assert.throws(() => loadConfig({ JIT_TIER_UP_FACTOR: '0' }), /JIT_TIER_UP_FACTOR: must be 1 \(V8 decides\) or a factor such as 4/);
  });

  it(v8Major === 11 ? 'has V8 optimize a hot function after fewer calls (Node 20)' : 'leaves V8\'s own thresholds alone on this Node', function () {
    this.timeout(60_000);
    const own = tierUp(1);
    const sooner = tierUp(4);
    assert.equal(own.applied, false);
    if (v8Major !== 11) {
      assert.equal(sooner.applied, false, 'applied only where it was measured');
      assert.equal(sooner.calls, own.calls);
      return;
    }
    assert.equal(sooner.applied, true);
    // Measured on Node 20: 74 calls with V8's budget, 28 with a quarter of it.
    assert.ok(sooner.calls < own.calls * 0.7, `${sooner.calls} calls with factor 4 against ${own.calls} with V8's own`);
  });
});
