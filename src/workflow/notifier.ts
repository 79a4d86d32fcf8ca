/**
 * Keeps every copy of a request's card current (updateActivity, a PUT, safe to repeat) and tells the
 * requester the outcome. A failed send is logged and never fails the request: the store is the truth.
 */
import { findAction } from '../catalog/index';
import type { ChatOutbox } from '../chat/ports';
import type { Logger } from '../log';
import type { Store } from '../store/store';
import type { RequestRecord } from './request';
import { requestCard, verificationSummary } from './request-view';

export class RequestNotifier {
  constructor(
    private readonly store: Store,
    private readonly outbox: ChatOutbox,
    private readonly log: Logger,
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

  private async refreshNow(requestId: string): Promise<void> {
    const request = await this.store.getRequest(requestId);
    const action = request && findAction(request.action);
    if (!request || !action) return;
    const card = requestCard(request, action);
    for (const location of await this.store.listCards(request.id)) {
      try {
        await this.outbox.update(location.conversation, location.activityId, { card });
      } catch (err) {
        this.log.warn({ err, requestId: request.id, activityId: location.activityId }, 'could not update a request card');
      }
    }
  }

  /** The final word to the requester, in the conversation the request came from, with the read-back. */
  async tellRequester(request: RequestRecord): Promise<void> {
    const action = findAction(request.action);
    if (!action) return;
    try {
      await this.outbox.send(request.conversation, { text: verificationSummary(request), card: requestCard(request, action) });
    } catch (err) {
      this.log.warn({ err, requestId: request.id }, 'could not notify the requester');
    }
  }
}
