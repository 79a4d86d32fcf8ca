/**
 * Turn latency over HTTP, Switchboard against a stock botbuilder echo bot and a raw node:http bot that
 * answers with one Connector call, the protocol floor (issues 2 and 10); and, with --rss-turns, the
 * resident memory of Switchboard and the echo bot after that many turns at the highest level.
 *
 *   npx tsx bench/turn-latency.ts            (npm run bench:turns; about 6 minutes on 2 shared CPUs)
 *
 * Options: --rounds 5 --turns 1000 --warmup 1000 --levels 1,10,50 --warm-turns 1000 --no-warmed
 *   --only echo|switchboard       run one bot only (e.g. with --cpu-prof)
 *   --cpu-prof                    profile each bot process into bench/results/profiles/<bot>-r<round>/
 *                                 (summarise with: npx tsx bench/lib/cpuprofile-summary.ts <that dir>)
 *   --heap-prof                   what each bot holds at exit, sampled (node --heap-prof), into bench/results/heap-profiles/<bot>-r<round>/
 *                                 (summarise with: npx tsx bench/lib/heapprofile-summary.ts <that dir>)
 *   --candidate path/to/entry.ts  also measure a third bot, interleaved, against the same echo baseline:
 *                                 a copy of bench/lib/switchboard-bot.ts with a fix applied, to try it first
 *   --candidate-node-args "flags" the node/V8 flags the candidate runs with instead of Switchboard's own (those of
 *                                 `npm run start:prod`, which the Dockerfile's CMD repeats); with --candidate
 *                                 bench/lib/switchboard-bot.ts, a V8 setting tried on the same code
 *   --max-minutes 40              hard limit for the whole run
 *   --target 1.2                  the ratio to the echo bot a level must stay within, in every round
 *   --rss-turns 30000             after the rounds: a fresh echo and Switchboard process each, that many turns
 *                                 at the highest level, RSS sampled every 10,000 turns
 *   --from-source                 run the bots' TypeScript through tsx (as `npm start` does) instead of tsc's
 *                                 JavaScript on plain node (as the Dockerfile does; the default)
 *   --heap-detail                 with --rss-turns: after each RSS sample, a full GC in the bot and its live JS
 *                                 heap, V8's heap size and external memory (the bots run with --expose-gc,
 *                                 and the forced GCs change later samples: for finding where memory goes)
 *
 * Each bot runs in its own child process, in local mode on 127.0.0.1, replying to a capture server in
 * this process (the activities' serviceUrl). Rounds alternate the order of the bots (E S, S E, ...) so
 * that noise on a shared machine hits both. A round is one fresh bot process and one fresh client
 * keep-alive pool:
 *   1. warm-up: --warmup sequential turns in one conversation, not measured. It warms the bot's code (JIT,
 *      caches, the outbound connection to the capture server) but leaves only one or two inbound connections;
 *   2. "as a channel would see it": --turns turns at each of --levels, in that order, back to back on the
 *      same pool, so each level opens the inbound connections it needs while it is being measured;
 *   3. "warmed connections" (labelled as such): at each level again, --warm-turns unmeasured turns at that
 *      level, then --turns measured turns on the connections those opened.
 * A turn's latency runs from just before the POST to /api/messages to the arrival of the bot's first reply
 * at the capture server; each worker is one conversation (and one user) and sends its next message when
 * its reply has arrived. Reported: medians over rounds of each round's p50 and p99, and Switchboard/echo.
 * Raw figures go to bench/results/ (git-ignored). The run stops by itself: every phase is bounded in turns
 * and in time, the whole run in time, and the children are killed on any exit.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { killAllChildren, startBotChild, type ChildMemory } from './lib/child';
import { compileBench } from './lib/compile';
import { CaptureServer, runPhase, type PhaseResult } from './lib/load';
import { machineInfo, processCpuMs, processPeakRssMb, processRssMb } from './lib/machine';
import { max, mean, median, ms, percentile, range } from './lib/stats';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    turns: { type: 'string', default: '1000' },
    warmup: { type: 'string', default: '1000' },
    levels: { type: 'string', default: '1,10,50' },
    'warm-turns': { type: 'string', default: '1000' },
    'no-warmed': { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    'heap-prof': { type: 'boolean', default: false },
    only: { type: 'string' },
    candidate: { type: 'string' },
    'candidate-node-args': { type: 'string' },
    'max-minutes': { type: 'string', default: '40' },
    target: { type: 'string', default: '1.2' },
    'rss-turns': { type: 'string', default: '0' },
    'heap-detail': { type: 'boolean', default: false },
    'from-source': { type: 'boolean', default: false },
  },
});

const int = (name: string, v: string | undefined, min: number, maxValue: number): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > maxValue) throw new Error(`--${name} must be an integer from ${min} to ${maxValue}, not ${v}`);
  return n;
};
const rounds = int('rounds', args.rounds, 1, 20);
const turns = int('turns', args.turns, 10, 100_000);
const warmupTurns = int('warmup', args.warmup, 0, 100_000);
const levels = (args.levels ?? '').split(',').map((l) => int('levels', l.trim(), 1, 500));
const warmTurns = int('warm-turns', args['warm-turns'], 0, 200_000);
const warmed = !args['no-warmed'];
const maxMinutes = int('max-minutes', args['max-minutes'], 1, 240);

const repo = path.resolve(__dirname, '..');
const resultsDir = path.join(repo, 'bench', 'results');
const turnTimeoutMs = 10_000;
const phaseTimeoutMs = 180_000;
const messageText = 'status Bob Kelly';
const target = Number(args.target);
if (!(target >= 1)) throw new Error(`--target must be a ratio of at least 1, not ${args.target}`);
const rssTurns = int('rss-turns', args['rss-turns'], 0, 1_000_000);
const heapDetail = args['heap-detail'] ?? false;

type Variant = 'channel' | 'warmed';
interface BotSpec {
  name: string;
  label: string;
  entry: string;
  needsDataDir: boolean;
  replyOk(text: string): boolean;
  nodeArgs?: readonly string[];
}

/** The node flags of `npm run start:prod` ("node <flags> dist/src/main.js"): how Switchboard runs in production. */
function productionNodeArgs(): string[] {
  const scripts = (JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
  const words = (scripts['start:prod'] ?? '').trim().split(/\s+/);
  if (words[0] !== 'node' || words.at(-1) !== 'dist/src/main.js') throw new Error(`start:prod is not "node <flags> dist/src/main.js": ${scripts['start:prod']}`);
  return words.slice(1, -1);
}
const switchboardNodeArgs = productionNodeArgs();
const switchboardReply = (t: string) => t.startsWith('Bob Kelly: EnterpriseVoiceEnabled ');
const allBots: BotSpec[] = [
  { name: 'echo', label: 'echo bot (stock botbuilder)', entry: path.join(repo, 'bench', 'echo-bot.ts'), needsDataDir: false, replyOk: (t) => t === `Echo: ${messageText}` },
  { name: 'raw', label: 'raw node:http bot (one Connector call: the protocol floor)', entry: path.join(repo, 'bench', 'raw-bot.ts'), needsDataDir: false, replyOk: (t) => t === `Echo: ${messageText}` },
  { name: 'switchboard', label: 'Switchboard', entry: path.join(repo, 'bench', 'lib', 'switchboard-bot.ts'), needsDataDir: true, replyOk: switchboardReply, nodeArgs: switchboardNodeArgs },
];
/** The baselines every other bot is compared with. */
const baselines = new Set(['echo', 'raw']);
if (args.candidate) {
  const nodeArgs = args['candidate-node-args'] !== undefined ? args['candidate-node-args'].split(/\s+/).filter(Boolean) : switchboardNodeArgs;
  allBots.push({ name: 'candidate', label: `candidate (${args.candidate}${nodeArgs.length ? ` on node ${nodeArgs.join(' ')}` : ''})`, entry: path.resolve(args.candidate), needsDataDir: true, replyOk: switchboardReply, nodeArgs });
}
if (args.only !== undefined && !allBots.some((b) => b.name === args.only)) throw new Error(`--only must be one of ${allBots.map((b) => b.name).join(', ')}, not ${args.only}`);
const bots = allBots.filter((b) => !args.only || b.name === args.only);

interface PhaseRecord {
  bot: string;
  round: number;
  variant: Variant;
  level: number;
  n: number;
  p50: number;
  p99: number;
  mean: number;
  max: number;
  turnsPerSecond: number;
  newConnections: number;
  newConnectionP99: number;
  /** Share of the turns made by the busiest fifth of the conversations (0.2 when service is even). */
  busiestFifthShare: number;
  /** The median of each conversation's own p50: every conversation counts once, however many turns it made. */
  perConversationP50: number;
  botCpuMsPerTurn: number;
  loadCpuMsPerTurn: number;
  failures: number;
  firstFailure?: string;
  textMismatches: number;
  badStatus: number;
  timedOut: boolean;
}

const records: PhaseRecord[] = [];
/** 1-minute load average at the start and end of each round: how busy the shared machine was. */
const loads: { bot: string; round: number; start: number; end?: number }[] = [];
const problems: string[] = [];
const log = (line: string) => process.stderr.write(`${line}\n`);

function checkPhase(what: string, r: PhaseResult): void {
  if (r.failures) problems.push(`${what}: ${r.failures} turns failed (first: ${r.firstFailure})`);
  if (r.textMismatches) problems.push(`${what}: ${r.textMismatches} replies had unexpected text`);
  if (r.badStatus) problems.push(`${what}: ${r.badStatus} inbound POSTs not answered 200`);
  if (r.timedOut) problems.push(`${what}: phase hit its ${phaseTimeoutMs} ms limit`);
}

function fairness(r: PhaseResult): Pick<PhaseRecord, 'busiestFifthShare' | 'perConversationP50'> {
  const served = r.byConversation.filter((l) => l.length > 0);
  const counts = r.byConversation.map((l) => l.length).sort((a, b) => b - a);
  const fifth = Math.max(1, Math.round(counts.length / 5));
  const total = counts.reduce((a, b) => a + b, 0);
  return {
    busiestFifthShare: total ? counts.slice(0, fifth).reduce((a, b) => a + b, 0) / total : NaN,
    perConversationP50: served.length ? percentile(served.map((l) => percentile(l, 50)), 50) : NaN,
  };
}

async function measured(bot: string, round: number, variant: Variant, pid: number, run: () => Promise<PhaseResult>): Promise<void> {
  const botCpu0 = processCpuMs(pid);
  const loadCpu0 = process.cpuUsage();
  const r = await run();
  const botCpu1 = processCpuMs(pid);
  const loadCpu = process.cpuUsage(loadCpu0);
  const n = r.latencies.length;
  const rec: PhaseRecord = {
    bot, round, variant, level: r.concurrency, n,
    p50: percentile(r.latencies, 50), p99: percentile(r.latencies, 99), mean: mean(r.latencies), max: max(r.latencies),
    turnsPerSecond: (n * 1000) / r.wallMs,
    newConnections: r.newConnections, newConnectionP99: percentile(r.newConnectionLatencies, 99),
    ...fairness(r),
    botCpuMsPerTurn: botCpu0 !== undefined && botCpu1 !== undefined ? (botCpu1 - botCpu0) / Math.max(1, n) : NaN,
    loadCpuMsPerTurn: (loadCpu.user + loadCpu.system) / 1000 / Math.max(1, n),
    failures: r.failures, ...(r.firstFailure ? { firstFailure: r.firstFailure } : {}),
    textMismatches: r.textMismatches, badStatus: r.badStatus, timedOut: r.timedOut,
  };
  records.push(rec);
  checkPhase(`${bot} round ${round} ${variant} conc ${rec.level}`, r);
  log(`  ${variant.padEnd(7)} conc ${String(rec.level).padStart(3)}: p50 ${ms(rec.p50)} p99 ${ms(rec.p99)} max ${ms(rec.max)} ms, ${rec.turnsPerSecond.toFixed(0)} turns/s, ${rec.newConnections} new conns, busiest fifth ${(rec.busiestFifthShare * 100).toFixed(0)} % of turns, p50 per conversation ${ms(rec.perConversationP50)} ms, bot CPU ${rec.botCpuMsPerTurn.toFixed(2)} ms/turn`);
}

async function runRound(spec: BotSpec, round: number, capture: CaptureServer): Promise<void> {
  const dataDir = spec.needsDataDir ? fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-bench-')) : undefined;
  // Idle connections are dropped after 4 s, before the bot's 5 s keep-alive timeout (Node's default, which
  // restify keeps) can close one just as a request goes out on it.
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, timeout: 4_000 });
  const profDir = args['cpu-prof'] ? path.join(resultsDir, 'profiles') : undefined;
  const load = { bot: spec.name, round, start: os.loadavg()[0]! };
  loads.push(load);
  log(`round ${round}: ${spec.label} (load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')})`);
  try {
    const child = await startBotChild({
      name: `${spec.name}-r${round}`,
      entry: spec.entry,
      ...(spec.nodeArgs ? { nodeArgs: spec.nodeArgs } : {}),
      env: { BENCH_CHILD_LIFETIME_MS: String(maxMinutes * 60_000), ...(dataDir ? { BENCH_DATA_DIR: dataDir } : {}) },
      ...(profDir ? { cpuProfDir: profDir } : {}),
      ...(args['heap-prof'] ? { heapProfDir: path.join(resultsDir, 'heap-profiles') } : {}),
    });
    const phase = (tag: string, concurrency: number, n: number) => () =>
      runPhase({ botUrl: child.url, capture, agent, concurrency, turns: n, tag: `${spec.name}-r${round}-${tag}`, text: messageText, replyOk: spec.replyOk, turnTimeoutMs, phaseTimeoutMs });
    try {
      if (warmupTurns) {
        const w = await phase('warmup', 1, warmupTurns)();
        checkPhase(`${spec.name} round ${round} warm-up`, w);
        log(`  warm-up: ${w.latencies.length} sequential turns, p50 ${ms(percentile(w.latencies, 50))} ms, ${w.newConnections} new conns`);
      }
      // A level may be listed twice (--levels 1,50,1): its turns need ids of their own, or the bot answers them as re-sent.
      for (const [i, level] of levels.entries()) await measured(spec.name, round, 'channel', child.pid, phase(`c${level}-${i}`, level, turns));
      if (warmed) {
        for (const [i, level] of levels.entries()) {
          if (warmTurns) checkPhase(`${spec.name} round ${round} warmed conc ${level} warm-up`, await phase(`w${level}-${i}-pre`, level, warmTurns)());
          await measured(spec.name, round, 'warmed', child.pid, phase(`w${level}-${i}`, level, turns));
        }
      }
    } catch (err) {
      problems.push(`${spec.name} round ${round}: ${err instanceof Error ? err.message : String(err)}\n${child.stderr()}`);
    } finally {
      await child.stop();
    }
  } catch (err) {
    problems.push(`${spec.name} round ${round}: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    agent.destroy();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    Object.assign(load, { end: os.loadavg()[0]! });
  }
}

function values(bot: string, variant: Variant, level: number, pick: (r: PhaseRecord) => number): number[] {
  return records.filter((r) => r.bot === bot && r.variant === variant && r.level === level).map(pick);
}

/** The subject's ratio to the echo bot in each round (rounds are interleaved, so each pair shares its moment). */
function roundRatios(variant: Variant, subject: string, level: number, pick: (r: PhaseRecord) => number): number[] {
  const ratios: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    const e = records.find((r) => r.bot === 'echo' && r.variant === variant && r.level === level && r.round === round);
    const b = records.find((r) => r.bot === subject && r.variant === variant && r.level === level && r.round === round);
    if (e && b) ratios.push(pick(b) / pick(e));
  }
  return ratios;
}

function table(variant: Variant, subject: BotSpec): { lines: string[]; pass: boolean } {
  const name = subject.name === 'switchboard' ? 'Switchboard' : subject.name;
  const hasRaw = bots.some((b) => b.name === 'raw');
  const lines = [
    `| conc | echo p50 | ${name} p50 | ratio p50 (worst round) | echo p99 | ${name} p99 | ratio p99 (worst round) |${hasRaw ? ' raw p99 | p99 / raw |' : ''} within ${target}x in every round |`,
    `|---:|---:|---:|---:|---:|---:|---:|${hasRaw ? '---:|---:|' : ''}:---|`,
  ];
  let pass = true;
  for (const level of levels) {
    const e50 = values('echo', variant, level, (r) => r.p50);
    const s50 = values(subject.name, variant, level, (r) => r.p50);
    const e99 = values('echo', variant, level, (r) => r.p99);
    const s99 = values(subject.name, variant, level, (r) => r.p99);
    const r50 = median(s50) / median(e50);
    const r99 = median(s99) / median(e99);
    const w50 = Math.max(...roundRatios(variant, subject.name, level, (r) => r.p50));
    const w99 = Math.max(...roundRatios(variant, subject.name, level, (r) => r.p99));
    const ok50 = w50 <= target;
    const ok99 = w99 <= target;
    pass &&= ok50 && ok99;
    const misses = [!ok50 ? `p50 ${w50.toFixed(2)}x in a round` : '', !ok99 ? `p99 ${w99.toFixed(2)}x in a round` : ''].filter(Boolean).join(', ');
    const fmt = (v: number[]) => `${ms(median(v))} (${range(v)})`;
    const raw99 = values('raw', variant, level, (r) => r.p99);
    const floor = hasRaw ? ` ${fmt(raw99)} | ${(median(s99) / median(raw99)).toFixed(2)} |` : '';
    lines.push(`| ${level} | ${fmt(e50)} | ${fmt(s50)} | ${r50.toFixed(2)} (${w50.toFixed(2)}) | ${fmt(e99)} | ${fmt(s99)} | ${r99.toFixed(2)} (${w99.toFixed(2)}) |${floor} ${misses ? `no: ${misses}` : 'yes'} |`);
  }
  return { lines, pass };
}

/**
 * Memory after many turns: a fresh process per bot, `rssTurns` turns at the highest level in blocks of
 * 10,000, RSS read from /proc after each block (and the high-water mark at the end).
 */
async function memoryRun(capture: CaptureServer): Promise<string[]> {
  const level = Math.max(...levels);
  const block = Math.min(10_000, rssTurns);
  const rows: { bot: string; samples: { turns: number; rss: number; heap?: ChildMemory }[]; peak: number }[] = [];
  for (const spec of allBots.filter((b) => b.name === 'echo' || b.name === 'switchboard' || b.name === 'candidate')) {
    const dataDir = spec.needsDataDir ? fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-bench-')) : undefined;
    const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, timeout: 4_000 });
    const child = await startBotChild({ name: `${spec.name}-rss`, entry: spec.entry, exposeGc: heapDetail, ...(spec.nodeArgs ? { nodeArgs: spec.nodeArgs } : {}), env: { BENCH_CHILD_LIFETIME_MS: String(maxMinutes * 60_000), ...(dataDir ? { BENCH_DATA_DIR: dataDir } : {}) } });
    const samples: { turns: number; rss: number; heap?: ChildMemory }[] = [];
    try {
      for (let done = 0; done < rssTurns; done += block) {
        const r = await runPhase({ botUrl: child.url, capture, agent, concurrency: level, turns: block, tag: `${spec.name}-rss-${done}`, text: messageText, replyOk: spec.replyOk, turnTimeoutMs, phaseTimeoutMs: phaseTimeoutMs * 4 });
        checkPhase(`${spec.name} memory run after ${done} turns`, r);
        const rss = processRssMb(child.pid) ?? NaN;
        const heap = heapDetail ? await child.memory() : undefined;
        samples.push({ turns: done + block, rss, ...(heap ? { heap } : {}) });
        const detail = heap ? `; after a full GC: JS heap ${heap.heapUsed.toFixed(0)} MB live of ${heap.heapTotal.toFixed(0)} MB, external ${heap.external.toFixed(0)} MB, RSS ${heap.rss.toFixed(0)} MB; spaces held/live ${Object.entries(heap.spaces).filter(([, v]) => v.size >= 1).map(([k, v]) => `${k} ${v.size.toFixed(0)}/${v.used.toFixed(0)}`).join(', ')}` : '';
        log(`  ${spec.name}: ${done + block} turns at ${level} conversations, RSS ${rss.toFixed(0)} MB${detail}`);
      }
      rows.push({ bot: spec.name, samples, peak: processPeakRssMb(child.pid) ?? NaN });
    } finally {
      await child.stop();
      agent.destroy();
      if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }
  const echo = rows.find((r) => r.bot === 'echo');
  const sb = rows.find((r) => r.bot === 'switchboard');
  const out = ['', `Memory: RSS in MB after each block of ${block.toLocaleString('en-US')} turns at ${level} conversations, a fresh process per bot:`, `| bot | ${(sb ?? echo)!.samples.map((x) => `${x.turns.toLocaleString('en-US')} turns`).join(' | ')} | high-water |`, `|---|${(sb ?? echo)!.samples.map(() => '---:').join('|')}|---:|`];
  for (const r of rows) out.push(`| ${r.bot} | ${r.samples.map((x) => x.rss.toFixed(0)).join(' | ')} | ${r.peak.toFixed(0)} |`);
  if (echo && sb) {
    const last = (r: typeof echo) => r.samples.at(-1)!.rss;
    const first = (r: typeof echo) => r.samples[0]!.rss;
    const cand = rows.find((r) => r.bot === 'candidate');
    if (cand) out.push(`Candidate / Switchboard after ${rssTurns.toLocaleString('en-US')} turns: ${(last(cand) / last(sb)).toFixed(2)}x.`);
    out.push(`Switchboard / echo after ${rssTurns.toLocaleString('en-US')} turns: ${(last(sb) / last(echo)).toFixed(2)}x (target 1.2x); Switchboard from ${sb.samples[0]!.turns.toLocaleString('en-US')} to ${rssTurns.toLocaleString('en-US')} turns: ${(last(sb) - first(sb) >= 0 ? '+' : '')}${(last(sb) - first(sb)).toFixed(0)} MB (${((last(sb) / first(sb) - 1) * 100).toFixed(0)}%), echo ${(last(echo) - first(echo) >= 0 ? '+' : '')}${(last(echo) - first(echo)).toFixed(0)} MB.`);
  }
  return out;
}

function diagnostics(): string[] {
  const lines = [
    '| bot | variant | conc | mean | max | turns/s | new inbound conns | p99 of turns sent on a new conn | turns by the busiest fifth of conversations | p50 per conversation | bot CPU/turn | load-generator CPU/turn |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const variant of (warmed ? ['channel', 'warmed'] : ['channel']) as Variant[]) {
    for (const bot of bots) {
      for (const level of levels) {
        const m = (pick: (r: PhaseRecord) => number) => median(values(bot.name, variant, level, pick));
        lines.push(`| ${bot.name} | ${variant} | ${level} | ${ms(m((r) => r.mean))} | ${ms(m((r) => r.max))} | ${m((r) => r.turnsPerSecond).toFixed(0)} | ${m((r) => r.newConnections)} | ${ms(m((r) => r.newConnectionP99))} | ${(m((r) => r.busiestFifthShare) * 100).toFixed(0)} % | ${ms(m((r) => r.perConversationP50))} | ${m((r) => r.botCpuMsPerTurn).toFixed(2)} ms | ${m((r) => r.loadCpuMsPerTurn).toFixed(2)} ms |`);
      }
    }
  }
  return lines;
}

/** The commit measured, and whether src/ differed from it (others may be editing the same tree). */
function codeVersion(): string {
  try {
    const git = (...a: string[]) => execFileSync('git', a, { cwd: repo, encoding: 'utf8', timeout: 10_000 });
    // Not trimmed: a porcelain line starts with its two status columns, the first often a space.
    const dirty = git('status', '--porcelain', '--', 'src').split('\n').filter(Boolean).map((l) => l.slice(3));
    return `commit ${git('rev-parse', '--short', 'HEAD').trim()}${dirty.length ? `, with uncommitted changes in ${dirty.join(', ')}` : ', src/ clean'}`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

async function main(): Promise<void> {
  const hardStop = setTimeout(() => {
    log(`benchmark exceeded --max-minutes ${maxMinutes}; killing the bots and exiting`);
    killAllChildren();
    process.exit(3);
  }, maxMinutes * 60_000);
  hardStop.unref();

  const machine = machineInfo();
  const code = codeVersion();
  // Every bot compiled, or every bot through tsx: never one of each.
  const build = args['from-source'] ? undefined : compileBench(args.candidate ? [args.candidate] : []);
  if (build) for (const spec of allBots) spec.entry = build.entry(spec.entry);
  const flags = switchboardNodeArgs.length ? `, Switchboard with start:prod's node flags (${switchboardNodeArgs.join(' ')})` : '';
  const how = build ? `each bot compiled with tsc and run on plain node, as the Dockerfile runs Switchboard${flags}` : `each bot run from its TypeScript through tsx, as \`npm start\` runs Switchboard${flags}`;
  const capture = new CaptureServer();
  await capture.start();
  const started = Date.now();
  log(`turn latency: ${bots.map((b) => b.name).join(', ')}; ${rounds} rounds each, ${turns} turns per level, levels ${levels.join(', ')}, warm-up ${warmupTurns} sequential turns${warmed ? `, warmed variant after ${warmTurns} unmeasured turns per level` : ''}`);
  let memory: string[] = [];
  try {
    for (let round = 1; round <= rounds; round++) {
      const order = round % 2 === 1 ? bots : [...bots].reverse();
      for (const bot of order) await runRound(bot, round, capture);
    }
    if (rssTurns) memory = await memoryRun(capture);
  } finally {
    await capture.stop();
    build?.remove();
  }
  const elapsedS = ((Date.now() - started) / 1000).toFixed(0);
  if (capture.unexpected) problems.push(`${capture.unexpected} replies reached the capture server that no turn was waiting for (late, or a second reply)`);

  const out: string[] = [];
  out.push(`Machine: ${machine.nproc} CPUs (${machine.cpuModel}), ${machine.memory} RAM, ${machine.platform}, Node ${machine.node} (libuv ${machine.libuv}), started ${machine.date}`);
  out.push(`Code: ${code}; ${how}.`);
  out.push(`Run: ${rounds} rounds per bot, order alternating each round, each round a fresh bot process and a fresh client keep-alive pool; ${turns} turns per level; ${elapsedS} s in all.`);
  out.push(`Warm-up: ${warmupTurns} sequential turns in one conversation at the start of each round, not measured; then the levels ${levels.join(' → ')} back to back, so each level opens the inbound connections it needs while it is measured.`);
  out.push(`1-minute load average at round start→end (the benchmark itself accounts for about 2): ${loads.map((l) => `${l.bot} r${l.round} ${l.start.toFixed(1)}→${l.end?.toFixed(1) ?? '?'}`).join(', ')}.`);
  out.push("Figures: median over rounds of each round's p50 / p99 in ms (range over rounds in brackets); ratio = bot / echo of those medians.");
  let verdict = '';
  const echo = bots.find((b) => b.name === 'echo');
  for (const subject of echo ? bots.filter((b) => !baselines.has(b.name)) : []) {
    const channel = table('channel', subject);
    out.push('', `${subject.label}, as a channel would see it (connection ramp-up included):`, ...channel.lines);
    let warm: ReturnType<typeof table> | undefined;
    if (warmed) {
      warm = table('warmed', subject);
      out.push('', `${subject.label}, warmed connections (each level measured right after ${warmTurns} unmeasured turns at the same concurrency on the same pool):`, ...warm.lines);
    }
    verdict += `\nVerdict for ${subject.label} (target: within ${target}x of the echo bot's p50 and p99 at every level, as a channel would see it): ${channel.pass ? 'MET' : 'MISSED'}${warm ? `; with warmed connections: ${warm.pass ? 'met' : 'missed'}` : ''}.`;
  }
  out.push('', 'Diagnostics (medians over rounds):', ...diagnostics(), ...memory);
  if (verdict) out.push(verdict);
  if (problems.length) out.push('', 'PROBLEMS (figures are not valid while these stand):', ...problems.map((p) => `- ${p}`));
  process.stdout.write(`${out.join('\n')}\n`);

  fs.mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `turn-latency-${machine.date.replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify({ machine, code, options: { rounds, turns, warmupTurns, levels, warmTurns: warmed ? warmTurns : 0, bots: bots.map((b) => ({ name: b.name, entry: path.relative(repo, b.entry) })) }, loads, records, problems }, null, 2));
  log(`raw figures: ${path.relative(repo, file)}`);
  process.exitCode = problems.length ? 1 : 0;
}

main().catch((err: unknown) => {
  log(err instanceof Error ? (err.stack ?? err.message) : String(err));
  killAllChildren();
  process.exit(1);
});
