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
});
