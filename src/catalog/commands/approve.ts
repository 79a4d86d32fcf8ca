/** approve R-…: an approval typed as text, authorized exactly as a click on the card. */
import { z } from 'zod';
import { defineCommand } from '../command';

export const RequestId = z
  .string({ error: 'Which request? e.g. approve R-7K2M9QXA' })
  .trim()
  .toUpperCase()
  .regex(/^R-[0-9A-HJKMNP-TV-Z]{8}$/, 'A request id looks like R-7K2M9QXA.');

export const approve = defineCommand<{ requestId: string }>({
  id: 'approve',
  kind: 'decision',
  title: 'Approve',
  summary: 'Approve a request by its id, as the Approve button does.',
  usage: 'approve <request id>',
  examples: ['approve R-7K2M9QXA', 'Approve r-7k2m9qxa.', 'approve'],
  patterns: [/^approve(?:\s+(?:request\s+)?(?<requestId>\S+))?$/i],
  input: z.object({ requestId: RequestId }),
  required: ['requestId'],
  ask: { requestId: 'Which request? Type approve and its id, e.g. approve R-7K2M9QXA (pending lists them).' },
  audience: 'approvers',

  async run(ctx, input) {
    return ctx.decide(input.requestId, 'approve');
  },
});
