/**
 * The conversation core: what Switchboard does with a command or a card click, independent of Teams.
 * One path for every command: parse, resolve the user, ask for what is missing, validate, then by
 * kind: a check answers, a change or batch files a request for approval, a decision decides.
 * Every handler either replies or throws a Refusal; one place turns errors into one-line answers.
 */
import { randomUUID } from 'node:crypto';
import { renderCard } from '../cards/render';
import type { BatchCommand, ChangeCommand, Command, CommandContext, CommandSettings } from '../catalog/command';
import type { Clock } from '../clock';
import { oneLine, Refusal, StoreUnavailable, storeUnavailableLine } from '../errors';
import { parseCommand } from '../grammar/grammar';
import { withLogFields, type Logger } from '../log';
import { ReadCache } from '../tenant/read-cache';
import type { GatewayCertificates } from '../certs/gateway-certificates';
import type { Actor, CardJson, OutgoingMessage } from '../model/people';
import type { RequestRecord } from '../model/request';
import type { Store } from '../store/store';
import { TenantError, type TenantPort } from '../tenant/port';
import type { Executor } from '../workflow/executor';
import type { RequestNotifier } from '../workflow/notifier';
import { requestCard } from '../workflow/request-view';
import type { RequestService } from '../workflow/requests';
import { CardAction, type CardActionResult } from './card-actions';
import type { ChatOutbox } from '../model/people';
import type { ChatTurn } from './ports';
import { resolveUserField } from './resolve-user';

export interface SwitchboardDeps {
  store: Store;
  tenant: TenantPort;
  requests: RequestService;
  executor: Executor;
  notifier: RequestNotifier;
  certificates: GatewayCertificates;
  outbox: ChatOutbox;
  clock: Clock;
  log: Logger;
  commands: readonly Command[];
  allowedTenantIds: readonly string[];
  approverIds: readonly string[];
  settings: CommandSettings;
}

export class Switchboard {
  constructor(private readonly deps: SwitchboardDeps) {}

  private findCommand(id: string): Command | undefined {
    return this.deps.commands.find((c) => c.id === id);
  }

  /** A typed command. Errors become a one-line reply; nothing else is sent back. */
  async onMessage(turn: ChatTurn, text: string): Promise<void> {
    await this.guarded(turn, async (actor) => {
      const parsed = parseCommand(text, this.deps.commands);
      switch (parsed.kind) {
        case 'command':
          await this.start(turn, actor, parsed.command, parsed.args);
          return;
        case 'ambiguous':
          throw new Refusal('unknown-command', `That command matches ${parsed.candidates.join(' and ')}; rephrase it.`);
        case 'unknown': {
          const s = parsed.suggestion;
          const shown = s && (s.audience === 'everyone' || this.deps.requests.isApprover(actor)) ? s : undefined;
          throw new Refusal('unknown-command', `I don't know "${oneLine(text, 60)}".${shown ? ` Did you mean ${shown.usage}? (${shown.summary})` : ''} Type help for the commands.`);
        }
      }
    });
  }

  /**
   * A card button (Action.Execute invoke, or the Action.Submit fallback). The result answers the click.
   * `answerWithinMs` (an invoke, which Teams waits 5 s for, then retries and shows an error): if the work
   * is not done by then (a form whose plan reads a slow or cold tenant), the click is answered that the
   * answer follows, and the work goes on, saying the rest in the conversation.
   */
  async onCardAction(turn: ChatTurn, rawData: unknown, options: { answerWithinMs?: number } = {}): Promise<CardActionResult> {
    let late = false;
    // After the click is answered the turn is over: what the work still says goes to the conversation.
    const lasting: ChatTurn = {
      ...turn,
      reply: (message) => (late ? this.deps.outbox.send(turn.conversation, message) : turn.reply(message)),
      ...(turn.update ? { update: (activityId: string, message: OutgoingMessage) => (late ? this.deps.outbox.update(turn.conversation, activityId, message) : turn.update!(activityId, message)) } : {}),
    };
    let result: CardActionResult = { text: 'Done.' };
    const work = this.guarded(
      lasting,
      async (actor) => {
        const parsed = CardAction.safeParse(rawData);
        if (!parsed.success) throw new Refusal('invalid-input', 'That card action is not one I know; the card may be from an older version.');
        const a = parsed.data;
        if (a.verb === 'approve' || a.verb === 'reject') {
          result = await this.decideForCard(actor, a.requestId, a.verb, a.reason);
          return;
        }
        if (a.verb === 'replan') {
          result = { text: await this.replan(lasting, actor, a.requestId) };
          return;
        }
        const command = this.findCommand(a.action);
        if (!command) throw new Refusal('invalid-input', `There is no command ${a.action}.`);
        const { verb: _verb, action: _action, ...fields } = a;
        const said = await this.start(lasting, actor, command, fields);
        result = { text: said ?? 'Noted.' };
      },
      async (message) => {
        if (late) await lasting.reply({ text: message });
        else result = { text: message };
      },
    );
    if (options.answerWithinMs === undefined) {
      await work;
      return result;
    }
    let timer: NodeJS.Timeout | undefined;
    const inTime = await Promise.race([work.then(() => true), new Promise<false>((r) => (timer = setTimeout(() => r(false), options.answerWithinMs)))]);
    clearTimeout(timer);
    if (inTime) return result;
    late = true;
    // Its errors were said in the chat; one that could not be said (the chat itself failing) is logged.
    const rest = work.catch((err: unknown) => this.deps.log.error({ err }, 'a card action failed after its click was answered'));
    this.lateWork.add(rest);
    void rest.finally(() => this.lateWork.delete(rest));
    return { text: 'This takes longer than a card can wait: the answer follows in this chat.' };
  }

  private readonly lateWork = new Set<Promise<void>>();

  /** Resolves when the clicks answered before their work was done have finished it (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.lateWork.size) await Promise.allSettled([...this.lateWork]);
  }

  private async guarded(turn: ChatTurn, work: (actor: Actor) => Promise<unknown>, answer?: (message: string) => Promise<void>): Promise<void> {
    const say = async (message: string) => (answer ? answer(message) : void (await turn.reply({ text: message })));
    try {
      if (this.deps.allowedTenantIds.length && !this.deps.allowedTenantIds.some((t) => t.toLowerCase() === (turn.tenantId ?? '').toLowerCase())) {
        throw new Refusal('tenant-not-allowed');
      }
      if (!turn.actor) throw new Refusal('no-identity');
      await this.deps.store.saveConversation(turn.conversationKey, turn.conversation);
      if (turn.personal) await this.deps.store.saveConversation(`user:${turn.actor.id.toLowerCase()}`, turn.conversation);
      await withLogFields({ user: turn.actor.id }, () => work(turn.actor!));
    } catch (err) {
      if (err instanceof Refusal) {
        await say(oneLine(err.message));
        return;
      }
      if (err instanceof StoreUnavailable) {
        this.deps.log.warn({ err }, 'store not reachable in a turn');
        await say(storeUnavailableLine(err));
        return;
      }
      if (err instanceof TenantError) {
        // The tenant's own answer (or its silence) is worth one line; a plan that could not be read files nothing.
        this.deps.log.warn({ err }, 'tenant error in a turn');
        await say(oneLine(`The tenant ${err.kind === 'timeout' || err.kind === 'crashed' || err.kind === 'transient' ? 'did not answer' : 'refused'}: ${err.message} Nothing was changed.`));
        return;
      }
      const errorId = randomUUID().slice(0, 8);
      this.deps.log.error({ err, errorId }, 'unexpected error in a turn');
      await say(`Something went wrong on my side (error ${errorId}). Nothing was changed in the tenant.`);
    }
  }

  private context(turn: ChatTurn, actor: Actor): CommandContext {
    let progressId: string | undefined;
    let last = 0;
    return {
      progress: async (text) => {
        // One message, updated at most once a second (Teams throttles edits per conversation).
        const now = Date.now();
        if (progressId && now - last < 1000) return;
        last = now;
        if (!progressId) progressId = await turn.reply({ text });
        else await turn.update?.(progressId, { text });
      },
      // One command's reads are shared: the user resolved once is the user the plan and its observe read,
      // so filing a change on PowerShell costs the round trips it needs and no more. Nothing in a turn writes.
      tenant: new ReadCache(this.deps.tenant),
      store: this.deps.store,
      clock: this.deps.clock,
      settings: this.deps.settings,
      certificates: this.deps.certificates,
      actor,
      isApprover: this.deps.requests.isApprover(actor),
      commands: this.deps.commands,
      files: turn.files,
      decide: async (requestId, verdict, reason) => {
        const r = await this.decideForCard(actor, requestId, verdict, reason);
        return r.card ? { text: `${requestId}: ${verdict === 'approve' ? 'approved' : 'rejected'}.`, card: r.card } : { text: r.text };
      },
    };
  }

  /**
   * One path for every command: resolve the user, ask for what is missing (a form or a question),
   * validate, then answer (check, decision) or file a request (change, batch). Returns a one-line
   * summary for a card click to show.
   */
  private async start(turn: ChatTurn, actor: Actor, command: Command, raw: Record<string, unknown>): Promise<string | undefined> {
    const ctx = this.context(turn, actor);
    if (command.audience === 'approvers' && !ctx.isApprover) throw new Refusal('not-an-approver', `Only an approver can use "${command.usage}".`);
    const fields = { ...raw };
    if (command.userField && typeof fields[command.userField] === 'string' && fields[command.userField] !== '') {
      const resolved = await resolveUserField(ctx.tenant, command, fields);
      if (resolved.kind === 'choice') {
        await turn.reply({ text: `"${String(raw[command.userField])}" matches ${resolved.count} users; choose one.`, card: resolved.card });
        return `"${String(raw[command.userField])}" matches several users; choose one.`;
      }
      fields[command.userField] = resolved.upn;
    }
    const file = command.fileField ? turn.files[0] : undefined;
    if (file && (fields[command.fileField!] === undefined || fields[command.fileField!] === '')) fields[command.fileField!] = file.text;
    const missing = command.required.filter((f) => fields[f] === undefined || fields[f] === '');
    if (missing.length) {
      if (command.formCard && command.formData) {
        await turn.reply({ card: renderCard(command.formCard, await command.formData(ctx, fields)) });
        return `Fill in the ${command.title.toLowerCase()} form.`;
      }
      const field = missing[0]!;
      throw new Refusal('missing-input', command.ask?.[field] ?? `I need the ${field} for "${command.usage}".`);
    }
    const input = command.input.safeParse(fields);
    if (!input.success) throw new Refusal('invalid-input', input.error.issues[0]?.message ?? 'That input is not valid.');
    switch (command.kind) {
      case 'check':
      case 'decision': {
        const answer = await command.run(ctx, input.data);
        await turn.reply(answer);
        return answer.text;
      }
      case 'change':
        return this.fileChange(turn, actor, ctx, command, input.data);
      case 'batch':
        return this.fileBatch(turn, actor, ctx, command, input.data);
    }
  }

  private async fileChange(turn: ChatTurn, actor: Actor, ctx: CommandContext, command: ChangeCommand, params: Record<string, unknown>, replans?: string): Promise<string> {
    const plan = await command.plan(ctx, params);
    const { request, existing } = await this.deps.requests.create({ actor, conversation: turn.conversation, command, params, plan, ...(replans ? { replans } : {}) });
    return this.announce(turn, request, command, existing);
  }

  private async fileBatch(turn: ChatTurn, actor: Actor, ctx: CommandContext, command: BatchCommand, params: Record<string, unknown>): Promise<string> {
    const items = await command.items(ctx, params);
    const ready = items.filter((i) => i.verdict === 'ready');
    if (ready.length === 0) {
      const errors = items.filter((i) => i.verdict === 'error');
      throw new Refusal('nothing-to-change', `Nothing to do: ${items.length - errors.length} of ${items.length} rows already have the wanted state${errors.length ? `, ${errors.length} in error (first: ${errors[0]!.label}: ${errors[0]!.reason})` : ''}.`);
    }
    const { target, subject } = command.describe(params, items);
    const plan = {
      target,
      subject,
      changes: [],
      expectations: [],
      steps: [],
      commands: [],
      locks: ready.flatMap((i) => i.parts.flatMap((p) => p.plan.locks)),
      notes: [...new Set(ready.flatMap((i) => i.parts.flatMap((p) => p.plan.notes)))].slice(0, 5),
    };
    const { request, existing } = await this.deps.requests.create({ actor, conversation: turn.conversation, command, params, plan, items });
    return this.announce(turn, request, command, existing);
  }

  /** The approval card to the conversation and to every approver's 1:1 chat. */
  private async announce(turn: ChatTurn, request: RequestRecord, command: Command, existing: boolean): Promise<string> {
    const card = (await this.deps.notifier.cardFor(request.id)) ?? requestCard(request, command);
    if (existing) {
      await turn.reply({ text: `You already asked for this: ${request.id} is ${request.status}.`, card });
      return `Already requested as ${request.id}.`;
    }
    this.deps.log.info({ requestId: request.id, command: command.id, target: request.plan.target, requester: request.requester.id }, 'request filed');
    const activityId = await turn.reply({ text: `${request.id}: ${command.title} for ${request.plan.target} is waiting for an approver.`, card });
    if (activityId) await this.deps.store.addCard(request.id, { conversation: turn.conversation, activityId });
    await this.sendToApprovers(turn, request.id, card);
    return `Request ${request.id} sent for approval.`;
  }

  private async decideForCard(actor: Actor, requestId: string, verdict: 'approve' | 'reject', reason: string | undefined): Promise<CardActionResult> {
    let decided: RequestRecord;
    try {
      decided = await this.deps.requests.decide(actor, requestId, verdict, reason);
    } catch (err) {
      // A second click or a retried invoke gets the card as it stands, the same answer as the first.
      if (!(err instanceof Refusal) || err.code !== 'request-closed') throw err;
      const card = await this.deps.notifier.cardFor(requestId);
      return card ? { card } : { text: err.message };
    }
    this.deps.log.info({ requestId: decided.id, approver: actor.id, status: decided.status }, decided.status === 'approved' ? 'request approved' : 'request rejected');
    const card = (await this.deps.notifier.cardFor(decided.id))!;
    // Answer the click first; the other copies of the card and the run follow.
    setImmediate(() => {
      void this.deps.notifier.refreshCards(decided);
      if (decided.status === 'approved') this.deps.executor.schedule(decided.id);
    });
    return { card };
  }

  /** A stale request is planned again from its input, as a new request that needs a new approval. */
  private async replan(turn: ChatTurn, actor: Actor, requestId: string): Promise<string> {
    const old = await this.deps.store.getRequest(requestId);
    if (!old) throw new Refusal('request-not-found', `There is no request ${requestId}.`);
    if (old.status !== 'stale') throw new Refusal('request-closed', `${requestId} is ${old.status}; only a request that went stale is re-planned.`);
    const command = this.findCommand(old.command);
    if (!command || command.kind !== 'change') throw new Refusal('invalid-input', `${requestId} cannot be re-planned.`);
    const ctx = this.context(turn, actor);
    const input = command.input.safeParse(old.params);
    if (!input.success) throw new Refusal('invalid-input', input.error.issues[0]?.message ?? 'The stored input is no longer valid.');
    return this.fileChange(turn, actor, ctx, command, input.data, requestId);
  }

  /** Approvers who have talked to the bot 1:1 get their own copy of the card, kept in step with the rest. */
  private async sendToApprovers(turn: ChatTurn, requestId: string, card: CardJson): Promise<void> {
    for (const approverId of this.deps.approverIds) {
      const address = await this.deps.store.getConversation(`user:${approverId.toLowerCase()}`);
      if (!address || JSON.stringify(address) === JSON.stringify(turn.conversation)) continue;
      try {
        const activityId = await this.deps.outbox.send(address, { text: `Approval needed: ${requestId}`, card } satisfies OutgoingMessage);
        if (activityId) await this.deps.store.addCard(requestId, { conversation: address, activityId });
      } catch (err) {
        this.deps.log.warn({ err, requestId }, 'could not send the request to an approver');
      }
    }
  }
}
