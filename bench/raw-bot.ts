/**
 * The protocol floor for bench/turn-latency.ts: a bot on bare node:http with no SDK at all. It reads the
 * activity, answers 200, and makes the one Connector call a reply needs (POST
 * {serviceUrl}/v3/conversations/{id}/activities/{activityId}) over a keep-alive agent. Nothing a real bot
 * could skip is skipped, nothing more is done: authentication is off (local mode), as for the other bots.
 *
 * Started by the benchmark as a child process; by hand: npx tsx bench/raw-bot.ts (PORT, default any free port).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveAsChild, type RunningBot } from './lib/child';

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function reply(serviceUrl: string, conversationId: string, activityId: string, body: string): void {
  const url = new URL(`v3/conversations/${encodeURIComponent(conversationId)}/activities/${encodeURIComponent(activityId)}`, serviceUrl.endsWith('/') ? serviceUrl : `${serviceUrl}/`);
  const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => res.resume());
  req.on('error', (err) => process.stderr.write(`raw bot reply failed: ${err.message}\n`));
  req.end(body);
}

export async function startRawBot(port = 0): Promise<RunningBot> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/api/messages') {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let a: { type?: string; id?: string; text?: string; serviceUrl?: string; conversation?: { id?: string }; from?: unknown; recipient?: unknown };
      try {
        a = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof a;
      } catch {
        res.writeHead(400).end();
        return;
      }
      res.writeHead(200).end();
      if (a.type !== 'message' || !a.serviceUrl || !a.conversation?.id || !a.id) return;
      reply(a.serviceUrl, a.conversation.id, a.id, JSON.stringify({ type: 'message', text: `Echo: ${a.text ?? ''}`, replyToId: a.id, from: a.recipient, recipient: a.from, conversation: a.conversation }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      agent.destroy();
      await closed;
    },
  };
}

if (require.main === module) serveAsChild('raw-bot', () => startRawBot(Number(process.env.PORT ?? 0)));
