/**
 * The Mediation Server workflow's resume after a restart: file and approve a registration whose account
 * syncs later, kill the bot (SIGKILL) while the request waits, start a new process, and measure how long
 * after the new process listens the wait resumes (its next poll) and the request is verified.
 * Rounds run one after another; medians and the spread go to stdout for docs/benchmarks.md.
 *   npx tsx bench/mediation-resume.ts [rounds=5]
 */
import { LocalConnector, post, teamsActivity } from '../src/cli/local-channel';
import { SqliteStore } from '../src/store/sqlite-store';
import { seedMediationWait, startBotProcess, until } from '../test/support/bot-process';
import { machineInfo } from './lib/machine';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const alice = { aadObjectId: '11111111-1111-4111-8111-111111111111', name: 'Alice Operator', mri: '29:alice' };
const admin = { aadObjectId: '22222222-2222-4222-8222-222222222222', name: 'Ada Admin', mri: '29:ada' };
const env = { APPROVER_IDS: admin.aadObjectId, ACCOUNT_SYNC_POLL_S: '1' };

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function round(connector: LocalConnector, i: number): Promise<{ resumeMs: number; verifiedMs: number; repeated: number }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `bench-resume-${i}-`));
  try {
    await seedMediationWait(dataDir, 30_000);
    const first = await startBotProcess(dataDir, env);
    const filed = await post(first.url, teamsActivity(connector.url, alice, `a:bench-${i}`, {
      type: 'invoke', name: 'adaptiveCard/action',
      value: { action: { type: 'Action.Execute', verb: 'submitRequest', data: { action: 'register-mediation-server', fqdn: 'ms2.contoso.com', site: 'Seattle', displayName: 'MS Two', upn: 'ms-two@contoso.com' } }, trigger: 'manual' },
    }));
    const requestId = /R-[0-9A-Z]{8}/.exec(JSON.stringify(filed.body))![0];
    await post(first.url, teamsActivity(connector.url, admin, `a:bench-${i}`, { type: 'invoke', name: 'adaptiveCard/action', value: { action: { type: 'Action.Execute', verb: 'approve', data: { requestId } }, trigger: 'manual' } }));
    const reader = new SqliteStore(dataDir);
    try {
      const waiting = await until(async () => {
        const r = await reader.getRequest(requestId);
        return r?.status === 'waiting' && (r.steps[0]?.polls ?? 0) >= 2 ? r : undefined;
      }, 30_000, 'waiting');
      first.child.kill('SIGKILL');
      await new Promise((r) => first.child.once('exit', r));
      const second = await startBotProcess(dataDir, env);
      const listening = performance.now();
      await until(async () => ((await reader.getRequest(requestId))!.steps[0]!.polls! > waiting.steps[0]!.polls! ? true : undefined), 30_000, 'the next poll');
      const resumeMs = performance.now() - listening;
      await until(async () => ((await reader.getRequest(requestId))!.status === 'verified' ? true : undefined), 60_000, 'verified');
      const verifiedMs = performance.now() - listening;
      const done = (await reader.getRequest(requestId))!;
      const repeated = done.steps.slice(1).filter((s) => s.attempts !== 1).length;
      second.child.kill('SIGTERM');
      await new Promise((r) => second.child.once('exit', r));
      return { resumeMs, verifiedMs, repeated };
    } finally {
      await reader.close();
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 5);
  const connector = new LocalConnector();
  await connector.start();
  const results = [];
  for (let i = 0; i < rounds; i++) results.push(await round(connector, i));
  await connector.stop();
  console.log(JSON.stringify({ machine: machineInfo(), rounds, results }, null, 2));
  const r = results.map((x) => x.resumeMs);
  const v = results.map((x) => x.verifiedMs);
  console.log(`resume (next poll after the new process listens): median ${median(r).toFixed(0)} ms, max ${Math.max(...r).toFixed(0)} ms`);
  console.log(`verified after the new process listens (account synced 30 s after it was created): median ${median(v).toFixed(0)} ms, max ${Math.max(...v).toFixed(0)} ms`);
  console.log(`steps repeated: ${results.reduce((n, x) => n + x.repeated, 0)}`);
}

void main();
