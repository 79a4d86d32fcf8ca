/** The parts of an incoming activity Switchboard relies on, parsed with zod where they enter. */
import { z } from 'zod';
import type { Actor } from '../chat/ports';

export const ActivityIdentity = z.object({
  from: z.object({ id: z.string(), name: z.string().optional(), aadObjectId: z.string().min(1).optional() }).optional(),
  conversation: z.object({ id: z.string(), conversationType: z.string().optional(), tenantId: z.string().optional() }),
  channelData: z.object({ tenant: z.object({ id: z.string() }).optional() }).loose().optional(),
});

export interface ParsedIdentity {
  actor: Actor | undefined;
  tenantId: string | undefined;
  conversationId: string;
  personal: boolean;
}

/** The actor is the Entra object id the channel vouched for (from.aadObjectId); never a name. */
export function parseIdentity(activity: unknown): ParsedIdentity {
  const a = ActivityIdentity.parse(activity);
  const tenantId = a.channelData?.tenant?.id ?? a.conversation.tenantId;
  const aad = a.from?.aadObjectId;
  return {
    actor: aad ? { id: aad, name: a.from?.name ?? aad, tenantId: tenantId ?? '' } : undefined,
    tenantId,
    conversationId: a.conversation.id,
    personal: a.conversation.conversationType === undefined || a.conversation.conversationType === 'personal',
  };
}

/** Action.Execute invoke value: the verb and data of the clicked button (inputs merged in by Teams). */
export const ExecuteInvokeValue = z.object({
  action: z.object({ type: z.string(), verb: z.string().max(40), data: z.record(z.string(), z.unknown()).optional() }),
  trigger: z.string().optional(),
});
