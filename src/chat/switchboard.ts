/**
 * The conversation core: what Switchboard does with a command or a card click, independent of Teams.
 * Every handler either replies or throws a Refusal; one place turns errors into one-line answers.
 */
import { randomUUID } from 'node:crypto';
import type { Action } from '../catalog/action';
import { actions, findAction } from '../catalog/index';
import type { Clock } from '../clock';
import { oneLine, Refusal } from '../errors';
import type { Logger } from '../log';
import type { Store } from '../store/store';
import type { TenantPort } from '../tenant/port';
import type { Executor } from '../workflow/executor';
import type { RequestNotifier } from '../workflow/notifier';
import type { RequestService } from '../workflow/requests';
import { requestCard } from '../workflow/request-view';
import { renderCard } from '../cards/render';
import { parseCommand } from '../grammar/grammar';
import { CardAction, type CardActionResult } from './card-actions';
import { builtinHandlers } from './builtins';
import { resolveUserField } from './resolve-user';
import type { Actor, ChatOutbox, ChatTurn, OutgoingMessage } from './ports';

export interface SwitchboardDeps {
  store: Store;
  tenant: TenantPort;
  requests: RequestService;
  executor: Executor;
  notifier: RequestNotifier;
  outbox: ChatOutbox;
  clock: Clock;
  log: Logger;
  allowedTenantIds: readonly string[];
  approverIds: readonly string[];
}

export class Switchboard {
  constructor(private readonly deps: SwitchboardDeps) {}

  /** A typed command. Errors become a one-line reply; nothing else is sent back. */
  async onMessage(turn: ChatTurn, text: string): Promise<void> {
    await this.guarded(turn, async (actor) => {
      const parsed = parseCommand(text, actions);
      switch (parsed.kind) {
        case 'builtin':
          return builtinHandlers[parsed.name](this.deps, turn, actor, parsed.args);
        case 'action':
          return this.startAction(turn, actor, parsed.action, parsed.args);
        case 'ambiguous':
          throw new Refusal('unknown-command', `That command matches ${parsed.candidates.join(' and ')}; rephrase it.`);
        case 'unknown':
          throw new Refusal('unknown-command', `I don't know "${oneLine(text, 60)}".${parsed.suggestion ? ` Did you mean: ${parsed.suggestion}?` : ''} Type help for the commands.`);
      }
    });
  }

  /** A card button (Action.Execute invoke, or the Action.Submit fallback). The result answers the click. */
  async onCardAction(turn: ChatTurn, rawData: unknown): Promise<CardActionResult> {
    let result: CardActionResult = { text: 'Done.' };
    await this.guarded(turn, async (actor) => {
      const parsed = CardAction.safeParse(rawData);
      if (!parsed.success) throw new Refusal('invalid-input', 'That card action is not one I know; the card may be from an older version.');
      const a = parsed.data;
      if (a.verb === 'approve' || a.verb === 'reject') {
        let decided;
        try {
          decided = await this.deps.requests.decide(actor, a.requestId, a.verb, a.reason);
        } catch (err) {
          // A second click or a retried invoke gets the card as it stands, the same answer as the first.
          if (!(err instanceof Refusal) || err.code !== 'request-closed') throw err;
          const current = (await this.deps.store.getRequest(a.requestId))!;
          result = { card: requestCard(current, findAction(current.action)!) };
          return;
        }
        const action = findAction(decided.action)!;
        result = { card: requestCard(decided, action) };
        // Answer the click first; the other copies of the card and the run follow.
        setImmediate(() => {
          void this.deps.notifier.refreshCards(decided);
          if (decided.status === 'approved') this.deps.executor.schedule(decided.id);
        });
        return;
      }
      const action = findAction(a.action);
      if (!action) throw new Refusal('invalid-input', `There is no action ${a.action}.`);
      const { verb: _verb, action: _action, ...fields } = a;
      const created = await this.startAction(turn, actor, action, fields);
      result = { text: created ?? 'Noted.' };
    }, (message) => {
      result = { text: message };
    });
    return result;
  }

  private async guarded(turn: ChatTurn, work: (actor: Actor) => Promise<unknown>, answer?: (message: string) => void): Promise<void> {
    const say = async (message: string) => (answer ? answer(message) : void (await turn.reply({ text: message })));
    try {
      if (this.deps.allowedTenantIds.length && !this.deps.allowedTenantIds.some((t) => t.toLowerCase() === (turn.tenantId ?? '').toLowerCase())) {
        throw new Refusal('tenant-not-allowed');
      }
      if (!turn.actor) throw new Refusal('no-identity');
      await this.deps.store.saveConversation(turn.conversationKey, turn.conversation);
      if (turn.personal) await this.deps.store.saveConversation(`user:${turn.actor.id.toLowerCase()}`, turn.conversation);
      await work(turn.actor);
    } catch (err) {
      if (err instanceof Refusal) {
        await say(oneLine(err.message));
        return;
      }
      const errorId = randomUUID().slice(0, 8);
      this.deps.log.error({ err, errorId }, 'unexpected error in a turn');
      await say(`Something went wrong on my side (error ${errorId}). Nothing was changed in the tenant.`);
    }
  }

  /**
   * Resolves the user, validates the input, and either shows the form (details missing) or plans the
   * change and files the request. Returns a one-line summary when a request was filed.
   */
  private async startAction(turn: ChatTurn, actor: Actor, action: Action, raw: Record<string, unknown>): Promise<string | undefined> {
    const { tenant } = this.deps;
    const fields = { ...raw };
    if (action.userField && typeof fields[action.userField] === 'string') {
      const resolved = await resolveUserField(tenant, action, fields);
      if (resolved.kind === 'choice') {
        await turn.reply({ card: resolved.card });
        return `"${String(raw[action.userField])}" matches several users; choose one.`;
      }
      fields[action.userField] = resolved.upn;
    }
    const missing = action.required.filter((f) => fields[f] === undefined || fields[f] === '');
    if (missing.length) {
      await turn.reply({ card: await this.formCard(action, fields) });
      return `Fill in the ${action.title.toLowerCase()} form.`;
    }
    const input = action.input.safeParse(fields);
    if (!input.success) throw new Refusal('invalid-input', input.error.issues[0]?.message ?? 'That input is not valid.');
    const plan = await action.plan({ tenant }, input.data);
    const { request, existing } = await this.deps.requests.create({ actor, conversation: turn.conversation, action, params: input.data, plan });
    const card = requestCard(request, action);
    if (existing) {
      await turn.reply({ text: `You already asked for this: ${request.id} is ${request.status}.`, card });
      return `Already requested as ${request.id}.`;
    }
    const activityId = await turn.reply({ text: `${request.id}: ${action.title} for ${plan.target} is waiting for an approver.`, card });
    if (activityId) await this.deps.store.addCard(request.id, { conversation: turn.conversation, activityId });
    await this.sendToApprovers(turn, request.id, card);
    return `Request ${request.id} sent for approval.`;
  }

  private async formCard(action: Action, fields: Record<string, unknown>): Promise<OutgoingMessage['card']> {
    const data = await action.formData({ tenant: this.deps.tenant }, fields);
    return renderCard(action.formCard, data);
  }

  /** Approvers who have talked to the bot 1:1 get their own copy of the card, kept in step with the rest. */
  private async sendToApprovers(turn: ChatTurn, requestId: string, card: NonNullable<OutgoingMessage['card']>): Promise<void> {
    for (const approverId of this.deps.approverIds) {
      const address = await this.deps.store.getConversation(`user:${approverId.toLowerCase()}`);
      if (!address || JSON.stringify(address) === JSON.stringify(turn.conversation)) continue;
      try {
        const activityId = await this.deps.outbox.send(address, { text: `Approval needed: ${requestId}`, card });
        if (activityId) await this.deps.store.addCard(requestId, { conversation: address, activityId });
      } catch (err) {
        this.deps.log.warn({ err, requestId }, 'could not send the request to an approver');
      }
    }
  }
}
