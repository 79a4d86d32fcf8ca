/**
 * Instance records: a restarted bot knows the previous process is dead from its own record (pid and start
 * time on this host), not from a lease running out, and resumes its running requests at once.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { SqliteStore } from '../src/store/sqlite-store';
import { admin, alice, ChatHarness, requestIdIn } from './support/chat';

/** A pid that ran and is gone. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
  return Number(child.stdout.trim());
}

describe('a request held by a bot process that died', () => {
  let chat: ChatHarness;
  beforeEach(async () => {
    chat = await ChatHarness.create();
  });
  afterEach(async () => chat.close());

  /** Files and approves a request, then claims it from a second store as an instance whose process is `pid`. */
  async function claimedBy(pid: number, processStart: string, dataDir?: string): Promise<string> {
    const [reply] = await chat.say(alice, 'enable voice for Bob Kelly number +14255550100');
    const id = requestIdIn(reply?.text);
    const now = chat.clock.now();
    const person = { id: admin.aadObjectId, name: admin.name };
    await chat.core.store.decide(id, { status: 'approved', by: person, at: now }, { at: now.toISOString(), actor: person, event: 'request.approved', requestId: id });
    const other = new SqliteStore(chat.dataDir);
    await other.registerInstance({ id: `other-${pid}`, pid, host: os.hostname(), processStart, startedAt: now.toISOString(), ...(dataDir ? { dataDir } : {}) }, now);
    assert.ok(await other.claim(id, now, new Date(now.getTime() + 240_000), { at: now.toISOString(), actor: 'system', event: 'execution.started', requestId: id }));
    await other.close();
    return id;
  }

  it('is finished at once, long before its lease would lapse', async () => {
    const id = await claimedBy(deadPid(), '1');
    await chat.core.maintain();
    await chat.settle();
    const r = (await chat.core.store.getRequest(id))!;
    assert.equal(r.status, 'verified');
    assert.equal(r.attempt, 2);
    assert.ok(chat.outbox.sent.some((s) => s.message.text?.startsWith(`${id} done and verified`)));
    assert.equal((await chat.core.store.listLiveInstances(os.hostname())).some((i) => i.id.startsWith('other-')), false, 'the dead instance is marked dead');
  });

  it('is finished at once when it ran on this DATA_DIR, as its own record says', async () => {
    const id = await claimedBy(deadPid(), '1', chat.dataDir);
    await chat.core.maintain();
    await chat.settle();
    assert.equal((await chat.core.store.getRequest(id))!.status, 'verified');
  });

  it('is left to its lease when it ran on another DATA_DIR of this host, whose pwsh sessions this process cannot reap', async () => {
    const id = await claimedBy(deadPid(), '1', '/srv/switchboard-other/data');
    await chat.core.maintain();
    await chat.settle();
    assert.equal((await chat.core.store.getRequest(id))!.status, 'running');
    assert.ok((await chat.core.store.listLiveInstances(os.hostname())).some((i) => i.id.startsWith('other-')), 'not marked dead');
  });

  it('is left to its lease while the process that holds it runs', async () => {
    const ownStart = (await chat.core.store.listLiveInstances(os.hostname())).find((i) => i.pid === process.pid)!.processStart;
    const live = await claimedBy(process.pid, ownStart);
    await chat.core.maintain();
    await chat.settle();
    assert.equal((await chat.core.store.getRequest(live))!.status, 'running');
  });

  it('counts as dead when its pid now belongs to another process (start time differs)', async () => {
    const id = await claimedBy(process.pid, '1');
    await chat.core.maintain();
    await chat.settle();
    assert.equal((await chat.core.store.getRequest(id))!.status, 'verified');
  });

  it('tells the requester when the dead process finished it but died before saying so', async () => {
    const id = await claimedBy(deadPid(), '1');
    const r = (await chat.core.store.getRequest(id))!;
    // As the dead process left it: finished in the store, the requester never told.
    await chat.core.store.finish(id, r.attempt, 'verified', { note: 'done' }, { at: chat.clock.now().toISOString(), actor: 'system', event: 'execution.verified', requestId: id });
    await chat.core.maintain();
    await chat.settle();
    assert.equal(chat.outbox.sent.filter((s) => s.message.text?.startsWith(`${id} done and verified`)).length, 1);
    await chat.core.maintain();
    await chat.settle();
    assert.equal(chat.outbox.sent.filter((s) => s.message.text?.startsWith(`${id} done and verified`)).length, 1, 'told once');
  });

  it('cannot start a step once its lease lapsed: the lease is extended only while it holds', async () => {
    const id = await claimedBy(process.pid, (await chat.core.store.listLiveInstances(os.hostname())).find((i) => i.pid === process.pid)!.processStart);
    const r = (await chat.core.store.getRequest(id))!;
    const now = chat.clock.now();
    assert.equal(await chat.core.store.extendLease(id, r.attempt, now, new Date(now.getTime() + 300_000)), true);
    const lapsed = new Date(now.getTime() + 301_000);
    assert.equal(await chat.core.store.extendLease(id, r.attempt, lapsed, new Date(lapsed.getTime() + 300_000)), false);
    assert.equal(await chat.core.store.extendLease(id, r.attempt - 1, now, new Date(now.getTime() + 300_000)), false, 'an older attempt cannot');
  });
});
