import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { demoTenant } from '../src/tenant/sim/demo-tenant';
import { SimulatedTenant } from '../src/tenant/sim/simulated-tenant';
import { createPowerShellTenant } from '../src/tenant/powershell/index';
import { admin, alice, ChatHarness, requestIdIn } from './support/chat';
import { requirePwsh } from './support/pwsh';
import { tempDir } from './support/temp-dirs';

describe('a cmdlet that hangs during an approved request (real pwsh, stand-in module)', function () {
  this.timeout(120_000);
  let chat: ChatHarness;
  let stubDir: string;

  before(async function () {
    requirePwsh(this);
    stubDir = tempDir('hang');
    await new SimulatedTenant({ initial: demoTenant(), dataDir: stubDir }).close();
    const tenant = createPowerShellTenant({ backend: 'powershell-stub', config: { PS_POOL_SIZE: '1', PS_COMMAND_TIMEOUT_S: '3' }, stub: { dataDir: stubDir } });
    chat = await ChatHarness.create({ tenant });
  });
  after(async () => chat?.close());

  it('fails that request with a clear reason at the timeout, and the next request still succeeds', async () => {
    const [first] = await chat.say(alice, 'enable voice for Bob Kelly number +14255550100');
    const hung = requestIdIn(first?.text);
    fs.writeFileSync(path.join(stubDir, 'faults.json'), JSON.stringify([{ cmdlet: 'Set-CsUser', mode: 'hang', times: 1, seconds: 600 }]));
    const started = Date.now();
    await chat.click(admin, 'approve', { requestId: hung });
    await chat.settle();
    const elapsed = Date.now() - started;
    const failed = (await chat.core.store.getRequest(hung))!;
    assert.equal(failed.status, 'failed');
    assert.match(failed.outcome?.error ?? '', /^Set-CsUser: Set-CsUser did not finish within 3 s and was stopped/);
    assert.equal(failed.outcome?.note, 'read back: the change is not in the tenant');
    assert.ok(failed.outcome?.verification?.some((v) => v.property === 'EnterpriseVoiceEnabled' && v.result === 'fail'));
    assert.ok(elapsed < 30_000, `failed after ${elapsed} ms`);
    const run = (await chat.core.store.listAudit({ requestId: hung, limit: 50 })).find((e) => e.event === 'cmdlet.run');
    assert.equal(run?.code, 'error');

    const [second] = await chat.say(alice, 'enable voice for Bob Smith number +14255550122');
    const next = requestIdIn(second?.text);
    await chat.click(admin, 'approve', { requestId: next });
    await chat.settle();
    assert.equal((await chat.core.store.getRequest(next))!.status, 'verified');
  });
});
