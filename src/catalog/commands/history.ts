/** history [<user>]: the audit log, newest first, with the state of its hash chain. */
import { z } from 'zod';
import { renderCard } from '../../cards/render';
import type { AuditEntry } from '../../store/store';
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
    const entries = await ctx.store.listAudit({ ...(subject ? { subject } : {}), limit: 15 });
    const chain = await ctx.store.verifyAudit();
    return {
      text: `${entries.length} audit entr${entries.length === 1 ? 'y' : 'ies'}${subject ? ` for ${subject}` : ''}.`,
      card: renderCard('history', {
        heading: subject ? `History of ${subject}` : 'History',
        chain: chain.ok ? `Audit chain intact (${chain.entries} entries).` : `Audit chain BROKEN at entry ${chain.brokenAt}: ${chain.reason}.`,
        entries: entries.map((e) => ({ seq: e.seq, at: e.at.slice(0, 19).replace('T', ' '), event: e.event, line: historyLine(e) })),
      }),
    };
  },
});
