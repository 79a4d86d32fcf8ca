/**
 * A local channel: plays the Teams side of the Bot Framework protocol on 127.0.0.1. It serves the
 * Connector API a bot replies to (the activity's serviceUrl), recording every create (POST) and update
 * (PUT), and builds the activities Teams would send. Used by `npm run chat` and by the HTTP tests.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ConnectorCall {
  method: 'POST' | 'PUT';
  conversationId: string;
  /** replyToId for a POST reply, the activity id for a PUT. */
  activityId?: string;
  body: { id?: string; type?: string; text?: string; attachments?: { contentType: string; name?: string; content: unknown }[]; replyToId?: string };
  /** The id the connector assigned (POST) or kept (PUT). */
  id: string;
}

export class LocalConnector {
  readonly calls: ConnectorCall[] = [];
  private server!: http.Server;
  url = '';
  private next = 1;
  private waiters: (() => void)[] = [];

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
      req.on('end', () => {
        const m = /^\/v3\/conversations\/([^/]+)\/activities(?:\/([^/?]+))?/.exec(req.url ?? '');
        if (!m || (req.method !== 'POST' && req.method !== 'PUT')) {
          res.statusCode = 404;
          res.end();
          return;
        }
        const body = JSON.parse(raw || '{}') as ConnectorCall['body'];
        const id = req.method === 'PUT' ? decodeURIComponent(m[2] ?? '') : `msg-${this.next++}`;
        this.calls.push({ method: req.method, conversationId: decodeURIComponent(m[1]!), ...(m[2] ? { activityId: decodeURIComponent(m[2]) } : {}), body, id });
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ id }));
        this.waiters.splice(0).forEach((w) => w());
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
  }

  /** Waits until a recorded call satisfies the predicate. */
  async waitFor(predicate: (c: ConnectorCall) => boolean, timeoutMs = 10_000): Promise<ConnectorCall> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.calls.find(predicate);
      if (hit) return hit;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching connector call within ${timeoutMs} ms; saw ${JSON.stringify(this.calls.map((c) => [c.method, c.body.text]))}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

export const testTenantId = '72f988bf-0000-4000-a000-000000c0ffee';

export interface HttpUser {
  aadObjectId: string;
  name: string;
  mri: string;
}

let seq = 1;

/** A message or invoke activity as the Teams channel would POST it to /api/messages. */
export function teamsActivity(serviceUrl: string, user: HttpUser, conversationId: string, extra: Record<string, unknown>): Record<string, unknown> {
  return {
    channelId: 'msteams',
    id: `f:${Date.now()}-${seq++}`,
    timestamp: new Date().toISOString(),
    serviceUrl,
    from: { id: user.mri, name: user.name, aadObjectId: user.aadObjectId },
    recipient: { id: '28:switchboard', name: 'Switchboard' },
    conversation: { id: conversationId, conversationType: 'personal', tenantId: testTenantId },
    channelData: { tenant: { id: testTenantId } },
    ...extra,
  };
}

export async function post(botUrl: string, activity: Record<string, unknown>, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${botUrl}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(activity) });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}
