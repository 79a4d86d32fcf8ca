/**
 * Named fault points for the fault campaign (test/faults.test.ts, bench/faults.ts). With
 * SWITCHBOARD_FAULT=<name>[:<nth>] the process SIGKILLs itself the nth time (default the first) it reaches
 * the point called <name>: no handler runs, no buffer is flushed, exactly as the OOM killer would end it.
 * Without the variable every point is a no-op. The variable is read once, at the first point reached.
 */

export const faultPoints = ['after-decision', 'before-step', 'after-tenant-write', 'during-readback', 'during-card-update'] as const;
export type FaultPointName = (typeof faultPoints)[number];

/**
 * Bugs the campaign's checker must catch, planted only when SWITCHBOARD_PLANTED_BUG names one:
 * 'rerun-without-readback' makes recovery re-run the interrupted step without reading the tenant back.
 */
export type PlantedBug = 'rerun-without-readback';

interface Armed {
  name: string;
  nth: number;
}

let armed: Armed | null | undefined;
let hits = 0;

function parse(value: string | undefined): Armed | null {
  const m = /^([a-z-]+)(?::(\d+))?$/.exec(value?.trim() ?? '');
  if (!m || !(faultPoints as readonly string[]).includes(m[1]!)) return null;
  return { name: m[1]!, nth: Math.max(1, Number(m[2] ?? '1')) };
}

export function faultPoint(name: FaultPointName): void {
  if (armed === undefined) armed = parse(process.env.SWITCHBOARD_FAULT);
  if (!armed || armed.name !== name) return;
  if (++hits < armed.nth) return;
  process.kill(process.pid, 'SIGKILL');
}

export function plantedBug(bug: PlantedBug): boolean {
  return process.env.SWITCHBOARD_PLANTED_BUG === bug;
}
