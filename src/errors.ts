/**
 * Expected refusals: a closed list of codes, each rendered as one line for the user. Anything thrown
 * that is not a Refusal is unexpected: logged with its stack, and the user gets a short line with an id.
 */
export const refusalMessages = {
  'unknown-command': 'I don\'t know that command.',
  'invalid-input': 'That input is not valid.',
  'user-not-found': 'No user matches that name.',
  'no-identity': 'This message carries no Entra identity, so I cannot act on it.',
  'tenant-not-allowed': 'This Microsoft 365 organization is not allowed to use this bot.',
  'not-an-approver': 'Only an approver can decide on a request.',
  'self-approval': 'You cannot approve your own request.',
  'request-not-found': 'There is no such request.',
  'request-closed': 'That request has already been decided.',
  'request-expired': 'That request has expired.',
  'nothing-to-change': 'Nothing to change: the tenant already has these values.',
  'tenant-refused': 'The tenant refused the change.',
  'request-held': 'An open request already holds that change.',
  'missing-input': 'Some details are missing.',
  'procedure-rule': 'That breaks a rule of the Cloud Connector procedure.',
  'not-configured': 'This bot is not set up for that.',
} as const;

export type RefusalCode = keyof typeof refusalMessages;

export class Refusal extends Error {
  /** `detail` replaces the stock sentence when given: it must still be one line. */
  constructor(
    readonly code: RefusalCode,
    readonly detail?: string,
  ) {
    super(detail ?? refusalMessages[code]);
    this.name = 'Refusal';
  }
}

/**
 * The store (the request and audit database) could not be reached: the turn stops before it saves or
 * changes anything it has not saved, and the person is told in one line to send it again. `where` names the
 * database (host:port/name, never a password), `reason` the connection's own error.
 */
export class StoreUnavailable extends Error {
  constructor(
    readonly where: string,
    readonly reason: string,
  ) {
    super(`the store (${where}) is not reachable: ${reason}`);
    this.name = 'StoreUnavailable';
  }

  /** Which database, and why: for the person's line and /readyz. */
  get detail(): string {
    return `${this.where}: ${this.reason}`;
  }
}

/** What the person is told when the store is down: what happened to their message, and what to do. */
export function storeUnavailableLine(err: StoreUnavailable): string {
  return oneLine(`I can't reach my database right now (${err.detail}). Nothing was changed in the tenant; send it again in a minute (what was already saved is not saved twice).`);
}

export function oneLine(text: string, max = 300): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
