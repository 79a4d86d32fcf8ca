/**
 * The fault campaign at full length (not a test): 100 seeded trials by default (FAULT_TRIALS, FAULT_SEED),
 * each a bot process killed at a named point or a random moment and restarted, its whole history checked
 * (test/support/fault-campaign.ts, the same module the suite's 20 trials run). Each trial's result is
 * appended to FAULT_OUT (JSON lines) as it ends, and the figures for docs/reliability.md are printed at the end.
 * FAULT_STORE=postgres runs every trial's two bots on a fresh PostgreSQL database (a local cluster started here).
 */
import fs from 'node:fs';
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { planTrials, runCampaign, summarize, type TrialResult } from '../test/support/fault-campaign';
import { startPostgres, type PostgresServer } from '../test/support/postgres';

const TRIALS = Number(process.env.FAULT_TRIALS ?? 100);
const SEED = Number(process.env.FAULT_SEED ?? 20261201);
const OUT = process.env.FAULT_OUT ?? `${os.tmpdir()}/switchboard-faults-${SEED}.jsonl`;
const POSTGRES = process.env.FAULT_STORE === 'postgres';

async function main(): Promise<void> {
  process.env.PATH = `${process.env.PATH ?? ''}:${os.homedir()}/.dotnet/tools`;
  fs.writeFileSync(OUT, '');
  const started = Date.now();
  const server: PostgresServer | undefined = POSTGRES ? await startPostgres({ durable: true }) : undefined;
  const results: TrialResult[] = await runCampaign(planTrials(SEED, TRIALS), {
    ...(server ? { database: async () => ({ url: await server.createDatabase(), auditKey: randomBytes(32).toString('base64') }) } : {}),
    onTrial: (r) => {
      fs.appendFileSync(OUT, `${JSON.stringify({ ...r, load: os.loadavg()[0] })}\n`);
      const how = r.spec.point ? `${r.spec.point}:${r.spec.nth ?? 1}` : `random ${r.spec.delayMs} ms`;
      console.log(`trial ${r.spec.index + 1}/${TRIALS} kill ${r.spec.kill} at ${how}: recovery ${r.recoveryMs ?? '-'} ms after listening (${r.recoveryFromSpawnMs ?? '-'} ms after spawn)${r.violations.length ? `; VIOLATIONS: ${r.violations.join('; ')}` : ''}`);
    },
  });
  await server?.stop();
  const s = summarize(results);
  console.log(JSON.stringify({ seed: SEED, store: POSTGRES ? 'postgres' : 'sqlite', ...s, minutes: Math.round((Date.now() - started) / 6000) / 10, loadAverage: os.loadavg(), cores: os.cpus().length }, null, 1));
  if (s.lost + s.executedTwice + s.newerUndone + s.untold + s.otherViolations > 0) process.exitCode = 1;
}

void main();
