/** The parts of an incoming activity Switchboard relies on, parsed with zod where they enter. */
import { z } from 'zod';
import type { Actor, IncomingFile } from '../model/people';

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

/** Text files a message may carry: inline (text/csv) or, in a personal chat, a Teams file to download. */
const maxFileBytes = 1024 * 1024;
const Attachment = z.object({ contentType: z.string(), name: z.string().max(255).optional(), content: z.unknown().optional() });
const Attachments = z.array(Attachment);
const TeamsFileInfo = z.object({ downloadUrl: z.url(), fileType: z.string().optional() });

/**
 * Reads a message's text attachments (CSV for bulk work, a certificate for cert import). Teams gives a personal-chat file as a
 * short-lived download URL; it is fetched with a timeout and a size cap. Anything else is ignored.
 */
export async function readAttachments(activity: { attachments?: unknown }): Promise<IncomingFile[]> {
  // Most messages carry none; a schema is built once, not per message (zod compiles each on first use).
  if (activity.attachments === undefined || activity.attachments === null) return [];
  const list = Attachments.safeParse(activity.attachments);
  if (!list.success) return [];
  const files: IncomingFile[] = [];
  for (const a of list.data) {
    const name = a.name ?? 'attachment';
    // CSV for bulk work; a certificate (.cer, .pem, .crt, .p7b) for cert import.
    if (/^(text\/(csv|plain)|application\/(pkix-cert|x-x509-ca-cert|x-pem-file|x-pkcs7-certificates))$/i.test(a.contentType) && typeof a.content === 'string') {
      if (a.content.length <= maxFileBytes) files.push({ name, contentType: a.contentType.toLowerCase(), text: a.content });
      continue;
    }
    if (a.contentType === 'application/vnd.microsoft.teams.file.download.info') {
      const info = TeamsFileInfo.safeParse(a.content);
      if (!info.success) continue;
      try {
        const res = await fetch(info.data.downloadUrl, { signal: AbortSignal.timeout(10_000) });
        const bytes = res.ok ? Buffer.from(await res.arrayBuffer()) : Buffer.alloc(0);
        const certificate = /^(cer|crt|pem|der|p7b|p7c)$/i.test(info.data.fileType ?? '');
        // A DER file (an ASN.1 SEQUENCE, 0x30) is passed on as its Base-64: commands read text.
        const text = certificate && bytes[0] === 0x30 ? bytes.toString('base64') : bytes.toString('utf8');
        if (res.ok && bytes.length <= maxFileBytes) files.push({ name, contentType: certificate ? 'application/pkix-cert' : 'text/csv', text });
      } catch {
        // An unreachable or expired link is as if no file came; the command says what it needs.
      }
    }
  }
  return files;
}
