/**
 * Bots under benchmark run in child processes, so the load generator never shares their event loop.
 * Parent side: startBotChild() forks an entry (TypeScript through tsx, or compiled JavaScript) and waits for it to report its URL.
 * Child side: serveAsChild() starts the bot, reports the URL over IPC, and exits on 'stop', when the
 * parent goes away, or after a hard lifetime limit, whichever comes first.
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import { pathToFileURL } from 'node:url';

export interface RunningBot {
  url: string;
  close(): Promise<void>;
}

type ToChild = { type: 'stop' } | { type: 'memory' };
type ToParent = { type: 'ready'; url: string } | { type: 'failed'; error: string } | { type: 'memory'; memory: ChildMemory };

/** Where a child's memory is, in MB, read right after a full garbage collection (so garbage is not counted). */
export interface ChildMemory {
  rss: number;
  /** Live JavaScript objects. */
  heapUsed: number;
  /** What V8 holds for its heap, live or not. */
  heapTotal: number;
  /** Memory outside the V8 heap that JavaScript objects own (Buffers, SQLite's is not counted here). */
  external: number;
  /** V8's heap spaces (new_space, old_space, code_space, large_object_space, ...): MB held and MB live. */
  spaces: Record<string, { size: number; used: number }>;
}

const mb = (bytes: number) => bytes / 1024 / 1024;

/** A full GC where the child was started with --expose-gc, then the figures. */
function readMemory(): ChildMemory {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((sp) => [sp.space_name, { size: mb(sp.space_size), used: mb(sp.space_used_size) }]));
  return { rss: mb(m.rss), heapUsed: mb(m.heapUsed), heapTotal: mb(m.heapTotal), external: mb(m.external), spaces };
}

/** Child side. `start` starts the bot on 127.0.0.1 and any free port. */
export function serveAsChild(name: string, start: () => Promise<RunningBot>): void {
  const lifetimeMs = Number(process.env.BENCH_CHILD_LIFETIME_MS ?? 30 * 60_000);
  const send = process.send?.bind(process);
  let bot: RunningBot | undefined;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    // Exit through process.exit so that --cpu-prof and --heap-prof write their profiles.
    const forced = setTimeout(() => process.exit(code), 5_000);
    forced.unref();
    try {
      await bot?.close();
    } catch {
      // Exiting anyway.
    }
    process.exit(code);
  };
  const lifetime = setTimeout(() => {
    process.stderr.write(`${name}: lifetime of ${lifetimeMs} ms reached, exiting\n`);
    void stop(2);
  }, lifetimeMs);
  lifetime.unref();

  if (!send) {
    // Run by hand: serve until Ctrl-C (or the lifetime limit).
    process.on('SIGINT', () => void stop(0));
    start().then(
      (b) => {
        bot = b;
        process.stdout.write(`${name} listening on ${b.url}/api/messages (Ctrl-C to stop)\n`);
      },
      (err: unknown) => {
        process.stderr.write(`${name} failed to start: ${String(err)}\n`);
        process.exit(1);
      },
    );
    return;
  }
  process.on('disconnect', () => void stop(0));
  process.on('message', (m: ToChild) => {
    if (m?.type === 'stop') void stop(0);
    if (m?.type === 'memory') send({ type: 'memory', memory: readMemory() } satisfies ToParent);
  });
  start().then(
    (b) => {
      bot = b;
      send({ type: 'ready', url: b.url } satisfies ToParent);
    },
    (err: unknown) => {
      send({ type: 'failed', error: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies ToParent, () => process.exit(1));
    },
  );
}

export interface BotChild {
  name: string;
  url: string;
  pid: number;
  /** Asks the child to close and exit; kills it if it has not exited within 10 s. */
  stop(): Promise<void>;
  /** The last few kB the child wrote to stderr. */
  stderr(): string;
  /** The child's heap and native memory after a full GC (only children started with `exposeGc`). */
  memory(): Promise<ChildMemory>;
}

const live = new Set<ChildProcess>();

/** Kills every child still running; installed once on exit and on SIGINT/SIGTERM. */
export function killAllChildren(): void {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  live.clear();
}

let hooksInstalled = false;
function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllChildren);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      killAllChildren();
      process.exit(130);
    });
  }
}

export async function startBotChild(options: {
  name: string;
  entry: string;
  env?: Record<string, string>;
  cpuProfDir?: string;
  /** A sampled heap profile (node --heap-prof) into <dir>/<name>/ at exit: what the bot still holds then. */
  heapProfDir?: string;
  readyTimeoutMs?: number;
  /** --expose-gc, so memory() can collect garbage before it reads (changes GC timing: memory runs only). */
  exposeGc?: boolean;
  /** node/V8 flags this bot runs with (Switchboard: those of `npm run start:prod`, as in production). */
  nodeArgs?: readonly string[];
}): Promise<BotChild> {
  installHooks();
  // A TypeScript entry runs through tsx; a compiled one (bench/lib/compile.ts) on plain node.
  const execArgv = options.entry.endsWith('.js') ? [] : ['--import', pathToFileURL(require.resolve('tsx')).href];
  // One directory per child: tsx's module-hooks thread writes a profile of its own (thread id 1); the
  // main thread's is the one named CPU.<date>.<time>.<pid>.0.<seq>.cpuprofile.
  if (options.exposeGc) execArgv.push('--expose-gc');
  execArgv.push(...(options.nodeArgs ?? []));
  // Extra node/V8 flags for every bot, e.g. BENCH_BOT_NODE_ARGS='--trace-gc-nvp' (stdout and stderr go to <name>.out
  // in BENCH_BOT_OUTPUT_DIR when that is set) or a GC setting being tried.
  execArgv.push(...(process.env.BENCH_BOT_NODE_ARGS ?? '').split(/\s+/).filter(Boolean));
  if (options.cpuProfDir) execArgv.push('--cpu-prof', '--cpu-prof-dir', path.join(options.cpuProfDir, options.name));
  if (options.heapProfDir) execArgv.push('--heap-prof', '--heap-prof-dir', path.join(options.heapProfDir, options.name));
  const child = fork(path.resolve(options.entry), [], {
    execArgv,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', process.env.BENCH_BOT_OUTPUT_DIR ? 'pipe' : 'ignore', 'pipe', 'ipc'],
  });
  live.add(child);
  let stderr = '';
  const outputFile = process.env.BENCH_BOT_OUTPUT_DIR ? path.join(process.env.BENCH_BOT_OUTPUT_DIR, `${options.name}.out`) : undefined;
  child.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString('utf8')).slice(-8_000);
    if (outputFile) fs.appendFileSync(outputFile, c);
  });
  // V8's traces (--trace-gc and the like) print to stdout.
  child.stdout?.on('data', (c: Buffer) => {
    if (outputFile) fs.appendFileSync(outputFile, c);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => {
    live.delete(child);
    resolve();
  }));

  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${options.name} did not start within ${readyTimeoutMs} ms\n${stderr}`)), readyTimeoutMs);
    child.on('message', (m: ToParent) => {
      clearTimeout(timer);
      if (m.type === 'ready') resolve(m.url);
      else if (m.type === 'failed') reject(new Error(`${options.name} failed to start: ${m.error}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${options.name} exited before it was ready (code ${code}, signal ${signal})\n${stderr}`));
    });
  }).catch((err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  });

  return {
    name: options.name,
    url,
    pid: child.pid!,
    stderr: () => stderr,
    memory: () =>
      new Promise<ChildMemory>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${options.name} did not report its memory within 10 s`)), 10_000);
        const onMessage = (m: ToParent) => {
          if (m.type !== 'memory') return;
          clearTimeout(timer);
          child.off('message', onMessage);
          resolve(m.memory);
        };
        child.on('message', onMessage);
        child.send({ type: 'memory' } satisfies ToChild);
      }),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (child.connected) child.send({ type: 'stop' } satisfies ToChild);
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
