/**
 * Creating requests and deciding on them. Authorization is done here, on the server, from the stored
 * request and the verified identity of whoever clicked; nothing in card data is trusted but the id.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { BatchItem } from '../catalog/command';
import type { Clock } from '../clock';
import { Refusal } from '../errors';
import type { Actor, ConversationAddress } from '../model/people';
import type { Plan } from '../model/plan';
import type { RequestRecord } from '../model/request';
import { canonicalJson } from '../store/audit-chain';
import type { Store } from '../store/store';

export interface ApprovalPolicy {
  approverIds: readonly string[];
  allowSelfApproval: boolean;
  ttlHours: number;
}

/** R- plus 8 characters of Crockford base32: short enough to type, random enough not to guess. */
export function newRequestId(): string {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  return `R-${Array.from(randomBytes(8), (b) => alphabet[b % 32]).join('')}`;
}

export class RequestService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly policy: ApprovalPolicy,
  ) {}

  isApprover(actor: Actor): boolean {
    return this.policy.approverIds.some((id) => id.toLowerCase() === actor.id.toLowerCase());
  }

  /**
   * Stores a new request (or returns the open one with the same command, parameters and requester, so
   * that a re-sent message does not make a second request). Refused with the holder's id when another
   * open request already changes the same property of the same subject, or names the same number.
   */
  async create(args: {
    actor: Actor;
    conversation: ConversationAddress;
    command: { id: string; title: string };
    params: Record<string, unknown>;
    plan: Plan;
    items?: readonly BatchItem[];
    replans?: string;
  }): Promise<{ request: RequestRecord; existing: boolean }> {
    const now = this.clock.now();
    const dedupeKey = createHash('sha256').update(canonicalJson({ a: args.command.id, p: args.params, r: args.actor.id.toLowerCase() })).digest('hex');
    const open = await this.store.findOpenByDedupeKey(dedupeKey, now);
    if (open) return { request: open, existing: true };
    const request: RequestRecord = {
      id: newRequestId(),
      command: args.command.id,
      params: args.params,
      plan: args.plan,
      requester: { id: args.actor.id, name: args.actor.name },
      tenantId: args.actor.tenantId,
      conversation: args.conversation,
      status: 'pending',
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + this.policy.ttlHours * 3_600_000).toISOString(),
      attempt: 0,
      dedupeKey,
      position: 0,
      steps: args.plan.steps.map(() => ({ status: 'pending', attempts: 0 })),
      ...(args.replans ? { replans: args.replans } : {}),
    };
    const items = (args.items ?? []).map((item, index) => ({ index, ...item }));
    const result = await this.store.createRequest(
      request,
      {
        at: request.createdAt,
        actor: request.requester,
        event: 'request.created',
        requestId: request.id,
        subject: args.plan.subject,
        detail: { command: request.command, params: request.params, changes: args.plan.changes, commands: args.plan.commands, ...(items.length ? { items: items.length } : {}), ...(args.replans ? { replans: args.replans } : {}) },
      },
      items,
    );
    if (!result.created) {
      const holder = await this.store.getRequest(result.heldBy);
      const [subject, property] = result.lock.split('|');
      const what = result.lock.startsWith('number:') ? `The number ${result.lock.slice('number:'.length)} is` : property ? `${property} of ${subject} is` : `${result.lock} is`;
      throw new Refusal('request-held', `${what} already held by open request ${result.heldBy} (${holder?.status ?? 'open'}${holder ? `, ${holder.plan.target}` : ''}); decide on that one first, or wait for it to finish.`);
    }
    return { request, existing: false };
  }

  /**
   * Approves or rejects. Exactly one decision wins however many clicks, retries or approvers race:
   * the store's compare-and-set on status 'pending' decides. Refusals are audited too.
   */
  async decide(actor: Actor, requestId: string, verdict: 'approve' | 'reject', reason: string | undefined): Promise<RequestRecord> {
    const now = this.clock.now();
    const request = await this.store.getRequest(requestId);
    if (!request) throw new Refusal('request-not-found', `There is no request ${requestId}.`);
    const refuse = async (refusal: Refusal): Promise<never> => {
      await this.store.appendAudit({ at: now.toISOString(), actor: { id: actor.id, name: actor.name }, event: `decision.refused`, requestId, subject: request.plan.subject, code: refusal.code, detail: { verdict } });
      throw refusal;
    };
    if (actor.tenantId !== request.tenantId) await refuse(new Refusal('not-an-approver', 'Only an approver of the organization that made the request can decide on it.'));
    if (!this.isApprover(actor)) await refuse(new Refusal('not-an-approver'));
    if (request.status !== 'pending') throw new Refusal('request-closed', `${request.id} is already ${request.status}.`);
    if (new Date(request.expiresAt) <= now) throw new Refusal('request-expired', `${request.id} expired at ${request.expiresAt}.`);
    if (verdict === 'approve' && !this.policy.allowSelfApproval && actor.id.toLowerCase() === request.requester.id.toLowerCase()) {
      await refuse(new Refusal('self-approval', `You cannot approve your own request ${request.id}; another approver must.`));
    }
    const cleanReason = reason?.trim();
    if (verdict === 'reject' && !cleanReason) throw new Refusal('invalid-input', 'Give a reason to reject the request.');
    const decided = await this.store.decide(
      requestId,
      { status: verdict === 'approve' ? 'approved' : 'rejected', by: { id: actor.id, name: actor.name }, at: now, ...(cleanReason ? { reason: cleanReason } : {}) },
      { at: now.toISOString(), actor: { id: actor.id, name: actor.name }, event: verdict === 'approve' ? 'request.approved' : 'request.rejected', requestId, subject: request.plan.subject, ...(cleanReason ? { detail: { reason: cleanReason } } : {}) },
    );
    if (!decided) {
      const current = await this.store.getRequest(requestId);
      throw new Refusal('request-closed', `${requestId} is already ${current?.status ?? 'closed'}.`);
    }
    return decided;
  }

  /** Marks every request past its expiry as expired; returns them so their cards can be updated. */
  async expireDue(): Promise<RequestRecord[]> {
    return this.store.expire(this.clock.now());
  }
}
