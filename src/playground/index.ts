/**
 * The local playground (local mode only): a page at / where a person chats with the bot as in Teams,
 * as one of the demo identities. The page hands each message or card click to this server, which
 * sends it as the Teams channel would, to the real /api/messages, with a serviceUrl pointing back here;
 * the bot's replies and card updates arrive on the Connector endpoints below and are pushed to the page.
 * Everything it serves comes from this repository and node_modules: it works with no network.
 */
import fs from 'node:fs';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import type * as restify from 'restify';
import { z } from 'zod';
import type { Logger } from '../log';
import { demoConversations, demoIdentities, demoTenantId, identityByKey, sharedChannel, type DemoConversation, type DemoIdentity } from './identities';
import { Transcript, type PlaygroundAttachment } from './transcript';

/** Page assets: src/playground/page (copied next to the compiled file by the build). */
const pageDir = path.join(__dirname, 'page');
function pageAssets(): Record<string, { file: string; type: string }> {
  return {
    '/': { file: path.join(pageDir, 'index.html'), type: 'text/html; charset=utf-8' },
    '/playground/app.js': { file: path.join(pageDir, 'app.js'), type: 'text/javascript; charset=utf-8' },
    '/playground/host-config.js': { file: path.join(pageDir, 'host-config.js'), type: 'text/javascript; charset=utf-8' },
    '/playground/style.css': { file: path.join(pageDir, 'style.css'), type: 'text/css; charset=utf-8' },
    // The official renderer's browser bundle, straight from node_modules. Resolved only in local mode:
    // a production install without devDependencies has no adaptivecards and needs none.
    '/playground/adaptivecards.js': { file: require.resolve('adaptivecards/dist/adaptivecards.min.js'), type: 'text/javascript; charset=utf-8' },
  };
}

const botAccount = { id: '28:switchboard-playground', name: 'Switchboard' };
const fileDownloadInfo = 'application/vnd.microsoft.teams.file.download.info';

const Attachment = z.object({ contentType: z.string(), content: z.unknown().optional(), contentUrl: z.string().optional(), name: z.string().optional() });

/** What the page sends: a message (text, an Action.Submit value, a CSV file) or an Action.Execute click. */
export const PlaygroundSend = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('message'),
    identity: z.string(),
    conversationId: z.string(),
    text: z.string().max(4000).default(''),
    value: z.record(z.string(), z.unknown()).optional(),
    replyToId: z.string().max(200).optional(),
    file: z.object({ name: z.string().min(1).max(200), text: z.string().max(256 * 1024) }).optional(),
  }),
  z.object({
    kind: z.literal('invoke'),
    identity: z.string(),
    conversationId: z.string(),
    replyToId: z.string().max(200),
    actionId: z.string().max(200).optional(),
    verb: z.string().max(40),
    data: z.record(z.string(), z.unknown()).default({}),
  }),
]);
export type PlaygroundSend = z.infer<typeof PlaygroundSend>;

/** The part of a bot's Connector call the playground shows. */
const ConnectorActivity = z.object({ type: z.string().optional(), text: z.string().optional(), attachments: z.array(Attachment).optional(), replyToId: z.string().optional() }).loose();

export interface PlaygroundOptions {
  /** The server's own base URL, known once it listens. */
  selfUrl(): string;
  approverIds: readonly string[];
  allowedTenantIds: readonly string[];
  log: Logger;
}

export interface Playground {
  transcript: Transcript;
  close(): void;
}

function param(req: restify.Request, name: string): string {
  const raw = (req.params as Record<string, string | undefined>)[name] ?? '';
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

export function mountPlayground(server: restify.Server, options: PlaygroundOptions): Playground {
  const transcript = new Transcript();
  const files = new Map<string, { name: string; text: string }>();
  const tenantId = options.allowedTenantIds[0] ?? demoTenantId;
  const conversations = demoConversations();
  const serviceUrl = () => `${options.selfUrl()}/playground/`;

  for (const [route, asset] of Object.entries(pageAssets())) {
    server.get(route, (_req, res, next) => {
      fs.readFile(asset.file, (err, body) => {
        if (err) {
          sendJson(res, 500, { error: `playground asset missing: ${path.basename(asset.file)}` });
        } else {
          res.writeHead(200, {
            'content-type': asset.type,
            'cache-control': 'no-store',
            // Only this server's own scripts; the renderer sets inline styles, hence style-src 'unsafe-inline'.
            'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'",
          });
          res.end(body);
        }
        next();
      });
    });
  }

  server.get('/playground/state', (_req, res, next) => {
    sendJson(res, 200, {
      tenantId,
      identities: demoIdentities.map((i) => ({ ...i, isApprover: options.approverIds.some((a) => a.toLowerCase() === i.aadObjectId.toLowerCase()) })),
      conversations,
      messages: transcript.all(),
    });
    next();
  });

  server.get('/playground/events', (req, res, next) => {
    transcript.listen(res);
    // The stream is the response: the chain ends when the page goes away.
    req.on('close', () => {
      res.end();
      next();
    });
  });

  server.get('/playground/files/:id/:name', (req, res, next) => {
    const file = files.get(param(req, 'id'));
    if (!file) sendJson(res, 404, { error: 'no such file' });
    else {
      res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${file.name.replace(/[^\w.-]/g, '_')}"` });
      res.end(file.text);
    }
    next();
  });

  server.post('/playground/send', async (req, res) => {
    const parsed = PlaygroundSend.safeParse(req.body);
    if (!parsed.success) return sendJson(res, 400, { error: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
    const send = parsed.data;
    const identity = identityByKey(send.identity);
    const conversation = conversations.find((c) => c.id === send.conversationId);
    if (!identity || !conversation || !conversation.members.includes(identity.key)) {
      return sendJson(res, 400, { error: `${send.identity} is not in conversation ${send.conversationId}` });
    }
    const activity = teamsActivity(identity, conversation, send, { serviceUrl: serviceUrl(), tenantId, id: transcript.newId() }, (name, text) => {
      const id = transcript.newId();
      files.set(id, { name, text });
      return `${options.selfUrl()}/playground/files/${encodeURIComponent(id)}/${encodeURIComponent(name)}`;
    });
    if (send.kind === 'message') {
      transcript.add({
        id: String(activity.id), conversationId: conversation.id, from: identity.key, fromName: identity.name, timestamp: String(activity.timestamp),
        text: send.text, ...(send.value ? { value: send.value } : {}), ...(send.replyToId ? { replyToId: send.replyToId } : {}),
        ...(Array.isArray(activity.attachments) ? { attachments: activity.attachments as PlaygroundAttachment[] } : {}),
      });
    }
    try {
      const answer = await fetch(`${options.selfUrl()}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(activity) });
      const text = await answer.text();
      sendJson(res, 200, { status: answer.status, body: text ? (JSON.parse(text) as unknown) : null });
    } catch (err) {
      options.log.warn({ err }, 'playground could not reach /api/messages');
      sendJson(res, 502, { error: `could not reach the bot: ${(err as Error).message}` });
    }
  });

  // The Connector API the bot calls back on (the activities' serviceUrl), as Teams' service would answer it.
  const record = (req: restify.Request, res: ServerResponse, replyToId: string | undefined) => {
    const conversationId = param(req, 'conversationId');
    const body = ConnectorActivity.safeParse(req.body ?? {});
    if (!body.success) return sendJson(res, 400, { error: { code: 'BadArgument', message: 'not an activity' } });
    const id = transcript.newId();
    // Typing indicators, traces and the like are not shown.
    if ((body.data.type ?? 'message') === 'message') {
      transcript.add({
        id, conversationId, from: 'bot', fromName: botAccount.name, timestamp: new Date().toISOString(),
        ...(body.data.text ? { text: body.data.text } : {}), ...(body.data.attachments ? { attachments: body.data.attachments } : {}),
        ...(replyToId ?? body.data.replyToId ? { replyToId: replyToId ?? body.data.replyToId } : {}),
      });
    }
    sendJson(res, 200, { id });
  };
  server.post('/playground/v3/conversations/:conversationId/activities', (req, res, next) => {
    record(req, res, undefined);
    next();
  });
  server.post('/playground/v3/conversations/:conversationId/activities/:activityId', (req, res, next) => {
    record(req, res, param(req, 'activityId'));
    next();
  });
  server.put('/playground/v3/conversations/:conversationId/activities/:activityId', (req, res, next) => {
    const conversationId = param(req, 'conversationId');
    const activityId = param(req, 'activityId');
    const body = ConnectorActivity.safeParse(req.body ?? {});
    if (!body.success) sendJson(res, 400, { error: { code: 'BadArgument', message: 'not an activity' } });
    else if (!transcript.update(conversationId, activityId, { text: body.data.text, attachments: body.data.attachments })) {
      sendJson(res, 404, { error: { code: 'ActivityNotFoundInConversation', message: `no activity ${activityId} in ${conversationId}` } });
    } else sendJson(res, 200, { id: activityId });
    next();
  });

  return {
    transcript,
    close() {
      transcript.closeStreams();
    },
  };
}

/** The activity Teams would POST for this message or click. */
export function teamsActivity(
  identity: DemoIdentity,
  conversation: DemoConversation,
  send: PlaygroundSend,
  at: { serviceUrl: string; tenantId: string; id: string },
  storeFile: (name: string, text: string) => string,
): Record<string, unknown> {
  const now = new Date().toISOString();
  const channel = conversation.type === 'channel';
  const base: Record<string, unknown> = {
    channelId: 'msteams',
    id: at.id,
    timestamp: now,
    localTimestamp: now,
    locale: 'en-US',
    serviceUrl: at.serviceUrl,
    from: { id: identity.mri, name: identity.name, aadObjectId: identity.aadObjectId },
    recipient: botAccount,
    conversation: channel
      ? { id: conversation.id, conversationType: 'channel', isGroup: true, tenantId: at.tenantId, name: sharedChannel.name }
      : { id: conversation.id, conversationType: 'personal', tenantId: at.tenantId },
    channelData: {
      tenant: { id: at.tenantId },
      ...(channel ? { team: { id: sharedChannel.teamId, name: sharedChannel.teamName }, channel: { id: sharedChannel.id, name: sharedChannel.name } } : {}),
    },
  };
  if (send.kind === 'invoke') {
    return {
      ...base,
      type: 'invoke',
      name: 'adaptiveCard/action',
      replyToId: send.replyToId,
      value: { action: { type: 'Action.Execute', ...(send.actionId ? { id: send.actionId } : {}), verb: send.verb, data: send.data }, trigger: 'manual' },
    };
  }
  const message: Record<string, unknown> = { ...base, type: 'message', textFormat: 'plain', text: send.text };
  // In a channel the bot only hears messages that @mention it, and the text carries the mention.
  if (channel && send.text) {
    const mention = `<at>${botAccount.name}</at>`;
    message.text = `${mention} ${send.text}`;
    message.entities = [{ type: 'mention', text: mention, mentioned: botAccount }];
  }
  if (send.value) {
    message.value = send.value;
    if (send.replyToId) message.replyToId = send.replyToId;
  }
  if (send.file) {
    // As Teams delivers a file sent in a 1:1 chat: a download link, fetched by the bot.
    const url = storeFile(send.file.name, send.file.text);
    const fileType = path.extname(send.file.name).slice(1).toLowerCase() || 'csv';
    message.attachments = [{ contentType: fileDownloadInfo, contentUrl: url, name: send.file.name, content: { downloadUrl: url, uniqueId: url.split('/').at(-2), fileType } }];
  }
  return message;
}
