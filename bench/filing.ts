/**
 * Filing a change on the PowerShell stand-in (issue 10: under 50 ms), over HTTP as Teams drives it: the
 * real server in local mode on TENANT_BACKEND=powershell-stub with a generated tenant, the time from the
 * POST of "enable voice for <upn> number <n>" to the bot's reply with the request id. Measured in the same
 * run, interleaved: `help` (no tenant read: the cost of a turn) and `status <upn>` (three reads: the user, their
 * PSTN settings and the hybrid settings, made in one round trip), and, for Direct Routing, "assign number <n> to <upn>
 * policy US" (a tenant with one SBC and one policy).
 *
 *   npx tsx bench/filing.ts          (BENCH_USERS=1000, BENCH_SAMPLES=40)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalConnector, post, teamsActivity } from '../src/cli/local-channel';
import { loadConfig } from '../src/config';
import { silentLogger } from '../src/log';
import { startSwitchboard } from '../src/main';
import { generateTenant } from '../src/tenant/sim/demo-tenant';
import { machineInfo } from './lib/machine';
import { median, percentile } from './lib/stats';

const USERS = Number(process.env.BENCH_USERS ?? 1000);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 40);
/** A requester per sample: the per-user limit (20 messages a minute) would otherwise be what is measured. */
const operator = (i: number) => ({ aadObjectId: `11111111-1111-4111-8111-${String(100000000000 + i)}`, name: `Operator ${i}`, mri: `29:operator-${i}` });

async function main(): Promise<void> {
  process.env.PATH = `${process.env.PATH ?? ''}:${os.homedir()}/.dotnet/tools`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-filing-'));
  const state = generateTenant({ users: USERS, seed: 7 });
  state.directRouting.gateways.push({ Fqdn: 'sbc1.contoso.com', SipSignalingPort: 5067, MaxConcurrentSessions: null, Enabled: true });
  state.directRouting.pstnUsages.push('US');
  state.directRouting.voiceRoutingPolicies.push({ Name: 'US', OnlinePstnUsages: ['US'], Description: null });
  fs.mkdirSync(path.join(dataDir, 'stub-tenant'), { recursive: true });
  fs.writeFileSync(path.join(dataDir, 'stub-tenant', 'sim-tenant.json'), JSON.stringify(state));
  const upns = state.users.filter((u) => !u.OnPremLineURI && u.Licenses.includes('PhoneSystem')).map((u) => u.UserPrincipalName);
  const connector = new LocalConnector();
  await connector.start();
  const bot = await startSwitchboard(loadConfig({ PORT: '0', DATA_DIR: dataDir, TENANT_BACKEND: 'powershell-stub', LOG_LEVEL: 'silent' }), silentLogger, { maintenanceMs: 3_600_000 });
  const turn = async (text: string, who: number): Promise<{ ms: number; text: string }> => {
    const activity = teamsActivity(connector.url, operator(who), `a:conv-filing-${who}`, { type: 'message', text });
    const started = performance.now();
    const answered = connector.waitFor((c) => c.method === 'POST' && c.activityId === activity.id, 30_000);
    if ((await post(bot.url, activity)).status !== 200) throw new Error(`POST refused for ${text}`);
    const reply = await answered;
    return { ms: performance.now() - started, text: reply.body.text ?? '' };
  };
  try {
    // Warm: the pool's sessions started and connected, the code paths compiled.
    for (let i = 0; i < 5; i++) {
      await turn('help', 1000 + i);
      await turn(`status ${upns[i]}`, 1000 + i);
    }
    const times = { help: [] as number[], status: [] as number[], file: [] as number[], assign: [] as number[] };
    for (let i = 0; i < SAMPLES; i++) {
      const upn = upns[10 + i]!;
      times.help.push((await turn('help', i)).ms);
      times.status.push((await turn(`status ${upn}`, i)).ms);
      const filed = await turn(`enable voice for ${upn} number +1425557${String(1000 + i).padStart(4, '0')}`, i);
      if (!/^R-[0-9A-Z]{8}: Enable voice/.test(filed.text)) throw new Error(`not filed: ${filed.text}`);
      times.file.push(filed.ms);
      const assigned = await turn(`assign number +1425558${String(1000 + i).padStart(4, '0')} to ${upns[10 + SAMPLES + i]!} policy US`, i);
      if (!/^R-[0-9A-Z]{8}: Assign a number/.test(assigned.text)) throw new Error(`not filed: ${assigned.text}`);
      times.assign.push(assigned.ms);
    }
    const m = machineInfo();
    const line = (name: string, xs: number[]) => `| ${name} | ${median(xs).toFixed(1)} | ${percentile(xs, 90).toFixed(1)} | ${Math.max(...xs).toFixed(1)} |`;
    console.log(`Machine: ${m.nproc} CPUs (${m.cpuModel}), Node ${m.node}, ${m.date}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; ${USERS} users on the stand-in, ${SAMPLES} samples each, interleaved`);
    console.log('| turn | median ms | p90 ms | max ms |\n|---|---:|---:|---:|');
    console.log(line('help (no tenant read)', times.help));
    console.log(line('status <upn> (three reads, one round trip)', times.status));
    console.log(line('enable voice for <upn> number <n>: filed', times.file));
    console.log(line('assign number <n> to <upn> policy US (Direct Routing): filed', times.assign));
    console.log(`filing / status: ${(median(times.file) / median(times.status)).toFixed(2)}x; filing / help: ${(median(times.file) / median(times.help)).toFixed(2)}x; target: filing under 50 ms`);
  } finally {
    await bot.close();
    await connector.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

void main();
