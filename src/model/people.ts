/**
 * The people and places every layer talks about. The ground floor: imports nothing from the project.
 */

/** A person, identified by their Entra object id; the name is for display only, never for decisions. */
export interface Person {
  id: string;
  name: string;
}

/** The person acting in a turn, with the organization the (authenticated) activity came from. */
export interface Actor extends Person {
  tenantId: string;
}

/** Where a message can be sent later (a serialized conversation reference). Opaque to the core. */
export type ConversationAddress = Record<string, unknown>;

/** An Adaptive Card as JSON, already expanded from its template. */
export type CardJson = Record<string, unknown>;

/** A file that came with a message (a CSV for bulk work), already fetched by the edge. */
export interface IncomingFile {
  name: string;
  contentType: string;
  text: string;
}

export interface OutgoingMessage {
  text?: string;
  card?: CardJson;
  /** A small file sent with the message, e.g. a results CSV. */
  file?: { name: string; contentType: string; text: string };
}

/**
 * Messages outside a turn: card updates and proactive notices. The chat platform implements it (the
 * Teams edge); the workflow uses it to keep cards current and tell requesters.
 */
export interface ChatOutbox {
  send(to: ConversationAddress, message: OutgoingMessage): Promise<string | undefined>;
  update(to: ConversationAddress, activityId: string, message: OutgoingMessage): Promise<void>;
}
