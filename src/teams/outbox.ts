/**
 * Messages outside a turn (card updates, notices), through CloudAdapter.continueConversationAsync, and the
 * throttle every Connector call goes through (in-turn replies too: it sits in the ConnectorClient pipeline).
 *
 * Teams limits a bot per conversation (7/1 s, 8/2 s, 60/30 s, 1800/h) and per app and tenant (about 50 RPS),
 * answering 429 with Retry-After past them (../shared/reference/reliability-notes.md F9). The SDK's own retry
 * policy re-POSTs a create on any 5xx or network error, which doubles a message the connector accepted
 * (F10, F11), so it is replaced by this one:
 *  - every request waits for room in its conversation's windows and the app-wide one, in order (sliding
 *    windows: a token bucket of N per window lets 2N through in one window);
 *  - 429 is retried for every method after Retry-After (the connector refused it: nothing was created), and
 *    holds the whole conversation back for that long;
 *  - 412/5xx and network errors are retried only for idempotent methods (PUT replaces the activity);
 *  - a create (POST) is otherwise retried only when the connection was refused, i.e. nothing was sent.
 */
import { CardFactory, MessageFactory, type CloudAdapter, type ConversationReference } from 'botbuilder';
import type { ChatOutbox, ConversationAddress, OutgoingMessage } from '../model/people';
import { SlidingWindow } from './token-bucket';

export function toActivity(message: OutgoingMessage) {
  const activity = message.card ? MessageFactory.attachment(CardFactory.adaptiveCard(message.card)) : MessageFactory.text(message.text ?? '');
  if (message.card && message.text) activity.text = message.text;
  // A small text file (a batch's results CSV) travels inline; the playground offers it as a download.
  if (message.file) activity.attachments = [...(activity.attachments ?? []), { contentType: message.file.contentType, name: message.file.name, content: message.file.text }];
  return activity;
}

export class TeamsOutbox implements ChatOutbox {
  constructor(
    private readonly adapter: CloudAdapter,
    private readonly appId: string,
  ) {}

  async send(to: ConversationAddress, message: OutgoingMessage): Promise<string | undefined> {
    let id: string | undefined;
    await this.adapter.continueConversationAsync(this.appId, to as Partial<ConversationReference>, async (ctx) => {
      id = (await ctx.sendActivity(toActivity(message)))?.id;
    });
    return id;
  }

  async update(to: ConversationAddress, activityId: string, message: OutgoingMessage): Promise<void> {
    await this.adapter.continueConversationAsync(this.appId, to as Partial<ConversationReference>, async (ctx) => {
      await ctx.updateActivity({ ...toActivity(message), id: activityId });
    });
  }
}

export interface OutboundLimits {
  /** Per conversation, every window at once. */
  conversation: { count: number; windowMs: number }[];
  /** For the whole app (Teams counts per app per tenant; one bucket for all is the safe side). */
  appPerSecond: number;
  /** Attempts per request, the first included. */
  attempts: number;
  /** A Retry-After longer than this is cut to it. */
  maxRetryAfterMs: number;
  /** Backoff for retries without Retry-After: base * 2^n, half fixed, half random. */
  backoffBaseMs: number;
  backoffMaxMs: number;
}

export const teamsOutboundLimits: OutboundLimits = {
  conversation: [
    { count: 7, windowMs: 1000 },
    { count: 8, windowMs: 2000 },
    { count: 60, windowMs: 30_000 },
    { count: 1800, windowMs: 3_600_000 },
  ],
  appPerSecond: 50,
  attempts: 6,
  maxRetryAfterMs: 60_000,
  backoffBaseMs: 1000,
  backoffMaxMs: 20_000,
};

/** The parts of @azure/core-rest-pipeline's request, response and policy this throttle uses. */
interface PipelineRequestLike {
  url: string;
  method: string;
}
interface PipelineResponseLike {
  status: number;
  headers: { get(name: string): string | undefined };
}
export interface PipelinePolicyLike {
  name: string;
  sendRequest(request: PipelineRequestLike, next: (request: PipelineRequestLike) => Promise<PipelineResponseLike>): Promise<PipelineResponseLike>;
}

const idempotent = new Set(['GET', 'PUT', 'DELETE', 'HEAD']);
const retryIfIdempotent = new Set([408, 412, 500, 502, 503, 504]);
const sleepFor = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class OutboundThrottle {
  private limits: OutboundLimits;
  private app!: SlidingWindow;
  private conversations = new Map<string, { buckets: SlidingWindow[]; queue: Promise<void>; blockedUntil: number }>();
  /** What happened, for tests and logs. */
  stats = { requests: 0, throttled429: 0, retried: 0 };
  /** Called as each request takes its place in the windows (tests check the windows at that instant, not on arrival). */
  onSend: ((conversationId: string, at: number) => void) | undefined;

  constructor(limits: OutboundLimits = teamsOutboundLimits) {
    this.limits = limits;
    this.configure(limits);
  }

  /** New limits and empty buckets (tests scale the limits; production keeps the Teams ones). */
  configure(limits: OutboundLimits): void {
    this.limits = limits;
    this.app = new SlidingWindow(limits.appPerSecond, 1000);
    this.conversations.clear();
    this.stats = { requests: 0, throttled429: 0, retried: 0 };
    this.onSend = undefined;
  }

  /**
   * Waits for a token from the conversation's buckets (in arrival order, so messages keep their order)
   * and from the app's bucket.
   */
  acquire(conversationId: string): Promise<void> {
    const c = this.conversation(conversationId);
    const turn = c.queue.then(async () => {
      for (;;) {
        const t = Date.now();
        const wait = Math.max(c.blockedUntil - t, this.app.waitMs(t), ...c.buckets.map((b) => b.waitMs(t)));
        if (wait <= 0) {
          this.app.tryTake(t);
          for (const b of c.buckets) b.tryTake(t);
          this.onSend?.(conversationId, t);
          return;
        }
        await sleepFor(wait);
      }
    });
    c.queue = turn.catch(() => undefined);
    return turn;
  }

  private conversation(id: string) {
    let c = this.conversations.get(id);
    if (!c) {
      if (this.conversations.size >= 10_000) {
        for (const [key, value] of this.conversations) if (value.buckets.every((b) => b.full)) this.conversations.delete(key);
      }
      c = { buckets: this.limits.conversation.map((w) => new SlidingWindow(w.count, w.windowMs)), queue: Promise.resolve(), blockedUntil: 0 };
      this.conversations.set(id, c);
    }
    return c;
  }

  /** The pipeline policy that takes the SDK retry policy's place. */
  policy(): PipelinePolicyLike {
    return {
      name: 'switchboardTeamsThrottle',
      sendRequest: async (request, next) => {
        const conversation = conversationOf(request.url);
        const repeatable = idempotent.has(request.method.toUpperCase());
        for (let attempt = 1; ; attempt++) {
          await this.acquire(conversation);
          this.stats.requests++;
          const last = attempt >= this.limits.attempts;
          let response: PipelineResponseLike;
          try {
            response = await next(request);
          } catch (err) {
            if (!last && (connectionRefused(err) || repeatable)) {
              this.stats.retried++;
              await sleepFor(this.backoff(attempt));
              continue;
            }
            throw err;
          }
          if (response.status === 429 && !last) {
            this.stats.throttled429++;
            this.stats.retried++;
            const wait = this.retryAfterMs(response) ?? this.backoff(attempt);
            const c = this.conversation(conversation);
            c.blockedUntil = Math.max(c.blockedUntil, Date.now() + wait);
            continue;
          }
          if (repeatable && retryIfIdempotent.has(response.status) && !last) {
            this.stats.retried++;
            await sleepFor(this.backoff(attempt));
            continue;
          }
          return response;
        }
      },
    };
  }

  private retryAfterMs(response: PipelineResponseLike): number | undefined {
    const header = response.headers.get('retry-after');
    if (header === undefined || header.trim() === '') return undefined;
    const seconds = Number(header);
    const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
    if (!Number.isFinite(ms)) return undefined;
    return Math.min(this.limits.maxRetryAfterMs, Math.max(0, ms));
  }

  private backoff(attempt: number): number {
    const exponential = Math.min(this.limits.backoffMaxMs, this.limits.backoffBaseMs * 2 ** (attempt - 1));
    return Math.round(exponential / 2 + Math.random() * (exponential / 2));
  }
}

function conversationOf(url: string): string {
  const raw = /\/v3\/conversations\/([^/?]+)/.exec(url)?.[1] ?? '';
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

function connectionRefused(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ECONNREFUSED';
}

/** The one throttle of this process: Teams counts per app, and one bot runs per process. */
export const outboundThrottle = new OutboundThrottle();

/** Puts the throttle where the SDK's retry policy was in a ConnectorClient's pipeline. */
export function throttleConnectorClient(client: unknown): void {
  const pipeline = (client as { client?: { pipeline?: { removePolicy(o: { name: string }): unknown; addPolicy(p: PipelinePolicyLike, o?: { phase?: string }): void } } }).client?.pipeline;
  if (!pipeline) throw new Error('ConnectorClient has no pipeline to throttle; botframework-connector changed shape.');
  pipeline.removePolicy({ name: 'defaultRetryPolicy' });
  pipeline.addPolicy(outboundThrottle.policy(), { phase: 'Retry' });
}
