/**
 * What the core needs from a chat platform, and nothing more. Only src/teams/ implements these with
 * botbuilder; a port to another SDK replaces that folder alone.
 */
import type { Actor, ConversationAddress, IncomingFile, OutgoingMessage } from '../model/people';


/** One incoming turn, as the core sees it. */
export interface ChatTurn {
  /** Verified identity of the sender (from the authenticated activity). */
  actor: Actor | undefined;
  /** The tenant the activity came from. */
  tenantId: string | undefined;
  conversation: ConversationAddress;
  /** A key that identifies the conversation (for storing the address). */
  conversationKey: string;
  /** True in a 1:1 chat with the bot. */
  personal: boolean;
  /** Files attached to the message, fetched by the edge (text files only). */
  files: readonly IncomingFile[];
  /** Replies in this conversation; returns the new message's id. */
  reply(message: OutgoingMessage): Promise<string | undefined>;
  /** Replaces a message this turn sent earlier (progress on a long check). */
  update?(activityId: string, message: OutgoingMessage): Promise<void>;
}
