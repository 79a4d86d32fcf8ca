/**
 * history and audit verification at 10,000 / 100,000 / 1,000,000 audit entries (issues 7 and 10).
 *
 *   npx tsx bench/history.ts [--sizes 10000,100000,1000000] [--runs 30]
 *
 * For each size: a fresh data directory is filled fast (one transaction, one prepared statement, an
 * HMAC per entry under the bot's own key file, a checkpoint entry every 1,000 and the checkpoint file),
 * then the real bot starts in a child process (local mode, 127.0.0.1, its background verification
 * starting on the whole chain, as after a restart) and, while a probe GETs /healthz every 20 ms:
 *   - `history` typed by an approver (newest entries of all), and `history bob.kelly@contoso.com`
 *     (the subject index), --runs turns each, one after the other: latency from the POST to the reply's
 *     arrival at a capture server (the Connector stand-in);
 *   - /healthz latency throughout.
 * Then the bot stops and `audit:verify`'s work (SqliteStore.verifyAudit over the whole chain) runs in a
 * fresh process, reporting its time and peak RSS. Everything is on 127.0.0.1.
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { killAllChildren, serveAsChild, startBotChild } from './lib/child';
import { CaptureServer, runPhase } from './lib/load';
import { machineInfo } from './lib/machine';
import { max, median, percentile } from './lib/stats';

/** The load generator's worker 0 (bench/lib/load.ts), made an approver. */
const benchApprover = '0bec0000-0000-4000-8000-000000000001';
const every = 1000;

async function childBot(): Promise<void> {
  const { loadConfig } = await import('../src/config');
  const { silentLogger } = await import('../src/log');
  const { startSwitchboard } = await import('../src/main');
  serveAsChild('switchboard', async () => {
    const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: process.env.BENCH_DATA_DIR, TENANT_BACKEND: 'sim', LOG_LEVEL: 'silent', APPROVER_IDS: benchApprover, RATE_USER_MESSAGES_PER_MINUTE: '100000', RATE_TENANT_PER_MINUTE: '1000000' });
    const server = await startSwitchboard(config, silentLogger, { maintenanceMs: 30_000 });
    return { url: server.url, close: () => server.close() };
  });
}

async function childVerify(): Promise<void> {
  const { SqliteStore } = await import('../src/store/sqlite-store');
  const started = performance.now();
  const store = new SqliteStore(process.env.BENCH_DATA_DIR!, { readOnly: true });
  const result = await store.verifyAudit();
  const ms = performance.now() - started;
  await store.close();
  process.send?.({ ms, maxRssMb: process.resourceUsage().maxRSS / 1024, result });
}

/** Fills the audit table as the bot would have written it, much faster (one transaction). */
async function fill(dataDir: string, n: number): Promise<number> {
  const { SqliteStore } = await import('../src/store/sqlite-store');
  const { chainHash, genesisHash } = await import('../src/store/audit-chain');
  const { defaultAuditKeyFile } = await import('../src/store/audit-key');
  const { writeCheckpoint } = await import('../src/store/checkpoint');
  await new SqliteStore(dataDir).close(); // schema and key file, as the bot's first start makes them
  const key = Buffer.from(fs.readFileSync(defaultAuditKeyFile(dataDir), 'utf8').trim(), 'base64');
  const started = performance.now();
  const db = new Database(path.join(dataDir, 'switchboard.db'));
  db.pragma('journal_mode = WAL');
  const insert = db.prepare('INSERT INTO audit (seq, at, actor, event, request_id, subject, code, detail, prev_hash, hash, subject_key, actor_id, owner_id) VALUES (?, ?, ?, ?, NULL, ?, NULL, ?, ?, ?, ?, NULL, NULL)');
  let prev = genesisHash;
  const t0 = Date.parse('2025-01-01T00:00:00Z');
  db.transaction(() => {
    for (let seq = 1; seq <= n; seq++) {
      const at = new Date(t0 + seq * 1000).toISOString();
      const entry = seq % every === 0
        ? { at, actor: 'system' as const, event: 'audit.checkpoint', detail: { through: seq - 1, head: prev, count: seq - 1 } }
        : { at, actor: 'system' as const, event: 'cmdlet.run', subject: seq % 50 === 0 ? 'Bob.Kelly@contoso.com' : `User${seq % 5000}@Contoso.com`, detail: { command: 'Get-CsOnlineUser', seq } };
      const hash = chainHash(key, prev, seq, entry);
      const subject = 'subject' in entry ? entry.subject : null;
      insert.run(seq, at, '"system"', entry.event, subject, JSON.stringify(entry.detail), prev, hash, subject?.toLowerCase() ?? null);
      prev = hash;
    }
  })();
  db.close();
  writeCheckpoint(path.join(dataDir, 'audit.checkpoint'), key, { seq: n, head: prev, count: n, at: new Date().toISOString() });
  return performance.now() - started;
}

function getHealthz(url: string, agent: http.Agent): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.get(`${url}/healthz`, { agent }, (res) => {
      res.resume();
      res.once('end', () => resolve(performance.now() - started));
    });
    req.once('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('healthz timed out')));
  });
}

async function verifyInChild(dataDir: string): Promise<{ ms: number; maxRssMb: number; result: unknown }> {
  const tsx = require.resolve('tsx');
  const child = fork(__filename, [], { execArgv: ['--import', `file://${tsx}`], env: { ...process.env, HISTORY_CHILD: 'verify', BENCH_DATA_DIR: dataDir }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m as { ms: number; maxRssMb: number; result: unknown }));
    child.once('exit', (code) => (code !== 0 ? reject(new Error(`verify exited ${code}`)) : undefined));
  });
}

const f = (v: number) => `${v.toFixed(1)} ms`;

async function measure(size: number, runs: number): Promise<Record<string, unknown>> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-bench-history-'));
  const dataDir = path.join(root, 'data');
  try {
    const fillMs = await fill(dataDir, size);
    console.log(`\n${size.toLocaleString('en-US')} entries: filled in ${(fillMs / 1000).toFixed(1)} s`);
    const capture = new CaptureServer();
    await capture.start();
    const bot = await startBotChild({ name: 'switchboard', entry: __filename, env: { HISTORY_CHILD: 'bot', BENCH_DATA_DIR: dataDir } });
    const agent = new http.Agent({ keepAlive: true });
    const healthAgent = new http.Agent({ keepAlive: true });
    const health: number[] = [];
    let probing = true;
    const probe = (async () => {
      while (probing) {
        health.push(await getHealthz(bot.url, healthAgent));
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    // Teams throttles a bot per conversation (7 per second, 8 per 2 s, 60 per 30 s) and the outbox keeps to
    // that: turns go in conversations of 5, so a reply never waits on the throttle and what is measured is history.
    let conversations = 0;
    const phase = async (tag: string, text: string, turns: number, expect = /audit entr/) => {
      const merged = { latencies: [] as number[], failures: 0, textMismatches: 0, firstFailure: undefined as string | undefined };
      for (let done = 0; done < turns; done += 5) {
        const r = await runPhase({ botUrl: bot.url, capture, agent, concurrency: 1, turns: Math.min(5, turns - done), tag: `${tag}-${size}-${conversations++}`, text, replyOk: (t) => expect.test(t), turnTimeoutMs: 30_000, phaseTimeoutMs: 600_000 });
        merged.latencies.push(...r.latencies);
        merged.failures += r.failures;
        merged.textMismatches += r.textMismatches;
        merged.firstFailure ??= r.firstFailure;
      }
      return merged;
    };
    try {
      await phase('warm', 'history', 5);
      const all = await phase('all', 'history', runs);
      const one = await phase('user', 'history bob.kelly@contoso.com', runs);
      // The same bot's cheapest turn, measured alongside: what a turn costs here before history's own work.
      const help = await phase('help', 'help', runs, /./);
      probing = false;
      await probe;
      const lat = (p: typeof all) => ({ raw: p.latencies.map((x) => Math.round(x)), median: f(median(p.latencies)), p99: f(percentile(p.latencies, 99)), max: f(max(p.latencies)), failures: p.failures + p.textMismatches, ...(p.firstFailure ? { firstFailure: p.firstFailure } : {}) });
      const row = {
        size,
        history: lat(all),
        historyOfOneUser: lat(one),
        helpBaseline: lat(help),
        healthz: { slow: health.map((x, i) => [i, Math.round(x)]).filter(([, x]) => x! > 50), samples: health.length, median: f(median(health)), p99: f(percentile(health, 99)), max: f(max(health)) },
      };
      console.log(JSON.stringify(row));
      await bot.stop();
      const v = await verifyInChild(dataDir);
      const out = { ...row, fillS: +(fillMs / 1000).toFixed(1), verify: { seconds: +(v.ms / 1000).toFixed(1), peakRssMb: +v.maxRssMb.toFixed(0), result: v.result } };
      console.log(JSON.stringify(out.verify));
      return out;
    } finally {
      probing = false;
      await bot.stop().catch(() => undefined);
      agent.destroy();
      healthAgent.destroy();
      await capture.stop();
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { sizes: { type: 'string', default: '10000,100000,1000000' }, runs: { type: 'string', default: '30' } } });
  const sizes = values.sizes.split(',').map(Number);
  console.log(JSON.stringify(machineInfo()));
  const results = [];
  for (const size of sizes) results.push(await measure(size, Number(values.runs)));
  const dir = path.resolve('bench/results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `history-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify({ machine: machineInfo(), results }, null, 2));
  console.log(`\nraw figures: ${file}`);
  killAllChildren();
}

if (process.env.HISTORY_CHILD === 'bot') void childBot();
else if (process.env.HISTORY_CHILD === 'verify') void childVerify();
else void main().catch((err: unknown) => {
  console.error(err);
  killAllChildren();
  process.exit(1);
});
