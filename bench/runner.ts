/**
 * PowerShell runner benchmark (not a test): per-command overhead of warm sessions vs spawning pwsh per command,
 * and enable-and-verify (Set-CsUser, then Get-CsOnlineUser read-back) for 1,000 users at pool sizes 1, 2 and 4,
 * against the stand-in module. Prints medians and ratios from one run.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createPowerShellTenant, locatePwsh, stubModulePath } from '../src/tenant/powershell';
import { generateTenant } from '../src/tenant/sim/demo-tenant';

const USERS = Number(process.env.BENCH_USERS ?? 1000);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 30);
const SPAWN_SAMPLES = Number(process.env.BENCH_SPAWN_SAMPLES ?? 8);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function freshDir(users: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-bench-'));
  fs.writeFileSync(path.join(dir, 'sim-tenant.json'), JSON.stringify(generateTenant({ users, seed: 5 })));
  return dir;
}

async function warmOverhead(dir: string): Promise<number> {
  const tenant = createPowerShellTenant({ backend: 'powershell-stub', config: { PS_POOL_SIZE: '1' }, stub: { dataDir: dir } });
  await tenant.run('Get-CsHybridPSTNSite', {});
  const times: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t = performance.now();
    await tenant.run('Get-CsOnlineUser', { Identity: 'alex.vance@contoso.com' });
    times.push(performance.now() - t);
  }
  await tenant.close();
  return median(times);
}

/** What a naive runner does: a new pwsh per command, importing the module and connecting every time. */
function spawnOverhead(pwsh: string, dir: string): number {
  const script = `Import-Module '${stubModulePath}'; $null = Connect-MicrosoftTeams -TenantId t -ApplicationId a -CertificateThumbprint x; Get-CsOnlineUser -Identity 'alex.vance@contoso.com' | ConvertTo-Json -Compress`;
  const times: number[] = [];
  for (let i = 0; i < SPAWN_SAMPLES; i++) {
    const t = performance.now();
    const r = spawnSync(pwsh, ['-NoProfile', '-NonInteractive', '-Command', script], { env: { ...process.env, SWITCHBOARD_STUB_DATA_DIR: dir }, encoding: 'utf8' });
    times.push(performance.now() - t);
    if (r.status !== 0 || !r.stdout.includes('alex.vance')) throw new Error(`spawned pwsh failed: ${r.stderr}`);
  }
  return median(times);
}

async function enableAndVerify(poolSize: number): Promise<{ seconds: number; perUserMs: number }> {
  const dir = freshDir(USERS);
  const tenant = createPowerShellTenant({ backend: 'powershell-stub', config: { PS_POOL_SIZE: String(poolSize) }, stub: { dataDir: dir } });
  const upns = generateTenant({ users: USERS, seed: 5 }).users.map((u) => u.UserPrincipalName);
  // Warm every session first: the figure is for a running bot, not for its start.
  await Promise.all(Array.from({ length: poolSize }, () => tenant.run('Get-CsHybridPSTNSite', {})));
  const perUser: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: poolSize }, async () => {
    while (next < upns.length) {
      const upn = upns[next++]!;
      const t = performance.now();
      await tenant.run('Set-CsUser', { Identity: upn, EnterpriseVoiceEnabled: true, HostedVoiceMail: true });
      const [u] = (await tenant.run('Get-CsOnlineUser', { Identity: upn })).output;
      if (u?.EnterpriseVoiceEnabled !== true || u.HostedVoiceMail !== true) throw new Error(`read-back failed for ${upn}`);
      perUser.push(performance.now() - t);
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  await tenant.close();
  // The stand-in keeps changes in its own store (sim-tenant.json is only the seed): read them back through a new
  // process, which starts with no cache, so this checks what was stored rather than what a session remembers.
  const check = createPowerShellTenant({ backend: 'powershell-stub', config: { PS_POOL_SIZE: '1' }, stub: { dataDir: dir } });
  const enabled = (await check.run('Get-CsOnlineUser', { Filter: 'EnterpriseVoiceEnabled -eq $true -and HostedVoiceMail -eq $true' })).output;
  await check.close();
  if (enabled.length !== USERS) throw new Error(`only ${enabled.length} of ${USERS} users are enabled in the stored state`);
  fs.rmSync(dir, { recursive: true, force: true });
  return { seconds, perUserMs: median(perUser) };
}

async function main() {
  const pwsh = locatePwsh(process.env.PWSH_PATH);
  if (!pwsh) throw new Error('pwsh not found');
  const cpu = /model name\s*:\s*(.*)/.exec(fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '')?.[1] ?? os.cpus()[0]?.model;
  const pwshVersion = spawnSync(pwsh, ['-NoProfile', '-Command', '$PSVersionTable.PSVersion.ToString()'], { encoding: 'utf8' }).stdout.trim();
  console.log(`date ${new Date().toISOString()}; nproc ${os.availableParallelism()}; CPU ${cpu}; memory ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB; Node ${process.version}; pwsh ${pwshVersion}`);
  const dir = freshDir(USERS);
  const warm = await warmOverhead(dir);
  const spawned = spawnOverhead(pwsh, dir);
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(`per command (Get-CsOnlineUser, ${USERS}-user tenant): warm session median ${warm.toFixed(1)} ms (${SAMPLES} samples); new pwsh per command median ${spawned.toFixed(0)} ms (${SPAWN_SAMPLES} samples); ratio ${(spawned / warm).toFixed(1)}x (target >= 25x)`);
  for (const size of [1, 2, 4]) {
    const r = await enableAndVerify(size);
    console.log(`enable-and-verify ${USERS} users, pool ${size}: ${r.seconds.toFixed(1)} s total (target < 60 s), median ${r.perUserMs.toFixed(1)} ms per user (Set-CsUser + Get-CsOnlineUser)`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
