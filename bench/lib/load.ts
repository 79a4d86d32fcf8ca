/**
 * The load generator for bench/turn-latency.ts: a capture server standing in for the Bot Framework
 * Connector (the activities' serviceUrl) and closed-loop workers that POST message activities to a bot's
 * /api/messages, each in its own conversation, each sending its next message once the reply to the
 * previous one has reached the capture server. Everything is on 127.0.0.1; every phase is bounded in
 * turns and in time.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Reply {
  /** performance.now() when the reply's request line and headers reached the capture server. */
  at: number;
  text: string;
}

interface Expectation {
  resolve(reply: Reply): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/** Records replies (POST /v3/conversations/{id}/activities/{replyToId}) and hands them to whoever expects them. */
export class CaptureServer {
  url = '';
  /** Replies nobody was waiting for (late after a timeout, or a second reply to one message). */
  unexpected = 0;
  newConnections = 0;
  private readonly server: http.Server;
  private readonly expected = new Map<string, Expectation>();
  private next = 1;

  constructor() {
    this.server = http.createServer((req, res) => {
      const at = performance.now();
      const m = /^\/v3\/conversations\/([^/]+)\/activities\/([^/?]+)/.exec(req.url ?? '');
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.method !== 'POST' || !m) {
          res.statusCode = 404;
          res.end();
          return;
        }
        let text = '';
        try {
          text = String((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { text?: unknown }).text ?? '');
        } catch {
          // Recorded as a text mismatch by the caller.
        }
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ id: `cap-${this.next++}` }));
        const key = `${decodeURIComponent(m[1]!)}|${decodeURIComponent(m[2]!)}`;
        const waiter = this.expected.get(key);
        if (!waiter) {
          this.unexpected++;
          return;
        }
        this.expected.delete(key);
        clearTimeout(waiter.timer);
        waiter.resolve({ at, text });
      });
    });
    this.server.on('connection', () => this.newConnections++);
    // The real Connector keeps connections open far longer than Node's 5 s default; a bot reusing a
    // connection the fake closed while idle would otherwise see resets unrelated to what is measured.
    this.server.keepAliveTimeout = 120_000;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
  }

  /** Resolves with the first reply to activity `replyToId` in `conversationId`, or rejects after timeoutMs. */
  expect(conversationId: string, replyToId: string, timeoutMs: number): { reply: Promise<Reply>; cancel(): void } {
    const key = `${conversationId}|${replyToId}`;
    let cancel = () => {};
    const reply = new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.expected.delete(key);
        reject(new Error(`no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.expected.set(key, { resolve, reject, timer });
      cancel = () => {
        clearTimeout(timer);
        this.expected.delete(key);
      };
    });
    return { reply, cancel };
  }

  async stop(): Promise<void> {
    for (const w of this.expected.values()) clearTimeout(w.timer);
    this.expected.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export interface PhaseOptions {
  botUrl: string;
  capture: CaptureServer;
  /** Shared by all phases against one bot process: the inbound connection pool, as a channel would keep it. */
  agent: http.Agent;
  concurrency: number;
  turns: number;
  /** Unique per phase; goes into activity and conversation ids. */
  tag: string;
  text: string;
  /** Whether a reply's text is the one this bot should give. */
  replyOk(text: string): boolean;
  turnTimeoutMs: number;
  phaseTimeoutMs: number;
}

export interface PhaseResult {
  concurrency: number;
  /** Latency of each completed turn, ms, in completion order. */
  latencies: number[];
  /** Latencies of the turns whose message went out on a newly opened connection. */
  newConnectionLatencies: number[];
  /**
   * Each conversation's latencies (worker order). The workers share one budget of turns, so a conversation
   * that is served faster makes more of them: how evenly they are spread shows whether service is fair.
   */
  byConversation: number[][];
  /** Inbound connections the client opened during the phase. */
  newConnections: number;
  failures: number;
  firstFailure?: string;
  textMismatches: number;
  /** Inbound POSTs answered with a status other than 200. */
  badStatus: number;
  wallMs: number;
  timedOut: boolean;
}

interface User {
  aadObjectId: string;
  name: string;
  mri: string;
}

const tenantId = '72f988bf-0000-4000-a000-000000c0ffee';

function user(worker: number): User {
  const hex = (worker + 1).toString(16).padStart(12, '0');
  return { aadObjectId: `0bec0000-0000-4000-8000-${hex}`, name: `Bench User ${worker + 1}`, mri: `29:bench-${worker + 1}` };
}

function activity(serviceUrl: string, from: User, conversationId: string, id: string, text: string): Record<string, unknown> {
  return {
    type: 'message',
    channelId: 'msteams',
    id,
    timestamp: new Date().toISOString(),
    serviceUrl,
    from: { id: from.mri, name: from.name, aadObjectId: from.aadObjectId },
    recipient: { id: '28:bench-bot', name: 'Bot' },
    conversation: { id: conversationId, conversationType: 'personal', tenantId },
    channelData: { tenant: { id: tenantId } },
    text,
  };
}

/** POSTs one activity; `socket` settles with whether a new connection carried it, `done` with the status. */
function postActivity(agent: http.Agent, botUrl: URL, body: string): { newConnection: Promise<boolean>; done: Promise<number> } {
  let markSocket!: (fresh: boolean) => void;
  const newConnection = new Promise<boolean>((r) => (markSocket = r));
  const done = new Promise<number>((resolve, reject) => {
    const req = http.request({
      agent,
      host: botUrl.hostname,
      port: botUrl.port,
      path: '/api/messages',
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    req.once('socket', () => markSocket(!req.reusedSocket));
    req.once('response', (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
      res.once('error', reject);
    });
    req.once('error', (err) => {
      markSocket(false);
      reject(err);
    });
    req.setTimeout(60_000, () => req.destroy(new Error('inbound request timed out')));
    req.end(body);
  });
  return { newConnection, done };
}

/**
 * Runs `turns` turns with `concurrency` closed-loop workers, each in its own conversation. A turn's
 * latency is from just before the POST to /api/messages is issued to the arrival of the bot's reply at
 * the capture server. The phase waits for every inbound POST to finish before it returns.
 */
export async function runPhase(o: PhaseOptions): Promise<PhaseResult> {
  const botUrl = new URL(o.botUrl);
  const result: PhaseResult = {
    concurrency: o.concurrency, latencies: [], newConnectionLatencies: [], byConversation: Array.from({ length: o.concurrency }, () => []), newConnections: 0,
    failures: 0, textMismatches: 0, badStatus: 0, wallMs: 0, timedOut: false,
  };
  const inflight = new Set<Promise<unknown>>();
  const started = performance.now();
  const deadline = started + o.phaseTimeoutMs;
  let issued = 0;
  let seq = 0;
  const fail = (why: string) => {
    result.failures++;
    result.firstFailure ??= why;
  };

  const worker = async (w: number) => {
    const from = user(w);
    const conversationId = `a:bench-${o.tag}-w${w + 1}`;
    while (issued < o.turns) {
      if (performance.now() > deadline) {
        result.timedOut = true;
        return;
      }
      issued++;
      const id = `f:${o.tag}-${++seq}`;
      const body = JSON.stringify(activity(o.capture.url, from, conversationId, id, o.text));
      const expectation = o.capture.expect(conversationId, id, o.turnTimeoutMs);
      const t0 = performance.now();
      const post = postActivity(o.agent, botUrl, body);
      const tracked = post.done.then(
        (status) => {
          if (status !== 200) result.badStatus++;
          return status;
        },
        (err: unknown) => {
          expectation.cancel();
          throw err;
        },
      );
      const settled = tracked.catch(() => undefined);
      inflight.add(settled);
      void settled.finally(() => inflight.delete(settled));
      try {
        // A failed POST fails the turn at once; a 200 before the reply is fine (the reply may still come).
        const reply = await Promise.race([expectation.reply, tracked.then(() => expectation.reply)]);
        const latency = reply.at - t0;
        result.latencies.push(latency);
        result.byConversation[w]!.push(latency);
        if (await post.newConnection) result.newConnectionLatencies.push(latency);
        if (!o.replyOk(reply.text)) result.textMismatches++;
      } catch (err) {
        fail(err instanceof Error ? err.message : String(err));
      }
      if (await post.newConnection) result.newConnections++;
    }
  };

  await Promise.all(Array.from({ length: o.concurrency }, (_, w) => worker(w)));
  // Let the inbound POSTs (acknowledged after the reply) finish, bounded.
  const drained = Promise.all([...inflight]);
  await Promise.race([drained, new Promise((r) => setTimeout(r, 30_000).unref())]);
  result.wallMs = performance.now() - started;
  return result;
}
