/**
 * What a card click may carry, parsed where it enters. Only the request id is trusted from an approval
 * click; who clicked comes from the authenticated activity, never from card data.
 */
import { z } from 'zod';
import type { CardJson } from '../model/people';

const RequestId = z.string().regex(/^R-[0-9A-HJKMNP-TV-Z]{8}$/, 'not a request id');
const Field = z.string().max(1000);

export const CardAction = z.discriminatedUnion('verb', [
  z.object({ verb: z.literal('approve'), requestId: RequestId, reason: Field.optional() }),
  z.object({ verb: z.literal('reject'), requestId: RequestId, reason: Field.optional() }),
  z.object({ verb: z.literal('replan'), requestId: RequestId }),
  // A CSV pasted into a form (bulk enable) is longer than any other field; the command caps its size.
  z.object({ verb: z.literal('submitRequest'), action: z.string().regex(/^[a-z-]{1,40}$/), csv: z.string().max(1024 * 1024).optional() }).catchall(z.union([Field, z.boolean(), z.number()]).transform(String)),
  z.object({ verb: z.literal('chooseUser'), action: z.string().regex(/^[a-z-]{1,40}$/) }).catchall(z.union([Field, z.boolean(), z.number()]).transform(String)),
]);
export type CardAction = z.infer<typeof CardAction>;

/** The answer to a click: a card that replaces the clicked one for the clicker, or a short message. */
export type CardActionResult = { card: CardJson; text?: undefined } | { text: string; card?: undefined };
