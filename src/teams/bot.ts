/**
 * The Teams edge: turns botbuilder activities into ChatTurns for the core, and the core's answers into
 * replies and invoke responses. The only place (with server.ts and outbox.ts) that knows botbuilder.
 */
import {
  TeamsActivityHandler,
  TurnContext,
  type AdaptiveCardInvokeResponse,
  type AdaptiveCardInvokeValue,
} from 'botbuilder';
import type { ChatTurn } from '../chat/ports';
import type { CardActionResult } from '../chat/card-actions';
import { StoreUnavailable, storeUnavailableLine } from '../errors';
import type { IncomingFile } from '../model/people';
import type { Switchboard } from '../chat/switchboard';
import type { Store } from '../store/store';
import { withLogFields } from '../log';
import { parseIdentity, readAttachments } from './activity';
import { toActivity } from './outbox';

/**
 * How long a card click's work may take before its invoke is answered that the answer follows: Teams waits
 * 5 s for an invoke, then retries it and shows the person an error (reliability-notes F4).
 */
export const invokeAnswerMs = 3_000;

export class SwitchboardBot extends TeamsActivityHandler {
  constructor(
    private readonly core: Switchboard,
    private readonly store: Store,
    private readonly options: { invokeAnswerMs?: number } = {},
  ) {
    super();
    this.onMessage(async (ctx, next) => {
      // Teams re-sends a message it thinks was lost, sometimes with the same id: answer it once.
      const seenKey = ctx.activity.id ? `${ctx.activity.conversation.id}|${ctx.activity.id}` : undefined;
      try {
        if (seenKey && (await this.store.alreadyHandled(seenKey))) return next();
      } catch (err) {
        // Unanswered, the message would get the generic error; the person should know to send it again.
        if (!(err instanceof StoreUnavailable)) throw err;
        await ctx.sendActivity(storeUnavailableLine(err));
        return next();
      }
      const turn = this.turnFrom(ctx, await readAttachments(ctx.activity));
      if (ctx.activity.value !== undefined && ctx.activity.value !== null) {
        // Action.Submit fallback from clients without Universal Actions.
        const result = await this.core.onCardAction(turn, ctx.activity.value);
        await turn.reply(result.card ? { card: result.card } : { text: result.text });
      } else {
        const text = TurnContext.removeRecipientMention(ctx.activity) ?? ctx.activity.text ?? '';
        await this.core.onMessage(turn, text);
      }
      if (seenKey) await this.store.markHandled(seenKey, new Date());
      await next();
    });
  }

  /** Every line logged during the turn names its activity and conversation. */
  override async run(ctx: TurnContext): Promise<void> {
    await withLogFields({ activityId: ctx.activity.id ?? '', conversation: ctx.activity.conversation?.id ?? '' }, () => super.run(ctx));
  }

  protected override async onAdaptiveCardInvoke(ctx: TurnContext, value: AdaptiveCardInvokeValue): Promise<AdaptiveCardInvokeResponse> {
    const data = { ...(value.action.data ?? {}), verb: value.action.verb };
    const result: CardActionResult = await this.core.onCardAction(this.turnFrom(ctx), data, { answerWithinMs: this.options.invokeAnswerMs ?? invokeAnswerMs });
    // The SDK types `value` as an object, but Teams expects a plain string for activity.message responses.
    return result.card
      ? { statusCode: 200, type: 'application/vnd.microsoft.card.adaptive', value: result.card }
      : { statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: result.text as unknown as Record<string, unknown> };
  }

  private turnFrom(ctx: TurnContext, files: IncomingFile[] = []): ChatTurn {
    const identity = parseIdentity(ctx.activity);
    return {
      files,
      actor: identity.actor,
      tenantId: identity.tenantId,
      conversation: addressOf(ctx.activity),
      conversationKey: `conversation:${identity.conversationId}`,
      personal: identity.personal,
      reply: async (message) => (await ctx.sendActivity(toActivity(message)))?.id,
      update: async (activityId, message) => {
        await ctx.updateActivity({ ...toActivity(message), id: activityId });
      },
    };
  }
}

/**
 * Where to talk to this conversation, without the message it came with: a notice sent later is not a reply
 * to whatever the person typed last, and the address stays the same from turn to turn (stored once).
 */
function addressOf(activity: TurnContext['activity']): Record<string, unknown> {
  const { activityId: _lastMessage, ...address } = TurnContext.getConversationReference(activity);
  return address;
}
