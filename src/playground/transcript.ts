/**
 * What the playground's channel remembers: every message in each demo conversation, in order, with the
 * bot's updates applied in place, and the pages listening for changes (server-sent events).
 */
import type { ServerResponse } from 'node:http';

export interface PlaygroundAttachment {
  contentType: string;
  content?: unknown;
  contentUrl?: string;
  name?: string;
}

export interface PlaygroundMessage {
  id: string;
  conversationId: string;
  /** 'bot', or the demo identity's key. */
  from: string;
  fromName: string;
  timestamp: string;
  text?: string;
  attachments?: PlaygroundAttachment[];
  /** A card click sent as a message (Action.Submit). */
  value?: unknown;
  replyToId?: string;
  /** Set once the bot has replaced the message (PUT .../activities/{id}). */
  updatedAt?: string;
}

export type PlaygroundEvent = { op: 'add' | 'update'; message: PlaygroundMessage } | { op: 'reset' };

/** A conversation keeps its latest messages only; the playground is a demo, not an archive. */
const keepPerConversation = 500;

export class Transcript {
  private readonly byConversation = new Map<string, PlaygroundMessage[]>();
  private readonly listeners = new Set<ServerResponse>();
  private next = 1;

  newId(): string {
    return `pg-${Date.now().toString(36)}-${this.next++}`;
  }

  messages(conversationId: string): PlaygroundMessage[] {
    return this.byConversation.get(conversationId) ?? [];
  }

  all(): Record<string, PlaygroundMessage[]> {
    return Object.fromEntries(this.byConversation);
  }

  add(message: PlaygroundMessage): void {
    const list = this.byConversation.get(message.conversationId) ?? [];
    list.push(message);
    if (list.length > keepPerConversation) list.splice(0, list.length - keepPerConversation);
    this.byConversation.set(message.conversationId, list);
    this.emit({ op: 'add', message });
  }

  /** Replaces a message's content, keeping its place. False when the id is unknown in that conversation. */
  update(conversationId: string, id: string, change: Pick<PlaygroundMessage, 'text' | 'attachments'>): boolean {
    const list = this.byConversation.get(conversationId) ?? [];
    const index = list.findIndex((m) => m.id === id);
    if (index < 0) return false;
    const updated: PlaygroundMessage = { ...list[index]!, text: change.text, attachments: change.attachments, updatedAt: new Date().toISOString() };
    list[index] = updated;
    this.emit({ op: 'update', message: updated });
    return true;
  }

  clear(): void {
    this.byConversation.clear();
    this.emit({ op: 'reset' });
  }

  /** Streams every later change to this response as server-sent events until it closes. */
  listen(res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(': connected\n\n');
    this.listeners.add(res);
    // A comment line now and then keeps proxies and the browser from dropping an idle stream.
    const beat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    beat.unref();
    res.on('close', () => {
      clearInterval(beat);
      this.listeners.delete(res);
    });
  }

  /** Ends every open stream (at shutdown, so the server can close). */
  closeStreams(): void {
    for (const res of this.listeners) res.end();
    this.listeners.clear();
  }

  private emit(event: PlaygroundEvent): void {
    const frame = `data: ${JSON.stringify(event)}\n\n`;
    for (const res of this.listeners) res.write(frame);
  }
}
