/**
 * Bulk enable benchmark (not a test): a CSV of 1,000 rows against the PowerShell stand-in, through the whole bot
 * (form submit, preview, approval, run, results). BENCH_COLUMNS=all (default) gives every row a number, a site and
 * international yes/no (three parts, 7 round trips per row: 2 reads, 3 cmdlets, 2 read-backs); BENCH_COLUMNS=number
 * gives only the number (one part, 3 round trips). Reports the time to file (parse + plan every row), the time to
 * execute and verify, and how many times the card was updated while it ran (throttled to one per 3 s), with a
 * calibration of the machine's speed: a warm Get-CsOnlineUser before each run (docs/benchmarks.md measured 7.5 ms
 * on a less loaded day). Prints one line per run and the medians.
 *
 *   BENCH_ROWS=1000 BENCH_RUNS=3 BENCH_COLUMNS=all PS_POOL_SIZE=2 npx tsx bench/bulk.ts
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createPowerShellTenant } from '../src/tenant/powershell';
import { generateTenant } from '../src/tenant/sim/demo-tenant';
import { admin, alice, cardOf, ChatHarness, requestIdIn } from '../test/support/chat';

const ROWS = Number(process.env.BENCH_ROWS ?? 1000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const POOL = process.env.PS_POOL_SIZE ?? '2';
const COLUMNS = process.env.BENCH_COLUMNS === 'number' ? 'number' : 'all';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

interface Run {
  warmMs: number;
  fileS: number;
  runS: number;
  cardUpdates: number;
  verified: number;
}

async function once(): Promise<Run> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-bench-bulk-'));
  const stubDir = path.join(dir, 'stub-tenant');
  fs.mkdirSync(stubDir);
  // A tenant a little larger than the batch, so the reads filter rather than return everyone.
  const state = generateTenant({ users: ROWS + 200, seed: 11 });
  state.tenantId = '72f988bf-0000-4000-a000-000000c0ffee';
  fs.writeFileSync(path.join(stubDir, 'sim-tenant.json'), JSON.stringify(state));
  const tenant = createPowerShellTenant({ backend: 'powershell-stub', config: { PS_POOL_SIZE: POOL, PS_MAX_COMMANDS_PER_SESSION: process.env.PS_MAX_COMMANDS_PER_SESSION }, stub: { dataDir: stubDir } });
  // Warm every session first: the figures are for a running bot, not for its start.
  await Promise.all(Array.from({ length: Number(POOL) }, () => tenant.run('Get-CsHybridPSTNSite', {})));
  const warm: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t = performance.now();
    await tenant.run('Get-CsOnlineUser', { Identity: state.users[ROWS + (i % 200)]!.UserPrincipalName });
    warm.push(performance.now() - t);
  }
  const chat = await ChatHarness.create({ tenant, dataDir: dir });
  try {
    const rows = state.users.slice(0, ROWS).map((u, i) => `${u.UserPrincipalName},+1425556${String(i).padStart(4, '0')}${COLUMNS === 'all' ? `,${i % 2 ? 'Seattle' : 'Amsterdam'},${i % 3 ? 'no' : 'yes'}` : ''}`);
    const csv = `${COLUMNS === 'all' ? 'user,number,site,international' : 'user,number'}\n${rows.join('\n')}\n`;

    const t0 = performance.now();
    const filed = await chat.click(alice, 'submitRequest', { action: 'bulk-enable', csv });
    const fileS = (performance.now() - t0) / 1000;
    const reply = filed.replies[0];
    const id = requestIdIn(reply?.text);
    if (!JSON.stringify(cardOf(reply)).includes(`${ROWS} rows: ${ROWS} to change`)) throw new Error(`preview: ${JSON.stringify(filed.value)} ${reply?.text}`);

    const updatesBefore = chat.outbox.updated.length;
    const t1 = performance.now();
    await chat.click(admin, 'approve', { requestId: id });
    await chat.settle();
    const runS = (performance.now() - t1) / 1000;
    const cardUpdates = chat.outbox.updated.length - updatesBefore;

    const items = await chat.core.store.listBatchItems(id);
    const verified = items.filter((i) => i.status === 'verified').length;
    const notice = chat.outbox.sent.find((s) => s.message.text?.startsWith(id));
    if (verified !== ROWS) throw new Error(`${verified} of ${ROWS} verified: ${notice?.message.text} ${JSON.stringify(items.find((i) => i.status !== 'verified')?.result)}`);
    if (!notice?.message.file?.text.includes(',ready,verified,')) throw new Error('no results CSV');
    // Read the stored state back through the stand-in: every user has the number the CSV gave.
    const enabled = (await tenant.run('Get-CsOnlineUser', { Filter: "LineURI -like 'tel:+1425556*'" })).output;
    if (enabled.length !== ROWS) throw new Error(`${enabled.length} of ${ROWS} users have their number in the stand-in`);
    return { warmMs: median(warm), fileS, runS, cardUpdates, verified };
  } finally {
    await chat.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const cpu = /model name\s*:\s*(.*)/.exec(fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '')?.[1] ?? os.cpus()[0]?.model;
  console.log(`date ${new Date().toISOString()}; nproc ${os.availableParallelism()}; CPU ${cpu}; load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}; Node ${process.version}; rows ${ROWS}; columns ${COLUMNS}; pool ${POOL}; commands per session ${process.env.PS_MAX_COMMANDS_PER_SESSION ?? '500 (default)'}`);
  const runs: Run[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await once();
    runs.push(r);
    console.log(`run ${i + 1} (warm Get-CsOnlineUser ${r.warmMs.toFixed(1)} ms, load ${os.loadavg()[0]!.toFixed(1)}): file (parse + plan ${ROWS} rows) ${r.fileS.toFixed(1)} s; execute and verify ${r.runS.toFixed(1)} s; card updates while running ${r.cardUpdates} (one copy; at most 1 per 3 s + start + end); ${r.verified} verified`);
  }
  console.log(`median of ${RUNS}: warm Get-CsOnlineUser ${median(runs.map((r) => r.warmMs)).toFixed(1)} ms; file ${median(runs.map((r) => r.fileS)).toFixed(1)} s; execute and verify ${median(runs.map((r) => r.runS)).toFixed(1)} s (target < 60 s); card updates ${median(runs.map((r) => r.cardUpdates))}; load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
