/**
 * What a POST to /api/messages must be before CloudAdapter sees it: JSON, authenticated (unless local mode),
 * a whole activity, one tenant, and within the sender's limits. Every refusal is one line with no SDK or
 * parser detail; why it was refused goes to the log only.
 */
import type { TurnContext } from 'botbuilder';
import type { Request } from 'restify';
import { z } from 'zod';
import type { Logger } from '../log';
import type { ChannelAuthenticator } from './auth';
import { KeyedBuckets, perWindow } from './token-bucket';

export type Admission =
  | { ok: false; status: 400 | 401 | 403 | 415 | 503; message: string }
  /** `limited`: the one-line answer the bot gives in chat instead of running the turn. */
  | { ok: true; activity: Record<string, unknown>; limited?: string };

export interface EdgeLimits {
  userMessagesPerMinute: number;
  userInvokesPerMinute: number;
  tenantPerMinute: number;
}

const ForAuth = z.object({
  serviceUrl: z.string().optional(),
  channelId: z.string().optional(),
  conversation: z.object({ tenantId: z.string().optional() }).loose().optional(),
  channelData: z.object({ tenant: z.object({ id: z.string().optional() }).loose().optional() }).loose().optional(),
}).loose();

const Account = z.object({ id: z.string().min(1) }).loose();
const WholeActivity = z.object({
  type: z.string().min(1),
  serviceUrl: z.string().min(1),
  conversation: z.object({ id: z.string().min(1), tenantId: z.string().optional() }).loose(),
  from: Account.extend({ aadObjectId: z.string().optional() }),
  recipient: Account,
  channelData: z.object({ tenant: z.object({ id: z.string() }).loose().optional() }).loose().optional(),
}).loose();

export class Edge {
  private readonly userMessages: KeyedBuckets;
  private readonly userInvokes: KeyedBuckets;
  private readonly tenants: KeyedBuckets;

  constructor(
    private readonly options: {
      log: Logger;
      limits: EdgeLimits;
      /** Absent in local mode only. */
      authenticator?: ChannelAuthenticator;
      vouch?: (activity: object, claims: Record<string, unknown>) => void;
      now?: () => number;
    },
  ) {
    const { limits, now } = options;
    const minute = (n: number) => perWindow(n, 60_000);
    this.userMessages = new KeyedBuckets(minute(limits.userMessagesPerMinute).capacity, minute(limits.userMessagesPerMinute).refillPerSecond, now);
    this.userInvokes = new KeyedBuckets(minute(limits.userInvokesPerMinute).capacity, minute(limits.userInvokesPerMinute).refillPerSecond, now);
    this.tenants = new KeyedBuckets(minute(limits.tenantPerMinute).capacity, minute(limits.tenantPerMinute).refillPerSecond, now);
  }

  async admit(req: Request): Promise<Admission> {
    const log = this.options.log;
    const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') return { ok: false, status: 415, message: 'Send the activity as application/json.' };
    const body: unknown = req.body;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) return { ok: false, status: 400, message: 'The body must be one JSON activity object.' };
    const activity = body as Record<string, unknown>;

    if (this.options.authenticator) {
      const seen = ForAuth.safeParse(activity);
      const a = seen.success ? seen.data : {};
      const outcome = await this.options.authenticator.authenticate(req.headers.authorization, {
        ...(a.serviceUrl !== undefined ? { serviceUrl: a.serviceUrl } : {}),
        ...(a.channelId !== undefined ? { channelId: a.channelId } : {}),
        ...(tenantOf(a) !== undefined ? { tenantId: tenantOf(a)! } : {}),
      });
      if (!outcome.ok) {
        log.warn({ reason: outcome.reason, status: outcome.status }, 'request refused by authentication');
        return outcome.status === 503
          ? { ok: false, status: 503, message: 'Authentication is unavailable right now; try again.' }
          : { ok: false, status: 401, message: 'Unauthorized.' };
      }
      this.options.vouch?.(activity, outcome.claims);
    }

    const whole = WholeActivity.safeParse(activity);
    if (!whole.success) {
      const issue = whole.error.issues[0];
      const where = issue?.path.join('.') || 'activity';
      return { ok: false, status: 400, message: `The activity has no valid ${where}.` };
    }
    const w = whole.data;
    const fromChannelData = w.channelData?.tenant?.id;
    if (fromChannelData !== undefined && w.conversation.tenantId !== undefined && fromChannelData !== w.conversation.tenantId) {
      log.warn({ channelData: fromChannelData, conversation: w.conversation.tenantId }, 'activity names two tenants');
      return { ok: false, status: 403, message: 'The activity names two different tenants; refused.' };
    }

    const limited = this.limit(w.type, w.from.aadObjectId, fromChannelData ?? w.conversation.tenantId);
    return limited ? { ok: true, activity, limited } : { ok: true, activity };
  }

  /** Messages and invokes count; a user's own limit first, then the tenant's. */
  private limit(type: string, user: string | undefined, tenant: string | undefined): string | undefined {
    if (type !== 'message' && type !== 'invoke') return undefined;
    const { limits } = this.options;
    if (user) {
      const buckets = type === 'message' ? this.userMessages : this.userInvokes;
      if (!buckets.tryTake(user)) {
        const perMinute = type === 'message' ? limits.userMessagesPerMinute : limits.userInvokesPerMinute;
        return `You are sending more than ${perMinute} ${type === 'message' ? 'messages' : 'card actions'} a minute; wait a moment and try again. Nothing was done for this one.`;
      }
    }
    if (!this.tenants.tryTake(tenant ?? '')) {
      return `Your organization is sending more than ${limits.tenantPerMinute} requests a minute to Switchboard; wait a moment and try again. Nothing was done for this one.`;
    }
    return undefined;
  }
}

function tenantOf(a: z.infer<typeof ForAuth>): string | undefined {
  return a.channelData?.tenant?.id ?? a.conversation?.tenantId;
}

/**
 * The answer to a limited message or invoke: a line in chat, and HTTP 200 (Teams re-sends on 429 and 5xx,
 * which would only add to the load). An invoke gets it as its invoke response.
 */
export async function answerInChat(ctx: TurnContext, line: string): Promise<void> {
  if (ctx.activity.type === 'invoke') {
    await ctx.sendActivity({ type: 'invokeResponse', value: { status: 200, body: { statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: line } } });
    return;
  }
  await ctx.sendActivity(line);
}
