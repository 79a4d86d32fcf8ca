/**
 * TurnQueue (issue 10): a long event-loop iteration delays the accept of every new connection (Node 20
 * accepts one per iteration), so while connections arrive one turn starts per iteration, and the larger
 * bound once they have stopped.
 */
import assert from 'node:assert/strict';
import { TurnQueue } from '../../src/teams/turn-queue';

/** How many of `count` queued turns have started after each of the next iterations. */
async function startsPerIteration(queue: TurnQueue, count: number, iterations: number): Promise<number[]> {
  let started = 0;
  const done = Array.from({ length: count }, () => queue.run(async () => void started++));
  const seen: number[] = [];
  for (let i = 0; i < iterations; i++) {
    await new Promise((r) => setImmediate(r));
    seen.push(started);
  }
  await Promise.all(done);
  return seen;
}

describe('TurnQueue', () => {
  it('starts up to its bound per iteration once no connection is arriving', async () => {
    const queue = new TurnQueue({ perIteration: 16, connectingMs: 100 });
    const seen = await startsPerIteration(queue, 40, 4);
    assert.deepEqual(seen.slice(0, 3), [16, 32, 40]);
  });

  it('starts one per iteration for connectingMs after a connection was accepted, then the bound again', async () => {
    const queue = new TurnQueue({ perIteration: 16, connectingMs: 100 });
    queue.connectionAccepted();
    const seen = await startsPerIteration(queue, 5, 5);
    assert.deepEqual(seen, [1, 2, 3, 4, 5]);
    const t = 5_000;
    queue.connectionAccepted(t);
    assert.equal(queue.bound(t + 99), 1);
    assert.equal(queue.bound(t + 100), 16);
  });

  it('counts the turns started and not yet settled', async () => {
    const queue = new TurnQueue({ perIteration: 4 });
    let finish!: () => void;
    const held = queue.run(() => new Promise<void>((r) => (finish = r)));
    const failing = queue.run(async () => { throw new Error('refused'); });
    // Its rejection is looked at below, a tick later: caught now so Node does not call it unhandled meanwhile.
    const failure = failing.then(() => undefined, (err: Error) => err);
    assert.equal(queue.inFlight, 0, 'queued, not started');
    await new Promise((r) => setImmediate(r));
    assert.match(String((await failure)?.message), /refused/);
    assert.equal(queue.inFlight, 1, 'the failed one settled, the held one runs');
    finish();
    await held;
    assert.equal(queue.inFlight, 0);
  });

  it('passes a turn\'s result and failure through', async () => {
    const queue = new TurnQueue({ perIteration: 4 });
    assert.equal(await queue.run(async () => 42), 42);
    await assert.rejects(queue.run(async () => { throw new Error('refused'); }), /refused/);
  });
});
