/**
 * A pwsh session cannot outlive the bot process that owns it (issue 7): the bot alone is SIGKILLed while a
 * cmdlet hangs, and its pwsh must go too, by its own watchdog or, when that is stuck, by reapOrphans().
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { reapOrphans, sessionsFileName } from '../../src/tenant/powershell';
import { procStat } from '../../src/tenant/powershell/orphans';
import { loadConfig } from '../../src/config';
import { silentLogger } from '../../src/log';
import { startSwitchboard as startServer } from '../../src/main';
import { requirePwsh } from '../support/pwsh';
import { contractTenant, tempDir, writeStubState } from './fixtures';

const alive = (pid: number) => {
  const s = procStat(pid);
  return s !== undefined && s.state !== 'Z' && s.state !== 'X';
};

async function until(check: () => boolean, ms: number): Promise<number> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return Date.now() - started;
}

describe('pwsh sessions do not outlive their bot', function () {
  this.timeout(60_000);
  const children: ChildProcess[] = [];
  const pwshPids: number[] = [];
  before(function () {
    // Process groups and /proc start times, which the watchdog and reapOrphans read, are Linux's (CI runs on Linux, so it never skips there).
    if (process.platform !== 'linux') this.skip();
    requirePwsh(this);
  });
  afterEach(() => {
    // Leave nothing behind even when an assertion failed: only the processes this test started.
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const pid of pwshPids.splice(0)) if (alive(pid)) {
      try { process.kill(pid, 'SIGCONT'); process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
  });

  /** Starts the bot-like child with a Set-CsUser that hangs for 10 minutes; resolves once it hangs. */
  async function botWithHungCmdlet() {
    const stubDir = tempDir('orphan-stub');
    const sessionsDir = tempDir('orphan-data');
    writeStubState(stubDir, contractTenant());
    fs.writeFileSync(path.join(stubDir, 'faults.json'), JSON.stringify([{ cmdlet: 'Set-CsUser', mode: 'hang', times: 1, seconds: 600 }]));
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'children', 'orphan-bot.ts'), stubDir, sessionsDir], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out.split('\n')[0]!);
      });
      child.once('exit', (code) => reject(new Error(`bot child exited early (${code})`)));
    });
    const pid = Number(/^pwsh-(\d+)#/.exec((JSON.parse(line) as { session: string }).session)?.[1]);
    pwshPids.push(pid);
    const launcher = procStat(pid)!.pgid;
    if (launcher !== pid) pwshPids.push(launcher);
    // The fault rule is consumed when Set-CsUser starts: then it hangs.
    await until(() => (JSON.parse(fs.readFileSync(path.join(stubDir, 'faults.json'), 'utf8')) as { times: number }[])[0]?.times === 0, 20_000);
    return { child, pid, launcher, sessionsDir };
  }

  it('runs each session in its own process group and records it with its owner', async () => {
    const { child, pid, launcher, sessionsDir } = await botWithHungCmdlet();
    assert.notEqual(launcher, procStat(process.pid)!.pgid, 'not in the test runner\'s process group');
    assert.equal(procStat(launcher)?.pgid, launcher, 'the launcher leads the group');
    const recorded = JSON.parse(fs.readFileSync(path.join(sessionsDir, sessionsFileName), 'utf8')) as { sessions: { pid: number; ownerPid: number; pgid?: number }[] };
    assert.deepEqual(recorded.sessions.map((s) => [s.pid, s.ownerPid, s.pgid]), [[pid, child.pid, launcher]]);
  });

  it('a hung pwsh exits by itself within seconds of its bot being SIGKILLed (watchdog)', async () => {
    const { child, pid, launcher } = await botWithHungCmdlet();
    assert.ok(alive(pid));
    child.kill('SIGKILL');
    const ms = await until(() => !alive(pid) && !alive(launcher), 5000);
    assert.ok(ms < 5000, `gone after ${ms} ms`);
  });

  it('reapOrphans kills a session whose watchdog is stuck (SIGSTOP) and waits until it is gone', async () => {
    const { child, pid, launcher, sessionsDir } = await botWithHungCmdlet();
    process.kill(pid, 'SIGSTOP');
    child.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 1500));
    assert.ok(alive(pid), 'a stopped watchdog cannot act: the orphan is still there');
    const result = await reapOrphans(sessionsDir);
    assert.deepEqual(result, { reaped: [pid], survivors: [] });
    assert.equal(alive(pid), false);
    await until(() => !alive(launcher), 2000);
    const left = JSON.parse(fs.readFileSync(path.join(sessionsDir, sessionsFileName), 'utf8')) as { sessions: unknown[] };
    assert.deepEqual(left.sessions, [], 'the reaped session is no longer recorded');
  });

  it('a restarted bot reaps what its predecessor left before it serves (startServer)', async () => {
    const { child, pid, sessionsDir } = await botWithHungCmdlet();
    process.kill(pid, 'SIGSTOP');
    child.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(alive(pid));
    const bot = await startServer(loadConfig({ PORT: '0', DATA_DIR: sessionsDir, LOG_LEVEL: 'silent' }), silentLogger, { maintenanceMs: 3_600_000 });
    try {
      assert.equal(alive(pid), false, 'gone before the restarted bot ran recovery');
    } finally {
      await bot.close();
    }
  });

  it('reapOrphans leaves the sessions of a live bot alone', async () => {
    const { pid, sessionsDir } = await botWithHungCmdlet();
    assert.deepEqual(await reapOrphans(sessionsDir), { reaped: [], survivors: [] });
    assert.ok(alive(pid));
  });
});
