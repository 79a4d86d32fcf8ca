/** Messages outside a turn (card updates, notices), through CloudAdapter.continueConversationAsync. */
import { CardFactory, MessageFactory, type CloudAdapter, type ConversationReference } from 'botbuilder';
import type { ChatOutbox } from '../chat/ports';
import type { ConversationAddress, OutgoingMessage } from '../model/people';

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
