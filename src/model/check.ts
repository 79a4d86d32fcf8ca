/** One line of a readiness report (network, certificates, tenant): what was checked, the verdict, what was seen, and what fixes it. */
export interface CheckItem {
  check: string;
  status: 'pass' | 'warn' | 'fail';
  evidence: string;
  /** A command or a step of the procedure, when the status is not pass. */
  fix?: string;
}

export type CheckStatus = CheckItem['status'];

/** The worst status of a list: fail over warn over pass. */
export function worst(items: CheckItem[]): CheckStatus {
  if (items.some((i) => i.status === 'fail')) return 'fail';
  if (items.some((i) => i.status === 'warn')) return 'warn';
  return 'pass';
}
