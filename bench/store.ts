/**
 * The store on SQLite against the store on PostgreSQL, in one run, interleaved round by round: what a
 * request costs the store from filing to verified, what a turn's handled-activity check costs, how many
 * requests two instances carry through together, and history and verification over a long audit log.
 *
 *   npx tsx bench/store.ts [--requests 200] [--rounds 3] [--entries 100000]
 *
 * PostgreSQL is a fresh cluster on 127.0.0.1 with fsync on and synchronous commit (as SQLite's
 * synchronous=FULL), started and stopped here (test/support/postgres.ts); SQLite is a fresh DATA_DIR on the
 * same disk. "Lifecycle" is the store calls of one request as the bot makes them: createRequest (locks,
 * audit), decide, claim, saveProgress with its audit entry, finish, each a transaction with its audit entry.
 * "Two instances" runs that lifecycle from two stores on the same database (SQLite: two connections on one
 * DATA_DIR), four requests in flight each. The long log is written directly (an HMAC chain under the
 * store's key, a checkpoint entry every 1,000), then the store is opened on it.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { RequestRecord } from '../src/model/request';
import type { Checkpoint } from '../src/store/audit-chain';
import { asCheckpoint, checkpointAfter, insertAuditSql, newAuditRow, type Cursor } from '../src/store/audit-rules';
import { writeCheckpoint } from '../src/store/checkpoint';
import { loadAuditKey } from '../src/store/audit-key';
import { PostgresStore } from '../src/store/postgres-store';
import { SqliteStore } from '../src/store/sqlite-store';
import type { Store } from '../src/store/store';
import { startPostgres, type PostgresServer } from '../test/support/postgres';
import { machineInfo } from './lib/machine';
import { median, ms, percentile } from './lib/stats';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '200' }, rounds: { type: 'string', default: '3' }, entries: { type: 'string', default: '100000' } } });
const REQUESTS = Number(values.requests);
const ROUNDS = Number(values.rounds);
const ENTRIES = Number(values.entries);
const person = { id: '11111111-1111-4111-8111-111111111111', name: 'Alice' };
const approver = { id: '22222222-2222-4222-8222-222222222222', name: 'Ada' };
const key = randomBytes(32).toString('base64');
/** Every data folder made here, removed at the end. */
const made: string[] = [];
function dataFolder(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-bench-store-'));
  made.push(dir);
  return dir;
}

interface Backend {
  name: 'SQLite' | 'PostgreSQL';
  /** A fresh database; `open` gives a store on it (a second call: a second instance). */
  fresh(): Promise<{ open(): Promise<Store>; fill(entries: number): Promise<void> }>;
}

function request(id: string, at: Date): RequestRecord {
  return {
    id, command: 'enable-voice', params: { user: `${id.toLowerCase()}@contoso.com`, number: 'tel:+14255550100' },
    plan: { target: id, subject: `${id.toLowerCase()}@contoso.com`, changes: [], expectations: [], steps: [], commands: [], locks: [`user:${id}`], notes: [] },
    requester: person, tenantId: 't', conversation: { conversation: { id: 'c' } }, status: 'pending',
    createdAt: at.toISOString(), expiresAt: new Date(at.getTime() + 3_600_000).toISOString(), attempt: 0, dedupeKey: `k-${id}`, position: 0, steps: [],
  };
}

let ids = 0;
/** One request from filing to verified, as the bot's store calls make it; returns its time in ms. */
async function lifecycle(store: Store): Promise<number> {
  const id = `R-${(++ids).toString(36).toUpperCase().padStart(8, '0')}`;
  const now = new Date();
  const at = now.toISOString();
  const t0 = performance.now();
  const created = await store.createRequest(request(id, now), { at, actor: person, event: 'request.created', requestId: id, subject: id });
  if (!created.created) throw new Error(`${id} not filed`);
  await store.decide(id, { status: 'approved', by: approver, at: now }, { at, actor: approver, event: 'request.approved', requestId: id });
  const claimed = await store.claim(id, now, new Date(now.getTime() + 60_000), { at, actor: 'system', event: 'execution.started', requestId: id });
  if (!claimed) throw new Error(`${id} not claimed`);
  await store.saveProgress(id, claimed.attempt, 1, [], { at, actor: 'system', event: 'step.done', requestId: id });
  await store.finish(id, claimed.attempt, 'verified', {}, { at, actor: 'system', event: 'execution.verified', requestId: id });
  return performance.now() - t0;
}

/** A long chain, written directly: the rows the store would write. `last` ends as the newest checkpoint entry. */
function* chain(entries: number, last: { checkpoint?: Checkpoint }): Generator<(string | number | null)[]> {
  const k = loadAuditKey({ AUDIT_KEY: key }, os.tmpdir(), false).key;
  let head: Cursor | undefined;
  const at = new Date('2026-01-01T00:00:00Z').toISOString();
  for (let i = 0; i < entries; i++) {
    const row = newAuditRow(k, head, { at, actor: i % 3 ? person : 'system', event: 'test', subject: `user${i % 5000}@contoso.com`, detail: { i } });
    head = { seq: row.entry.seq, hash: row.entry.hash };
    yield [...row.columns, null];
    const cp = checkpointAfter(row.entry, 1000);
    if (cp) {
      const c = newAuditRow(k, head, cp);
      head = { seq: c.entry.seq, hash: c.entry.hash };
      last.checkpoint = asCheckpoint(c.entry);
      yield [...c.columns, null];
    }
  }
}

const sqlite: Backend = {
  name: 'SQLite',
  async fresh() {
    const dir = dataFolder();
    const open = async (): Promise<Store> => new SqliteStore(dir, { AUDIT_KEY: key });
    return {
      open,
      async fill(entries) {
        await (await open()).close(); // the tables
        const db = new Database(path.join(dir, 'switchboard.db'));
        const insert = db.prepare(insertAuditSql);
        const last: { checkpoint?: Checkpoint } = {};
        db.transaction(() => {
          for (const row of chain(entries, last)) insert.run(...row);
        })();
        db.close();
        // As the bot leaves it: the file names the newest checkpoint entry.
        if (last.checkpoint) writeCheckpoint(path.join(dir, 'audit.checkpoint'), loadAuditKey({ AUDIT_KEY: key }, dir, false).key, last.checkpoint);
      },
    };
  },
};

let server: PostgresServer | undefined;
const postgres: Backend = {
  name: 'PostgreSQL',
  async fresh() {
    server ??= await startPostgres({ durable: true });
    const url = await server.createDatabase();
    const dir = dataFolder();
    let n = 0;
    return {
      open: async () => PostgresStore.open(url, path.join(dir, `instance-${++n}`), { AUDIT_KEY: key }),
      async fill(entries) {
        await (await PostgresStore.open(url, path.join(dir, 'fill'), { AUDIT_KEY: key })).close();
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        await client.query('BEGIN');
        let batch: (string | number | null)[][] = [];
        const flush = async (): Promise<void> => {
          if (!batch.length) return;
          const cols = 13;
          const values = batch.map((_, r) => `(${Array.from({ length: cols }, (_, c) => `$${r * cols + c + 1}`).join(', ')})`).join(', ');
          await client.query(`${insertAuditSql.slice(0, insertAuditSql.indexOf('VALUES'))} VALUES ${values}`, batch.flat());
          batch = [];
        };
        for (const row of chain(entries, {})) {
          batch.push(row);
          if (batch.length === 1000) await flush();
        }
        await flush();
        await client.query('COMMIT');
        await client.query('VACUUM ANALYZE audit');
        await client.end();
      },
    };
  },
};

interface Row {
  backend: string;
  round: number;
  lifecycleMs: number[];
  handledMs: number[];
  twoInstancesPerSecond: number;
}

async function round(backend: Backend, r: number): Promise<Row> {
  const db = await backend.fresh();
  const a = await db.open();
  for (let i = 0; i < 20; i++) await lifecycle(a); // warm-up: statements prepared, connections open
  const lifecycleMs: number[] = [];
  for (let i = 0; i < REQUESTS; i++) lifecycleMs.push(await lifecycle(a));
  const handledMs: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const t0 = performance.now();
    const id = `act-${r}-${i}`;
    if (await a.alreadyHandled(id)) throw new Error('seen');
    await a.markHandled(id, new Date());
    handledMs.push(performance.now() - t0);
  }
  const b = await db.open();
  const t0 = performance.now();
  const each = Math.ceil(REQUESTS / 8);
  await Promise.all([a, a, a, a, b, b, b, b].map(async (s) => {
    for (let i = 0; i < each; i++) await lifecycle(s);
  }));
  const twoInstancesPerSecond = (each * 8) / ((performance.now() - t0) / 1000);
  const verdict = await b.verifyAudit();
  if (!verdict.ok) throw new Error(`${backend.name}: chain broken after the run: ${verdict.reason}`);
  await a.close();
  await b.close();
  return { backend: backend.name, round: r, lifecycleMs, handledMs, twoInstancesPerSecond };
}

async function longLog(backend: Backend): Promise<Record<string, number>> {
  const db = await backend.fresh();
  const t0 = performance.now();
  await db.fill(ENTRIES);
  const fillS = (performance.now() - t0) / 1000;
  const store = await db.open();
  const newest: number[] = [];
  const bySubject: number[] = [];
  for (let i = 0; i < 30; i++) {
    let t = performance.now();
    await store.listAudit({ limit: 20 });
    await store.auditState();
    newest.push(performance.now() - t);
    t = performance.now();
    await store.listAudit({ subject: `USER${i * 37}@contoso.com`, limit: 20 });
    bySubject.push(performance.now() - t);
  }
  const v0 = performance.now();
  const verdict = await store.verifyAudit();
  const verifyS = (performance.now() - v0) / 1000;
  if (!verdict.ok) throw new Error(`${backend.name}: ${verdict.reason}`);
  await store.close();
  return { fillS, historyMedianMs: median(newest), historyP99Ms: percentile(newest, 99), subjectMedianMs: median(bySubject), verifyS, entries: verdict.entries };
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  try {
    for (let r = 1; r <= ROUNDS; r++) {
      for (const b of r % 2 ? [sqlite, postgres] : [postgres, sqlite]) rows.push(await round(b, r));
    }
    const logs = { SQLite: await longLog(sqlite), PostgreSQL: await longLog(postgres) };
    const machine = machineInfo();
    console.log(`\n${machine.cpuModel}, ${machine.nproc} cores, ${machine.memory}, ${machine.platform}, Node ${machine.node}, ${machine.date}`);
    console.log(`${REQUESTS} requests a round, ${ROUNDS} rounds (medians of the rounds' medians; p99 is the worst round's)\n`);
    console.log('| store | lifecycle p50 | lifecycle p99 | handled check p50 | two instances, requests/s |');
    console.log('|---|---:|---:|---:|---:|');
    for (const name of ['SQLite', 'PostgreSQL']) {
      const mine = rows.filter((x) => x.backend === name);
      console.log(`| ${name} | ${ms(median(mine.map((x) => median(x.lifecycleMs))))} ms | ${ms(Math.max(...mine.map((x) => percentile(x.lifecycleMs, 99))))} ms | ${(median(mine.map((x) => median(x.handledMs))) * 1000).toFixed(0)} µs | ${median(mine.map((x) => x.twoInstancesPerSecond)).toFixed(0)} |`);
    }
    console.log(`\n| store | ${ENTRIES.toLocaleString('en')} entries written in | history (newest 20 + chain state) p50 / p99 | history of one user p50 | audit:verify |`);
    console.log('|---|---:|---:|---:|---:|');
    for (const [name, l] of Object.entries(logs)) {
      console.log(`| ${name} | ${l.fillS!.toFixed(1)} s | ${ms(l.historyMedianMs!)} / ${ms(l.historyP99Ms!)} ms | ${ms(l.subjectMedianMs!)} ms | ${l.verifyS!.toFixed(1)} s (${l.entries} entries) |`);
    }
    const dir = path.resolve('bench/results');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `store-${machine.date.replace(/[:.]/g, '-')}.json`);
    fs.writeFileSync(file, JSON.stringify({ machine, options: { REQUESTS, ROUNDS, ENTRIES }, rows, logs }, null, 2));
    console.log(`\n${file}`);
  } finally {
    await server?.stop();
    for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
