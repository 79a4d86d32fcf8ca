/** How the PowerShell runner behaves when PowerShell does not: hangs, crashes, throttling, lapsed tokens, recycling. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createPowerShellTenant, type PowerShellTenantOptions } from '../../src/tenant/powershell';
import { buildScriptUnchecked, newMarker } from '../../src/tenant/powershell/script';
import { classifyError } from '../../src/tenant/powershell/errors';
import { TenantError } from '../../src/tenant/port';
import { requirePwsh } from '../support/pwsh';
import { contractTenant, tempDir, writeStubState } from './fixtures';
import { rejectsWith } from './tenant-contract';

type Fault = { cmdlet: string; mode: 'hang' | 'transient' | 'crash' | 'auth-expired'; times: number; seconds?: number };

describe('the PowerShell runner', function () {
  this.timeout(60_000);
  const dirs: string[] = [];
  const closers: (() => Promise<void>)[] = [];
  before(function () {
    requirePwsh(this);
  });
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });
  after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  function setup(config: Record<string, string> = {}, extra: Partial<PowerShellTenantOptions> = {}, profile?: 'cce' | 'teams-current') {
    const dataDir = tempDir('runner');
    dirs.push(dataDir);
    writeStubState(dataDir, contractTenant());
    const tenant = createPowerShellTenant({ backend: 'powershell-stub', config: { PS_POOL_SIZE: '1', ...config }, stub: { dataDir, ...(profile ? { profile } : {}) }, retry: { baseDelayMs: 20 }, ...extra });
    closers.push(() => tenant.close());
    const faults = (list: Fault[]) => fs.writeFileSync(path.join(dataDir, 'faults.json'), JSON.stringify(list));
    const connects = () => fs.readFileSync(path.join(dataDir, 'connect.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { pid: number });
    return { tenant, dataDir, faults, connects };
  }
  const pidOf = (session: string) => Number(/^pwsh-(\d+)#\d+$/.exec(session)?.[1]);
  /** A killed process may linger as a zombie until something reaps it; that is not alive. */
  const isAlive = (pid: number) => {
    try {
      process.kill(pid, 0);
    } catch {
      return false;
    }
    try {
      return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return process.platform !== 'linux';
    }
  };

  it('kills a hung command with its process at the timeout, fails it with a clear reason, and serves the next command', async () => {
    const { tenant, faults } = setup();
    const first = await tenant.run('Get-CsOnlineUser', { Identity: 'Bob Smith' });
    faults([{ cmdlet: 'Set-CsUser', mode: 'hang', times: 1, seconds: 600 }]);
    const started = Date.now();
    const err = await rejectsWith(tenant.run('Set-CsUser', { Identity: 'Bob Smith', HostedVoiceMail: true }, { timeoutMs: 1500 }), 'timeout', /Set-CsUser did not finish within 1\.5 s.*killed/);
    assert.ok(Date.now() - started < 6000, 'the caller is not kept waiting');
    assert.equal(err.record?.attempts, 1, 'a timeout is not retried');
    const hungPid = pidOf(err.record!.session);
    assert.equal(hungPid, pidOf(first.record.session));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(isAlive(hungPid), false, 'the hung pwsh process is gone');
    const next = await tenant.run('Get-CsOnlineUser', { Identity: 'Bob Smith' });
    assert.notEqual(pidOf(next.record.session), hungPid);
    assert.equal(next.output[0]?.HostedVoiceMail, false);
  });

  it('bounds the wait for a free session', async () => {
    const { tenant, faults } = setup({}, { acquireTimeoutMs: 500 });
    faults([{ cmdlet: 'Get-CsHybridPSTNSite', mode: 'hang', times: 1, seconds: 600 }]);
    const hung = tenant.run('Get-CsHybridPSTNSite', {}, { timeoutMs: 4000 }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 1500));
    await rejectsWith(tenant.run('Get-CsOnlineUser', { Identity: 'Bob Smith' }), 'timeout', /No PowerShell session became free within 0.5 s/);
    assert.equal(((await hung) as TenantError).kind, 'timeout');
  });

  it('fails only the command whose pwsh crashed; the next one succeeds on a new process', async () => {
    const { tenant, faults } = setup();
    faults([{ cmdlet: 'Get-CsUserPstnSettings', mode: 'crash', times: 1 }]);
    const err = await rejectsWith(tenant.run('Get-CsUserPstnSettings', { Identity: 'Bob Smith' }), 'crashed', /exited while running/);
    const next = await tenant.run('Get-CsUserPstnSettings', { Identity: 'Bob Smith' });
    assert.notEqual(pidOf(next.record.session), pidOf(err.record!.session));
    assert.equal(next.output[0]?.AllowInternationalCalls, true);
  });

  it('retries throttled calls with backoff and counts the attempts', async () => {
    const { tenant, faults } = setup();
    faults([{ cmdlet: 'Set-CsUser', mode: 'transient', times: 2 }]);
    const ok = await tenant.run('Set-CsUser', { Identity: 'Bob Smith', EnterpriseVoiceEnabled: true });
    assert.equal(ok.record.attempts, 3);
    assert.ok(ok.record.durationMs >= 10 + 20, 'waited between attempts');
    faults([{ cmdlet: 'Get-CsOnlineUser', mode: 'transient', times: -1 }]);
    const err = await rejectsWith(tenant.run('Get-CsOnlineUser', { Identity: 'Bob Smith' }), 'transient', /Too Many Requests/);
    assert.equal(err.record?.attempts, 4);
  });

  it('reconnects once when the token has lapsed and completes the command', async () => {
    const { tenant, faults, connects } = setup();
    await tenant.run('Get-CsOnlineUser', { Identity: 'Bob Smith' });
    faults([{ cmdlet: 'Set-CsUser', mode: 'auth-expired', times: 1 }]);
    const ok = await tenant.run('Set-CsUser', { Identity: 'Bob Smith', HostedVoiceMail: true });
    assert.equal(ok.record.attempts, 1);
    const pid = pidOf(ok.record.session);
    assert.equal(connects().filter((c) => c.pid === pid).length, 2);
    assert.equal((await tenant.run('Get-CsOnlineUser', { Identity: 'Bob Smith' })).output[0]?.HostedVoiceMail, true);
  });

  it('connects each session once and reuses it, replacing it after the configured number of commands', async () => {
    const { tenant, connects } = setup({ PS_MAX_COMMANDS_PER_SESSION: '3' });
    const sessions: string[] = [];
    for (let i = 0; i < 7; i++) sessions.push((await tenant.run('Get-CsHybridPSTNSite', {})).record.session);
    const pids = sessions.map(pidOf);
    assert.deepEqual(sessions.map((s) => s.split('#')[1]), ['1', '2', '3', '1', '2', '3', '1']);
    assert.equal(new Set(pids).size, 3);
    assert.equal(pids[0], pids[2]);
    assert.notEqual(pids[2], pids[3]);
    const perPid = connects().map((c) => c.pid);
    assert.deepEqual([...perPid].sort(), [...new Set(pids)].sort(), 'Connect-MicrosoftTeams ran exactly once per session');
  });

  it('lets PowerShell\'s own binder refuse a wrong parameter type or name in the stand-in', async () => {
    const { tenant } = setup();
    await tenant.run('Get-CsHybridPSTNSite', {});
    const session = await tenant.pool.acquire();
    try {
      for (const [params, id] of [
        [{ Identity: 'Bob Smith', EnterpriseVoiceEnabled: 'yes' }, /^ParameterArgumentTransformationError,Set-CsUser$/],
        [{ Identity: 'Bob Smith', Colour: 'blue' }, /^NamedParameterNotFound,Set-CsUser$/],
        [{ EnterpriseVoiceEnabled: true }, /^(MissingMandatoryParameter|ParameterArgumentValidationError)/],
      ] as const) {
        const marker = newMarker();
        const envelope = await session.invoke(buildScriptUnchecked('Set-CsUser', params, marker), marker, 10_000);
        assert.equal(envelope.ok, false);
        if (envelope.ok) continue;
        assert.match(envelope.error.errorId ?? '', id);
        assert.equal(classifyError(envelope.error), 'invalid-parameter');
      }
    } finally {
      tenant.pool.release(session);
    }
  });

  it('reports what a current MicrosoftTeams module reports: no HostedVoiceMail or VoicePolicy', async () => {
    const { tenant } = setup({}, {}, 'teams-current');
    await tenant.run('Set-CsUser', { Identity: 'Bob Smith', EnterpriseVoiceEnabled: true, HostedVoiceMail: true });
    const [u] = (await tenant.run('Get-CsOnlineUser', { Identity: 'Bob Smith' })).output;
    assert.equal(u?.EnterpriseVoiceEnabled, true);
    assert.equal(u && 'HostedVoiceMail' in u, false);
    assert.equal(u && 'VoicePolicy' in u, false);
    assert.match((await tenant.describe()).moduleVersion, /^SwitchboardStub \d+\.\d+\.\d+ .*teams-current/);
  });
});
