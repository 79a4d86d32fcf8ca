/**
 * One warm pwsh process (node-powershell v5): started once, connected once, then reused for many commands.
 *
 * node-powershell's own invocationTimeout only stops waiting: the command keeps running in the child and the next
 * invoke reads its leftovers. So the timeout is ours, and on expiry the process (the real pwsh, whose pid the
 * connect script reports, and the launcher, which may be a `dotnet tool` shim) is killed with SIGKILL.
 */
import { PowerShell } from 'node-powershell';
import { z } from 'zod';
import { buildConnectScript, buildPingScript, newMarker, type ConnectPlan } from './script';
import { readEnvelope, UnparsableOutput, type Envelope } from './envelope';

export interface SessionOptions {
  pwshPath: string;
  env: NodeJS.ProcessEnv;
  plan: ConnectPlan;
  connectTimeoutMs: number;
}

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

  private constructor(private readonly options: SessionOptions) {
    this.ps = new PowerShell({
      executable: options.pwshPath,
      executableOptions: { '-NoProfile': true, '-NonInteractive': true, '-ExecutionPolicy': 'Bypass' },
      spawnOptions: { env: options.env },
      invocationTimeout: 0,
      throwOnInvocationError: false,
    });
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
    if (this.pid !== undefined && !this.closed) {
      try {
        process.kill(this.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    const disposed = this.ps.dispose('SIGKILL').catch(() => undefined);
    await Promise.race([disposed, new Promise((r) => setTimeout(r, 2000))]);
  }
}

export class ConnectFailure extends Error {
  constructor(message: string, readonly envelope: Envelope) {
    super(message);
  }
}
