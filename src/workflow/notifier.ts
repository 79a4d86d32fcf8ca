/**
 * Keeps every copy of a request's card current (updateActivity, a PUT, safe to repeat) and tells the
 * requester the outcome. A failed send is logged and never fails the request: the store is the truth.
 */
import type { Command } from '../catalog/command';
import type { ChatOutbox, OutgoingMessage } from '../model/people';
import type { Logger } from '../log';
import type { RequestRecord } from '../model/request';
import type { Store } from '../store/store';
import { faultPoint } from './faults';
import { batchResultsCsv, requestCard, verificationSummary } from './request-view';

/** Card updates of a running batch: at most one per this interval (Teams throttles edits per conversation). */
const batchUpdateMs = 3_000;

export class RequestNotifier {
  constructor(
    private readonly store: Store,
    private readonly outbox: ChatOutbox,
    private readonly log: Logger,
    private readonly findCommand: (id: string) => Command | undefined,
  ) {}

  private readonly chains = new Map<string, Promise<void>>();

  /**
   * Updates every copy of the card to the request's current state. Updates of one request run one
   * after another and each renders what the store holds then, so a late update never shows an older state.
   */
  refreshCards(request: Pick<RequestRecord, 'id'>): Promise<void> {
    const previous = this.chains.get(request.id) ?? Promise.resolve();
    const next = previous.then(() => this.refreshNow(request.id)).catch((err) => this.log.warn({ err, requestId: request.id }, 'could not refresh request cards'));
    this.chains.set(request.id, next);
    void next.finally(() => {
      if (this.chains.get(request.id) === next) this.chains.delete(request.id);
    });
    return next;
  }

  /** The card of a request as the store holds it now (also the answer to a click). */
  async cardFor(requestId: string) {
    const request = await this.store.getRequest(requestId);
    const command = request && this.findCommand(request.command);
    if (!request || !command) return undefined;
    const items = command.kind === 'batch' ? await this.store.listBatchItems(request.id) : undefined;
    return requestCard(request, command, items);
  }

  private async refreshNow(requestId: string): Promise<void> {
    const card = await this.cardFor(requestId);
    if (!card) return;
    for (const location of await this.store.listCards(requestId)) {
      try {
        await this.outbox.update(location.conversation, location.activityId, { card });
        faultPoint('during-card-update');
      } catch (err) {
        this.log.warn({ err, requestId, activityId: location.activityId }, 'could not update a request card');
      }
    }
  }

  /**
   * A batch's progress: at most one card update per interval while it runs. The claim has just shown
   * "running" and the end shows the results, so a short batch updates its card only at those two
   * moments; `flush` waits for an update in flight, so the final one lands after it.
   */
  batchProgress(requestId: string): { tick(): void; flush(): Promise<void> } {
    let last = Date.now();
    let inFlight: Promise<void> = Promise.resolve();
    return {
      tick: () => {
        const now = Date.now();
        if (now - last < batchUpdateMs) return;
        last = now;
        inFlight = this.refreshCards({ id: requestId });
      },
      flush: () => inFlight,
    };
  }

  /** A line in the requester's conversation while a request waits (e.g. for an account to sync). */
  async tellProgress(request: RequestRecord, text: string): Promise<void> {
    try {
      await this.outbox.send(request.conversation, { text });
    } catch (err) {
      this.log.warn({ err, requestId: request.id }, 'could not post progress');
    }
  }

  /**
   * Messages for the requester's eyes only (a CSR, a PFX link, its password): to their 1:1 chat with the
   * bot, never the channel a request came from. Throws when there is none or a send fails, so the step
   * that made them fails rather than being reported as delivered.
   */
  async deliverPrivately(request: RequestRecord, messages: readonly OutgoingMessage[]): Promise<void> {
    const personal = await this.store.getConversation(`user:${request.requester.id.toLowerCase()}`);
    if (!personal) throw new Error(`${request.requester.name} has no 1:1 chat with the bot to receive it`);
    for (const message of messages) await this.outbox.send(personal, message);
  }

  /** The final word to the requester, in the conversation the request came from, with the read-back. */
  async tellRequester(request: RequestRecord): Promise<void> {
    const command = this.findCommand(request.command);
    if (!command) return;
    try {
      const items = command.kind === 'batch' ? await this.store.listBatchItems(request.id) : undefined;
      await this.outbox.send(request.conversation, {
        text: verificationSummary(request),
        card: requestCard(request, command, items),
        ...(items ? { file: { name: `${request.id}-results.csv`, contentType: 'text/csv', text: batchResultsCsv(items) } } : {}),
      });
    } catch (err) {
      this.log.warn({ err, requestId: request.id }, 'could not notify the requester');
    }
  }
}
