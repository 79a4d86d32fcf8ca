/**
 * One warm pwsh process (node-powershell v5): started once, connected once, then reused for many commands.
 *
 * node-powershell's own invocationTimeout only stops waiting: the command keeps running in the child and the next
 * invoke reads its leftovers. So the timeout is ours, and on expiry the process (the real pwsh, whose pid the
 * connect script reports, and the launcher, which may be a `dotnet tool` shim) is killed with SIGKILL.
 */
import fs from 'node:fs';
import type { PowerShell, PowerShellOptions } from 'node-powershell';
import { z } from 'zod';
import { lazy } from '../../lazy';
import { buildConnectScript, buildPingScript, newMarker, type ConnectPlan } from './script';
import { readEnvelope, UnparsableOutput, type Envelope } from './envelope';
import { ownStartTime, procStat, watchdogScript, type SessionRegistry } from './orphans';

export interface SessionOptions {
  pwshPath: string;
  env: NodeJS.ProcessEnv;
  plan: ConnectPlan;
  connectTimeoutMs: number;
  /** Where live sessions are recorded for reapOrphans(); none in unit tests that do not need it. */
  registry?: SessionRegistry;
  /** How often the in-session watchdog checks that this bot process still runs. */
  watchdogPollMs?: number;
}

/** setsid gives each session its own process group; where it is missing, sessions share the bot's group. */
const setsidPath = ['/usr/bin/setsid', '/bin/setsid'].find((p) => {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
});

type GroupedOptions = PowerShellOptions & { groupedPwsh: string };

/**
 * node-powershell always spawns with detached: false and puts its own flags first, so the only way to get
 * `setsid <pwsh> <flags>` is to supply the executable (setsid) and prepend the pwsh path to its argument list.
 * setsid execs in place (the child is never a group leader), so the spawned pid is the launcher's.
 */
const shells = lazy(() => {
  // Loaded when the first session starts, so the simulated tenant never loads node-powershell (see ../../lazy).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { PowerShell: Shell } = require('node-powershell') as typeof import('node-powershell');
  class GroupedPowerShell extends Shell {
    protected override setExecutable(): string {
      return setsidPath!;
    }
  }
  Object.defineProperty(GroupedPowerShell.prototype, 'setExecutableOptions', {
    value(this: PowerShell, options: GroupedOptions): string[] {
      // The base Shell's builder, found through the prototype chain (child-shell is node-powershell's own dependency).
      const shellProto = Object.getPrototypeOf(Shell.prototype) as { setExecutableOptions(o: GroupedOptions): string[] };
      const base = shellProto.setExecutableOptions.call(this, options);
      return [options.groupedPwsh, ...base];
    },
  });
  return { PowerShell: Shell, GroupedPowerShell };
});

const WatchdogResult = z.object({ pid: z.number().int().positive(), pgid: z.number().int().nonnegative() });

/** The session cannot be trusted any more: it was killed, it died, or it printed something unreadable. */
export class SessionFailure extends Error {
  constructor(readonly kind: 'timeout' | 'crashed' | 'unparsable', message: string) {
    super(message);
  }
}

const ConnectResult = z.object({ pid: z.number().int(), version: z.string() });

export class PwshSession {
  private static counter = 0;
  readonly serial = ++PwshSession.counter;
  pid: number | undefined;
  moduleVersion = '';
  commands = 0;
  connects = 0;
  lastUsedAt = Date.now();
  private dead = false;
  /** stdout closed: the process is gone, so its pid may already belong to someone else. */
  private closed = false;
  private readonly ps: PowerShell;
  private readonly exited: Promise<void>;

  /** The session's own process group (its launcher's pid), when setsid made one. */
  pgid: number | undefined;
  private registered: number | undefined;

  private constructor(private readonly options: SessionOptions) {
    const psOptions: PowerShellOptions = {
      executable: options.pwshPath,
      executableOptions: { '-NoProfile': true, '-NonInteractive': true, '-ExecutionPolicy': 'Bypass' },
      spawnOptions: { env: options.env },
      invocationTimeout: 0,
      throwOnInvocationError: false,
    };
    const { PowerShell: Shell, GroupedPowerShell } = shells();
    this.ps = setsidPath ? new GroupedPowerShell({ ...psOptions, groupedPwsh: options.pwshPath } as GroupedOptions) : new Shell(psOptions);
    // A write to a dead process's stdin must not become an unhandled 'error' event that takes Node down.
    this.ps.streams.stdin.on('error', () => undefined);
    this.exited = new Promise((resolve) => this.ps.streams.stdout.once('close', () => resolve()));
    void this.exited.then(() => {
      this.dead = true;
      this.closed = true;
    });
  }

  static async start(options: SessionOptions): Promise<PwshSession> {
    const session = new PwshSession(options);
    try {
      await session.startWatchdog();
      await session.connect();
      return session;
    } catch (err) {
      await session.kill();
      throw err;
    }
  }

  get id(): string {
    return `pwsh-${this.pid ?? `starting${this.serial}`}`;
  }

  get alive(): boolean {
    return !this.dead;
  }

  /** Starts the in-session watchdog on this bot process and records the session before any command runs. */
  private async startWatchdog(): Promise<void> {
    const marker = newMarker();
    const script = watchdogScript({ pid: process.pid, startTime: ownStartTime() }, marker, this.options.watchdogPollMs);
    const envelope = await this.invoke(script, marker, this.options.connectTimeoutMs);
    if (!envelope.ok) throw new SessionFailure('crashed', `the PowerShell watchdog did not start: ${envelope.error.message}`);
    const result = WatchdogResult.parse(envelope.output[0]);
    this.pid = result.pid;
    // Only a group of its own may be killed as a group: without setsid the group is the bot's.
    if (setsidPath && result.pgid > 0 && result.pgid !== procStat(process.pid)?.pgid) this.pgid = result.pgid;
    this.options.registry?.add({ pid: result.pid, ...(this.pgid ? { pgid: this.pgid } : {}) });
    this.registered = result.pid;
  }

  /** Runs the connect script (again, after a token lapsed). Resolves with nothing; throws with the cmdlet's error. */
  async connect(): Promise<void> {
    const marker = newMarker();
    const envelope = await this.invoke(buildConnectScript(this.options.plan, marker), marker, this.options.connectTimeoutMs);
    if (!envelope.ok) throw new ConnectFailure(envelope.error.message, envelope);
    const result = ConnectResult.parse(envelope.output[0]);
    this.pid = result.pid;
    this.moduleVersion = result.version;
    this.connects++;
  }

  async ping(timeoutMs: number): Promise<boolean> {
    try {
      const marker = newMarker();
      return (await this.invoke(buildPingScript(marker), marker, timeoutMs)).ok;
    } catch {
      return false;
    }
  }

  /** Sends one script and reads its envelope, or fails with a SessionFailure after which the session is dead. */
  async invoke(script: string, marker: string, timeoutMs: number): Promise<Envelope> {
    if (this.dead) throw new SessionFailure('crashed', `the PowerShell process ${this.id} is no longer running`);
    this.lastUsedAt = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    const invocation = this.ps.invoke(script).then(
      (r) => ({ stdout: r.stdout?.toString('utf8') ?? '' }),
      (e: unknown) => ({ error: e }),
    );
    const outcome = await Promise.race([invocation, timedOut, this.exited.then(() => 'exited' as const)]);
    clearTimeout(timer);
    // node-powershell keeps every command (the connect script carries the certificate password) in an
    // unbounded in-memory history; keep none of it.
    (this.ps as unknown as { history: unknown[] }).history.length = 0;
    if (outcome === 'timeout') {
      await this.kill();
      throw new SessionFailure('timeout', `no answer within ${Math.round(timeoutMs / 100) / 10} s; PowerShell process ${this.id} was killed`);
    }
    if (outcome === 'exited' || 'error' in outcome) {
      await this.kill();
      throw new SessionFailure('crashed', `the PowerShell process ${this.id} exited while running the command`);
    }
    try {
      return readEnvelope(outcome.stdout, marker);
    } catch (err) {
      // The output may be unreadable because the process just died; give the exit a moment to be observed.
      const exited = await Promise.race([this.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 100))]);
      await this.kill();
      if (exited) throw new SessionFailure('crashed', `the PowerShell process ${this.id} exited while running the command`);
      throw new SessionFailure('unparsable', err instanceof UnparsableOutput ? err.message : String(err));
    }
  }

  /** SIGKILL for the real pwsh and its launcher; bounded, never throws. */
  async kill(): Promise<void> {
    this.dead = true;
    if (!this.closed) {
      for (const target of [this.pgid === undefined ? undefined : -this.pgid, this.pid]) {
        if (target === undefined) continue;
        try {
          process.kill(target, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    const disposed = this.ps.dispose('SIGKILL').catch(() => undefined);
    await Promise.race([disposed, new Promise((r) => setTimeout(r, 2000))]);
    if (this.registered !== undefined) this.options.registry?.remove(this.registered);
    this.registered = undefined;
  }
}

export class ConnectFailure extends Error {
  constructor(message: string, readonly envelope: Envelope) {
    super(message);
  }
}
