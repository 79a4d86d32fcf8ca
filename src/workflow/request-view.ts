/** Turns a request into the data its card template (cards/request.json) expects. */
import type { Action } from '../catalog/action';
import type { CardJson } from '../chat/ports';
import { renderCard } from '../cards/render';
import type { RequestRecord, RequestStatus, VerificationItem } from './request';

const statusText: Record<RequestStatus, { line: string; color: string }> = {
  pending: { line: 'Waiting for approval', color: 'Warning' },
  approved: { line: 'Approved: queued to run', color: 'Accent' },
  running: { line: 'Running in the tenant', color: 'Accent' },
  verified: { line: 'Done and verified', color: 'Good' },
  failed: { line: 'Failed', color: 'Attention' },
  rejected: { line: 'Rejected', color: 'Attention' },
  expired: { line: 'Expired without a decision', color: 'Attention' },
  unknown: { line: 'Interrupted: outcome being checked', color: 'Warning' },
};

function when(iso: string | undefined): string {
  return iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, ' UTC').replace(/Z$/, ' UTC') : '';
}

export function requestCard(r: RequestRecord, action: Pick<Action, 'title' | 'risk'>): CardJson {
  const status = statusText[r.status];
  let decision = '';
  if (r.decidedBy && r.status === 'rejected') decision = `Rejected by ${r.decidedBy.name} at ${when(r.decidedAt)}: ${r.reason ?? ''}`;
  else if (r.decidedBy) decision = `Approved by ${r.decidedBy.name} at ${when(r.decidedAt)}`;
  const verification = r.outcome?.verification ?? [];
  const statusLine = r.status === 'verified' || r.status === 'failed' ? `${status.line}${checksSummary(verification)}${r.outcome?.note ? ` (${r.outcome.note})` : ''}` : status.line;
  return renderCard('request', {
    id: r.id,
    title: action.title,
    target: r.plan.target,
    statusLine,
    statusColor: status.color,
    requester: r.requester.name,
    createdAt: when(r.createdAt),
    expiresAt: when(r.expiresAt),
    risk: action.risk,
    changes: r.plan.changes,
    commands: r.plan.commands.map((line) => ({ line })),
    notes: r.plan.notes.map((text) => ({ text })),
    decision,
    hasVerification: verification.length > 0,
    verification: verification.map((v) => ({ ...v, mark: v.result === 'pass' ? '✅' : v.result === 'fail' ? '❌' : '⚠️' })),
    error: r.outcome?.error ?? '',
    pending: r.status === 'pending',
  });
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
  if (r.status === 'verified') return `${r.id} done and verified for ${r.plan.target}: ${facts}.`;
  return `${r.id} failed for ${r.plan.target}: ${r.outcome?.error ?? facts}.`;
}
