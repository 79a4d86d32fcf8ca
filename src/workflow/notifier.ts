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

  async refreshCards(request: RequestRecord): Promise<void> {
    const action = findAction(request.action);
    if (!action) return;
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
