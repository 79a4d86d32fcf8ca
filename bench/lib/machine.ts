/** What machine a benchmark ran on, for the record. */
import fs from 'node:fs';
import os from 'node:os';

export interface MachineInfo {
  nproc: number;
  cpuModel: string;
  memory: string;
  node: string;
  libuv: string;
  platform: string;
  date: string;
}

export function machineInfo(): MachineInfo {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    const line = fs.readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name'));
    if (line) cpuModel = line.split(':').slice(1).join(':').trim();
  } catch {
    // Not Linux: os.cpus() it is.
  }
  return {
    nproc: os.availableParallelism(),
    cpuModel,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    node: process.version,
    libuv: process.versions.uv ?? 'unknown',
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    date: new Date().toISOString(),
  };
}

/** CPU time (user + system, ms) a process has used so far, from /proc; undefined where /proc is missing. */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15 (1-based).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / clockTicks;
  } catch {
    return undefined;
  }
}

/** USER_HZ: 100 on every Linux this runs on (getconf CLK_TCK). */
const clockTicks = 100;

/** A memory figure of a process in MB from /proc/<pid>/status: VmRSS (resident now) or VmHWM (its high-water mark). */
function statusMb(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const line = fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(`${field}:`));
    return line ? Number(line.replace(/\D+/g, ' ').trim().split(' ')[0]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

export const processRssMb = (pid: number) => statusMb(pid, 'VmRSS');
export const processPeakRssMb = (pid: number) => statusMb(pid, 'VmHWM');
