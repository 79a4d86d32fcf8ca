/**
 * history [<user>]: the audit log, newest first, with the state of its HMAC chain. Bounded work at any
 * size: the per-user query walks an index, and the chain is shown as verified through an entry (history
 * checks at most one checkpoint interval past it; the background verification does the rest). A
 * non-approver sees only entries of their own requests and their own acts.
 */
import { z } from 'zod';
import { renderCard } from '../../cards/render';
import type { AuditChainState, AuditEntry } from '../../store/store';
import { defineCommand } from '../command';
import { UserIdentity } from '../fields';

function historyLine(e: AuditEntry): string {
  const who = e.actor === 'system' ? 'Switchboard' : e.actor.name;
  const parts = [who, e.requestId, e.subject, e.code].filter(Boolean);
  const detail = e.detail ?? {};
  if (typeof detail.command === 'string') parts.push(detail.command);
  if (typeof detail.reason === 'string') parts.push(`reason: ${detail.reason}`);
  if (typeof detail.error === 'string') parts.push(detail.error);
  return parts.join(' · ');
}

const count = (n: number): string => n.toLocaleString('en-US');

export function chainLine(chain: AuditChainState): string {
  if (chain.state === 'broken') return `Audit chain BROKEN at entry ${count(chain.brokenAt)}: ${chain.reason}.`;
  if (chain.total === 0) return 'Audit chain empty.';
  const at = `${chain.at.slice(11, 16)} UTC`;
  const newer = chain.newer === 0 ? '' : `; ${count(chain.newer)} newer entr${chain.newer === 1 ? 'y' : 'ies'} not yet verified`;
  return `Audit chain verified through entry ${count(chain.through)} at ${at}${newer}.`;
}

export const history = defineCommand<{ user?: string }>({
  id: 'history',
  kind: 'check',
  title: 'History',
  summary: 'Show the audit log, for everyone or one user.',
  usage: 'history [<user>]',
  examples: ['history', 'history bob.kelly@contoso.com', 'history for Bob Kelly'],
  patterns: [/^(?:show\s+)?history(?:\s+(?:of|for)?\s*(?<user>.+))?$/i],
  input: z.object({ user: UserIdentity.optional() }),
  userField: 'user',
  required: [],
  audience: 'everyone',

  async run(ctx, input) {
    const subject = input.user?.toLowerCase();
    const own = !ctx.isApprover;
    const entries = await ctx.store.listAudit({ ...(subject ? { subject } : {}), ...(own ? { visibleTo: ctx.actor.id } : {}), limit: 15 });
    const chain = await ctx.store.auditState();
    const scope = own ? ' (your requests and actions)' : '';
    return {
      text: `${entries.length} audit entr${entries.length === 1 ? 'y' : 'ies'}${subject ? ` for ${subject}` : ''}${scope}.`,
      card: renderCard('history', {
        heading: `${subject ? `History of ${subject}` : 'History'}${scope}`,
        chain: chainLine(chain),
        entries: entries.map((e) => ({ seq: e.seq, at: e.at.slice(0, 19).replace('T', ' '), event: e.event, line: historyLine(e) })),
      }),
    };
  },
});
