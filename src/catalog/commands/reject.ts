/** reject R-… <reason>: a rejection typed as text, authorized exactly as a click on the card. */
import { z } from 'zod';
import { defineCommand } from '../command';
import { RequestId } from './approve';

export const reject = defineCommand<{ requestId: string; reason: string }>({
  id: 'reject',
  kind: 'decision',
  title: 'Reject',
  summary: 'Reject a request by its id, with the reason the requester will read.',
  usage: 'reject <request id> <reason>',
  examples: ['reject R-7K2M9QXA wrong number, use the +1 425 range', 'reject R-7K2M9QXA'],
  patterns: [/^reject(?:\s+(?:request\s+)?(?<requestId>R-\S+))?(?:\s+(?:because\s+)?(?<reason>.+))?$/i],
  input: z.object({ requestId: RequestId, reason: z.string({ error: 'Give a reason to reject the request.' }).trim().min(1, 'Give a reason to reject the request.').max(500, 'A reason is at most 500 characters.') }),
  required: ['requestId', 'reason'],
  ask: { requestId: 'Which request? e.g. reject R-7K2M9QXA <reason>', reason: 'Give a reason to reject the request: reject R-7K2M9QXA <reason>.' },
  audience: 'approvers',

  async run(ctx, input) {
    return ctx.decide(input.requestId, 'reject', input.reason);
  },
});
