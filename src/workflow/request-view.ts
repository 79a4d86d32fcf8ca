/** Turns a request into the data its card template (cards/request.json) expects, and its results CSV. */
import { plainText, renderCard } from '../cards/render';
import type { Command } from '../catalog/command';
import type { CardJson } from '../model/people';
import type { VerificationItem } from '../model/plan';
import type { RequestRecord, RequestStatus, StepProgress } from '../model/request';
import type { BatchItemRecord } from '../store/store';
import { followPolicy } from './steps';

const statusText: Record<RequestStatus, { line: string; color: string }> = {
  pending: { line: 'Waiting for approval', color: 'Warning' },
  approved: { line: 'Approved: queued to run', color: 'Accent' },
  running: { line: 'Running in the tenant', color: 'Accent' },
  waiting: { line: 'Waiting on the tenant', color: 'Accent' },
  verified: { line: 'Done and verified', color: 'Good' },
  failed: { line: 'Failed', color: 'Attention' },
  rejected: { line: 'Rejected', color: 'Attention' },
  expired: { line: 'Expired without a decision', color: 'Attention' },
  stale: { line: 'Not run: the tenant changed after approval', color: 'Attention' },
  unknown: { line: 'Interrupted: outcome being checked', color: 'Warning' },
};

const riskText = { low: { word: 'Low', color: 'Good' }, medium: { word: 'Medium', color: 'Warning' }, high: { word: 'High', color: 'Attention' } } as const;

function when(iso: string | undefined): string {
  return iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, ' UTC').replace(/Z$/, ' UTC') : '';
}

const stepMark: Record<StepProgress['status'], string> = { pending: '○', running: '▶', done: '✅', failed: '❌' };

function stepLines(r: RequestRecord): { mark: string; title: string; line: string }[] {
  return r.plan.steps.map((step, i) => {
    const p = r.steps[i];
    let detail = '';
    if (step.kind === 'wait' && p?.polls) {
      detail = ` (checked ${p.polls} time${p.polls === 1 ? '' : 's'}${r.status === 'waiting' && r.position === i && r.nextRunAt ? `, next at ${when(r.nextRunAt)}` : ''}${p.waitStartedAt ? `, gives up at ${when(new Date(new Date(p.waitStartedAt).getTime() + step.deadlineMs).toISOString())}` : ''})`;
    } else if (step.kind === 'call' && p?.following) {
      const f = p.following;
      const next = r.status === 'waiting' && r.position === i && r.nextRunAt ? `, next look at ${when(r.nextRunAt)}` : '';
      detail = ` (accepted by ${f.operation.service}, still being carried out${f.operation.id ? `: operation ${f.operation.id}` : ''}; asked ${f.polls} time${f.polls === 1 ? '' : 's'}${next}, until ${when(new Date(new Date(f.since).getTime() + followPolicy.deadlineMs).toISOString())})`;
    }
    return { mark: stepMark[p?.status ?? 'pending'], title: `${i + 1}. ${step.title}${detail}`, line: p?.bound ?? r.plan.commands[i] ?? '' };
  });
}

export function requestCard(r: RequestRecord, command: Pick<Command, 'title'> & { risk?: 'low' | 'medium' | 'high' }, items?: readonly BatchItemRecord[]): CardJson {
  const status = statusText[r.status];
  let decision = '';
  if (r.decidedBy && r.status === 'rejected') decision = `Rejected by ${plainText(r.decidedBy.name)} at ${when(r.decidedAt)}: ${plainText(r.reason ?? '')}`;
  else if (r.decidedBy) decision = `Approved by ${plainText(r.decidedBy.name)} at ${when(r.decidedAt)}`;
  const verification = r.outcome?.verification ?? [];
  const final = r.status === 'verified' || r.status === 'failed';
  const statusLine = final ? `${status.line}${items ? '' : checksSummary(verification)}${r.outcome?.note ? ` (${r.outcome.note})` : ''}` : status.line;
  const risk = riskText[command.risk ?? 'low'];
  const batch = items ? batchView(items) : undefined;
  return renderCard('request', {
    id: r.id,
    title: command.title,
    target: plainText(r.plan.target),
    statusLine,
    statusColor: status.color,
    requester: plainText(r.requester.name),
    createdAt: when(r.createdAt),
    expiresAt: when(r.expiresAt),
    risk: `${risk.word} risk`,
    riskColor: risk.color,
    changes: r.plan.changes,
    hasChanges: r.plan.changes.length > 0,
    steps: stepLines(r),
    hasSteps: r.plan.steps.length > 0,
    notes: r.plan.notes.map((text) => ({ text: plainText(text) })),
    decision,
    hasVerification: verification.length > 0 && !items,
    verification: verification.map((v) => ({ ...v, mark: v.result === 'pass' ? '✅' : v.result === 'fail' ? '❌' : '⚠️' })),
    stale: (r.outcome?.stale ?? []).map((s) => ({ property: s.property, value: `approved against ${s.approved}, now ${s.now}` })),
    isStale: r.status === 'stale',
    error: r.outcome?.error ?? '',
    pending: r.status === 'pending',
    isBatch: Boolean(batch),
    batchSummary: batch?.summary ?? '',
    batchRows: batch?.rows ?? [],
  });
}

const shownRows = 25;

function batchView(items: readonly BatchItemRecord[]): { summary: string; rows: { label: string; value: string }[] } {
  const count = (s: BatchItemRecord['status']) => items.filter((i) => i.status === s).length;
  const ready = items.filter((i) => i.verdict === 'ready').length;
  const done = count('verified') + count('failed');
  const started = done > 0 || count('running') > 0;
  const parts = [`${items.length} rows: ${ready} to change, ${items.filter((i) => i.verdict === 'skip').length} already in the wanted state, ${items.filter((i) => i.verdict === 'error').length} in error.`];
  if (started) parts.push(`Progress: ${done} of ${ready} done (${count('verified')} verified, ${count('failed')} failed).`);
  // The card shows the rows that need a look first; the results CSV has every row.
  if (items.length > shownRows) parts.push(`Showing ${shownRows} of ${items.length} rows, errors first; the results CSV lists every row.`);
  const order = (i: BatchItemRecord) => (i.status === 'failed' || i.verdict === 'error' ? 0 : i.status === 'running' ? 1 : i.verdict === 'ready' ? 2 : 3);
  const rows = [...items].sort((a, b) => order(a) - order(b) || a.index - b.index).slice(0, shownRows).map((i) => ({ label: i.label, value: itemText(i) }));
  return { summary: parts.join(' '), rows };
}

function itemText(i: BatchItemRecord): string {
  if (i.verdict === 'error') return `❌ error: ${i.reason ?? 'not valid'}`;
  if (i.verdict === 'skip') return `➖ skip: ${i.reason ?? 'already in the wanted state'}`;
  if (i.status === 'verified') return '✅ verified';
  if (i.status === 'failed') return `❌ failed: ${i.result?.error ?? 'failed'}`;
  if (i.status === 'running') return '▶ running';
  return `○ ready: ${i.parts.flatMap((p) => p.plan.changes.map((c) => `${c.property} ${c.from} → ${c.to}`)).join(', ')}`;
}

/** One row per item: what was asked, the verdict, the result and the read-back. */
export function batchResultsCsv(items: readonly BatchItemRecord[]): string {
  const cell = (v: string) => (/[",\n\r]/.test(v) || /^[=+\-@\t]/.test(v) ? `"${(/^[=+\-@\t]/.test(v) ? `'${v}` : v).replace(/"/g, '""')}"` : v);
  const lines = [['row', 'user', 'verdict', 'result', 'detail'].join(',')];
  for (const i of items) {
    const result = i.verdict !== 'ready' ? i.verdict : i.status;
    const readBack = (i.result?.verification ?? []).map((v) => `${v.property}=${v.actual}`).join('; ');
    const detail = i.verdict !== 'ready' ? (i.reason ?? '') : (i.result?.error ?? `${readBack}${i.result?.note ? ` (${i.result.note})` : ''}`);
    lines.push([String(i.index + 1), i.key, i.verdict, result, detail].map(cell).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** ": 3 of 4 checks pass, 1 not reported by this module version" */
function checksSummary(items: readonly VerificationItem[]): string {
  if (!items.length) return '';
  const passed = items.filter((v) => v.result === 'pass').length;
  const unreported = items.filter((v) => v.result === 'not-reported').length;
  return `: ${passed} of ${items.length} checks pass${unreported ? `, ${unreported} not reported by this module version` : ''}`;
}

/** One line for the requester: "EnterpriseVoiceEnabled True, HostedVoiceMail True, VoicePolicy HybridVoice". */
export function verificationSummary(r: RequestRecord): string {
  const items = r.outcome?.verification ?? [];
  const facts = items.map((v) => `${v.property} ${v.result === 'not-reported' ? '(not reported by this module version)' : v.actual}${v.result === 'fail' ? ` (expected ${v.expected})` : ''}`).join(', ');
  if (r.status === 'stale') return `${r.id} did not run for ${r.plan.target}: ${r.outcome?.error ?? 'the tenant changed after approval'}`;
  if (r.status === 'verified') return `${r.id} done and verified for ${r.plan.target}: ${facts || r.outcome?.note || 'done'}.`;
  return `${r.id} failed for ${r.plan.target}: ${(r.outcome?.error ?? facts).replace(/\.$/, '')}.`;
}
