/**
 * What the core needs from a chat platform, and nothing more. Only src/teams/ implements these with
 * botbuilder; a port to another SDK replaces that folder alone.
 */

/** A person, identified by their Entra object id; the name is for display only, never for decisions. */
export interface Person {
  id: string;
  name: string;
}

/** Where a message can be sent later (a serialized conversation reference). Opaque to the core. */
export type ConversationAddress = Record<string, unknown>;

export interface Actor extends Person {
  tenantId: string;
}

/** An Adaptive Card as JSON, already expanded from its template. */
export type CardJson = Record<string, unknown>;

export interface OutgoingMessage {
  text?: string;
  card?: CardJson;
}

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
  /** Replies in this conversation; returns the new message's id. */
  reply(message: OutgoingMessage): Promise<string | undefined>;
}

/** Messages outside a turn: card updates and proactive notices. */
export interface ChatOutbox {
  send(to: ConversationAddress, message: OutgoingMessage): Promise<string | undefined>;
  update(to: ConversationAddress, activityId: string, message: OutgoingMessage): Promise<void>;
}
