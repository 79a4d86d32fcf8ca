/**
 * A restart in the middle of the Mediation Server wait: the bot process is killed while the request
 * waits for the account to sync; a new process finishes it without repeating a step.
 */
import { strict as assert } from 'node:assert';
import type { ChildProcess } from 'node:child_process';
import { LocalConnector, post, teamsActivity } from '../src/cli/local-channel';
import { SqliteStore } from '../src/store/sqlite-store';
import { seedMediationWait, startBotProcess, until } from './support/bot-process';
import { tempDir } from './support/temp-dirs';

const alice = { aadObjectId: '11111111-1111-4111-8111-111111111111', name: 'Alice Operator', mri: '29:alice' };
const admin = { aadObjectId: '22222222-2222-4222-8222-222222222222', name: 'Ada Admin', mri: '29:ada' };

const botEnv = { APPROVER_IDS: admin.aadObjectId, ACCOUNT_SYNC_POLL_S: '1' };

describe('a restart in the middle of the Mediation Server wait', function () {
  this.timeout(180_000);
  let connector: LocalConnector;
  const children: ChildProcess[] = [];
  before(async () => {
    connector = new LocalConnector();
    await connector.start();
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await connector.stop();
  });

  it('is finished by the next process from the interrupted step, each change made once', async () => {
    const dataDir = tempDir('mediation-restart');
    // The tenant: a new account that reaches Skype for Business Online 30 s from now; the site in the inventory.
    await seedMediationWait(dataDir, 30_000);

    const first = await startBotProcess(dataDir, botEnv);
    children.push(first.child);
    const submit = teamsActivity(connector.url, alice, 'a:conv-alice', {
      type: 'invoke', name: 'adaptiveCard/action',
      value: { action: { type: 'Action.Execute', verb: 'submitRequest', data: { action: 'register-mediation-server', fqdn: 'ms2.contoso.com', site: 'Seattle', displayName: 'MS Two', upn: 'ms-two@contoso.com' } }, trigger: 'manual' },
    });
    const filed = await post(first.url, submit);
    const requestId = /R-[0-9A-Z]{8}/.exec(JSON.stringify(filed.body))?.[0];
    assert.ok(requestId, JSON.stringify(filed.body));
    const approve = teamsActivity(connector.url, admin, 'a:conv-alice', {
      type: 'invoke', name: 'adaptiveCard/action', value: { action: { type: 'Action.Execute', verb: 'approve', data: { requestId } }, trigger: 'manual' },
    });
    await post(first.url, approve);

    const reader = new SqliteStore(dataDir);
    try {
      const waiting = await until(async () => {
        const r = await reader.getRequest(requestId!);
        return r?.status === 'waiting' && (r.steps[0]?.polls ?? 0) >= 2 ? r : undefined;
      }, 60_000, 'the request to wait');
      first.child.kill('SIGKILL');
      await new Promise((r) => first.child.once('exit', r));

      const second = await startBotProcess(dataDir, botEnv);
      children.push(second.child);
      await connector.waitFor((c) => (c.body.text ?? '').startsWith(`${requestId} done and verified`), 90_000);
      const done = (await reader.getRequest(requestId!))!;
      assert.equal(done.status, 'verified');
      assert.equal(done.steps[0]!.waitStartedAt, waiting.steps[0]!.waitStartedAt, 'the wait went on, not started again');
      assert.ok(done.steps[0]!.polls! > waiting.steps[0]!.polls!);
      assert.deepEqual(done.steps.slice(1).map((s) => [s.status, s.attempts]), [['done', 1], ['done', 1]]);
      const writes = (await reader.listAudit({ requestId: requestId!, limit: 500 })).filter((e) => e.event === 'cmdlet.run' && /^Set-/.test(String(e.detail?.command)));
      assert.deepEqual(writes.map((e) => String(e.detail?.command).split(' ')[0]).reverse(), ['Set-MsolUser', 'Set-CsHybridMediationServer']);
      second.child.kill('SIGTERM');
      await new Promise((r) => second.child.once('exit', r));
    } finally {
      await reader.close();
    }
  });
});
