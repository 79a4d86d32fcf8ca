/**
 * Stand-in benchmark (not a test): the reads a request's plan makes through pwsh against the stand-in module
 * (tenant-stub/), at 1,000 and 10,000 users, each against a trivial call (Get-CsHybridPSTNSite) in the same run
 * as the floor: the number check (-Filter LineURI -eq), a display name (-Filter DisplayName -eq), one user by UPN,
 * and one enable plus read-back. STUB_MODULE=<path to a .psd1> measures another version of the module.
 *
 *   npx tsx bench/sim-tenant-standin.ts      BENCH_SIZES=1000,10000 BENCH_SAMPLES=30
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createPowerShellTenant } from '../src/tenant/powershell';
import { generateTenant } from '../src/tenant/sim/demo-tenant';
import { median, ms, percentile } from './lib/stats';

const SIZES = (process.env.BENCH_SIZES ?? '1000,10000').split(',').map(Number);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 30);

async function measure(users: number): Promise<Record<string, number[]>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-bench-standin-'));
  const state = generateTenant({ users, seed: 5 });
  fs.writeFileSync(path.join(dir, 'sim-tenant.json'), JSON.stringify(state));
  const stub = { dataDir: dir, ...(process.env.STUB_MODULE ? { modulePath: process.env.STUB_MODULE } : {}) };
  const tenant = createPowerShellTenant({ backend: 'powershell-stub', config: { PS_POOL_SIZE: '1' }, stub });
  const out: Record<string, number[]> = { 'trivial call (floor)': [], 'number check': [], 'display name -eq': [], 'one user by UPN': [], 'enable + read-back': [] };
  const time = async (name: string, fn: () => Promise<unknown>) => {
    const t = performance.now();
    await fn();
    out[name]!.push(performance.now() - t);
  };
  try {
    await tenant.run('Get-CsHybridPSTNSite', {});
    const licensed = state.users.filter((u) => u.Licenses.includes('PhoneSystem'));
    for (let i = 0; i < SAMPLES; i++) {
      const u = licensed[(i * 7919) % licensed.length]!;
      const number = `tel:+1425${String(5_000_000 + i).padStart(7, '0')}`;
      await time('trivial call (floor)', () => tenant.run('Get-CsHybridPSTNSite', {}));
      await time('number check', () => tenant.run('Get-CsOnlineUser', { Filter: `LineURI -eq '${number}'`, ResultSize: 5 }));
      await time('display name -eq', () => tenant.run('Get-CsOnlineUser', { Filter: `DisplayName -eq '${u.DisplayName}'`, ResultSize: 50 }));
      await time('one user by UPN', () => tenant.run('Get-CsOnlineUser', { Identity: u.UserPrincipalName }));
      await time('enable + read-back', async () => {
        await tenant.run('Set-CsUser', { Identity: u.UserPrincipalName, EnterpriseVoiceEnabled: true, HostedVoiceMail: true, OnPremLineURI: number });
        await tenant.run('Get-CsOnlineUser', { Identity: u.UserPrincipalName });
      });
    }
  } finally {
    await tenant.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

async function main(): Promise<void> {
  console.log(`stand-in module through pwsh (pool 1): ${SAMPLES} samples per operation, ${os.cpus().length} cores${process.env.STUB_MODULE ? `, module ${process.env.STUB_MODULE}` : ''}`);
  for (const n of SIZES) {
    const r = await measure(n);
    console.log(`\n${n.toLocaleString('en-US')} users`);
    for (const [name, xs] of Object.entries(r)) console.log(`  ${name.padEnd(22)} p50 ${ms(median(xs)).padStart(6)} ms   p99 ${ms(percentile(xs, 99)).padStart(6)} ms`);
  }
}

void main();
