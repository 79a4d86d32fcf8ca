/**
 * Bots under benchmark run in child processes, so the load generator never shares their event loop.
 * Parent side: startBotChild() forks a TypeScript entry through tsx and waits for it to report its URL.
 * Child side: serveAsChild() starts the bot, reports the URL over IPC, and exits on 'stop', when the
 * parent goes away, or after a hard lifetime limit, whichever comes first.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export interface RunningBot {
  url: string;
  close(): Promise<void>;
}

type ToChild = { type: 'stop' };
type ToParent = { type: 'ready'; url: string } | { type: 'failed'; error: string };

/** Child side. `start` starts the bot on 127.0.0.1 and any free port. */
export function serveAsChild(name: string, start: () => Promise<RunningBot>): void {
  const lifetimeMs = Number(process.env.BENCH_CHILD_LIFETIME_MS ?? 30 * 60_000);
  const send = process.send?.bind(process);
  let bot: RunningBot | undefined;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    // Exit through process.exit so that --cpu-prof writes its profile.
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
  readyTimeoutMs?: number;
}): Promise<BotChild> {
  installHooks();
  const tsx = pathToFileURL(require.resolve('tsx')).href;
  const execArgv = ['--import', tsx];
  // One directory per child: tsx's module-hooks thread writes a profile of its own (thread id 1); the
  // main thread's is the one named CPU.<date>.<time>.<pid>.0.<seq>.cpuprofile.
  if (options.cpuProfDir) execArgv.push('--cpu-prof', '--cpu-prof-dir', path.join(options.cpuProfDir, options.name));
  const child = fork(path.resolve(options.entry), [], {
    execArgv,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  live.add(child);
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString('utf8')).slice(-8_000);
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
      else reject(new Error(`${options.name} failed to start: ${m.error}`));
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
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (child.connected) child.send({ type: 'stop' } satisfies ToChild);
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
