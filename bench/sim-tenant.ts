/**
 * Simulated-tenant benchmark (not a test): building a tenant, the lookups `status` makes (by UPN and by display
 * name, plus Get-CsUserPstnSettings), a `*` wildcard, the plan's number check, and one enable (Set-CsUser) plus
 * its read-back, at 1,000 / 10,000 / 100,000 users against the demo tenant as the baseline, in one run, each tenant
 * on its own SQLite file as DATA_DIR holds it. Prints medians and p99s.
 *
 *   npx tsx bench/sim-tenant.ts            BENCH_SIZES=1000,10000,100000 BENCH_SAMPLES=300
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findUsers } from '../src/tenant/directory';
import { demoTenant, generateTenant } from '../src/tenant/sim/demo-tenant';
import { SimulatedTenant } from '../src/tenant/sim/simulated-tenant';
import type { SimTenantState } from '../src/tenant/sim/state';
import { median, ms, percentile } from './lib/stats';

const SIZES = (process.env.BENCH_SIZES ?? '1000,10000,100000').split(',').map(Number);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 300);

type Row = { tenant: string; users: number; buildMs: number; dbMb: number; results: Record<string, number[]> };

async function timed(samples: number[], fn: () => Promise<unknown>): Promise<void> {
  const t = performance.now();
  await fn();
  samples.push(performance.now() - t);
}

async function measure(label: string, makeState: () => SimTenantState): Promise<Row> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-bench-sim-'));
  try {
    const t0 = performance.now();
    const state = makeState();
    const tenant = new SimulatedTenant({ initial: state, dataDir: dir, writeSeed: false });
    const buildMs = performance.now() - t0;
    const users = state.users.filter((u) => u.syncAt === undefined && u.Licenses.includes('PhoneSystem'));
    const results: Record<string, number[]> = { 'status by UPN': [], 'status by name': [], 'wildcard *suffix': [], 'number check': [], 'enable + read-back': [] };
    const rand = (n: number) => Math.floor(Math.random() * n);
    // Warm the statement caches and the page cache the way a running bot has them.
    for (let i = 0; i < 20; i++) await findUsers(tenant, users[rand(users.length)]!.UserPrincipalName);
    for (let i = 0; i < SAMPLES; i++) {
      const u = users[rand(users.length)]!;
      await timed(results['status by UPN']!, async () => {
        await findUsers(tenant, u.UserPrincipalName);
        await tenant.run('Get-CsUserPstnSettings', { Identity: u.UserPrincipalName });
      });
      const v = users[rand(users.length)]!;
      await timed(results['status by name']!, async () => {
        const match = await findUsers(tenant, v.DisplayName);
        if (match.kind === 'one') await tenant.run('Get-CsUserPstnSettings', { Identity: match.user.UserPrincipalName });
      });
      const last = v.DisplayName.split(' ').slice(1).join(' ');
      await timed(results['wildcard *suffix']!, () => findUsers(tenant, `*${last}`));
      const number = `tel:+1425${String(5_000_000 + i).padStart(7, '0')}`;
      await timed(results['number check']!, () => tenant.run('Get-CsOnlineUser', { Filter: `LineURI -eq '${number}'`, ResultSize: 5 }));
      const w = users[i % users.length]!;
      await timed(results['enable + read-back']!, async () => {
        await tenant.run('Set-CsUser', { Identity: w.UserPrincipalName, EnterpriseVoiceEnabled: true, HostedVoiceMail: true, OnPremLineURI: number });
        const [back] = (await tenant.run('Get-CsOnlineUser', { Identity: w.UserPrincipalName })).output;
        if (back?.LineURI !== number) throw new Error(`read-back of ${w.UserPrincipalName} shows ${back?.LineURI}`);
      });
    }
    await tenant.close();
    const dbBytes = fs.readdirSync(dir).filter((f) => f.startsWith('sim-tenant.db')).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
    return { tenant: label, users: state.users.length, buildMs, dbMb: dbBytes / 1e6, results };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(`simulated tenant on SQLite: ${SAMPLES} samples per operation, ${os.cpus().length} cores, Node ${process.version}`);
  const rows = [await measure('demo', () => demoTenant())];
  for (const n of SIZES) rows.push(await measure(`${n.toLocaleString('en-US')} users`, () => generateTenant({ users: n, seed: 5 })));
  const ops = Object.keys(rows[0]!.results);
  console.log(`\n| tenant | users | build (generate + import) | database | ${ops.map((o) => `${o} p50 / p99`).join(' | ')} |`);
  console.log(`|---|---|---|---|${ops.map(() => '---').join('|')}|`);
  for (const r of rows) {
    console.log(`| ${r.tenant} | ${r.users} | ${ms(r.buildMs)} ms | ${r.dbMb.toFixed(1)} MB | ${ops.map((o) => `${ms(median(r.results[o]!))} / ${ms(percentile(r.results[o]!, 99))} ms`).join(' | ')} |`);
  }
  const base = rows[0]!;
  console.log('\nstatus p50 relative to the demo tenant:');
  for (const r of rows.slice(1)) {
    console.log(`  ${r.tenant}: by UPN ${(median(r.results['status by UPN']!) / median(base.results['status by UPN']!)).toFixed(2)}x, by name ${(median(r.results['status by name']!) / median(base.results['status by name']!)).toFixed(2)}x`);
  }
}

void main();
