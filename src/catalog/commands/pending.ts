/** pending: open requests (an approver sees all of them, anyone else their own). */
import { z } from 'zod';
import { renderCard } from '../../cards/render';
import { openStatuses } from '../../model/request';
import { defineCommand } from '../command';

export const pending = defineCommand({
  id: 'pending',
  kind: 'check',
  title: 'Pending requests',
  summary: 'List open requests: waiting for approval, running or waiting on the tenant.',
  usage: 'pending',
  examples: ['pending', 'pending requests', 'show pending'],
  patterns: [/^(?:show\s+)?(?:pending|open)(?:\s+requests)?$/i],
  input: z.object({}),
  required: [],
  audience: 'everyone',

  async run(ctx) {
    const list = await ctx.store.listRequests({ statuses: openStatuses, ...(ctx.isApprover ? {} : { requesterId: ctx.actor.id }), limit: 25 });
    if (list.length === 0) return { text: ctx.isApprover ? 'Nothing is waiting.' : 'You have no open requests.' };
    const title = (id: string) => ctx.commands.find((c) => c.id === id)?.title ?? id;
    const requests = list.map((r) => ({ id: r.id, title: title(r.command), target: r.plan.target, status: r.status, requester: r.requester.name, expiresAt: r.expiresAt.slice(0, 16).replace('T', ' ') }));
    return {
      text: `${list.length} open request${list.length === 1 ? '' : 's'}: ${requests.map((r) => r.id).join(', ')}`,
      card: renderCard('pending', { heading: ctx.isApprover ? 'Open requests' : 'Your open requests', requests }),
    };
  },
});
