/**
 * Faults: the named fault points, the fence at the tenant (the 25-second hang from issue 7), and the fault
 * campaign: a seeded 20 trials of kills at named points and random moments, each history checked, and the
 * checker proven on a planted bug; and a shorter campaign with the two processes on PostgreSQL.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { LocalConnector } from '../src/cli/local-channel';
import { locatePwsh } from '../src/tenant/powershell/index';
import { isRunning } from '../src/tenant/powershell/orphans';
import { commandBoundMs, commandKillMs } from '../src/workflow/executor';
import { faultPoint, faultPoints } from '../src/workflow/faults';
import {
  fileAndApprove, kill, planTrials, readRequests, runCampaign, runTrial, startBot, stopBot, summarize, tenantRecord, toldPattern, until, type Bot,
} from './support/fault-campaign';
import { requirePostgres, type PostgresServer } from './support/postgres';
import { tempDir } from './support/temp-dirs';

const pwsh = locatePwsh(process.env.PWSH_PATH);

/** Without pwsh, skip with a reason on a developer machine; under CI=true fail instead. */
function needPwsh(ctx: Mocha.Context): void {
  if (pwsh) return;
  if (process.env.CI === 'true') throw new Error('pwsh is required under CI=true (install PowerShell 7 or set PWSH_PATH)');
  ctx.skip();
}

describe('named fault points', () => {
  it('are inert without SWITCHBOARD_FAULT: every point is passed and the process lives on', () => {
    assert.equal(process.env.SWITCHBOARD_FAULT, undefined);
    for (const name of faultPoints) for (let i = 0; i < 3; i++) faultPoint(name);
    assert.ok(true, 'still running');
  });

  it('kill the process with SIGKILL the nth time the named point is reached, not before', async function () {
    this.timeout(60_000);
    const script = `const { faultPoint } = require(${JSON.stringify(path.resolve('src/workflow/faults.ts'))});
      faultPoint('before-step'); console.log('passed 1'); faultPoint('after-tenant-write'); console.log('other point passed');
      faultPoint('before-step'); console.log('passed 2');`;
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { env: { ...process.env, SWITCHBOARD_FAULT: 'before-step:2' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const [code, signal] = await new Promise<[number | null, string | null]>((r) => child.once('exit', (c, s) => r([c, s])));
    assert.equal(signal, 'SIGKILL');
    assert.equal(code, null);
    assert.match(out, /passed 1\s+other point passed/);
    assert.doesNotMatch(out, /passed 2/);
  });
});

describe('the fence at the tenant', () => {
  it('starts no command under a lease shorter than the command can keep the tenant in doubt', () => {
    // The per-command timeout and the kill after it fit inside what the runner extends the lease to before each step.
    const timeoutMs = 60_000; // enable voice's own timeout, and PS_COMMAND_TIMEOUT_S's default
    assert.ok(commandBoundMs(timeoutMs) > timeoutMs + commandKillMs);
    // A stale attempt's command is over before its lease lapses: all retries, backoffs and the kill included.
    assert.ok(commandBoundMs(timeoutMs) >= 4 * timeoutMs + commandKillMs);
  });

  describe('a Set-CsUser hanging 25 s when the bot alone is SIGKILLed', function () {
    this.timeout(240_000);
    let connector: LocalConnector;
    const bots: Bot[] = [];
    before(async function () {
      needPwsh(this);
      connector = new LocalConnector();
      await connector.start();
    });
    after(async () => {
      for (const b of bots) {
        kill(b.child, 'group');
        await b.exited;
      }
      await connector?.stop();
    });

    it('never ends with the old number in the tenant, and the change log shows at most one write per approval', async () => {
      const dataDir = tempDir('faults-hang');
      const stubDir = path.join(dataDir, 'stub-tenant');
      fs.mkdirSync(stubDir, { recursive: true });
      fs.writeFileSync(path.join(stubDir, 'faults.json'), JSON.stringify([{ cmdlet: 'Set-CsUser', mode: 'hang', times: 1, seconds: 25 }]));
      const conversation = 'a:conv-alice-hang';

      const first = await startBot(dataDir, {});
      bots.push(first);
      const old = await fileAndApprove(first, connector, conversation, '+14255550150');
      // The approved Set-CsUser is in the stand-in, hanging: the step is recorded as running.
      await until(async () => {
        const r = (await readRequests(dataDir)).find((q) => q.id === old);
        return r?.status === 'running' && fs.readFileSync(path.join(stubDir, 'faults.json'), 'utf8').includes('"times": 0') ? true : undefined;
      }, 60_000, 'the Set-CsUser to hang');
      const hungAt = Date.now();
      const sessions = JSON.parse(fs.readFileSync(path.join(dataDir, 'pwsh-sessions.json'), 'utf8')) as { sessions: { pid: number; startTime: string; ownerPid: number }[] };
      const firstSessions = sessions.sessions.filter((s) => s.ownerPid === first.child.pid);
      assert.ok(firstSessions.length > 0, 'the first bot had a pwsh session');
      kill(first.child, 'bot');
      await first.exited;

      const second = await startBot(dataDir, {});
      bots.push(second);
      await until(() => connector.calls.find((c) => c.conversationId === conversation && toldPattern(old).test(c.body.text ?? '')), 90_000, `${old} to be finished`);
      const recoveredMs = Date.now() - second.listeningAt;
      for (const s of firstSessions) assert.equal(isRunning(s.pid, s.startTime), false, `pwsh ${s.pid} of the killed bot is gone`);

      const newer = await fileAndApprove(second, connector, conversation, '+14255550151');
      const told = await until(() => connector.calls.find((c) => c.conversationId === conversation && toldPattern(newer).test(c.body.text ?? '')), 60_000, `${newer} to be verified`);
      assert.match(told.body.text!, new RegExp(`^${newer} done and verified`));
      // Past the moment the hung command would have finished, had anything of the first bot lived on.
      const left = hungAt + 30_000 - Date.now();
      if (left > 0) await new Promise((r) => setTimeout(r, left));
      await stopBot(second);

      const tenant = tenantRecord(dataDir);
      assert.equal(tenant.lineUri, 'tel:+14255550151', 'the newer number stays');
      const requests = await readRequests(dataDir);
      assert.deepEqual(requests.map((q) => q.status), ['verified', 'verified']);
      assert.ok(tenant.writes <= 2, `the change log shows ${tenant.writes} writes to Bob for two approvals`);
      console.log(`      (the interrupted request was finished ${recoveredMs} ms after the new process listened)`);
    });
  });
});

describe('the fault campaign', function () {
  const trials = Number(process.env.FAULT_TRIALS ?? 20);
  // One bot start costs seconds (far more on a loaded machine): room for every trial's two starts.
  this.timeout(trials * 120_000 + 120_000);

  it('catches a planted bug: recovery re-running a step without reading back is reported as a double write', async function () {
    needPwsh(this);
    this.timeout(240_000);
    const connector = new LocalConnector();
    await connector.start();
    try {
      const r = await runTrial({ index: 900, kill: 'bot', point: 'after-tenant-write', nth: 1, plantedBug: 'rerun-without-readback' }, connector, tempDir('faults-planted'));
      assert.ok(r.violations.some((v) => /^executed twice/.test(v)), `the checker saw: ${JSON.stringify(r.violations)}`);
    } finally {
      await connector.stop();
    }
  });

  it(`runs ${trials} seeded trials (kills at each named point and at random moments, bot alone and whole group) with no violation`, async function () {
    needPwsh(this);
    const results = await runCampaign(planTrials(20261201, trials), { root: tempDir('faults-campaign') });
    const s = summarize(results);
    const bad = results.filter((r) => r.violations.length).map((r) => `trial ${r.spec.index} ${JSON.stringify(r.spec)}: ${r.violations.join('; ')}`);
    assert.deepEqual(bad, []);
    assert.deepEqual([s.lost, s.executedTwice, s.newerUndone, s.untold], [0, 0, 0, 0]);
    console.log(`      (recovery after the restart: median ${s.recoveryMs.median} ms, max ${s.recoveryMs.max} ms after listening)`);
  });
});

describe('the fault campaign on PostgreSQL', function () {
  const trials = Number(process.env.FAULT_TRIALS_POSTGRES ?? 6);
  this.timeout(trials * 120_000 + 120_000);
  let server: PostgresServer | undefined;
  after(async () => server?.stop());

  it(`runs ${trials} seeded trials with the killed and the restarted bot on one database, with no violation`, async function () {
    needPwsh(this);
    server = await requirePostgres(this);
    const pg = server;
    const root = tempDir('faults-campaign-pg');
    const results = await runCampaign(planTrials(20261206, trials), {
      root,
      database: async () => ({ url: await pg.createDatabase(), auditKey: randomBytes(32).toString('base64') }),
    });
    const bad = results.filter((r) => r.violations.length).map((r) => `trial ${r.spec.index} ${JSON.stringify(r.spec)}: ${r.violations.join('; ')}`);
    assert.deepEqual(bad, []);
    const s = summarize(results);
    assert.deepEqual([s.lost, s.executedTwice, s.newerUndone, s.untold], [0, 0, 0, 0]);
    assert.deepEqual(fs.readdirSync(root).filter((t) => fs.existsSync(path.join(root, t, 'switchboard.db'))), [], 'no bot fell back to SQLite');
    console.log(`      (recovery after the restart: median ${s.recoveryMs.median} ms, max ${s.recoveryMs.max} ms after listening)`);
  });
});
