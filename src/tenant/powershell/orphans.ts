/**
 * No pwsh outlives the bot that started it. Three layers, because each covers a case the others miss:
 *  - an idle pwsh exits when its standard input closes (node died, the pipe's write end went with it);
 *  - a busy pwsh has a watchdog thread (watchdogScript) that polls the owning bot's pid and start time and
 *    kills its own process when the owner is gone;
 *  - every live session is recorded in DATA_DIR/pwsh-sessions.json with its owner, and reapOrphans() kills
 *    whatever a dead owner left behind (a watchdog that is stopped or stuck), and waits until it is gone,
 *    before recovery reads the tenant back.
 * Each session runs in its own process group (setsid), so a kill reaches the dotnet-tool launcher and the
 * real pwsh together.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

export const sessionsFileName = 'pwsh-sessions.json';

const SessionEntry = z.object({
  /** The real pwsh process (its $PID). */
  pid: z.number().int().positive(),
  /** Its start time in clock ticks since boot (/proc/<pid>/stat field 22): tells a reused pid apart. */
  startTime: z.string(),
  /** The session's own process group, when it has one (setsid); killing it reaches the launcher too. */
  pgid: z.number().int().positive().optional(),
  ownerPid: z.number().int().positive(),
  ownerStartTime: z.string(),
  startedAt: z.string(),
});
export type SessionEntry = z.infer<typeof SessionEntry>;
const SessionsFile = z.object({ sessions: z.array(SessionEntry) });

interface ProcStat {
  state: string;
  pgid: number;
  startTime: string;
}

/** Linux /proc/<pid>/stat, or undefined when the process does not exist. The name may hold spaces and ')'. */
export function procStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '?', pgid: Number(fields[2]), startTime: fields[19] ?? '' };
}

/** Whether the process that had this pid and start time still runs (a zombie does not). */
export function isRunning(pid: number, startTime: string): boolean {
  if (process.platform !== 'linux') {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
  const stat = procStat(pid);
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X' && stat.startTime === startTime;
}

/** This process's start time, as the watchdog and the sessions file compare it. */
export function ownStartTime(): string {
  return procStat(process.pid)?.startTime ?? '';
}

function readSessions(file: string): SessionEntry[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  try {
    const parsed = SessionsFile.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data.sessions : [];
  } catch {
    return [];
  }
}

function writeSessions(file: string, sessions: SessionEntry[]): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify({ sessions }, null, 1), { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/** The sessions file of one bot process. Written synchronously: a record must exist before a command is sent. */
export class SessionRegistry {
  readonly file: string;
  private readonly ownerStartTime = ownStartTime();

  constructor(dataDir: string) {
    fs.mkdirSync(dataDir, { recursive: true });
    this.file = path.join(dataDir, sessionsFileName);
  }

  add(session: { pid: number; pgid?: number }): void {
    const startTime = procStat(session.pid)?.startTime ?? '';
    const entry: SessionEntry = {
      pid: session.pid, startTime, ...(session.pgid ? { pgid: session.pgid } : {}),
      ownerPid: process.pid, ownerStartTime: this.ownerStartTime, startedAt: new Date().toISOString(),
    };
    writeSessions(this.file, [...readSessions(this.file).filter((s) => s.pid !== session.pid), entry]);
  }

  remove(pid: number): void {
    const sessions = readSessions(this.file);
    const kept = sessions.filter((s) => !(s.pid === pid && s.ownerPid === process.pid));
    if (kept.length !== sessions.length) writeSessions(this.file, kept);
  }
}

export interface ReapResult {
  /** pids of orphaned sessions that were killed and are gone. */
  reaped: number[];
  /** pids still running at the deadline (should never happen: SIGKILL also ends a stopped process). */
  survivors: number[];
}

/**
 * Kills every recorded pwsh session whose owning bot process is gone, and waits until each is gone.
 * Call at start-up, before recovery reads the tenant back: an orphan finishing an old command after the
 * read-back would undo a newer change with nothing in the audit.
 */
export async function reapOrphans(dataDir: string, options: { timeoutMs?: number } = {}): Promise<ReapResult> {
  const file = path.join(dataDir, sessionsFileName);
  const sessions = readSessions(file);
  const orphans = sessions.filter((s) => !isRunning(s.ownerPid, s.ownerStartTime));
  const live = orphans.filter((s) => isRunning(s.pid, s.startTime));
  for (const s of live) {
    // The group first (launcher and pwsh together), then the pid itself in case it left its group.
    if (s.pgid && s.pgid !== process.pid) signal(-s.pgid);
    signal(s.pid);
  }
  const deadline = Date.now() + (options.timeoutMs ?? 5000);
  let survivors = live.filter((s) => isRunning(s.pid, s.startTime));
  while (survivors.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
    survivors = survivors.filter((s) => isRunning(s.pid, s.startTime));
  }
  if (orphans.length > 0) {
    const gone = new Set(orphans.filter((s) => !survivors.includes(s)));
    // Re-read: sessions of live owners may have changed meanwhile.
    writeSessions(file, readSessions(file).filter((s) => ![...gone].some((g) => g.pid === s.pid && g.startTime === s.startTime)));
  }
  return { reaped: live.filter((s) => !survivors.includes(s)).map((s) => s.pid), survivors: survivors.map((s) => s.pid) };
}

function signal(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * The PowerShell that starts the watchdog: a second runspace (its own thread, so it runs while the main thread
 * is inside a hung cmdlet) that checks the owner every `pollMs` and kills this process when the owner has gone.
 * It reports the real pwsh pid and its process group.
 */
export function watchdogScript(owner: { pid: number; startTime: string }, marker: string, pollMs = 500): string {
  if (!Number.isInteger(owner.pid) || !/^\d*$/.test(owner.startTime) || !/^SBX[0-9a-f]{24}X$/.test(marker)) throw new Error('bad watchdog arguments');
  return (
    `& { $r = $null; try { ` +
    `$rs = [runspacefactory]::CreateRunspace(); $rs.Open(); $wd = [powershell]::Create(); $wd.Runspace = $rs; ` +
    `$null = $wd.AddScript({ param($owner, $ownerStart, $pollMs) ` +
    `function Test-Owner { if ([IO.File]::Exists('/proc/self/stat')) { try { $s = [IO.File]::ReadAllText("/proc/$owner/stat") } catch { return $false }; ` +
    `$f = $s.Substring($s.LastIndexOf(')') + 2).Split(' '); return ($f[0] -ne 'Z' -and $f[0] -ne 'X' -and $f[19] -eq $ownerStart) } ` +
    `try { return -not [Diagnostics.Process]::GetProcessById($owner).HasExited } catch { return $false } }; ` +
    `while (Test-Owner) { [Threading.Thread]::Sleep($pollMs) }; [Diagnostics.Process]::GetCurrentProcess().Kill() ` +
    `}).AddArgument(${owner.pid}).AddArgument('${owner.startTime}').AddArgument(${pollMs}); ` +
    `$global:SwitchboardWatchdog = @{ ps = $wd; handle = $wd.BeginInvoke() }; ` +
    `$pg = 0; if ([IO.File]::Exists('/proc/self/stat')) { $s = [IO.File]::ReadAllText('/proc/self/stat'); $pg = [int]$s.Substring($s.LastIndexOf(')') + 2).Split(' ')[2] }; ` +
    `$r = @{ ok = $true; output = @(@{ pid = $PID; pgid = $pg }) } } ` +
    `catch { $r = @{ ok = $false; error = @{ message = $_.Exception.Message } } }; ` +
    `[Console]::Out.WriteLine('${marker}' + (ConvertTo-Json -Compress -Depth 4 -InputObject $r) + '${marker}') }`
  );
}
