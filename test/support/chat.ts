/**
 * Drives the whole bot in-process as a Teams chat transcript, through botbuilder's TestAdapter:
 * `await chat.say(alice, 'enable voice for Bob Kelly number +14255550100')`, then assert on the replies.
 */
import { TestAdapter, type Activity } from 'botbuilder';
import { createCore, type Core } from '../../src/app';
import type { ChatOutbox } from '../../src/model/people';
import type { ConversationAddress, OutgoingMessage } from '../../src/model/people';
import { ManualClock } from '../../src/clock';
import { silentLogger, type Logger } from '../../src/log';
import { SwitchboardBot } from '../../src/teams/bot';
import { demoTenant } from '../../src/tenant/sim/demo-tenant';
import { SimulatedTenant } from '../../src/tenant/sim/simulated-tenant';
import type { Store } from '../../src/store/store';
import type { TenantPort } from '../../src/tenant/port';
import { tempDir } from './temp-dirs';

export const tenantId = '72f988bf-0000-4000-a000-000000c0ffee';

export interface TestUser {
  aadObjectId: string;
  name: string;
  mri: string;
}

export const alice: TestUser = { aadObjectId: '11111111-1111-4111-8111-111111111111', name: 'Alice Operator', mri: '29:alice' };
export const admin: TestUser = { aadObjectId: '22222222-2222-4222-8222-222222222222', name: 'Ada Admin', mri: '29:ada' };
export const admin2: TestUser = { aadObjectId: '33333333-3333-4333-8333-333333333333', name: 'Ben Admin', mri: '29:ben' };
export const eve: TestUser = { aadObjectId: '44444444-4444-4444-8444-444444444444', name: 'Eve Helpdesk', mri: '29:eve' };

export class RecordingOutbox implements ChatOutbox {
  readonly sent: { to: ConversationAddress; message: OutgoingMessage; id: string }[] = [];
  readonly updated: { to: ConversationAddress; activityId: string; message: OutgoingMessage }[] = [];
  async send(to: ConversationAddress, message: OutgoingMessage): Promise<string> {
    const id = `proactive-${this.sent.length + 1}`;
    this.sent.push({ to, message, id });
    return id;
  }
  async update(to: ConversationAddress, activityId: string, message: OutgoingMessage): Promise<void> {
    this.updated.push({ to, activityId, message });
  }
}

export interface HarnessOptions {
  approvers?: TestUser[];
  allowSelfApproval?: boolean;
  allowedTenants?: string[];
  tenant?: TenantPort;
  dataDir?: string;
  clock?: ManualClock;
  log?: Logger;
  publicUrl?: string;
  /** Another store than SQLite in dataDir (the PostgreSQL tests). */
  store?: Store;
  /** How long a click's work may take before the invoke is answered that the answer follows (the edge's 3 s). */
  invokeAnswerMs?: number;
}

export class ChatHarness {
  clock = new ManualClock(new Date('2026-11-26T09:00:00Z'));
  readonly outbox = new RecordingOutbox();
  private adapter!: TestAdapter;
  core!: Core;
  dataDir!: string;
  private nextId = 1;

  static async create(options: HarnessOptions = {}): Promise<ChatHarness> {
    const h = new ChatHarness();
    if (options.clock) h.clock = options.clock;
    h.dataDir = options.dataDir ?? tempDir('test');
    const tenant = options.tenant ?? new SimulatedTenant({ initial: demoTenant(), dataDir: h.dataDir });
    h.core = await createCore({
      config: {
        APPROVER_IDS: (options.approvers ?? [admin, admin2]).map((u) => u.aadObjectId),
        ALLOW_SELF_APPROVAL: options.allowSelfApproval ?? false,
        APPROVAL_TTL_HOURS: 24,
        ALLOWED_TENANT_IDS: options.allowedTenants ?? [],
        TENANT_BACKEND: 'sim',
        DATA_DIR: h.dataDir,
        // Download links are made against it; tests fetch them through core.certificates, never over the network.
        PUBLIC_URL: options.publicUrl ?? 'https://switchboard.example.invalid',
      },
      outbox: h.outbox,
      log: options.log ?? silentLogger,
      clock: h.clock,
      tenant,
      ...(options.store ? { store: options.store } : {}),
    });
    const bot = new SwitchboardBot(h.core.switchboard, h.core.store, options.invokeAnswerMs ? { invokeAnswerMs: options.invokeAnswerMs } : {});
    h.adapter = new TestAdapter((ctx) => bot.run(ctx));
    return h;
  }

  get sim(): SimulatedTenant {
    return this.core.tenant as SimulatedTenant;
  }

  private activity(user: TestUser, extra: Partial<Activity>, conversationId = `personal-${user.mri}`): Partial<Activity> {
    return {
      channelId: 'msteams',
      id: `act-${this.nextId++}`,
      from: { id: user.mri, name: user.name, aadObjectId: user.aadObjectId },
      conversation: { id: conversationId, conversationType: 'personal', tenantId, isGroup: false, name: '' },
      channelData: { tenant: { id: tenantId } },
      serviceUrl: 'https://smba.example.invalid/teams/',
      ...extra,
    };
  }

  private readonly inbox: Partial<Activity>[] = [];

  /** The replies to one incoming activity (turns may run concurrently, so match on replyToId). */
  private repliesTo(activityId: string): Partial<Activity>[] {
    while (this.adapter.activeQueue.length) this.inbox.push(this.adapter.activeQueue.shift()!);
    const mine = this.inbox.filter((a) => a.replyToId === activityId);
    for (const a of mine) this.inbox.splice(this.inbox.indexOf(a), 1);
    return mine;
  }

  /** Sends a chat message; returns the bot's replies in this turn. */
  async say(user: TestUser, text: string, extra: Partial<Activity> = {}): Promise<Partial<Activity>[]> {
    const activity = this.activity(user, { type: 'message', text, ...extra });
    await this.adapter.processActivity(activity);
    return this.repliesTo(activity.id!);
  }

  /** Clicks an Action.Execute button; returns the invoke response body ({ statusCode, type, value }). */
  async click(user: TestUser, verb: string, data: Record<string, unknown>, extra: Partial<Activity> = {}): Promise<{ statusCode: number; type: string; value: unknown; replies: Partial<Activity>[] }> {
    const activity = this.activity(user, { type: 'invoke', name: 'adaptiveCard/action', value: { action: { type: 'Action.Execute', verb, data }, trigger: 'manual' }, ...extra });
    await this.adapter.processActivity(activity);
    const replies = this.repliesTo(activity.id!);
    const invoke = replies.find((a) => a.type === 'invokeResponse');
    if (!invoke) throw new Error(`no invoke response; got ${JSON.stringify(replies)}`);
    const body = (invoke.value as { status: number; body: { statusCode: number; type: string; value: unknown } }).body;
    return { ...body, replies: replies.filter((a) => a !== invoke) };
  }

  /** Waits until every approved request has finished running. */
  async settle(): Promise<void> {
    await new Promise((r) => setImmediate(r));
    await this.core.switchboard.idle();
    await this.core.executor.idle();
  }

  async close(): Promise<void> {
    await this.core.close();
  }
}

/** The text of every TextBlock / FactSet in a card, flattened, for assertions. */
export function cardText(card: unknown): string {
  const parts: string[] = [];
  const walk = (n: unknown) => {
    if (Array.isArray(n)) n.forEach(walk);
    else if (n && typeof n === 'object') {
      const o = n as Record<string, unknown>;
      if (typeof o.text === 'string') parts.push(o.text);
      if (typeof o.title === 'string') parts.push(o.title);
      if (typeof o.value === 'string') parts.push(o.value);
      Object.values(o).forEach(walk);
    }
  };
  walk(card);
  return parts.join('\n');
}

export function cardOf(activity: Partial<Activity> | undefined): Record<string, unknown> | undefined {
  const a = activity?.attachments?.find((x) => x.contentType === 'application/vnd.microsoft.card.adaptive');
  return a?.content as Record<string, unknown> | undefined;
}

/** The request id a reply names ("R-XXXXXXXX: Enable voice for …"). */
export function requestIdIn(text: string | undefined): string {
  const id = /R-[0-9A-Z]{8}/.exec(text ?? '')?.[0];
  if (!id) throw new Error(`no request id in ${JSON.stringify(text)}`);
  return id;
}
