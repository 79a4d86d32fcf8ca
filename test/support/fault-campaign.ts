/**
 * The fault campaign, shared by test/faults.test.ts (a seeded 20 trials) and bench/faults.ts (100).
 *
 * One trial: a bot process (src/main.ts in local mode, TENANT_BACKEND=powershell-stub, PS_POOL_SIZE=1) is
 * started on a fresh data directory; Alice asks through the HTTP edge to enable voice for Bob Kelly with one
 * number and Ada approves; the process is killed (the bot alone with SIGKILL, or its whole process group) at a
 * named fault point or at a seeded random moment after the approval; a new process is started on the same
 * directory; once the interrupted request is final, a newer request for Bob with another number is made,
 * approved and verified; then the history is checked (checkTrial).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { LocalConnector, post, teamsActivity, type ConnectorCall } from '../../src/cli/local-channel';
import { finalStatuses, type RequestStatus } from '../../src/model/request';
import { prng } from '../../src/tenant/sim/demo-tenant';
import { faultPoints, type FaultPointName, type PlantedBug } from '../../src/workflow/faults';

const alice = { aadObjectId: '11111111-1111-4111-8111-111111111111', name: 'Alice Operator', mri: '29:alice' };
const admin = { aadObjectId: '22222222-2222-4222-8222-222222222222', name: 'Ada Admin', mri: '29:ada' };
const bob = 'bob.kelly@contoso.com';
const repoRoot = path.resolve(__dirname, '..', '..');

export type KillMode = 'bot' | 'group';

export interface TrialSpec {
  index: number;
  kill: KillMode;
  /** A named point (SWITCHBOARD_FAULT=<point>:<nth>), or else a random moment `delayMs` after the approval. */
  point?: FaultPointName;
  nth?: number;
  delayMs?: number;
  /** Planted in the restarted process, to prove the checker catches it. */
  plantedBug?: PlantedBug;
}

export interface RequestView {
  id: string;
  status: RequestStatus;
  lineUri: string;
  /** Call steps in the plan: the writes one approval may make. */
  writes: number;
  approved: boolean;
  finalEvents: number;
  told: boolean;
}

export interface TrialResult {
  spec: TrialSpec;
  requests: RequestView[];
  /** Writes to Bob in the stand-in's own change log. */
  tenantWrites: number;
  tenantLineUri: string | null;
  /** From the restarted process listening to the interrupted request finished and its requester told. */
  recoveryMs?: number;
  /** The same, from the moment the new process was spawned. */
  recoveryFromSpawnMs?: number;
  /**
   * From the restarted process's start (its instance record) to its claim of the interrupted request, and to
   * that request's final state, by the store's own times: what recovery costs apart from starting node.
   */
  claimAfterStartMs?: number;
  finalAfterStartMs?: number;
  /** The first process had finished the request and told the requester before it was killed: nothing to recover. */
  doneBeforeKill?: boolean;
  /** Whether the named point was reached (the process killed itself). */
  pointReached?: boolean;
  /** What the checker found; empty when the history is correct. */
  violations: string[];
  error?: string;
}


/**
 * In every 20 trials: each named point with each kill
 * mode (the card update at its first update, the approved card, and its third, the final card), then seeded random moments up to 2.5 s after the approval, alternating the kill modes.
 */
export function planTrials(seed: number, count: number): TrialSpec[] {
  // The demo tenant's seeded generator, so a failing trial can be run again.
  const rand = prng(seed);
  const named = faultPoints.flatMap((point): { point: FaultPointName; nth: number }[] =>
    point === 'during-card-update' ? [{ point, nth: 1 }, { point, nth: 3 }] : [{ point, nth: 1 }]);
  const trials: TrialSpec[] = [];
  for (let i = 0; i < count; i++) {
    const kill: KillMode = i % 2 === 0 ? 'bot' : 'group';
    const slot = i % 20;
    if (slot < 2 * named.length) trials.push({ index: i, kill, ...named[Math.floor(slot / 2)]! });
    else trials.push({ index: i, kill, delayMs: Math.round(rand() * 2500) });
  }
  return trials;
}

export interface Bot {
  child: ChildProcess;
  url: string;
  spawnedAt: number;
  listeningAt: number;
  exited: Promise<void>;
}

export function startBot(dataDir: string, extraEnv: Record<string, string>): Promise<Bot> {
  const env: NodeJS.ProcessEnv = {
    ...process.env, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, APPROVER_IDS: admin.aadObjectId, LOG_LEVEL: 'warn', MicrosoftAppId: '',
    TENANT_BACKEND: 'powershell-stub', PS_POOL_SIZE: '1', ...extraEnv,
  };
  if (!extraEnv.SWITCHBOARD_FAULT) delete env.SWITCHBOARD_FAULT;
  if (!extraEnv.SWITCHBOARD_PLANTED_BUG) delete env.SWITCHBOARD_PLANTED_BUG;
  const spawnedAt = Date.now();
  // detached: its own process group, so the "whole group" kill reaches it and nothing of the test runner.
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => {
      kill(child, 'group');
      reject(new Error(`bot did not start: ${seen.slice(-2000)}`));
    }, 60_000);
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.length > 100_000) seen = seen.slice(-20_000);
      const m = /Listening on (http:\/\/127\.0\.0\.1:\d+)\/api\/messages/.exec(seen);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]!, spawnedAt, listeningAt: Date.now(), exited });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`bot exited with ${child.exitCode ?? child.signalCode}: ${seen.slice(-2000)}`));
    });
  });
}

export function kill(child: ChildProcess, mode: KillMode): void {
  try {
    if (mode === 'group') process.kill(-child.pid!, 'SIGKILL');
    else child.kill('SIGKILL');
  } catch {
    // already gone
  }
}

export async function stopBot(bot: Bot): Promise<void> {
  if (bot.child.exitCode !== null || bot.child.signalCode !== null) return;
  bot.child.kill('SIGTERM');
  const stopped = await Promise.race([bot.exited.then(() => true), sleep(20_000).then(() => false)]);
  if (!stopped) kill(bot.child, 'group');
  await bot.exited;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until<T>(read: () => T | undefined | Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

export const toldPattern = (id: string) => new RegExp(`^${id} (done and verified|failed|did not run) for `);

/** Files a request and approves it; resolves with its id once the approval was answered (or the bot died). */
export async function fileAndApprove(bot: Bot, connector: LocalConnector, conversation: string, number: string): Promise<string> {
  const message = teamsActivity(connector.url, alice, conversation, { type: 'message', text: `enable voice for Bob Kelly number ${number}` });
  await post(bot.url, message);
  const reply = await connector.waitFor((c) => c.conversationId === conversation && c.activityId === message.id, 30_000);
  const id = /R-[0-9A-Z]{8}/.exec(reply.body.text ?? JSON.stringify(reply.body))?.[0];
  if (!id) throw new Error(`no request id in the reply: ${JSON.stringify(reply.body).slice(0, 500)}`);
  const click = teamsActivity(connector.url, admin, conversation, {
    type: 'invoke', name: 'adaptiveCard/action', replyToId: reply.id,
    value: { action: { type: 'Action.Execute', verb: 'approve', data: { requestId: id } }, trigger: 'manual' },
  });
  // A fault point right after the decision may end the process before the answer is read.
  await post(bot.url, click).catch(() => undefined);
  return id;
}

/** The store the trial's bots share: SQLite in the trial's DATA_DIR, or this PostgreSQL database. */
export interface TrialDatabase {
  url: string;
  auditKey: string;
}

/** Reads the trial's store directly (`?` placeholders), read-only on SQLite. */
async function select<T>(dataDir: string, database: TrialDatabase | undefined, sql: string, args: unknown[] = []): Promise<T[]> {
  if (database) {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      let n = 0;
      return (await client.query(sql.replace(/\?/g, () => `$${++n}`), args)).rows as T[];
    } finally {
      await client.end();
    }
  }
  const db = new Database(path.join(dataDir, 'switchboard.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...args) as T[];
  } finally {
    db.close();
  }
}

export async function readRequests(dataDir: string, database?: TrialDatabase): Promise<{ id: string; status: RequestStatus; plan: string; decided_at: string | null; finals: number }[]> {
  const rows = await select<{ id: string; status: RequestStatus; plan: string; decided_at: string | null; finals: number | string }>(dataDir, database,
    `SELECT r.id, r.status, r.plan, r.decided_at,
      (SELECT COUNT(*) FROM audit a WHERE a.request_id = r.id AND a.event IN ('execution.verified', 'execution.failed', 'execution.stale')) AS finals
     FROM requests r ORDER BY r.created_at`);
  return rows.map((r) => ({ ...r, finals: Number(r.finals) }));
}

async function statusOf(dataDir: string, database: TrialDatabase | undefined, id: string): Promise<RequestStatus | undefined> {
  return (await readRequests(dataDir, database)).find((r) => r.id === id)?.status;
}

/** The stand-in's own record: Bob's index in the seed, the writes its change log shows, his current number. */
export function tenantRecord(dataDir: string, upn = bob): { writes: number; lineUri: string | null } {
  const stubDir = path.join(dataDir, 'stub-tenant');
  const seed = JSON.parse(fs.readFileSync(path.join(stubDir, 'sim-tenant.json'), 'utf8')) as { users: { UserPrincipalName: string; OnPremLineURI: string | null }[] };
  const index = seed.users.findIndex((u) => u.UserPrincipalName.toLowerCase() === upn);
  const storeRoot = path.join(stubDir, 'stub-store');
  const stamps = fs.existsSync(storeRoot) ? fs.readdirSync(storeRoot) : [];
  let writes = 0;
  let lineUri = seed.users[index]?.OnPremLineURI ?? null;
  for (const stamp of stamps) {
    const log = path.join(storeRoot, stamp, 'changes.log');
    if (fs.existsSync(log)) writes += fs.readFileSync(log, 'utf8').split('\n').filter((l) => l.trim() === String(index)).length;
    const userFile = path.join(storeRoot, stamp, 'users', `${index}.json`);
    if (fs.existsSync(userFile)) lineUri = (JSON.parse(fs.readFileSync(userFile, 'utf8')) as { OnPremLineURI: string | null }).OnPremLineURI;
  }
  return { writes, lineUri };
}

/** The restarted process's claim and finish of the first request, measured from its instance record. */
async function recoveryTimes(dataDir: string, database: TrialDatabase | undefined): Promise<{ claimAfterStartMs?: number; finalAfterStartMs?: number }> {
  const instances = await select<{ started_at: string }>(dataDir, database, 'SELECT started_at FROM instances ORDER BY started_at');
  const [first] = await select<{ id: string }>(dataDir, database, 'SELECT id FROM requests ORDER BY created_at LIMIT 1');
  if (instances.length < 2 || !first) return {};
  const restart = Date.parse(instances[1]!.started_at);
  const events = await select<{ at: string; event: string }>(dataDir, database, 'SELECT at, event FROM audit WHERE request_id = ? AND at >= ? ORDER BY seq', [first.id, instances[1]!.started_at]);
  const claim = events.find((e) => /^execution\.(started|resumed)$/.test(e.event));
  const final = events.find((e) => /^execution\.(verified|failed|stale)$/.test(e.event));
  return {
    ...(claim ? { claimAfterStartMs: Date.parse(claim.at) - restart } : {}),
    ...(final ? { finalAfterStartMs: Date.parse(final.at) - restart } : {}),
  };
}

const digits = (s: string | null | undefined) => (s ?? '').replace(/\D/g, '');

/**
 * Checks a trial's whole history: every request reached one final state (one final audit event); the tenant
 * saw at most one write per call step per approval (the stand-in's change log); the tenant holds the number of
 * the newest verified request (no newer change undone); the requester of every final request was told.
 */
export function checkTrial(r: Omit<TrialResult, 'violations'>): string[] {
  const v: string[] = [];
  for (const q of r.requests) {
    if (!(finalStatuses as readonly string[]).includes(q.status)) v.push(`lost: ${q.id} is ${q.status}, not final`);
    else if (q.approved && q.finalEvents !== 1) v.push(`${q.id} reached ${q.finalEvents} final states`);
    if ((finalStatuses as readonly string[]).includes(q.status) && q.approved && !q.told) v.push(`${q.id} is ${q.status} but its requester was never told`);
  }
  const allowed = r.requests.filter((q) => q.approved).reduce((n, q) => n + q.writes, 0);
  if (r.tenantWrites > allowed) v.push(`executed twice: the stand-in's change log shows ${r.tenantWrites} writes to Bob for ${allowed} approved writes`);
  const newest = [...r.requests].reverse().find((q) => q.status === 'verified');
  if (newest && digits(newest.lineUri) !== digits(r.tenantLineUri)) v.push(`newer change undone: the tenant holds ${r.tenantLineUri}, the newest verified request ${newest.id} set ${newest.lineUri}`);
  if (r.requests.length < 2 || r.requests.at(-1)!.status !== 'verified') v.push('the newer request was not verified');
  return v;
}

export async function runTrial(spec: TrialSpec, connector: LocalConnector, dataDir: string, database?: TrialDatabase): Promise<TrialResult> {
  const storeEnv: Record<string, string> = database ? { DATABASE_URL: database.url, AUDIT_KEY: database.auditKey } : {};
  const conversation = `a:conv-alice-t${spec.index}-${process.pid}`;
  const first = `+1425555${String(1000 + spec.index * 2).padStart(4, '0')}`;
  const second = `+1425555${String(1001 + spec.index * 2).padStart(4, '0')}`;
  const bots: Bot[] = [];
  const result: Omit<TrialResult, 'violations'> = { spec, requests: [], tenantWrites: 0, tenantLineUri: null };
  try {
    const a = await startBot(dataDir, { ...storeEnv, ...(spec.point ? { SWITCHBOARD_FAULT: `${spec.point}:${spec.nth ?? 1}` } : {}) });
    bots.push(a);
    const id = await fileAndApprove(a, connector, conversation, first);
    if (spec.point) {
      result.pointReached = await Promise.race([a.exited.then(() => true), sleep(30_000).then(() => false)]);
      if (!result.pointReached) kill(a.child, spec.kill);
      else if (spec.kill === 'group') kill(a.child, 'group'); // whatever else was in the group goes with it
    } else {
      await sleep(spec.delayMs ?? 0);
      kill(a.child, spec.kill);
    }
    await a.exited;

    result.doneBeforeKill = connector.calls.some((c) => c.method === 'POST' && c.conversationId === conversation && toldPattern(id).test(c.body.text ?? ''));
    const b = await startBot(dataDir, { ...storeEnv, ...(spec.plantedBug ? { SWITCHBOARD_PLANTED_BUG: spec.plantedBug } : {}) });
    bots.push(b);
    const told = await until(() => connector.calls.find((c) => c.method === 'POST' && c.conversationId === conversation && toldPattern(id).test(c.body.text ?? '')), 60_000, `${id} to be final and told`);
    void told;
    await until(async () => ((finalStatuses as readonly string[]).includes((await statusOf(dataDir, database, id)) ?? '') ? true : undefined), 10_000, `${id} to be final in the store`);
    const doneAt = Date.now();
    if (!result.doneBeforeKill) {
      result.recoveryMs = doneAt - b.listeningAt;
      result.recoveryFromSpawnMs = doneAt - b.spawnedAt;
    }

    const newer = await fileAndApprove(b, connector, conversation, second);
    await until(() => connector.calls.find((c) => c.method === 'POST' && c.conversationId === conversation && toldPattern(newer).test(c.body.text ?? '')), 60_000, `${newer} to be final and told`);
    await stopBot(b);
  } catch (err) {
    result.error = (err as Error).message;
  } finally {
    for (const bot of bots) {
      kill(bot.child, 'group');
      await bot.exited;
    }
  }
  try {
    const posts = connector.calls.filter((c: ConnectorCall) => c.method === 'POST' && c.conversationId === conversation);
    result.requests = (await readRequests(dataDir, database)).map((q) => {
      const plan = JSON.parse(q.plan) as { steps: { kind: string }[]; changes: { property: string; to: string }[] };
      return {
        id: q.id, status: q.status, approved: q.decided_at !== null, finalEvents: q.finals,
        lineUri: plan.changes.find((c) => c.property === 'OnPremLineURI')?.to ?? '',
        writes: plan.steps.filter((s) => s.kind === 'call').length,
        told: posts.some((c) => toldPattern(q.id).test(c.body.text ?? '')),
      };
    });
    Object.assign(result, await recoveryTimes(dataDir, database));
    const tenant = tenantRecord(dataDir);
    result.tenantWrites = tenant.writes;
    result.tenantLineUri = tenant.lineUri;
  } catch (err) {
    result.error = `${result.error ?? ''} could not read the history: ${(err as Error).message}`.trim();
  }
  const violations = checkTrial(result);
  if (result.error) violations.unshift(`trial error: ${result.error}`);
  if (spec.point && result.pointReached === false) violations.push(`fault point ${spec.point}:${spec.nth ?? 1} was never reached`);
  return { ...result, violations };
}

export interface CampaignSummary {
  trials: number;
  /** Trials whose first process finished and told before the kill (nothing was interrupted). */
  doneBeforeKill: number;
  lost: number;
  executedTwice: number;
  newerUndone: number;
  untold: number;
  otherViolations: number;
  recoveryMs: { median: number; max: number; over10s: number };
  recoveryFromSpawnMs: { median: number; max: number };
  claimAfterStartMs: { median: number; max: number };
  finalAfterStartMs: { median: number; max: number };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length ? s[Math.floor((s.length - 1) / 2)]! : NaN;
};

function spread(values: (number | undefined)[]): { median: number; max: number } {
  const xs = values.filter((x): x is number => x !== undefined);
  return { median: median(xs), max: Math.max(...xs) };
}

export function summarize(results: readonly TrialResult[]): CampaignSummary {
  const count = (re: RegExp) => results.filter((r) => r.violations.some((v) => re.test(v))).length;
  const rec = results.map((r) => r.recoveryMs).filter((x): x is number => x !== undefined);
  const spawn = results.map((r) => r.recoveryFromSpawnMs).filter((x): x is number => x !== undefined);
  return {
    trials: results.length,
    doneBeforeKill: results.filter((r) => r.doneBeforeKill).length,
    lost: count(/^lost/),
    executedTwice: count(/^executed twice/),
    newerUndone: count(/^newer change undone/),
    untold: count(/never told/),
    otherViolations: results.filter((r) => r.violations.some((v) => !/^(lost|executed twice|newer change undone)|never told/.test(v))).length,
    recoveryMs: { median: median(rec), max: Math.max(...rec), over10s: rec.filter((x) => x > 10_000).length },
    recoveryFromSpawnMs: { median: median(spawn), max: Math.max(...spawn) },
    claimAfterStartMs: spread(results.map((r) => r.claimAfterStartMs)),
    finalAfterStartMs: spread(results.map((r) => r.finalAfterStartMs)),
  };
}

/** Runs the trials one after another, each on its own data directory under `root`. */
/** `database`, when given, makes each trial's PostgreSQL database (the bots then share it instead of SQLite). */
export async function runCampaign(trials: readonly TrialSpec[], options: { root?: string; onTrial?: (r: TrialResult) => void; database?: () => Promise<TrialDatabase> } = {}): Promise<TrialResult[]> {
  const root = options.root ?? fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-faults-'));
  const connector = new LocalConnector();
  await connector.start();
  const results: TrialResult[] = [];
  try {
    for (const spec of trials) {
      const dir = path.join(root, `trial-${spec.index}`);
      fs.mkdirSync(dir, { recursive: true });
      const r = await runTrial(spec, connector, dir, await options.database?.());
      results.push(r);
      options.onTrial?.(r);
    }
  } finally {
    await connector.stop();
  }
  return results;
}
