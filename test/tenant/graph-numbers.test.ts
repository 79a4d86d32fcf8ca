/** Numbers through Microsoft Graph: assignNumber and its operation, against a local stand-in of Entra and Graph. */
import { strict as assert } from 'node:assert';
import { GraphClient } from '../../src/tenant/graph/client';
import { GraphNumberAssignment } from '../../src/tenant/graph/number-assignment';
import { TenantError } from '../../src/tenant/port';
import { SimulatedTenant } from '../../src/tenant/sim/simulated-tenant';
import { demoTenant } from '../../src/tenant/sim/demo-tenant';
import { GraphStandIn, type GraphStandInOptions } from '../support/graph-standin';
import { admin, alice, cardOf, cardText, ChatHarness, requestIdIn } from '../support/chat';
import { tempDir } from '../support/temp-dirs';

const app = { tenantId: '72f988bf-0000-4000-a000-000000c0ffee', clientId: '0a1b2c3d-0000-4000-a000-00000000a11e', clientSecret: 's3cret~value' };

describe('numbers through Microsoft Graph', () => {
  let sim: SimulatedTenant;
  let graph: GraphStandIn;
  const start = async (options: Partial<GraphStandInOptions> = {}, secret = app.clientSecret) => {
    sim = new SimulatedTenant({ initial: demoTenant() });
    graph = await new GraphStandIn(sim, { ...app, ...options }).start();
    const client = new GraphClient({ baseUrl: graph.graphUrl, loginUrl: graph.url, tenantId: app.tenantId, clientId: app.clientId, clientSecret: secret, sleep: async () => undefined });
    return new GraphNumberAssignment(sim, client, { pollMs: { first: 1, max: 5 } });
  };
  afterEach(async () => {
    await graph?.close();
    await sim?.close();
  });
  const assignPosts = () => graph.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/assignNumber'));

  it('assigns with assignNumber by the user\'s object id, follows the operation, and the tenant reads the number back', async () => {
    const port = await start({ runningPolls: 2 });
    const bob = (await sim.run('Get-CsOnlineUser', { Identity: 'Bob Kelly' })).output[0]!;
    const run = await port.run('Set-CsPhoneNumberAssignment', { Identity: 'bob.kelly@contoso.com', TelephoneNumber: '+14255550100', NumberType: 'DirectRouting' });
    assert.equal(run.output, null);
    assert.deepEqual(assignPosts().map((r) => r.body), [{ telephoneNumber: '+14255550100', assignmentTargetId: bob.Identity, numberType: 'directRouting' }]);
    assert.equal(run.record.command, `POST /admin/teams/telephoneNumberManagement/numberAssignments/assignNumber {"telephoneNumber":"+14255550100","assignmentTargetId":"${bob.Identity}","numberType":"directRouting"}`);
    assert.equal(run.record.session, `graph ${graph.url}`);
    assert.equal(graph.requests.filter((r) => r.method === 'GET' && r.path.includes('/operations')).length, 3, 'polled while running, then succeeded');
    const after = (await sim.run('Get-CsOnlineUser', { Identity: 'Bob Kelly' })).output[0]!;
    assert.deepEqual([after.EnterpriseVoiceEnabled, after.LineURI], [true, 'tel:+14255550100']);
    // One token for all of it, sent only to Graph.
    assert.equal(graph.requests.filter((r) => r.path.endsWith('/token')).length, 1);
    assert.ok(graph.requests.filter((r) => r.path.startsWith('/v1.0/')).every((r) => r.authorization?.startsWith('Bearer ')));
  });

  it('waits out 429 Retry-After and then assigns once', async () => {
    const port = await start({ throttleAssigns: 2 });
    await port.run('Set-CsPhoneNumberAssignment', { Identity: 'Bob Kelly', TelephoneNumber: '+14255550101', NumberType: 'DirectRouting' });
    assert.equal(assignPosts().length, 3);
    assert.equal((await sim.run('Get-CsOnlineUser', { Identity: 'Bob Kelly' })).output[0]?.LineURI, 'tel:+14255550101');
  });

  it('does not shorten a Retry-After that outlasts the step\'s limit: it stops, saying nothing was changed', async () => {
    const port = await start({ throttleAssigns: 5, retryAfterSeconds: 120 });
    await assert.rejects(port.run('Set-CsPhoneNumberAssignment', { Identity: 'Bob Kelly', TelephoneNumber: '+14255550101', NumberType: 'DirectRouting' }, { timeoutMs: 60_000 }), (err: unknown) => {
      assert.ok(err instanceof TenantError);
      assert.equal(err.kind, 'transient');
      assert.equal(err.message, "Microsoft Graph is throttling POST /v1.0/admin/teams/telephoneNumberManagement/numberAssignments/assignNumber (Retry-After 120, past this step's limit); nothing was changed, try again later.");
      return true;
    });
    assert.equal(assignPosts().length, 1);
    assert.equal((await sim.run('Get-CsOnlineUser', { Identity: 'Bob Kelly' })).output[0]?.LineURI ?? null, null);
  });

  it('calls the outcome unknown, for the read-back to settle, when Graph fails a POST on its side or redirects it', async () => {
    for (const options of [{ assignStatus: 500 }, { assignStatus: 503 }, { redirectAssignTo: 'https://graph.example.invalid/steal' }]) {
      const port = await start(options);
      await assert.rejects(port.run('Set-CsPhoneNumberAssignment', { Identity: 'Bob Kelly', TelephoneNumber: '+14255550101', NumberType: 'DirectRouting' }), (err: unknown) => {
        assert.ok(err instanceof TenantError);
        assert.equal(err.kind, 'timeout', JSON.stringify(options));
        assert.match(err.message, /whether it took effect is unknown/);
        return true;
      });
      assert.equal(assignPosts().length, 1, `sent once: ${JSON.stringify(options)}`);
      assert.ok(graph.requests.every((r) => r.path !== '/steal'));
      await graph.close();
      await sim.close();
    }
  });

  it('asks again when a poll of the operation fails, and reports the assignment once it succeeds', async () => {
    const port = await start({ failedPolls: 2 });
    await port.run('Set-CsPhoneNumberAssignment', { Identity: 'Bob Kelly', TelephoneNumber: '+14255550101', NumberType: 'DirectRouting' });
    assert.equal(assignPosts().length, 1);
    assert.equal((await sim.run('Get-CsOnlineUser', { Identity: 'Bob Kelly' })).output[0]?.LineURI, 'tel:+14255550101');
  });

  it('reports a failed operation with Graph\'s status detail, and changes nothing', async () => {
    const port = await start();
    await assert.rejects(port.run('Set-CsPhoneNumberAssignment', { Identity: 'Bob Kelly', TelephoneNumber: '+14255550111', NumberType: 'DirectRouting' }), (err: unknown) => {
      assert.ok(err instanceof TenantError);
      assert.equal(err.kind, 'cmdlet-error');
      assert.match(err.message, /^Microsoft Graph failed the assignment of \+14255550111: The number \+14255550111 is already assigned to alex\.vance@contoso\.com\. \(operation [0-9a-f-]+\)\.$/);
      assert.equal(err.record?.outcome, 'error');
      return true;
    });
    assert.equal((await sim.run('Get-CsOnlineUser', { Identity: 'Bob Kelly' })).output[0]?.LineURI ?? null, null);
  });

  it('hands an assignment Graph is still carrying out to the runner with its operation, and follow() asks after it', async () => {
    sim = new SimulatedTenant({ initial: demoTenant() });
    graph = await new GraphStandIn(sim, { ...app, holdOperations: true }).start();
    const client = new GraphClient({ baseUrl: graph.graphUrl, loginUrl: graph.url, ...app, sleep: async () => undefined });
    const port = new GraphNumberAssignment(sim, client, { pollMs: { first: 1, max: 5 }, followMs: 30 });
    const err = await port.run('Set-CsPhoneNumberAssignment', { Identity: 'Bob Kelly', TelephoneNumber: '+14255550100', NumberType: 'DirectRouting' }).then(() => assert.fail('it had not finished'), (e: unknown) => e as TenantError);
    assert.ok(err instanceof TenantError);
    assert.equal(err.kind, 'in-progress');
    assert.match(err.message, /^Microsoft Graph accepted the assignment of \+14255550100 and is still running \(operation [0-9a-f-]{36}\)\.$/);
    assert.equal(err.record?.outcome, 'accepted', 'the audit says Graph took it, not that it failed');
    const operation = err.operation!;
    assert.deepEqual({ ...operation, id: undefined, location: undefined }, { service: 'Microsoft Graph', what: 'the assignment of +14255550100', id: undefined, location: undefined });
    assert.equal(operation.location, `${graph.graphUrl}/admin/teams/telephoneNumberManagement/operations('${operation.id}')`);

    assert.deepEqual(await port.follow(operation), { done: false, state: 'still running' });
    assert.equal((await sim.run('Get-CsOnlineUser', { Identity: 'Bob Kelly' })).output[0]?.LineURI, null, 'not landed yet');
    graph.releaseOperations();
    const done = await port.follow(operation);
    assert.equal(done.done, true);
    assert.equal(done.done && done.record.outcome, 'ok');
    assert.equal((await sim.run('Get-CsOnlineUser', { Identity: 'Bob Kelly' })).output[0]?.LineURI, 'tel:+14255550100');
    assert.equal(assignPosts().length, 1, 'asked after, never assigned again');

    // A stored location only ever goes to the Graph this bot is set up for; one Graph forgot cannot be followed.
    await assert.rejects(port.follow({ ...operation, location: "https://graph.example.invalid/v1.0/admin/teams/telephoneNumberManagement/operations('x')" }), (e: unknown) => e instanceof TenantError && e.kind === 'not-found' && /not the Graph this bot uses now/.test(e.message));
    graph.forgetOperations();
    await assert.rejects(port.follow(operation), (e: unknown) => e instanceof TenantError && e.kind === 'not-found' && /no longer knows the operation for the assignment of \+14255550100/.test(e.message));
  });

  it('says in one line when Entra refuses the credentials, and is not ready', async () => {
    const port = await start({}, 'wrong');
    await assert.rejects(port.run('Set-CsPhoneNumberAssignment', { Identity: 'Bob Kelly', TelephoneNumber: '+14255550102', NumberType: 'DirectRouting' }), /^TenantError: Microsoft Entra refused Switchboard's Graph credentials \(invalid_client: AADSTS7000215: Invalid client secret provided/);
    const ready = await port.ready();
    assert.equal(ready.ready, false);
    assert.match(ready.reason ?? '', /invalid_client/);
    assert.equal(assignPosts().length, 0);
  });

  it('passes every other cmdlet to the backend it wraps, and never follows a Location to another host', async () => {
    const port = await start();
    assert.equal((await port.run('Get-CsOnlineUser', { Identity: 'Bob Kelly' })).output[0]?.DisplayName, 'Bob Kelly');
    assert.equal(graph.requests.length, 0, 'reads do not touch Graph');
    assert.deepEqual((await port.describe()).throughGraph, ['Set-CsPhoneNumberAssignment']);
    const client = new GraphClient({ baseUrl: graph.graphUrl, loginUrl: graph.url, ...app });
    await assert.rejects(client.request('GET', "https://graph.example.invalid/v1.0/admin/teams/telephoneNumberManagement/operations('x')"), /not followed/);
  });

  it('carries out an approved "assign number" through Graph and reports it verified by the read-back', async () => {
    const dataDir = tempDir('graph-numbers');
    sim = new SimulatedTenant({ initial: demoTenant(), dataDir });
    graph = await new GraphStandIn(sim, app).start();
    const client = new GraphClient({ baseUrl: graph.graphUrl, loginUrl: graph.url, ...app });
    const chat = await ChatHarness.create({ dataDir, tenant: new GraphNumberAssignment(sim, client, { pollMs: { first: 5, max: 20 } }) });
    try {
      const [reply] = await chat.say(alice, 'assign number +14255550100 to Bob Kelly');
      const id = requestIdIn(reply?.text);
      assert.match(cardText(cardOf(reply)), /This bot assigns numbers through Microsoft Graph v1\.0/);
      await chat.click(admin, 'approve', { requestId: id });
      await chat.settle();
      assert.equal(chat.outbox.sent.find((s) => s.message.text?.startsWith(id))?.message.text, `${id} done and verified for Bob Kelly (bob.kelly@contoso.com): EnterpriseVoiceEnabled True, LineURI tel:+14255550100, HybridPSTNSite (none).`);
      assert.equal(assignPosts().length, 1);
      const audit = await chat.core.store.listAudit({ requestId: id, limit: 50 });
      assert.ok(audit.some((e) => e.event === 'cmdlet.run' && JSON.stringify(e).includes('POST /admin/teams/telephoneNumberManagement/numberAssignments/assignNumber')), 'the audit names the Graph call');
    } finally {
      await chat.close();
    }
  });
  describe('an assignment Graph takes longer to carry out than the step follows it', () => {
    let dataDir: string;
    let chat: ChatHarness | undefined;
    const harness = async (clock?: ChatHarness['clock']) => {
      const client = new GraphClient({ baseUrl: graph.graphUrl, loginUrl: graph.url, ...app });
      return ChatHarness.create({ dataDir, tenant: new GraphNumberAssignment(sim, client, { pollMs: { first: 2, max: 5 }, followMs: 30 }), ...(clock ? { clock } : {}) });
    };
    const approveAssignment = async (c: ChatHarness) => {
      const [reply] = await c.say(alice, 'assign number +14255550100 to Bob Kelly');
      const id = requestIdIn(reply?.text);
      await c.click(admin, 'approve', { requestId: id });
      await c.settle();
      return id;
    };
    /** Runs the request's next look at the operation when it is due. */
    const nextLook = async (c: ChatHarness, id: string) => {
      c.clock.set(new Date((await c.core.store.getRequest(id))!.nextRunAt!));
      await c.core.maintain();
      await c.settle();
      return (await c.core.store.getRequest(id))!;
    };
    beforeEach(async () => {
      dataDir = tempDir('graph-follow');
      sim = new SimulatedTenant({ initial: demoTenant(), dataDir });
      graph = await new GraphStandIn(sim, { ...app, holdOperations: true }).start();
    });
    afterEach(async () => {
      await chat?.close();
      chat = undefined;
    });

    it('keeps the request open, says so, holds Bob against newer changes, and reports the number verified once Graph finishes', async () => {
      chat = await harness();
      const id = await approveAssignment(chat);
      let r = (await chat.core.store.getRequest(id))!;
      assert.equal(r.status, 'waiting', JSON.stringify(r.outcome));
      assert.equal(r.steps[0]!.following?.operation.service, 'Microsoft Graph');
      const told = chat.outbox.sent.find((s) => s.message.text?.startsWith(`${id}: `))?.message.text;
      assert.match(told ?? '', new RegExp(`^${id}: Microsoft Graph accepted the assignment of \\+14255550100 and is still carrying it out \\(operation [0-9a-f-]{36}\\)\\. I'm asking after it every few minutes, for up to 30 min, and will report what the tenant reads back; nothing else changes Bob Kelly`));
      assert.match(cardText(chat.outbox.updated.at(-1)!.message.card), /accepted by Microsoft Graph, still being carried out: operation [0-9a-f-]{36}; asked 0 times, next look at 2026-11-26 09:00:15 UTC, until 2026-11-26 09:30:00 UTC/);

      // A newer change to Bob's number cannot start while Graph may still land this one.
      const [refused] = await chat.say(alice, 'assign number +14255550188 to Bob Kelly');
      assert.match(refused?.text ?? '', new RegExp(`already held by open request ${id} \\(waiting`));

      r = await nextLook(chat, id);
      assert.equal(r.status, 'waiting');
      assert.equal(r.steps[0]!.following?.polls, 1);
      graph.releaseOperations();
      r = await nextLook(chat, id);
      assert.equal(r.status, 'verified', JSON.stringify(r.outcome));
      assert.equal(chat.outbox.sent.find((s) => s.message.text?.startsWith(`${id} done`))?.message.text, `${id} done and verified for Bob Kelly (bob.kelly@contoso.com): EnterpriseVoiceEnabled True, LineURI tel:+14255550100, HybridPSTNSite (none).`);
      assert.equal(assignPosts().length, 1, 'Graph was asked after the operation, never sent the assignment again');
      const audit = (await chat.core.store.listAudit({ requestId: id, limit: 50 })).filter((e) => e.event === 'cmdlet.run').reverse();
      assert.deepEqual(audit.map((e) => [String(e.detail?.command).split(' ')[0], e.code]), [['POST', 'accepted'], ['GET', 'ok']]);
    });

    it('is asked after by a restarted bot from what the request stored, not assigned again', async () => {
      chat = await harness();
      const id = await approveAssignment(chat);
      const clock = chat.clock;
      await chat.close();
      chat = undefined;
      await sim.close();
      // The same data, a new process: the operation's Location was kept with the request.
      sim = new SimulatedTenant({ initial: demoTenant(), dataDir });
      graph.tenant = sim;
      graph.releaseOperations();
      chat = await harness(clock);
      const r = await nextLook(chat, id);
      assert.equal(r.status, 'verified', JSON.stringify(r.outcome));
      assert.equal(assignPosts().length, 1);
      assert.equal((await sim.run('Get-CsOnlineUser', { Identity: 'Bob Kelly' })).output[0]?.LineURI, 'tel:+14255550100');
    });

    it('stops asking after 30 minutes and lets the read-back decide, saying the assignment may still land', async () => {
      chat = await harness();
      const id = await approveAssignment(chat);
      let r = (await chat.core.store.getRequest(id))!;
      for (let i = 0; i < 40 && r.status === 'waiting'; i++) r = await nextLook(chat, id);
      assert.equal(r.status, 'failed');
      assert.match(r.outcome?.error ?? '', /^Assign \+14255550100 \(Direct Routing\): Microsoft Graph was still running with the assignment of \+14255550100 after 30 min \(operation [0-9a-f-]{36}\), and Switchboard stopped asking\. It may still land: check it there before asking again\.$/);
      assert.equal(r.outcome?.note, 'read back: the change is not in the tenant');
      // 15 s, 30 s, 1 min, 2 min and then every 2 min: about 18 looks in 30 minutes.
      const looks = (await chat.core.store.listAudit({ requestId: id, limit: 200 })).filter((e) => e.event === 'execution.poll').length;
      assert.ok(looks >= 15 && looks <= 20, `${looks} looks`);
    });

    it('lets the read-back decide when Graph no longer knows the operation', async () => {
      chat = await harness();
      const id = await approveAssignment(chat);
      graph.releaseOperations();
      // Graph finished and then dropped the operation before the next look: the tenant shows the number.
      await graph.tenant.run('Set-CsPhoneNumberAssignment', { Identity: 'bob.kelly@contoso.com', TelephoneNumber: '+14255550100', NumberType: 'DirectRouting' });
      graph.forgetOperations();
      const r = await nextLook(chat, id);
      assert.equal(r.status, 'verified', JSON.stringify(r.outcome));
      assert.equal(r.outcome?.note, 'Microsoft Graph could no longer be asked, but the read-back shows the change');
    });
  });
});
