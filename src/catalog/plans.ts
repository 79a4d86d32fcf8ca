/**
 * Building plans: steps checked against the allow-list when the plan is made, rendered as the
 * PowerShell lines the approver reads, with the locks the request holds while it is open.
 */
import type { Site } from '../model/inventory';
import type { CallStep, CertificateStep, Expectation, FromStep, Plan, PlannedChange, RecordStep, Step, WaitCondition, WaitStep } from '../model/plan';
import { cmdlets, isCmdletName, type CmdletName, type CmdletParams } from '../tenant/cmdlets';
import { psValue, renderCall } from '../tenant/render';

/** Checks a step's literal parameters (bound ones stand in as text) against the cmdlet's schema. */
function allowed(cmdlet: string, params: Record<string, unknown>, bind: Record<string, FromStep> = {}): void {
  if (!isCmdletName(cmdlet)) throw new Error(`Cmdlet ${cmdlet} is not on the allow-list.`);
  const standIns = Object.fromEntries(Object.keys(bind).map((k) => [k, `from-step-${bind[k]!.step}`]));
  cmdlets[cmdlet].params.parse({ ...params, ...standIns });
}

export function callStep<N extends CmdletName>(
  cmdlet: N,
  params: Partial<CmdletParams<N>>,
  options: { title: string; repeatSafe: boolean; bind?: Record<string, FromStep> },
): CallStep {
  const p = params as Record<string, unknown>;
  allowed(cmdlet, p, options.bind);
  return { kind: 'call', title: options.title, cmdlet, params: p, repeatSafe: options.repeatSafe, ...(options.bind ? { bind: options.bind } : {}) };
}

export function waitStep<N extends CmdletName>(
  cmdlet: N,
  params: CmdletParams<N>,
  options: { title: string; until: WaitCondition; deadlineMs: number; pollMs: { first: number; max: number }; onDeadline: string },
): WaitStep {
  if (cmdlets[cmdlet].effect !== 'read') throw new Error(`A wait step polls a read; ${cmdlet} changes the tenant.`);
  allowed(cmdlet, params as Record<string, unknown>);
  return { kind: 'wait', cmdlet, params: params as Record<string, unknown>, repeatSafe: true, ...options };
}

export function recordStep(site: Site, title: string): RecordStep {
  return { kind: 'record', title, site, repeatSafe: true };
}

function minutes(ms: number): string {
  return ms >= 60_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`;
}

/** The PowerShell line an approver reads for one step; bound parameters read "<from step N: Property>". */
export function renderStep(step: Step): string {
  switch (step.kind) {
    case 'call': {
      const line = renderCall({ cmdlet: step.cmdlet as CmdletName, params: step.params as never });
      const bound = Object.entries(step.bind ?? {}).map(([name, from]) => ` -${name} <from step ${from.step}: ${from.property}>`);
      return line + bound.join('');
    }
    case 'wait': {
      const read = renderCall({ cmdlet: step.cmdlet as CmdletName, params: step.params as never });
      const until = step.until.kind === 'found' ? 'returns the object' : `shows ${step.until.property} ${psValue(step.until.value)}`;
      return `# wait until ${read} ${until} (polled with backoff, up to ${minutes(step.deadlineMs)})`;
    }
    case 'record':
      return `# record site ${step.site.name} in Switchboard's site inventory`;
    case 'certificate':
      return {
        request: `# new 2048-bit RSA key for ${step.gateway} (kept encrypted by Switchboard) and a CSR with CN and DNS SAN ${step.gateway}, sent to you as ${step.gateway}.csr`,
        import: `# check the issued certificate against the key, ${step.gateway}, the Cloud Connector root and its dates, then a PFX with key and chain: a one-time link and its password, sent to you apart`,
        issue: `# new key and CSR for ${step.gateway}, signed by the lab CA Switchboard holds, then a PFX with key and chain: a one-time link and its password, sent to you apart`,
      }[step.operation];
  }
}

export function certificateStep(operation: CertificateStep['operation'], gateway: string, title: string, certificatePem?: string): CertificateStep {
  return { kind: 'certificate', title, operation, gateway, ...(certificatePem ? { certificatePem } : {}), repeatSafe: true };
}

/** A plan from its parts; locks default to one per changed property of the subject. */
export function makePlan(parts: {
  target: string;
  subject: string;
  changes: PlannedChange[];
  expectations: Expectation[];
  steps: Step[];
  notes?: string[];
  extraLocks?: string[];
}): Plan {
  return {
    target: parts.target,
    subject: parts.subject,
    changes: parts.changes,
    expectations: parts.expectations,
    steps: parts.steps,
    commands: parts.steps.map(renderStep),
    locks: [...new Set([...parts.changes.map((c) => `${parts.subject.toLowerCase()}|${c.property}`), ...(parts.extraLocks ?? [])])],
    notes: parts.notes ?? [],
  };
}

/** The lock that reserves a phone number for the request that names it. */
export function numberLock(telUri: string): string {
  return `number:${telUri.toLowerCase().replace(/;ext=.*$/, '')}`;
}
